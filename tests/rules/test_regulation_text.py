"""The KEE regulation as data (issue 10): nothing of the adopted text is lost or changed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from webapp.cli_rules import regulation_json
from webapp.domain.regulation_parser import RegulationSyntaxError, parse_regulation
from webapp.domain.regulations import (
    REGULATIONS_DIR,
    Regulation,
    clause_anchor,
    in_force,
    load_regulation,
    regulation_from_data,
    search,
)

SOURCE = REGULATIONS_DIR / "sources" / "KEE-2012.txt"
DATA = REGULATIONS_DIR / "KEE-2012.json"


@pytest.fixture(scope="module")
def kee() -> Regulation:
    return load_regulation("KEE-2012")


def source_words() -> list[str]:
    """The source's words with the markdown markup (#, **, "- " bullets) dropped."""
    words = []
    for line in SOURCE.read_text(encoding="utf-8").splitlines():
        line = re.sub(r"^\s*#+\s+", "", line).replace("**", "")
        line = re.sub(r"^\s*-\s+", "", line)
        words.extend(line.split())
    return words


def data_words(reg: Regulation) -> list[str]:
    """The data's words in reading order."""
    parts = [f"{label}:\t{value}" for label, value in reg.header]
    parts += [reg.title, *reg.preamble]
    for chapter in reg.chapters:
        parts.append(f"{chapter.number}. peatükk {chapter.title}")
        for section in chapter.sections:
            parts.append(f"§ {section.number}. {section.title}")
            for sub in section.subsections:
                parts.append(f"{sub.label} {sub.text}")
                parts += [f"{point.label} {point.text}" for point in sub.points]
                parts += ["\t".join(row) for table in sub.tables for row in table.rows]
    return " ".join(parts).split()


def test_every_word_of_the_source_is_kept_in_order(kee: Regulation) -> None:
    assert data_words(kee) == source_words()


def test_the_committed_json_is_what_the_parser_makes_now() -> None:
    committed = load_regulation("KEE-2012").meta  # the links are the CLI's --previous/--next
    parsed = parse_regulation(SOURCE.read_text(encoding="utf-8"), "KEE-2012",
                              committed.previous, committed.next)
    assert DATA.read_text(encoding="utf-8") == regulation_json(parsed)


def test_the_source_copy_is_kept_verbatim() -> None:
    text = SOURCE.read_text(encoding="utf-8")
    assert "Kuressaare Linnavolikogu" in text and text.count("peatükk") == 12


def test_amounts_stay_as_adopted_in_kroons(kee: Regulation) -> None:
    section = kee.section("27")
    assert section is not None
    third = section.subsections[2]
    assert third.number == "3" and "50 000 krooni" in third.text  # KEE §27(3)


def test_metadata(kee: Regulation) -> None:
    meta = kee.meta
    assert kee.short_name == "KEE" and kee.title.startswith("Kuressaare linna ühisveevärgi")
    assert meta.issuer == "Kuressaare Linnavolikogu" and meta.act_type == "määrus"
    assert meta.number == "26"
    assert (meta.adopted.isoformat(), meta.in_force.isoformat()) == ("2006-09-28", "2006-10-09")
    assert meta.redaction_from.isoformat() == "2012-08-01" and meta.redaction_until is None
    assert meta.publication == "RT IV, 01.11.2012, 66"
    assert [(a.adopted and a.adopted.isoformat(), a.in_force and a.in_force.isoformat())
            for a in meta.amendments] == [("2012-06-14", "2012-08-01")]
    assert meta.legal_basis and meta.legal_basis.startswith("Määrus kehtestatakse")
    assert meta.previous is None and meta.next is None


def test_chapters_and_sections(kee: Regulation) -> None:
    assert [c.number for c in kee.chapters] == [str(n) for n in range(1, 13)]
    assert [s.number for s in kee.sections] == [str(n) for n in range(1, 46)]
    assert kee.chapters[1].title == "ÜVK kasutamine"  # the title on its own heading line
    assert kee.chapters[9].title == "Vee ja reovee mõõtmine ning arvestus"
    assert all(c.title for c in kee.chapters) and all(s.title for s in kee.sections)


def test_points_and_nested_points(kee: Regulation) -> None:
    definitions = kee.section("2")
    assert definitions is not None
    assert len(definitions.subsections[0].points) == 37
    assert definitions.subsections[0].points[29].text.startswith("vääramatud jõud")
    sealing = kee.section("34")
    assert sealing is not None
    assert [p.number for p in sealing.subsections[0].points] == ["1", "2", "3", "4"]
    assert sealing.subsections[0].points[2].anchor == "p34-1-3"


def test_the_pollution_group_table_is_kept(kee: Regulation) -> None:
    section = kee.section("22")
    assert section is not None
    table = section.subsections[0].tables[0]
    assert len(table.rows) == 11
    assert table.rows[2] == ("1.", "Hõljum", "mg/l", "200", "400", "1000")
    assert table.rows[-1][1] == "Happelisus (pH)" and table.rows[-1][-1] == "<5,5 >8,9"


def test_anchors(kee: Regulation) -> None:
    section = kee.section("24")
    assert section is not None and section.anchor == "p24"
    assert section.subsections[0].anchor == "p24-u1"
    assert {"p24", "p25-1", "p25-1-2", "p38-1", "p2-u1-30"} <= kee.anchors()


@pytest.mark.parametrize(("clause", "anchor"), [
    ("KEE §38(1)", "p38-1"),
    ("KEE §24-25", "p24"),
    ("KEE §13(3)-(4)", "p13-3"),
    ("KEE §45(2); redaction 01.08.2012", "p45-2"),
    ("KEE § 41 (3)", "p41-3"),
    ("KEE §42", "p42"),
    ("KEE §5.1(1)", "p5_1-1"),
    ("KEE", None),
    ("", None),
])
def test_clause_anchor(clause: str, anchor: str | None) -> None:
    assert clause_anchor(clause) == anchor


def test_search_plomm_finds_the_sealing_sections(kee: Regulation) -> None:
    hits = search(kee, "PLOMM")
    sections = {hit.section for hit in hits}
    assert {"§ 26", "§ 34", "§ 37", "§ 39"} <= sections
    assert all(hit.match.lower() == "plomm" for hit in hits)
    first = next(hit for hit in hits if hit.anchor == "p34")
    assert first.title == "Kinnistu veevärgi ja kanalisatsiooni plommimine"


def test_search_estonian_letters_and_empty(kee: Regulation) -> None:
    assert any(hit.anchor == "p22-1" for hit in search(kee, "HÕLJUM"))
    assert any(hit.section == "§ 27" for hit in search(kee, "ÕIGUS"))
    assert search(kee, "   ") == []
    assert search(kee, "xyzzy") == []
    assert search(kee, "a.b(") == []  # no regular expression


def test_in_force(kee: Regulation) -> None:
    import datetime as dt

    assert in_force("kee", dt.date(2026, 1, 1)) == kee


def test_parser_refuses_text_without_chapters() -> None:
    with pytest.raises(RegulationSyntaxError):
        parse_regulation("## Title\n\nsome text\n", "X-2000")


def test_cli_writes_the_data_and_refuses_bad_arguments(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    out = tmp_path / "KEE-2012.json"
    done = runner.invoke(args=["rules", "parse-regulation", str(SOURCE), "--id", "KEE-2012",
                               "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert out.read_text(encoding="utf-8") == DATA.read_text(encoding="utf-8")
    bad_id = runner.invoke(args=["rules", "parse-regulation", str(SOURCE), "--id", "kee",
                                 "--out", str(out)])
    assert bad_id.exit_code == 2 and "--id" in bad_id.output
    bad_link = runner.invoke(args=["rules", "parse-regulation", str(SOURCE), "--id", "KEE-2012",
                                   "--previous", "x y", "--out", str(out)])
    assert bad_link.exit_code == 2 and "--previous" in bad_link.output
    linked = runner.invoke(args=["rules", "parse-regulation", str(SOURCE), "--id", "KEE-2026",
                                 "--previous", "KEE-2012", "--out", str(out)])
    assert linked.exit_code == 0 and '"previous": "KEE-2012"' in out.read_text(encoding="utf-8")
    missing = runner.invoke(args=["rules", "parse-regulation", str(tmp_path / "none.txt"),
                                  "--id", "KEE-2012", "--out", str(out)])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    junk = tmp_path / "junk.txt"
    junk.write_text("no headings here\n", encoding="utf-8")
    refused = runner.invoke(args=["rules", "parse-regulation", str(junk), "--id", "KEE-2012",
                                  "--out", str(out)])
    assert refused.exit_code == 1 and "no title heading" in refused.output


SYNTHETIC = """Väljaandja:\tVallavolikogu
Akti liik:\tmäärus
Teksti liik:\tterviktekst
Redaktsiooni jõustumise kp:\t01.01.2020
Redaktsiooni kehtivuse lõpp:\t31.12.2024
Avaldamismärge:\tRT IV, 01.01.2020, 1

## Näidiseeskiri

Vastu võetud 01.12.2019 nr 7

jõustumine 01.01.2020

# **1. peatükk**

## **Üldsätted**

### § 5.1. Lisatud paragrahv

- (1) Esimene lõige:
  - 1) **esimene** punkt;
  - 2) teine punkt.

Nr\tNimi
1.\tÜks

(2) Teine lõige.
"""


def test_the_parser_reads_irregular_headings_and_numbers() -> None:
    data = parse_regulation(SYNTHETIC, "NAIDIS-2020", previous="NAIDIS-2019")
    meta = data["meta"]
    assert meta["redaction_until"] == "2024-12-31" and meta["previous"] == "NAIDIS-2019"
    assert (meta["adopted"], meta["number"], meta["in_force"]) == ("2019-12-01", "7", "2020-01-01")
    chapter = data["chapters"][0]
    assert (chapter["number"], chapter["title"]) == ("1", "Üldsätted")
    section = chapter["sections"][0]
    assert (section["number"], section["title"]) == ("5.1", "Lisatud paragrahv")
    first, second = section["subsections"]
    assert first["points"][0] == {"number": "1", "text": "esimene punkt;"}
    assert first["tables"] == [{"rows": [["Nr", "Nimi"], ["1.", "Üks"]]}]
    assert second == {"number": "2", "text": "Teine lõige.", "points": [], "tables": []}
    loaded = regulation_from_data(data).section("5.1")
    assert loaded is not None and loaded.anchor == "p5_1"
    assert loaded.subsections[0].points[1].anchor == "p5_1-1-2"
    assert loaded.subsections[0].tables[0].header_size == 1

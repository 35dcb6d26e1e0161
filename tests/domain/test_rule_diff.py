"""Differences between versions of the rules, clause by clause (issue 10)."""

from __future__ import annotations

import dataclasses

from webapp.domain.regulations import Regulation, regulations
from webapp.domain.rule_diff import (
    Piece,
    Unit,
    diff_rule_sets,
    diff_units,
    diff_words,
    parameters,
    regulation_units,
)
from webapp.domain.rule_sets import load_rule_set


def test_parameters_in_estonian_notation_with_clauses() -> None:
    found = {p.key: p for p in parameters(load_rule_set("ELVESO-2014"))}
    assert found["watering_window"].value == "01.06–31.08"
    assert found["watering_window"].clause == "ELVESO 1.3"
    assert (found["caps.A"].value, found["caps.A"].unit) == ("30", "m3")
    assert found["reading_deadlines.start"].value == "31.05–08.06"
    assert found["verification"].value == "2"
    assert found["effective"].value == "20.03.2014–"
    assert found["refusal_grounds.history_since_october"].value == "A"


def test_tv_2016_to_2020_clause_by_clause() -> None:
    changes = {d.key: d for d in diff_rule_sets(load_rule_set("TV-2016"),
                                                load_rule_set("TV-2020"))}
    assert changes["caps.A"].change == "removed"
    assert changes["caps.A"].old is not None and changes["caps.A"].old.value == "20"
    assert changes["methods"].change == "changed"
    assert changes["watering_window"].change == "unchanged"
    assert changes["effective"].change == "changed"
    assert all(d.change == "unchanged" for d in diff_rule_sets(
        load_rule_set("TV-2020"), load_rule_set("TV-2020")))


def test_added_parameters() -> None:
    changes = diff_rule_sets(load_rule_set("TV-2016"), load_rule_set("ELVESO-2014"))
    added = {d.key for d in changes if d.change == "added"}
    assert {"caps.B", "verification", "reading_deadlines.start"} <= added
    keys = [d.key for d in changes]
    assert len(keys) == len(set(keys))


def test_word_differences() -> None:
    pieces = diff_words("Tasu on 30 krooni päevas.", "Tasu on 2 eurot päevas.")
    assert Piece("delete", "30 krooni ") in pieces and Piece("insert", "2 eurot ") in pieces
    assert "".join(p.text for p in pieces if p.op != "delete") == "Tasu on 2 eurot päevas."
    assert "".join(p.text for p in pieces if p.op != "insert") == "Tasu on 30 krooni päevas."
    assert diff_words("sama", "sama") == (Piece("equal", "sama"),)


def test_units_added_removed_changed() -> None:
    old = {"p1": Unit("p1", "§1", "Üks kaks"), "p2": Unit("p2", "§2", "Läheb ära")}
    new = {"p1": Unit("p1", "§1", "Üks kolm"), "p3": Unit("p3", "§3", "Uus")}
    found = {d.anchor: d for d in diff_units(old, new)}
    assert found["p1"].change == "changed"
    assert found["p2"].change == "removed" and found["p3"].change == "added"
    assert [d.anchor for d in diff_units(old, new)] == ["p1", "p3", "p2"]


def _amended(regulation: Regulation) -> Regulation:
    """A second redaction: §27 changed, its first subsection's text replaced."""
    chapters = []
    for chapter in regulation.chapters:
        sections = []
        for section in chapter.sections:
            if section.number == "27":
                first, *rest = section.subsections
                section = dataclasses.replace(section, subsections=(
                    dataclasses.replace(first, text=first.text + " Lisatud lause."), *rest))
            sections.append(section)
        chapters.append(dataclasses.replace(chapter, sections=tuple(sections)))
    return dataclasses.replace(regulation, id=regulation.id + "-test", chapters=tuple(chapters))


def test_regulation_redactions_section_by_section() -> None:
    kee = next(r for r in regulations() if r.short_name == "KEE")
    units = regulation_units(kee)
    assert "p24" in units and "p27-1" in units
    changes = diff_units(units, regulation_units(_amended(kee)))
    changed = [d for d in changes if d.change != "unchanged"]
    assert len(changed) == 1
    assert changed[0].anchor.startswith("p27")
    assert Piece("insert", " Lisatud lause.") in changed[0].pieces or any(
        p.op == "insert" and "Lisatud" in p.text for p in changed[0].pieces)

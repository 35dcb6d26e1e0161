"""Parse a regulation's published text (Riigi Teataja's markdown export) into plain data.

Run once per redaction (``flask rules parse-regulation``); the result is the
committed JSON under ``rules/regulations/`` that ``webapp.domain.regulations``
loads. The words are kept exactly as adopted (typos and kroon amounts too); only
the markdown markup is dropped: heading marks ``#``, bold ``**`` and the bullet
``- ``. The export's headings are irregular (a chapter's title on the same line
or on the next heading, any heading level for a §), so the parser goes by the
words ("N. peatükk", "§ N.") and not by the level.

Pure: no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

_HEADING = re.compile(r"#{1,6}\s+(.*)")
_CHAPTER = re.compile(r"(\d+)\.\s*peatükk\b\s*(.*)")
_SECTION = re.compile(r"§\s*(\d+(?:\.\d+)?)\.\s*(.*)")
_SUBSECTION = re.compile(r"(?:-\s+)?\((\d+(?:\.\d+)?)\)\s*(.*)")
_POINT = re.compile(r"\s*-\s+(\d+(?:\.\d+)?)\)\s*(.*)")
_HEADER_FIELD = re.compile(r"([^\t:]+):\t(.*)")
_ADOPTED = re.compile(r"Vastu võetud (\d\d\.\d\d\.\d{4}) nr (\S+)")
_IN_FORCE = re.compile(r"jõustumine (\d\d\.\d\d\.\d{4})")
_DATE = re.compile(r"\d\d\.\d\d\.\d{4}")

_HEADER_KEYS = {
    "Väljaandja": "issuer",
    "Akti liik": "act_type",
    "Teksti liik": "text_type",
    "Redaktsiooni jõustumise kp": "redaction_from",
    "Redaktsiooni kehtivuse lõpp": "redaction_until",
    "Avaldamismärge": "publication",
}


class RegulationSyntaxError(ValueError):
    """The text does not look like a regulation: says which line and why."""


def clean(text: str) -> str:
    """Drop the bold marks and the surrounding blanks; keep every word and character."""
    return re.sub(r"\s{2,}", " ", text.replace("**", "")).strip()


def _iso(date_text: str) -> str:
    return dt.datetime.strptime(date_text, "%d.%m.%Y").date().isoformat()


def parse_regulation(text: str, reg_id: str, previous: str | None = None,
                     next_id: str | None = None) -> dict[str, Any]:
    """The regulation in ``text`` as a JSON-ready dict (see rules/README.md);
    ``previous`` and ``next_id`` are the ids of the neighbouring redactions."""
    lines = text.splitlines()
    titles = [(i, heading) for i, line in enumerate(lines) if (heading := _HEADING.match(line))]
    if not titles:
        raise RegulationSyntaxError("no title heading (a line starting with #)")
    title_at, title_match = titles[0]
    header = _header(lines[:title_at])
    body_at = next((i for i in range(title_at + 1, len(lines)) if _is_chapter(lines[i])), None)
    if body_at is None:
        raise RegulationSyntaxError("no chapter heading (\"1. peatükk\")")
    preamble = [line.rstrip() for line in lines[title_at + 1:body_at] if line.strip()]
    return {
        "id": reg_id,
        "short_name": reg_id.split("-")[0],
        "title": clean(title_match.group(1)),
        "meta": {**_meta(header, preamble), "previous": previous, "next": next_id},
        "header": [[label, value] for label, value in header],
        "preamble": preamble,
        "chapters": _chapters(lines[body_at:], body_at),
    }


def _is_chapter(line: str) -> bool:
    heading = _HEADING.match(line)
    return heading is not None and _CHAPTER.match(clean(heading.group(1))) is not None


def _header(lines: list[str]) -> list[tuple[str, str]]:
    fields = []
    for line in lines:
        field = _HEADER_FIELD.match(line.strip("\n"))
        if field:
            fields.append((field.group(1).strip(), field.group(2).strip()))
        elif line.strip():
            raise RegulationSyntaxError(f"unexpected header line: {line!r}")
    return fields


def _meta(header: list[tuple[str, str]], preamble: list[str]) -> dict[str, Any]:
    meta: dict[str, Any] = {_HEADER_KEYS[label]: value for label, value in header
                            if label in _HEADER_KEYS}
    meta["redaction_from"] = _iso(meta["redaction_from"])
    until = meta.get("redaction_until", "")
    meta["redaction_until"] = _iso(until) if _DATE.fullmatch(until) else None
    meta.update(number=None, adopted=None, in_force=None, original_publication=None,
                legal_basis=None, amendments=[])
    table_header: list[str] | None = None
    for line in preamble:
        if adopted := _ADOPTED.match(line):
            meta["adopted"], meta["number"] = _iso(adopted.group(1)), adopted.group(2)
        elif in_force := _IN_FORCE.match(line):
            meta["in_force"] = _iso(in_force.group(1))
        elif "\t" in line and table_header is None:
            table_header = line.split("\t")
        elif "\t" in line:
            meta["amendments"].append(_amendment(line.split("\t")))
        elif line.startswith("Määrus kehtestatakse"):
            meta["legal_basis"] = line
        elif meta["adopted"] and meta["in_force"] is None:
            meta["original_publication"] = line
    return meta


def _amendment(cells: list[str]) -> dict[str, str | None]:
    adopted, published, in_force = [*cells, "", "", ""][:3]
    return {"adopted": _iso(adopted) if adopted else None, "published": published or None,
            "in_force": _iso(in_force) if in_force else None}


def _chapters(lines: list[str], offset: int) -> list[dict[str, Any]]:
    chapters: list[dict[str, Any]] = []
    section: dict[str, Any] | None = None
    for number, raw in enumerate(lines, start=offset + 1):
        line = raw.rstrip("\n")
        if not line.strip():
            continue
        heading = _HEADING.match(line)
        words = clean(heading.group(1)) if heading else ""
        if heading and (chapter := _CHAPTER.match(words)):
            chapters.append({"number": chapter.group(1), "title": chapter.group(2), "sections": []})
            section = None
        elif heading and (paragraph := _SECTION.match(words)):
            section = {"number": paragraph.group(1), "title": paragraph.group(2), "subsections": []}
            chapters[-1]["sections"].append(section)
        elif heading and section is None and not chapters[-1]["title"]:
            chapters[-1]["title"] = words  # the title on the heading after "N. peatükk"
        elif heading or section is None:
            raise RegulationSyntaxError(f"line {number}: unexpected text outside a §: {line!r}")
        else:
            _body_line(section, line, number)
    return chapters


def _body_line(section: dict[str, Any], line: str, number: int) -> None:
    subsections: list[dict[str, Any]] = section["subsections"]
    if point := _POINT.match(line):
        if not subsections:
            subsections.append(_subsection(None, ""))
        subsections[-1]["points"].append({"number": point.group(1), "text": clean(point.group(2))})
    elif "\t" in line:
        if not subsections:
            raise RegulationSyntaxError(f"line {number}: a table before any text")
        tables = subsections[-1]["tables"]
        if not tables:
            tables.append({"rows": []})
        tables[-1]["rows"].append(line.split("\t"))
    elif sub := _SUBSECTION.match(line.strip()):
        subsections.append(_subsection(sub.group(1), clean(sub.group(2))))
    else:
        subsections.append(_subsection(None, clean(line.removeprefix("- "))))


def _subsection(number: str | None, text: str) -> dict[str, Any]:
    return {"number": number, "text": text, "points": [], "tables": []}

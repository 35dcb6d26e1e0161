"""The regulations as structured data: chapters, §§, subsections, points and tables.

Loaded from ``rules/regulations/<id>.json`` (written once by
``flask rules parse-regulation`` from the verbatim text in
``rules/regulations/sources/``). Every §, subsection and point has a stable
``anchor`` (``p24``, ``p24-1``, ``p24-1-3``); an unnumbered paragraph of a § is
``p2-u1`` (its points ``p2-u1-30``). ``clause_anchor()`` turns the portal's
clause citations ("KEE §38(1)") into these anchors, ``search()`` finds words.

Pure: no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from webapp.domain.rule_sets import RULES_DIR

REGULATIONS_DIR = RULES_DIR / "regulations"
MAX_QUERY_LENGTH = 100
SNIPPET_CONTEXT = 60

_CLAUSE = re.compile(r"§\s*(\d+(?:\.\d+)?)(?:\s*\(\s*(\d+(?:\.\d+)?)\s*\))?")


class UnknownRegulation(LookupError):
    """No regulation (or redaction) with that id or short name."""


@dataclass(frozen=True)
class Point:
    number: str
    text: str
    anchor: str

    @property
    def label(self) -> str:
        return f"{self.number})"


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[str, ...], ...]

    @property
    def header_size(self) -> int:
        """How many rows head the table: those before the first numbered row ("1.")."""
        return next((i for i, row in enumerate(self.rows) if row and row[0][:1].isdigit()),
                    0)


@dataclass(frozen=True)
class Subsection:
    number: str | None
    text: str
    points: tuple[Point, ...]
    tables: tuple[Table, ...]
    anchor: str

    @property
    def label(self) -> str:
        return f"({self.number})" if self.number else ""


@dataclass(frozen=True)
class Section:
    number: str
    title: str
    subsections: tuple[Subsection, ...]

    @property
    def anchor(self) -> str:
        return "p" + self.number.replace(".", "_")

    @property
    def label(self) -> str:
        return f"§ {self.number}"


@dataclass(frozen=True)
class Chapter:
    number: str
    title: str
    sections: tuple[Section, ...]

    @property
    def anchor(self) -> str:
        return f"ch{self.number}"


@dataclass(frozen=True)
class Amendment:
    adopted: dt.date | None
    published: str | None
    in_force: dt.date | None


@dataclass(frozen=True)
class RegulationMeta:
    issuer: str
    act_type: str
    text_type: str
    number: str
    adopted: dt.date
    in_force: dt.date
    redaction_from: dt.date
    redaction_until: dt.date | None  # None: the redaction is in force
    publication: str
    original_publication: str | None
    legal_basis: str | None
    amendments: tuple[Amendment, ...]
    previous: str | None  # ids of the neighbouring redactions
    next: str | None


@dataclass(frozen=True)
class Regulation:
    id: str
    short_name: str
    title: str
    meta: RegulationMeta
    header: tuple[tuple[str, str], ...]  # the export's "label: value" lines, verbatim
    preamble: tuple[str, ...]  # the lines between the title and chapter 1, verbatim
    chapters: tuple[Chapter, ...]

    @property
    def sections(self) -> tuple[Section, ...]:
        return tuple(section for chapter in self.chapters for section in chapter.sections)

    def section(self, number: str) -> Section | None:
        return next((s for s in self.sections if s.number == number), None)

    def anchors(self) -> frozenset[str]:
        found: set[str] = set()
        for section in self.sections:
            found.add(section.anchor)
            for sub in section.subsections:
                found.add(sub.anchor)
                found.update(point.anchor for point in sub.points)
        return frozenset(found)

    @property
    def redaction_in_force_from(self) -> dt.date:
        return self.meta.redaction_from

    def in_force_on(self, day: dt.date) -> bool:
        until = self.meta.redaction_until
        return self.meta.redaction_from <= day and (until is None or day < until)


@dataclass(frozen=True)
class SearchHit:
    """One place the query occurs; ``before``/``match``/``after`` are plain text
    (the template escapes them and marks ``match``)."""

    anchor: str
    section: str  # "§ 34"
    label: str  # "§ 34 (1) 2)"
    title: str
    before: str
    match: str
    after: str


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _required_date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _meta(data: dict[str, Any]) -> RegulationMeta:
    return RegulationMeta(
        issuer=data["issuer"], act_type=data["act_type"], text_type=data["text_type"],
        number=data["number"], adopted=_required_date(data["adopted"]),
        in_force=_required_date(data["in_force"]),
        redaction_from=_required_date(data["redaction_from"]),
        redaction_until=_date(data["redaction_until"]), publication=data["publication"],
        original_publication=data["original_publication"], legal_basis=data["legal_basis"],
        amendments=tuple(Amendment(_date(a["adopted"]), a["published"], _date(a["in_force"]))
                         for a in data["amendments"]),
        previous=data["previous"], next=data["next"])


def _subsections(section_anchor: str, items: list[dict[str, Any]]) -> tuple[Subsection, ...]:
    result = []
    unnumbered = 0
    for item in items:
        number = item["number"]
        if number is None:
            unnumbered += 1
            anchor = f"{section_anchor}-u{unnumbered}"
        else:
            anchor = f"{section_anchor}-{number.replace('.', '_')}"
        points = tuple(Point(p["number"], p["text"], f"{anchor}-{p['number'].replace('.', '_')}")
                       for p in item["points"])
        tables = tuple(Table(tuple(tuple(row) for row in t["rows"])) for t in item["tables"])
        result.append(Subsection(number, item["text"], points, tables, anchor))
    return tuple(result)


def _section(data: dict[str, Any]) -> Section:
    anchor = "p" + data["number"].replace(".", "_")
    return Section(data["number"], data["title"], _subsections(anchor, data["subsections"]))


def regulation_from_data(data: dict[str, Any]) -> Regulation:
    """Build the dataclasses from the parsed data (``regulation_parser.parse_regulation``)."""
    return Regulation(
        id=data["id"], short_name=data["short_name"], title=data["title"],
        meta=_meta(data["meta"]),
        header=tuple((label, value) for label, value in data["header"]),
        preamble=tuple(data["preamble"]),
        chapters=tuple(Chapter(c["number"], c["title"], tuple(_section(s) for s in c["sections"]))
                       for c in data["chapters"]))


def regulation_path(reg_id: str) -> Path:
    return REGULATIONS_DIR / f"{reg_id}.json"


@cache
def load_regulation(reg_id: str) -> Regulation:
    """The redaction ``reg_id`` (e.g. "KEE-2012"); UnknownRegulation if there is none."""
    if not re.fullmatch(r"[A-Za-z0-9-]+", reg_id) or not regulation_path(reg_id).is_file():
        raise UnknownRegulation(reg_id)
    data = json.loads(regulation_path(reg_id).read_text(encoding="utf-8"))
    return regulation_from_data(data)


def regulations() -> tuple[Regulation, ...]:
    """Every redaction of every regulation, oldest first within a short name."""
    found = [load_regulation(path.stem) for path in sorted(REGULATIONS_DIR.glob("*.json"))]
    return tuple(sorted(found, key=lambda r: (r.short_name, r.meta.redaction_from)))


def redactions(short_name: str) -> tuple[Regulation, ...]:
    return tuple(r for r in regulations() if r.short_name.lower() == short_name.lower())


def in_force(short_name: str, day: dt.date) -> Regulation:
    """The redaction of ``short_name`` in force on ``day``; the earliest one before it began."""
    versions = redactions(short_name)
    if not versions:
        raise UnknownRegulation(short_name)
    current = [r for r in versions if r.in_force_on(day)]
    return current[-1] if current else versions[0]


def clause_anchor(clause: str) -> str | None:
    """The anchor of the first § cited in ``clause``: "KEE §38(1)" -> "p38-1",
    "KEE §24-25" -> "p24", "KEE §13(3)-(4)" -> "p13-3", "KEE §45(2); …" -> "p45-2"."""
    first = clause.split(";")[0]
    cited = _CLAUSE.search(first)
    if cited is None:
        return None
    anchor = "p" + cited.group(1).replace(".", "_")
    return f"{anchor}-{cited.group(2).replace('.', '_')}" if cited.group(2) else anchor


def _texts(section: Section) -> list[tuple[str, str, str]]:
    """(anchor, label, text) of every piece of the § that can be searched."""
    pieces = [(section.anchor, section.label, section.title)]
    for sub in section.subsections:
        sub_label = f"{section.label} {sub.label}".strip()
        pieces.append((sub.anchor, sub_label, sub.text))
        pieces.extend((p.anchor, f"{sub_label} {p.label}", p.text) for p in sub.points)
        pieces.extend((sub.anchor, sub_label, cell) for table in sub.tables
                      for row in table.rows for cell in row if cell)
    return pieces


def search(regulation: Regulation, query: str) -> list[SearchHit]:
    """Every occurrence of ``query`` (case-insensitive, Estonian letters included)."""
    needle = " ".join(query.split())
    if not needle:
        return []
    pattern = re.compile(re.escape(needle), re.IGNORECASE)
    hits = []
    for section in regulation.sections:
        for anchor, label, text in _texts(section):
            for found in pattern.finditer(text):
                hits.append(_hit(section, anchor, label, text, found))
    return hits


def _hit(section: Section, anchor: str, label: str, text: str, found: re.Match[str]) -> SearchHit:
    start, end = found.span()
    before = text[max(0, start - SNIPPET_CONTEXT):start]
    after = text[end:end + SNIPPET_CONTEXT]
    return SearchHit(anchor=anchor, section=section.label, label=label, title=section.title,
                     before=("…" if start > SNIPPET_CONTEXT else "") + before, match=found.group(0),
                     after=after + ("…" if end + SNIPPET_CONTEXT < len(text) else ""))

"""Differences between two versions of the rules, clause by clause (issue 10).

Rule sets: each parameter flattened to a key (``caps.A``, ``preconditions.contract_valid``),
its value in Estonian notation and its clause; a diff lists every key added, removed,
changed or unchanged. Regulation redactions: their units (sections, subsections,
points) keyed by anchor, each unit's text compared word by word with ``difflib``.
The result is data; the page renders insertions as ``<ins>`` and deletions as ``<del>``.

Pure: no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from webapp.domain.regulations import Regulation
from webapp.domain.rule_sets import MonthDay, RuleSet, Window

Change = Literal["added", "removed", "changed", "unchanged"]
Op = Literal["equal", "insert", "delete"]

_WORDS = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class Parameter:
    """One parameter of a rule set: ``unit`` is "m3", "years", "months" or ""."""

    key: str
    value: str
    unit: str
    clause: str


@dataclass(frozen=True)
class ParameterDiff:
    key: str
    change: Change
    old: Parameter | None
    new: Parameter | None


@dataclass(frozen=True)
class Piece:
    op: Op
    text: str


@dataclass(frozen=True)
class Unit:
    """A unit of a regulation's text: its anchor (``p24-1``), label (``§24(1)``), text."""

    anchor: str
    label: str
    text: str


@dataclass(frozen=True)
class UnitDiff:
    anchor: str
    label: str
    change: Change
    pieces: tuple[Piece, ...]


def _day(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def _month_day(value: MonthDay) -> str:
    return f"{value.day:02d}.{value.month:02d}"


def _span(start: MonthDay, end: MonthDay) -> str:
    return f"{_month_day(start)}–{_month_day(end)}"


def _window(window: Window) -> str:
    return _span(window.start, window.end)


def _decimal(value: Decimal) -> str:
    # Estonian decimal comma (the portal's notation, DESIGN.md).
    return format(value.normalize(), "f").replace(".", ",")


def parameters(rule_set: RuleSet) -> tuple[Parameter, ...]:
    """Every parameter of the rule set in the order the page shows them."""
    effective = rule_set.effective
    found = [Parameter("effective", f"{_day(effective.start)}–"
                       f"{_day(effective.end) if effective.end else ''}", "", effective.clause),
             Parameter("watering_window", _window(rule_set.watering_window), "",
                       rule_set.watering_window.clause)]
    if rule_set.winter_window is not None:
        found.append(Parameter("winter_window", _window(rule_set.winter_window), "",
                               rule_set.winter_window.clause))
    found.append(Parameter("methods", ", ".join(rule_set.methods.allowed), "",
                           rule_set.methods.clause))
    found += [Parameter(f"caps.{method}", _decimal(cap.m3), "m3", cap.clause)
              for method, cap in rule_set.caps.items()]
    if rule_set.verification is not None:
        found.append(Parameter("verification", str(rule_set.verification.interval_years),
                               "years", rule_set.verification.clause))
    deadlines = rule_set.reading_deadlines
    if deadlines is not None:
        found += [Parameter("reading_deadlines.start",
                            _span(deadlines.start_from, deadlines.start_to), "", deadlines.clause),
                  Parameter("reading_deadlines.end",
                            _span(deadlines.end_from, deadlines.end_to), "", deadlines.clause)]
    if rule_set.reading_cycle is not None:
        found.append(Parameter("reading_cycle", str(rule_set.reading_cycle.max_months),
                               "months", rule_set.reading_cycle.clause))
    if rule_set.history is not None:
        found.append(Parameter("history", _month_day(rule_set.history.since), "",
                               rule_set.history.clause))
    for table, checks in (("preconditions", rule_set.preconditions),
                          ("refusal_grounds", rule_set.refusal_grounds)):
        found += [Parameter(f"{table}.{check}", ", ".join(rule.methods), "", rule.clause)
                  for check, rule in checks.items()]
    return tuple(found)


def _change(old: Parameter | None, new: Parameter | None) -> Change:
    if old is None:
        return "added"
    if new is None:
        return "removed"
    same = (old.value, old.unit) == (new.value, new.unit)
    return "unchanged" if same else "changed"


def diff_rule_sets(old: RuleSet, new: RuleSet) -> tuple[ParameterDiff, ...]:
    """Parameter by parameter, in the new set's order, then what the new one lacks. A
    parameter whose value stays and only its clause changes counts as unchanged (the
    clause is shown on both sides)."""
    before = {p.key: p for p in parameters(old)}
    after = {p.key: p for p in parameters(new)}
    keys = list(after) + [key for key in before if key not in after]
    return tuple(ParameterDiff(key, _change(before.get(key), after.get(key)),
                               before.get(key), after.get(key)) for key in keys)


def diff_words(old: str, new: str) -> tuple[Piece, ...]:
    """The words of ``new`` against ``old``: equal, inserted and deleted runs (spaces
    kept, so that joining the equal and inserted pieces gives ``new`` back)."""
    before, after = _WORDS.findall(old), _WORDS.findall(new)
    pieces: list[Piece] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pieces.append(Piece("equal", "".join(after[j1:j2])))
            continue
        if i2 > i1:
            pieces.append(Piece("delete", "".join(before[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("insert", "".join(after[j1:j2])))
    return tuple(pieces)


def diff_units(old: Mapping[str, Unit], new: Mapping[str, Unit]) -> tuple[UnitDiff, ...]:
    """Unit by unit (keyed by anchor), in the new text's order, then the removed ones."""
    found = []
    for anchor, unit in new.items():
        previous = old.get(anchor)
        if previous is None:
            found.append(UnitDiff(anchor, unit.label, "added", (Piece("insert", unit.text),)))
            continue
        pieces = diff_words(previous.text, unit.text)
        changed = any(piece.op != "equal" for piece in pieces)
        found.append(UnitDiff(anchor, unit.label, "changed" if changed else "unchanged", pieces))
    found += [UnitDiff(anchor, unit.label, "removed", (Piece("delete", unit.text),))
              for anchor, unit in old.items() if anchor not in new]
    return tuple(found)


def regulation_units(regulation: Regulation) -> dict[str, Unit]:
    """Every section (its title), subsection (its text and tables) and point of a
    redaction, keyed by anchor (``p24``, ``p24-1``, ``p24-1-3``), in the text's order."""
    units: dict[str, Unit] = {}
    for section in regulation.sections:
        units[section.anchor] = Unit(section.anchor, section.label, section.title)
        for sub in section.subsections:
            rows = [" | ".join(row) for table in sub.tables for row in table.rows]
            label = f"{section.label} {sub.label}".strip()
            units[sub.anchor] = Unit(sub.anchor, label, "\n".join([sub.text, *rows]).strip())
            for point in sub.points:
                units[point.anchor] = Unit(point.anchor, f"{label} {point.label}", point.text)
    return units

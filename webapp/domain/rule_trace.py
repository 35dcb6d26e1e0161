"""Where the portal applies each clause: the parameters of the rule data that cite it
and the code (dotted paths of functions) that reads them, generated from the rule
files, never typed by hand in a page.

Three kinds of rule data feed it:

- the rebate rule sets ``rules/*.toml`` (``rule_sets.py``): every table cites its
  clause; where each table is applied is in ``rules/trace/used_in.toml`` (those files are
  never edited once in force, and the code applying a table is the same for every
  rule set);
- the deadline sets ``rules/deadlines/*.toml`` (``deadlines.py``), traced the same way;
- the portal's own parameters ``rules/parameters/*.toml`` (``parameters.py``), which
  carry ``used_in`` themselves.

``applications(source)`` answers for one source ("KEE", "ELVESO-2014", "TV-2016" ...)
keyed by the clause's anchor: ``p38-1`` for "KEE §38(1)" (the regulation page's
anchors), "2.2" for "ELVESO 2.2", the rule set's id for Tallinna Vesi's rules, which
have no numbered clauses. Pure: no Flask, no database.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webapp.domain import parameters as portal_parameters
from webapp.domain.deadlines import deadline_set_ids, load_deadlines
from webapp.domain.rule_sets import RULES_DIR, RuleSet, rule_sets

# Not in rules/ itself: every rules/*.toml is read as a rebate rule set.
TRACE_FILE = RULES_DIR / "trace" / "used_in.toml"

# "KEE §38(1)", "KEE §13(3)-(4)", "KEE §24-25", "KEE §25(1) p 2; §25(2)": the first §.
_KEE_CLAUSE = re.compile(r"§\s*(\d+(?:\.\d+)?)(?:\((\d+)\))?")
_NUMBERED_CLAUSE = re.compile(r"^[A-Z][A-Z0-9-]*\s+(\d+(?:\.\d+)*)")


class TraceError(ValueError):
    """A malformed ``rules/trace/used_in.toml``: the message names the file and the field."""


@dataclass(frozen=True)
class Application:
    """One parameter of the rule data that cites a clause, and where the portal applies
    it. ``label`` is English (pass it through ``_`` when shown); ``value`` as the file
    has it; ``used_in`` the dotted paths of the functions that read it (empty when
    the portal knows the parameter but does not apply it yet)."""

    parameter: str
    label: str
    value: str
    unit: str
    clause: str
    rule_file: str
    used_in: tuple[str, ...]


@dataclass(frozen=True)
class Trace:
    """An entry of ``rules/trace/used_in.toml``: the word the functions' source must contain
    (``reads``) and the functions."""

    reads: str
    used_in: tuple[str, ...]


def clause_key(clause: str) -> str:
    """The anchor a clause is listed under: "KEE §38(1)" -> "p38-1", "KEE §24" ->
    "p24", "ELVESO 2.2" -> "2.2"; a citation without a number (Tallinna Vesi's
    "TV-2016") is its own key."""
    clause = clause.strip()
    if clause.startswith("KEE"):
        found = _KEE_CLAUSE.search(clause)
        if found:
            section, sub = found.groups()
            anchor = "p" + section.replace(".", "_")
            return f"{anchor}-{sub}" if sub else anchor
    numbered = _NUMBERED_CLAUSE.match(clause)
    if numbered:
        return numbered.group(1)
    return clause.split(";")[0].strip()


def clause_source(clause: str) -> str:
    """The source a clause belongs to: "KEE", "ELVESO" or "TV-2016" (its first word)."""
    return clause.strip().split()[0].rstrip(";,") if clause.strip() else ""


# ------------------------------------------------------------------ rules/trace/used_in.toml


def _trace_entries(data: Mapping[str, Any], table: str, path: Path) -> dict[str, Trace]:
    entries = data.get(table, {})
    if not isinstance(entries, Mapping):
        raise TraceError(f"{path}: {table}: expected a table")
    found = {}
    for key, entry in entries.items():
        name = f"{table}.{key}"
        if not isinstance(entry, Mapping) or set(entry) != {"reads", "used_in"}:
            raise TraceError(f"{path}: {name}: give exactly reads and used_in")
        reads, used_in = entry["reads"], entry["used_in"]
        if not isinstance(reads, str) or not reads:
            raise TraceError(f"{path}: {name}.reads: expected the name the code reads")
        if not isinstance(used_in, list) or not all(
                isinstance(item, str) and item.startswith("webapp.") for item in used_in):
            raise TraceError(f"{path}: {name}.used_in: expected a list of dotted paths "
                             "starting with webapp.")
        found[key] = Trace(reads, tuple(used_in))
    return found


def load_trace(path: Path | None = None) -> dict[str, dict[str, Trace]]:
    """``rules/trace/used_in.toml``: ``{"rule_sets": {table: Trace}, "deadlines": {id: Trace},
    "percentages": {id: Trace}}``; ``TraceError`` naming the file and the field."""
    path = path or TRACE_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise TraceError(f"{path}: {error}") from None
    unknown = set(data) - {"rule_sets", "deadlines", "percentages"}
    if unknown:
        raise TraceError(f"{path}: unknown tables {', '.join(sorted(unknown))}")
    return {table: _trace_entries(data, table, path)
            for table in ("rule_sets", "deadlines", "percentages")}


@functools.cache
def _trace() -> dict[str, dict[str, Trace]]:
    return load_trace()


# --------------------------------------------------------------------------- collecting


def _rule_set_applications(rule_set: RuleSet) -> Iterator[Application]:
    trace = _trace()["rule_sets"]
    rule_file = f"rules/{rule_set.id}.toml"

    def made(parameter: str, label: str, value: str, unit: str, clause: str) -> Application:
        table = parameter.split(".")[0]
        used = trace[table].used_in if table in trace else ()
        return Application(parameter, label, value, unit, clause, rule_file, used)

    yield made("effective", "Seasons the rule set governs",
               f"{rule_set.effective.start:%d.%m.%Y}-"
               + ("" if rule_set.effective.end is None
                  else f"{rule_set.effective.end:%d.%m.%Y}"), "", rule_set.effective.clause)
    for name, label, window in (("watering_window", "Watering period", rule_set.watering_window),
                                ("winter_window", "Winter period", rule_set.winter_window)):
        if window is not None:
            yield made(name, label, f"{window.start.day:02d}.{window.start.month:02d}-"
                       f"{window.end.day:02d}.{window.end.month:02d}", "", window.clause)
    yield made("methods", "Allowed methods",
               ", ".join(method.value for method in rule_set.methods.allowed), "",
               rule_set.methods.clause)
    for method, cap in rule_set.caps.items():
        yield made(f"caps.{method.value}", f"Cap, method {method.value}", str(cap.m3), "m³",
                   cap.clause)
    if rule_set.verification is not None:
        yield made("verification", "Sub-meter verification interval",
                   str(rule_set.verification.interval_years), "years",
                   rule_set.verification.clause)
    if rule_set.reading_deadlines is not None:
        dl = rule_set.reading_deadlines
        yield made("reading_deadlines", "Dates of the start and end readings",
                   f"{dl.start_from.day:02d}.{dl.start_from.month:02d}-"
                   f"{dl.start_to.day:02d}.{dl.start_to.month:02d}, "
                   f"{dl.end_from.day:02d}.{dl.end_from.month:02d}-"
                   f"{dl.end_to.day:02d}.{dl.end_to.month:02d}", "", dl.clause)
    if rule_set.reading_cycle is not None:
        yield made("reading_cycle", "Longest reading cycle",
                   str(rule_set.reading_cycle.max_months), "months",
                   rule_set.reading_cycle.clause)
    if rule_set.history is not None:
        yield made("history", "Consumption history since",
                   f"{rule_set.history.since.day:02d}.{rule_set.history.since.month:02d}", "",
                   rule_set.history.clause)


def _deadline_applications(set_id: str) -> Iterator[Application]:
    trace = _trace()
    deadline_set = load_deadlines(set_id)
    rule_file = f"rules/deadlines/{set_id}.toml"
    for key, deadline in deadline_set.deadlines.items():
        unit = next(unit for unit in ("days", "months", "years") if getattr(deadline, unit))
        if deadline.kind == "working":
            unit = "working days"
        entry = trace["deadlines"].get(key.value)
        yield Application(f"deadlines.{key.value}", deadline.description,
                          str(getattr(deadline, "days" if unit == "working days" else unit)),
                          unit, deadline.clause, rule_file,
                          () if entry is None else entry.used_in)
    for pkey, percentage in deadline_set.percentages.items():
        entry = trace["percentages"].get(pkey.value)
        yield Application(f"percentages.{pkey.value}", percentage.description,
                          str(percentage.percent), f"% a {percentage.per}", percentage.clause,
                          rule_file, () if entry is None else entry.used_in)


def _parameter_applications() -> Iterator[Application]:
    for parameter in portal_parameters.parameters():
        if parameter.clause is not None:
            yield Application(f"parameters.{parameter.name}", parameter.description,
                              str(parameter.value), parameter.unit, parameter.clause,
                              parameter.rule_file, parameter.used_in)


def _sourced() -> Iterator[tuple[str, Application]]:
    """Every parameter that cites a clause with the source it is listed under: a rule
    set's own id for its tables (two ELVESO rule sets both cite "ELVESO 2.2"), the
    act's short name for deadlines, and for a portal parameter the source its clause
    names (one citing "ELVESO 3.2" is listed under every ELVESO-… rule set)."""
    sets = rule_sets()
    for rule_set in sets:
        for application in _rule_set_applications(rule_set):
            yield rule_set.id, application
    for set_id in deadline_set_ids():
        for application in _deadline_applications(set_id):
            yield clause_source(application.clause), application
    for application in _parameter_applications():
        source = clause_source(application.clause)
        matching = [rule_set.id for rule_set in sets
                    if rule_set.id == source or rule_set.id.startswith(source + "-")]
        for listed_under in matching or [source]:
            yield listed_under, application


def all_applications() -> tuple[Application, ...]:
    """Every parameter of the rule data that cites a clause, in file order, once."""
    return tuple(dict.fromkeys(application for _source, application in _sourced()))


@functools.cache
def _by_source() -> dict[str, dict[str, tuple[Application, ...]]]:
    grouped: dict[str, dict[str, list[Application]]] = {}
    for source, application in _sourced():
        by_key = grouped.setdefault(source, {})
        by_key.setdefault(clause_key(application.clause), []).append(application)
    return {source: {key: tuple(items) for key, items in by_key.items()}
            for source, by_key in grouped.items()}


def applications(source: str) -> Mapping[str, tuple[Application, ...]]:
    """The parameters citing each clause of ``source`` ("KEE", "ELVESO-2014",
    "TV-2016", "TV-2020"), keyed by the clause's anchor (``p38-1``, ``2.2``, the
    rule set's id for TV), each with the functions that apply it. Empty for an
    unknown source."""
    return _by_source().get(source, {})

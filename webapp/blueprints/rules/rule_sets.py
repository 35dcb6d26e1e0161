"""Routes of the rules blueprint: the rebate rule sets, what was in force on a day, and
the differences between versions (issue 10). Public pages, no login."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterable, Mapping
from typing import Any

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.blueprints.rules import bp
from webapp.domain import deadlines as deadline_rules
from webapp.domain.regulations import Regulation, regulations
from webapp.domain.rule_diff import diff_rule_sets, diff_units, parameters, regulation_units
from webapp.domain.rule_sets import RuleSet, RuleSetError, load_rule_set, rule_set_ids, rule_sets
from webapp.domain.rule_source_text import clause_anchor, load_source_text
from webapp.navigation import current_utility
from webapp.rebate_texts import check_title
from webapp.services.access import today_in_tallinn

INVALID = 422
# Dates the "in force on" page answers for: wide enough for any act the portal cites.
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
# A rule-trace parameter path's last part that names a field of the parameter's table.
_LEAF_FIELDS = {"m3", "clause", "interval_years", "max_months", "since", "allowed", "methods"}

_LABELS = {
    "effective": _l("In force"),
    "watering_window": _l("Watering period"),
    "winter_window": _l("Winter period (method A compares with it)"),
    "methods": _l("Allowed methods"),
    "verification": _l("Verification interval of the garden sub-meter"),
    "reading_deadlines.start": _l("Start reading dated"),
    "reading_deadlines.end": _l("End reading dated"),
    "reading_cycle": _l("Readings at least every"),
    "history": _l("Consumption history since (the previous year)"),
}
_UNITS = {"m3": "m³", "years": _l("years"), "months": _l("months"), "days": _l("days")}


def parameter_label(key: str) -> str:
    """The parameter's name in the reader's language."""
    table, _dot, name = key.partition(".")
    if table == "caps":
        return str(_("Cap for method %(method)s", method=name))
    if table == "preconditions":
        return str(_("Condition: %(check)s", check=check_title(name)))
    if table == "refusal_grounds":
        return str(_("Refused if not: %(check)s", check=check_title(name)))
    return str(_LABELS.get(key, key))


def unit_label(unit: str) -> str:
    return str(_UNITS.get(unit, unit))


@bp.app_template_global()
def rule_parameter_label(key: str) -> str:
    return parameter_label(key)


@bp.app_template_global()
def rule_unit_label(unit: str) -> str:
    return unit_label(unit)


def _optional_module(name: str) -> Any:
    """A module another part of issue 10 provides; ``None`` while it does not exist."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def trace(rule_set_id: str) -> Mapping[str, Iterable[Any]]:
    """Where the portal applies each clause (helper C's ``rule_trace``), or nothing."""
    module = _optional_module("webapp.domain.rule_trace")
    if module is None:
        return {}
    try:
        return dict(module.applications(rule_set_id))
    except (KeyError, ValueError):
        return {}


def _parameter_key(path: str) -> str:
    parts = path.split(".")
    if parts and parts[-1] in _LEAF_FIELDS and len(parts) > 1:
        parts = parts[:-1]
    if parts[0] == "reading_deadlines" and len(parts) > 1:
        return "reading_deadlines." + ("start" if parts[1].startswith("start") else "end")
    return ".".join(parts)


def applications_by_parameter(rule_set_id: str) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for applications in trace(rule_set_id).values():
        for application in applications:
            key = _parameter_key(str(application.parameter))
            if application not in found.setdefault(key, []):
                found[key].append(application)
    # A deadlines table cited whole applies to both of its rows.
    whole = found.pop("reading_deadlines", [])
    for key in ("reading_deadlines.start", "reading_deadlines.end"):
        if whole:
            found.setdefault(key, []).extend(whole)
    return found


def _rule_set_or_none(rule_set_id: str) -> RuleSet | None:
    if rule_set_id not in rule_set_ids():
        return None
    try:
        return load_rule_set(rule_set_id)
    except RuleSetError:
        return None


def previous_version(rule_set: RuleSet) -> RuleSet | None:
    """The same utility's rule set that ended before this one started."""
    earlier = [other for other in rule_sets() if other.utility == rule_set.utility
               and other.effective.start < rule_set.effective.start]
    return max(earlier, key=lambda other: other.effective.start, default=None)


@bp.app_template_global()
def regulation_link(regulation: Regulation, anchor: str = "") -> str:
    """The redaction's page: the plain address for the one in force today."""
    current = regulation.in_force_on(today_in_tallinn())
    url = url_for("rules.regulation", short_name=regulation.short_name,
                  redaction=None if current else regulation.id)
    return f"{url}#{anchor}" if anchor else url


def redactions() -> list[Regulation]:
    """Every redaction of every regulation, oldest first."""
    return sorted(regulations(), key=lambda r: (r.short_name, r.redaction_in_force_from))


def configured_rule_set() -> str | None:
    utility = current_utility()
    return utility.rebate_rule_set if utility else None


# --- pages ---------------------------------------------------------------------------

# "/rules" is served too: it was the address of the list of rules before issue 10.
@bp.get("/", strict_slashes=False)
def index() -> str:
    return render_template(
        "rules/index.html", redactions=redactions(), rule_sets=rule_sets(),
        deadline_sets=[deadline_rules.load_deadlines(set_id)
                       for set_id in deadline_rules.deadline_set_ids()],
        configured=configured_rule_set(), today=today_in_tallinn())


@bp.get("/rebates/<rule_set_id>")
def rule_set(rule_set_id: str) -> str:
    found = _rule_set_or_none(rule_set_id)
    if found is None:
        abort(404)
    applications = applications_by_parameter(found.id)
    # The portal's own parameters that cite the rules (rule_trace "parameters.<name>").
    further = [use for key, uses in applications.items() if key.startswith("parameters.")
               for use in uses]
    return render_template(
        "rules/rule_set.html", rule_set=found, parameters=parameters(found),
        anchors={p.key: clause_anchor(p.clause) for p in parameters(found)},
        applications=applications, further=further, clause_anchor=clause_anchor,
        text=load_source_text(found.id),
        previous=previous_version(found), configured=configured_rule_set())


def parse_day(value: str | None) -> tuple[dt.date | None, str | None]:
    """The day asked for (ISO, or dd.mm.yyyy as typed without a date picker), or why not."""
    if not value or not value.strip():
        return None, _("Give a date.")
    text = value.strip()
    try:
        day = (dt.datetime.strptime(text, "%d.%m.%Y").date() if "." in text
               else dt.date.fromisoformat(text))
    except ValueError:
        return None, _("%(value)s is not a date. Give it as dd.mm.yyyy.", value=text[:20])
    if not EARLIEST <= day <= LATEST:
        return None, _("Give a date from %(first)s to %(last)s.",
                       first=EARLIEST.strftime("%d.%m.%Y"), last=LATEST.strftime("%d.%m.%Y"))
    return day, None


def _in_force(day: dt.date) -> dict[str, Any]:
    act = deadline_rules.load_deadlines().act
    redaction = next((r for r in redactions() if r.in_force_on(day)), None)
    deadline_sets = [s for s in (deadline_rules.load_deadlines(i)
                                 for i in deadline_rules.deadline_set_ids()) if s.governs(day)]
    governing = [s for s in rule_sets() if s.effective.start <= day
                 and (s.effective.end is None or day <= s.effective.end)]
    return {"redaction": redaction, "act": act, "adopted_in_force": act.in_force_from <= day,
            "deadline_sets": deadline_sets, "governing": governing}


@bp.get("/on")
def on() -> tuple[str, int]:
    raw = request.args.get("date")
    day, error = parse_day(raw)
    context = {} if day is None else _in_force(day)
    return render_template("rules/on.html", day=day, raw=raw or "", error=error,
                           configured=configured_rule_set(), **context
                           ), (200 if error is None else INVALID)


def _versions() -> dict[str, tuple[str, Any]]:
    """Every version the diff page offers: id -> (kind, the version)."""
    found: dict[str, tuple[str, Any]] = {s.id: ("rule_set", s) for s in rule_sets()}
    found.update((r.id, ("regulation", r)) for r in redactions())
    return found


@bp.get("/diff")
def diff() -> tuple[str, int]:
    versions = _versions()
    old_id, new_id = request.args.get("from", ""), request.args.get("to", "")
    context: dict[str, Any] = {"versions": versions, "old_id": old_id, "new_id": new_id,
                               "error": None, "rule_set_diff": None, "unit_diff": None}
    if not old_id and not new_id:
        return render_template("rules/diff.html", **context), 200
    old, new = versions.get(old_id), versions.get(new_id)
    if old is None or new is None:
        context["error"] = _("Choose two versions from the lists.")
    elif old[0] != new[0]:
        context["error"] = _("A rule set can only be compared with a rule set, and a "
                             "regulation with a regulation.")
    elif old[0] == "rule_set":
        context["rule_set_diff"] = diff_rule_sets(old[1], new[1])
    else:
        context["unit_diff"] = diff_units(regulation_units(old[1]),
                                          regulation_units(new[1]))
    context.update(old=old and old[1], new=new and new[1])
    return render_template("rules/diff.html", **context), (
        INVALID if context["error"] else 200)

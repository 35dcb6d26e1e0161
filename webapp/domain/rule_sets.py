"""Garden-water rebate rule sets (DOMAIN.md section 2) as versioned data.

Each rule set is one TOML file in ``rules/`` at the repository root, named by its
id (``rules/ELVESO-2014.toml``); every parameter in it cites the clause it comes
from. A file is validated completely when it is loaded: a malformed one raises
``RuleSetError`` naming the file and the field. A new rule set is a new file,
never an edit of one in force (rules/README.md).

Not to be confused with ``rule_sources``: that lists the acts the portal cites
(titles, issuers); this holds the parameters of the garden-water rules.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import functools
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import field as default
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

from pydantic import ConfigDict, Field, PlainValidator, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass
from pydantic_core import PydanticCustomError

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"

_CONFIG = ConfigDict(extra="forbid")
_MONTH_DAY = re.compile(r"(\d{2})-(\d{2})")
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")


class Method(enum.StrEnum):
    A = "A"  # the season difference: ELVESO 3.1.1, TV "suvise ja talvise perioodi vahe"
    B = "B"  # the garden sub-meter: ELVESO 3.1.2, TV "kastmisveearvesti"


class CheckId(enum.StrEnum):
    """The checks ``rebates.evaluate`` knows; a rule set lists those that apply."""

    CONTRACT_VALID = "contract_valid"
    READING_CYCLE = "reading_cycle"
    METER_ACCEPTED = "meter_accepted"
    JOINT_APPLICATION = "joint_application"
    HISTORY_SINCE_OCTOBER = "history_since_october"
    READINGS_AT_AGREED_FREQUENCY = "readings_at_agreed_frequency"
    INVOICES_PAID_ON_TIME = "invoices_paid_on_time"
    REQUIRED_READINGS = "required_readings"
    WATERING_PERIOD_COVERED = "watering_period_covered"
    SUB_METER_ACCEPTED = "sub_meter_accepted"
    SUB_METER_SEALED = "sub_meter_sealed"
    SUB_METER_VERIFIED = "sub_meter_verified"
    OVERDUE_DEBT = "overdue_debt"
    FALSE_DATA = "false_data"
    METER_FAULTY = "meter_faulty"
    ACCESS_REFUSED = "access_refused"
    BYPASS = "bypass"
    OTHER_USE = "other_use"


class RuleSetError(ValueError):
    """A rule set that does not exist or whose file is malformed."""


@dataclass(frozen=True)
class MonthDay:
    """A day of the year without the year ("06-01" in the files)."""

    month: int
    day: int

    def in_year(self, year: int) -> dt.date:
        return dt.date(year, self.month, self.day)

    def __str__(self) -> str:
        return f"{self.month:02d}-{self.day:02d}"


def _month_day(value: object) -> MonthDay:
    match = _MONTH_DAY.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise PydanticCustomError("month_day", "expected a month and day as a string \"MM-DD\"")
    month, day = int(match[1]), int(match[2])
    # 29.02 is not in every year, so no rule may name it.
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2001, month)[1]:
        raise PydanticCustomError("month_day", "{value} is not a day of every year",
                                  {"value": value})
    return MonthDay(month, day)


def _decimal(value: object) -> Decimal:
    # A string, so that no binary float (TOML's 20.5) ever stands for a volume.
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        raise PydanticCustomError("decimal", "expected a non-negative decimal as a string, "
                                  "e.g. \"30\" or \"20.5\"")
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise PydanticCustomError("decimal", "not a decimal") from None


def _date(value: object) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise PydanticCustomError("date", "expected a TOML date, e.g. 2014-03-20 (no quotes)")
    return value


def _clause(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PydanticCustomError("clause", "every parameter needs the clause it comes from, "
                                  "e.g. \"ELVESO 2.2\"")
    return value


MonthDayField = Annotated[MonthDay, PlainValidator(_month_day)]
DecimalField = Annotated[Decimal, PlainValidator(_decimal)]
DateField = Annotated[dt.date, PlainValidator(_date)]
Clause = Annotated[str, PlainValidator(_clause)]


@dataclass(frozen=True, config=_CONFIG)
class Effective:
    """The seasons the rule set governs: those whose watering period lies within."""

    start: DateField
    clause: Clause
    end: DateField | None = None


@dataclass(frozen=True, config=_CONFIG)
class Window:
    """A period of the year from the start of ``start`` to the end of ``end``.

    A window whose start comes after its end in the calendar (winter: 10-01 to
    03-31) starts in the previous year; it always ends in the season's year.
    """

    start: MonthDayField
    end: MonthDayField
    clause: Clause

    @property
    def wraps(self) -> bool:
        return (self.start.month, self.start.day) > (self.end.month, self.end.day)

    def first_day(self, season: int) -> dt.date:
        return self.start.in_year(season - 1 if self.wraps else season)

    def last_day(self, season: int) -> dt.date:
        return self.end.in_year(season)

    def boundaries(self, season: int) -> tuple[dt.date, dt.date]:
        """The days at whose ends the window opens and closes (DOMAIN.md Decisions:
        a reading dated D states the meter at the end of day D)."""
        return self.first_day(season) - dt.timedelta(days=1), self.last_day(season)

    @property
    def months(self) -> int:
        return (self.end.month - self.start.month) % 12 + 1


@dataclass(frozen=True, config=_CONFIG)
class Methods:
    allowed: Annotated[tuple[Method, ...], Field(min_length=1)]
    clause: Clause


@dataclass(frozen=True, config=_CONFIG)
class Cap:
    m3: DecimalField
    clause: Clause


@dataclass(frozen=True, config=_CONFIG)
class Verification:
    """How often a garden sub-meter is verified (what the form suggests as its
    next verification date); the check itself uses the meter's ``verified_until``."""

    interval_years: Annotated[int, Field(ge=1, strict=True)]
    clause: Clause


@dataclass(frozen=True, config=_CONFIG)
class ReadingDeadlines:
    """The dates a start and an end reading must bear, in the season's year."""

    start_from: MonthDayField
    start_to: MonthDayField
    end_from: MonthDayField
    end_to: MonthDayField
    clause: Clause


@dataclass(frozen=True, config=_CONFIG)
class ReadingCycle:
    max_months: Annotated[int, Field(ge=1, strict=True)]
    clause: Clause


@dataclass(frozen=True, config=_CONFIG)
class History:
    """Consumption history: a main-meter reading dated on or before ``since`` of
    the year before the season."""

    since: MonthDayField
    clause: Clause


@dataclass(frozen=True, config=_CONFIG)
class CheckRule:
    clause: Clause
    methods: Annotated[tuple[Method, ...], Field(min_length=1)] = (Method.A, Method.B)


@dataclass(frozen=True, config=_CONFIG)
class RuleSet:
    id: Annotated[str, Field(min_length=1, strict=True)]
    name: Annotated[str, Field(min_length=1, strict=True)]
    utility: Annotated[str, Field(min_length=1, strict=True)]
    source: Annotated[str, Field(min_length=1, strict=True)]
    effective: Effective
    watering_window: Window
    methods: Methods
    preconditions: dict[CheckId, CheckRule]
    refusal_grounds: dict[CheckId, CheckRule]
    winter_window: Window | None = None
    caps: dict[Method, Cap] = default(default_factory=dict)
    verification: Verification | None = None
    reading_deadlines: ReadingDeadlines | None = None
    reading_cycle: ReadingCycle | None = None
    history: History | None = None

    @property
    def checks(self) -> Mapping[CheckId, CheckRule]:
        """Preconditions, then refusal grounds, each in the file's order."""
        return {**self.preconditions, **self.refusal_grounds}

    def governs(self, season: int) -> bool:
        """Whether the season's whole watering period lies within the effective dates."""
        window, effective = self.watering_window, self.effective
        return effective.start <= window.first_day(season) and (
            effective.end is None or window.last_day(season) <= effective.end)


_ADAPTER = TypeAdapter(RuleSet)

# A check that needs a parameter: the table that must be there when it is listed.
_NEEDS = {
    CheckId.REQUIRED_READINGS: "reading_deadlines",
    CheckId.READING_CYCLE: "reading_cycle",
    CheckId.HISTORY_SINCE_OCTOBER: "history",
}


def json_path(location: Sequence[int | str]) -> str:
    """``("caps", "A", "m3")`` as ``caps.A.m3``, ``("main_meter", 0)`` as ``main_meter[0]``."""
    text = ""
    for part in location:
        if part == "[key]":  # pydantic's mark for a mapping's key: the path names it already
            continue
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def parse_rule_set(data: Mapping[str, Any], source: str) -> RuleSet:
    """The rule set in ``data`` (a parsed file), or ``RuleSetError`` naming every
    malformed field."""
    try:
        rule_set = _ADAPTER.validate_python(dict(data))
    except ValidationError as error:
        problems = [f"{json_path(e['loc'])}: {e['msg']}" for e in error.errors()]
        raise RuleSetError(f"{source}: " + "; ".join(problems)) from None
    problems = _inconsistencies(rule_set)
    if problems:
        raise RuleSetError(f"{source}: " + "; ".join(problems))
    return rule_set


def _inconsistencies(rule_set: RuleSet) -> list[str]:
    problems = []
    for name, window in (("watering_window", rule_set.watering_window),
                         ("winter_window", rule_set.winter_window)):
        # The months of a window (ELVESO 3.1.1 "kuude keskmine") must be whole.
        if window is not None and window.start.day != 1:
            problems.append(f"{name}.start: a window starts on the first day of a month")
        if window is not None and window.end.day != calendar.monthrange(2001, window.end.month)[1]:
            problems.append(f"{name}.end: a window ends on the last day of a month")
    if rule_set.watering_window.wraps:
        problems.append("watering_window: a watering period lies within one calendar year")
    end = rule_set.effective.end
    if end is not None and end < rule_set.effective.start:
        problems.append("effective.end: before effective.start")
    for check in rule_set.checks:
        table = "preconditions" if check in rule_set.preconditions else "refusal_grounds"
        if check in rule_set.preconditions and check in rule_set.refusal_grounds:
            problems.append(f"refusal_grounds.{check}: already listed in preconditions")
        needed = _NEEDS.get(check)
        if needed is not None and getattr(rule_set, needed) is None:
            problems.append(f"{needed}: {table}.{check} needs this table")
    for method in rule_set.caps:
        if method not in rule_set.methods.allowed:
            problems.append(f"caps.{method}: method {method} is not in methods.allowed")
    if Method.A in rule_set.methods.allowed:
        # Method A compares with the winter and needs its history (DOMAIN.md Decisions).
        if rule_set.winter_window is None:
            problems.append("winter_window: method A needs a winter window")
        history = rule_set.checks.get(CheckId.HISTORY_SINCE_OCTOBER)
        if history is None or Method.A not in history.methods:
            problems.append("history_since_october: method A needs the history check")
    return problems


def load_rule_set(rule_set_id: str, directory: Path | None = None) -> RuleSet:
    """The rule set ``rule_set_id`` from ``rules/<id>.toml``; ``RuleSetError`` if
    there is no such file or it is malformed."""
    if directory is None:
        return _load_cached(rule_set_id)
    return _load(rule_set_id, directory)


@functools.cache
def _load_cached(rule_set_id: str) -> RuleSet:
    return _load(rule_set_id, RULES_DIR)


def _load(rule_set_id: str, directory: Path) -> RuleSet:
    known = rule_set_ids(directory)
    if rule_set_id not in known:
        raise RuleSetError(
            f"unknown rule set {rule_set_id!r} (known: {', '.join(known) or 'none'})"
        )
    path = directory / f"{rule_set_id}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise RuleSetError(f"{path}: not valid TOML: {error}") from None
    rule_set = parse_rule_set(data, str(path))
    if rule_set.id != rule_set_id:
        raise RuleSetError(f"{path}: id: {rule_set.id!r} does not match the file name")
    return rule_set


def rule_set_for_season(active_id: str, season: int, directory: Path | None = None) -> RuleSet:
    """The rule set that governs ``season`` for a utility whose rule set in force is
    ``active_id``: that one if it governs the season, else another rule set of the
    same utility that does (TV-2016 for the 2019 season while TV-2020 is in force);
    else the one in force, whose effective-dates check then refuses the season."""
    active = load_rule_set(active_id, directory)
    if active.governs(season):
        return active
    for candidate in rule_sets(directory):
        if candidate.utility == active.utility and candidate.governs(season):
            return candidate
    return active


def rule_set_ids(directory: Path | None = None) -> list[str]:
    """The ids of the rule sets in ``directory`` (``rules/``), sorted."""
    return sorted(path.stem for path in (directory or RULES_DIR).glob("*.toml"))


def rule_sets(directory: Path | None = None) -> list[RuleSet]:
    """Every rule set, loaded and validated, by id."""
    return [load_rule_set(rule_set_id, directory) for rule_set_id in rule_set_ids(directory)]

"""The legal deadlines of the Kuressaare regulation (KEE, DOMAIN.md section 3), and
Estonian working days.

The parameters are data: ``rules/deadlines/<id>.toml`` (``KEE-2012.toml``), every
deadline with its clause (``KEE §5(3)``), validated completely when loaded; a
malformed file raises ``DeadlineError`` naming the file and the field. A change of
the regulation is a new file with its own effective dates, never an edit
(rules/README.md); ``due`` uses the set in force on the day the term counts from.

How terms are counted (Tsiviilseadustiku üldosa seadus, TsÜS, which KEE does not
set aside):

- A term counted from an event starts on the next day (TsÜS §135(1)): the event's
  own day never counts. A term before an event is counted back from its day.
- "päev" is a calendar day; "tööpäev" is a working day: Monday to Friday and not a
  public holiday (Pühade ja tähtpäevade seadus §§1-2, as the ``holidays`` package
  has them for Estonia: 24 December, 23 and 24 June, Good Friday and Easter Sunday
  among them). A day shortened before a holiday (23 December) is a working day.
- Months and years end on the corresponding day, or the month's last day where it
  has none (TsÜS §136(2)-(3)).
- A due date for an act that falls on a day off moves to the next working day
  (TsÜS §136(8)): the rule data says for which deadlines
  (``moves_to_next_working_day``).
- A term passes at 24:00 on its due day (TsÜS §137(1)): it is overdue from the
  next day.

Pure: no Flask, no database.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import field as default
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import holidays
from pydantic import ConfigDict, Field, PlainValidator, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass
from pydantic_core import PydanticCustomError

# The days a set governs (those a term counts from): the same table as a rule set's.
from webapp.domain.rule_sets import RULES_DIR, DateField, DecimalField, Effective, json_path

DEADLINES_DIR = RULES_DIR / "deadlines"

# The act whose deadlines ``due`` applies unless told otherwise (DOMAIN.md section 3).
DEFAULT_ACT = "KEE"

# Estonia's public holidays (Pühade ja tähtpäevade seadus), the "public" category of
# the holidays package: not its "half_day" one, since a shortened day is worked.
_HOLIDAY_COUNTRY = "EE"
_SATURDAY = 5  # date.weekday(): Saturday and Sunday are the weekly days off
_MONTHS_IN_YEAR = 12
_ONE_DAY = dt.timedelta(days=1)
_CONFIG = ConfigDict(extra="forbid")


class DeadlineError(ValueError):
    """A deadline set that does not exist or is malformed, an unknown deadline, or a
    day no deadline set governs."""


class DeadlineId(enum.StrEnum):
    """The deadlines the portal knows; a set lists those its act has. A new kind of
    deadline needs code that uses it, so an unknown id in a file is refused."""

    DRAFT_CONTRACT = "draft_contract"  # KEE §5(3)
    SALE_NOTICE = "sale_notice"  # KEE §6(1)
    NEW_OWNER_APPLICATION = "new_owner_application"  # KEE §6(1)
    TEMPORARY_CLOSURE = "temporary_closure"  # KEE §6(2)
    RENEWAL = "renewal"  # KEE §7(1)
    INTERRUPTION_NOTICE = "interruption_notice"  # KEE §13(3)
    INTERRUPTION_TEMPORARY_SUPPLY = "interruption_temporary_supply"  # KEE §13(4)
    METER_INSTALLATION = "meter_installation"  # KEE §37(1)
    METER_REPLACEMENT = "meter_replacement"  # KEE §37(4)
    METER_REPLACEMENT_CUSTOMER_FAULT = "meter_replacement_customer_fault"  # KEE §37(4)
    PRICE_GROUP_CHANGE_NOTICE = "price_group_change_notice"  # KEE §41(4)
    PRICE_NOTICE = "price_notice"  # KEE §4(2)
    INVOICE_CLAIM = "invoice_claim"  # KEE §43(1)
    CLAIM_ANSWER = "claim_answer"  # KEE §43(1)
    CLOSURE_WARNING = "closure_warning"  # KEE §43(2)
    UNAUTHORISED_CONNECTION_DEFAULT_DURATION = (
        "unauthorised_connection_default_duration")  # KEE §25(2)


class PercentageId(enum.StrEnum):
    LATE_INTEREST_CAP = "late_interest_cap"  # KEE §41(3)


# --- Working days -------------------------------------------------------------------


@functools.cache
def _holidays(year: int) -> frozenset[dt.date]:
    # One year at a time, once: the functions below are called in loops.
    return frozenset(holidays.country_holidays(
        _HOLIDAY_COUNTRY, years=year, categories=(holidays.PUBLIC,)))


def is_working_day(day: dt.date) -> bool:
    """Whether ``day`` is an Estonian working day: Monday to Friday and not a public
    holiday. 24 December, 23 and 24 June, Good Friday and Easter Sunday are holidays;
    Easter Monday is not; a shortened day before a holiday is a working day."""
    return day.weekday() < _SATURDAY and day not in _holidays(day.year)


def _check_count(count: int) -> None:
    if count < 0:
        raise ValueError(f"a count of days is never negative, got {count}")


def working_days_after(start: dt.date, count: int) -> dt.date:
    """The ``count``-th working day after ``start`` (``start`` itself never counts,
    TsÜS §135(1)); ``start`` for a count of 0."""
    _check_count(count)
    day = start
    while count:
        day += _ONE_DAY
        if is_working_day(day):
            count -= 1
    return day


def working_days_before(day: dt.date, count: int) -> dt.date:
    """The ``count``-th working day before ``day`` (``day`` itself never counts);
    ``day`` for a count of 0."""
    _check_count(count)
    while count:
        day -= _ONE_DAY
        if is_working_day(day):
            count -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days lie after ``start`` up to and including ``end``; 0 when
    ``end`` is not after ``start``."""
    count, day = 0, start
    while day < end:
        day += _ONE_DAY
        count += is_working_day(day)
    return count


def next_working_day(day: dt.date) -> dt.date:
    """``day`` if it is a working day, else the first working day after it: where a
    due date on a day off moves to (TsÜS §136(8))."""
    return day if is_working_day(day) else working_days_after(day, 1)


def calendar_days_after(start: dt.date, count: int) -> dt.date:
    """The day ``count`` calendar days after ``start`` (counted from the next day)."""
    _check_count(count)
    return start + dt.timedelta(days=count)


def calendar_days_before(day: dt.date, count: int) -> dt.date:
    """The day ``count`` calendar days before ``day``."""
    _check_count(count)
    return day - dt.timedelta(days=count)


def months_after(start: dt.date, count: int) -> dt.date:
    """The corresponding day ``count`` months after ``start`` (a negative count goes
    back), or that month's last day where it has no such day (TsÜS §136(2)-(3)):
    31 August plus six months is 28 or 29 February."""
    index = start.year * _MONTHS_IN_YEAR + start.month - 1 + count
    year, month = divmod(index, _MONTHS_IN_YEAR)
    month += 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


# --- The rule data ------------------------------------------------------------------


def _clause(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PydanticCustomError("clause", "every deadline needs the clause it comes from, "
                                  "e.g. \"KEE §5(3)\"")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PydanticCustomError("text", "expected a non-empty string")
    return value


Clause = Annotated[str, PlainValidator(_clause)]
Text = Annotated[str, PlainValidator(_text)]
Count = Annotated[int, Field(ge=0, strict=True)]
Kind = Literal["calendar", "working"]
Direction = Literal["after", "before"]
Limit = Literal["latest", "earliest", "duration"]


@dataclass(frozen=True, config=_CONFIG)
class Deadline:
    """One term of the act, from its ``[deadlines.<id>]`` table.

    ``kind``: "calendar" ("päev", "kalendripäev") or "working" ("tööpäev").
    ``direction``: "after" the day it counts from, or "before" it (a notice).
    ``limit``: "latest" (the act is due on the day at the latest), "earliest" (the
    act is allowed once the day has passed: KEE §43(2) "möödudes") or "duration" (a
    length of time, no act). Exactly one of ``days``, ``months``, ``years``.
    ``moves_to_next_working_day``: a due date on a day off moves to the next working
    day (TsÜS §136(8)); only for a calendar term running forward to an act.
    """

    id: DeadlineId
    kind: Kind
    direction: Direction
    limit: Limit
    clause: Clause
    description: Text
    days: Count = 0
    months: Count = 0
    years: Count = 0
    moves_to_next_working_day: Annotated[bool, Field(strict=True)] = False

    def due(self, from_day: dt.date) -> dt.date:
        """The term's day, counted from ``from_day`` (the event: the application's
        receipt, the contract, the transfer of ownership ...), which never counts."""
        if self.kind == "working":
            if self.direction == "after":
                return working_days_after(from_day, self.days)
            return working_days_before(from_day, self.days)
        sign = 1 if self.direction == "after" else -1
        day = months_after(from_day, sign * (self.years * _MONTHS_IN_YEAR + self.months))
        day += sign * dt.timedelta(days=self.days)
        return next_working_day(day) if self.moves_to_next_working_day else day

    def is_overdue(self, from_day: dt.date, today: dt.date) -> bool:
        """Whether the term has passed on ``today``: it passes at 24:00 on its day
        (TsÜS §137(1)). For a "latest" term the act is late; for an "earliest" one
        (the closure warning) the act is now allowed."""
        return today > self.due(from_day)


@dataclass(frozen=True, config=_CONFIG)
class Percentage:
    """A percentage of the act that is not a term: ``[percentages.<id>]``."""

    id: PercentageId
    percent: DecimalField
    per: Literal["day"]
    clause: Clause
    description: Text


@dataclass(frozen=True, config=_CONFIG)
class Act:
    """The act the deadlines come from, as its published text names it."""

    short_name: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9-]*$", strict=True)]
    title: Text
    issuer: Text
    type: Text
    number: Text
    adopted: DateField
    in_force_from: DateField
    redaction_in_force_from: DateField
    published: Text
    source: Text


@dataclass(frozen=True, config=_CONFIG)
class DeadlineSet:
    """The deadlines (and percentages) of one act in one version, by id."""

    id: Annotated[str, Field(min_length=1, strict=True)]
    act: Act
    effective: Effective
    deadlines: dict[DeadlineId, Deadline]
    percentages: dict[PercentageId, Percentage] = default(default_factory=dict)

    def governs(self, day: dt.date) -> bool:
        effective = self.effective
        return effective.start <= day and (effective.end is None or day <= effective.end)

    def deadline(self, deadline_id: DeadlineId | str) -> Deadline:
        key = _known(DeadlineId, deadline_id)
        found = None if key is None else self.deadlines.get(key)
        if found is None:
            raise DeadlineError(f"{self.id}: no deadline {str(deadline_id)!r} "
                                f"(known: {', '.join(self.deadlines)})")
        return found

    def percentage(self, percentage_id: PercentageId | str) -> Percentage:
        key = _known(PercentageId, percentage_id)
        found = None if key is None else self.percentages.get(key)
        if found is None:
            raise DeadlineError(f"{self.id}: no percentage {str(percentage_id)!r}")
        return found

    def due(self, deadline_id: DeadlineId | str, from_day: dt.date) -> dt.date:
        """The day of ``deadline_id`` counted from ``from_day``, which the set must
        govern (a day before its effective start is refused, citing the set)."""
        if not self.governs(from_day):
            raise DeadlineError(f"{self.id} does not govern {from_day:%d.%m.%Y} "
                                f"({self.effective.clause})")
        return self.deadline(deadline_id).due(from_day)

    def is_overdue(self, deadline_id: DeadlineId | str, from_day: dt.date,
                   today: dt.date) -> bool:
        return today > self.due(deadline_id, from_day)


_E = TypeVar("_E", bound=enum.StrEnum)


def _known(ids: type[_E], value: _E | str) -> _E | None:
    try:
        return ids(value)
    except ValueError:
        return None


_ADAPTER = TypeAdapter(DeadlineSet)


def parse_deadline_set(data: Mapping[str, Any], source: str) -> DeadlineSet:
    """The deadline set in ``data`` (a parsed file), or ``DeadlineError`` naming every
    malformed field."""
    data = dict(data)
    problems = []
    for table in ("deadlines", "percentages"):
        # A table's name is its id: put it in, so that the object carries it.
        entries = data.get(table)
        if isinstance(entries, Mapping):
            data[table] = {key: {"id": key, **value} if isinstance(value, Mapping) else value
                           for key, value in entries.items()}
            problems += [f"{table}.{key}.id: the table's name is its id"
                         for key, value in entries.items()
                         if isinstance(value, Mapping) and "id" in value]
    if problems:
        raise DeadlineError(f"{source}: " + "; ".join(problems))
    try:
        deadline_set = _ADAPTER.validate_python(data)
    except ValidationError as error:
        problems = [f"{json_path(e['loc'])}: {e['msg']}" for e in error.errors()]
        raise DeadlineError(f"{source}: " + "; ".join(problems)) from None
    problems = _inconsistencies(deadline_set)
    if problems:
        raise DeadlineError(f"{source}: " + "; ".join(problems))
    return deadline_set


def _inconsistencies(deadline_set: DeadlineSet) -> list[str]:
    problems = []
    prefix = f"{deadline_set.act.short_name} §"
    effective = deadline_set.effective
    if effective.end is not None and effective.end < effective.start:
        problems.append("effective.end: before effective.start")
    for deadline in deadline_set.deadlines.values():
        name = f"deadlines.{deadline.id}"
        units = [unit for unit in ("days", "months", "years") if getattr(deadline, unit)]
        if len(units) != 1:
            problems.append(f"{name}: give exactly one of days, months, years, above 0")
        if deadline.kind == "working" and units != ["days"]:
            problems.append(f"{name}.kind: working days are counted in days")
        if deadline.moves_to_next_working_day and (
                deadline.kind, deadline.direction, deadline.limit) != (
                "calendar", "after", "latest"):
            problems.append(f"{name}.moves_to_next_working_day: only a calendar-day term "
                            "running forward to an act moves off a day off (TsÜS §136(8))")
        if not re.match(re.escape(prefix) + r"\d", deadline.clause):
            problems.append(f"{name}.clause: cite the act, e.g. \"{prefix}5(3)\"")
    for percentage in deadline_set.percentages.values():
        if not re.match(re.escape(prefix) + r"\d", percentage.clause):
            problems.append(f"percentages.{percentage.id}.clause: cite the act, "
                            f"e.g. \"{prefix}41(3)\"")
    return problems


def deadline_set_ids(directory: Path | None = None) -> list[str]:
    """The ids of the deadline sets in ``directory`` (``rules/deadlines/``), sorted."""
    return sorted(path.stem for path in (directory or DEADLINES_DIR).glob("*.toml"))


def load_deadlines(set_id: str | None = None, directory: Path | None = None) -> DeadlineSet:
    """The deadline set ``set_id`` from ``<directory>/<id>.toml``; without an id, the
    newest set (latest effective start) of the default act. Cached for ``rules/``;
    ``DeadlineError`` if there is no such file or it is malformed."""
    if directory is None:
        return _load_cached(set_id)
    return _load(set_id, directory)


@functools.cache
def _load_cached(set_id: str | None) -> DeadlineSet:
    return _load(set_id, DEADLINES_DIR)


def _load(set_id: str | None, directory: Path) -> DeadlineSet:
    if set_id is None:
        sets = _sets_of(DEFAULT_ACT, directory)
        if not sets:
            raise DeadlineError(f"{directory}: no deadline set of {DEFAULT_ACT}")
        return max(sets, key=lambda deadline_set: deadline_set.effective.start)
    return _load_file(set_id, directory)


def _load_file(set_id: str, directory: Path) -> DeadlineSet:
    known = deadline_set_ids(directory)
    if set_id not in known:
        raise DeadlineError(
            f"unknown deadline set {set_id!r} (known: {', '.join(known) or 'none'})")
    path = directory / f"{set_id}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise DeadlineError(f"{path}: not valid TOML: {error}") from None
    deadline_set = parse_deadline_set(data, str(path))
    if deadline_set.id != set_id:
        raise DeadlineError(f"{path}: id: {deadline_set.id!r} does not match the file name")
    return deadline_set


def _sets_of(act: str, directory: Path) -> list[DeadlineSet]:
    return [deadline_set for deadline_set in (
        _load_file(set_id, directory) for set_id in deadline_set_ids(directory))
        if deadline_set.act.short_name == act]


@functools.cache
def _sets_cached(act: str) -> tuple[DeadlineSet, ...]:
    return tuple(_sets_of(act, DEADLINES_DIR))


def deadline_set_for(day: dt.date, act: str = DEFAULT_ACT,
                     directory: Path | None = None) -> DeadlineSet:
    """The set of ``act`` that governs ``day``: of those whose effective dates hold
    it, the one that started last (a new version supersedes an old one whose end
    stays open, rules/README.md). ``DeadlineError`` if none does."""
    sets = _sets_cached(act) if directory is None else tuple(_sets_of(act, directory))
    governing = [deadline_set for deadline_set in sets if deadline_set.governs(day)]
    if not governing:
        raise DeadlineError(f"no deadline set of {act} governs {day:%d.%m.%Y} "
                            f"(known: {', '.join(s.id for s in sets) or 'none'})")
    return max(governing, key=lambda deadline_set: deadline_set.effective.start)


def due(deadline_id: DeadlineId | str, from_day: dt.date,
        deadlines: DeadlineSet | None = None) -> dt.date:
    """The day of ``deadline_id`` counted from ``from_day``, by ``deadlines`` or else
    the set of KEE in force on ``from_day``.

    ``due("draft_contract", date(2026, 12, 18))`` is 04.01.2027: 14 calendar days
    (KEE §5(3)) end on 01.01.2027, New Year's Day, which moves to the next working
    day (TsÜS §136(8)), Monday 4 January.
    """
    deadline_set = deadlines if deadlines is not None else deadline_set_for(from_day)
    return deadline_set.due(deadline_id, from_day)


def is_overdue(deadline_id: DeadlineId | str, from_day: dt.date, today: dt.date,
               deadlines: DeadlineSet | None = None) -> bool:
    """Whether on ``today`` the term counted from ``from_day`` has passed (it passes
    at 24:00 on its due day, TsÜS §137(1))."""
    return today > due(deadline_id, from_day, deadlines)


def percentage(percentage_id: PercentageId | str, on: dt.date,
               deadlines: DeadlineSet | None = None) -> Decimal:
    """The percentage ``percentage_id`` (``late_interest_cap``: 0.15 a day, KEE
    §41(3)) of the set in force on ``on``."""
    deadline_set = deadlines if deadlines is not None else deadline_set_for(on)
    return deadline_set.percentage(percentage_id).percent

"""Facts about rebate applications that the calculation takes as given, worked out
from dates and readings: which seasons an application counts for, whether readings
came at the agreed frequency, and which checks cannot be judged yet on a given day.

Pure: no Flask, no database.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import functools
from collections.abc import Iterable

from webapp.domain import parameters
from webapp.domain.rule_sets import CheckId, Method, RuleSet

# ELVESO 3.2 allows a reading "at the latest within the week after" its date; the
# same grace is given to every reading the agreed frequency asks for.
READING_GRACE_DAYS = parameters.integer("reading_grace_days")
# "readings submitted all year" (ELVESO 2.1.5, TV): rules/parameters/portal.toml
FREQUENCY_MONTHS = parameters.integer("frequency_months")


def first_season(submitted_on: dt.date, covered_until: int | None = None) -> int:
    """The first season a new application counts for.

    Applications are received all year and the rebate is computed after the
    watering period (ELVESO 3.3, 3.4), so an application counts from the season of
    the year it is made; one that replaces an earlier application of the site counts
    from the season after the last one the earlier application covers.
    """
    season = submitted_on.year
    if covered_until is not None:
        season = max(season, covered_until + 1)
    return season


def last_season_on_ending(rule_set: RuleSet, ended_on: dt.date, first: int) -> int:
    """The last season an application withdrawn or replaced on ``ended_on`` counts
    for: the seasons whose watering period had ended before that day (ELVESO 3.3: the
    application is valid until withdrawn). ``first - 1`` when it covered none."""
    season = ended_on.year
    if ended_on <= rule_set.watering_window.last_day(season):
        season -= 1
    return max(season, first - 1)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, the day clipped to the month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def frequency_period(rule_set: RuleSet, season: int) -> tuple[dt.date, dt.date]:
    """The year in which readings must have come at the agreed frequency: the twelve
    months up to the end of the season's watering period (ELVESO 2.1.5 "läbi aasta")."""
    last = rule_set.watering_window.last_day(season)
    return add_months(last + dt.timedelta(days=1), -FREQUENCY_MONTHS), last


def readings_at_agreed_frequency(days: Iterable[dt.date], cycle_months: int,
                                 first: dt.date, last: dt.date) -> bool:
    """Whether every stretch of ``cycle_months`` months from ``first`` to ``last`` has a
    reading dated in it or within the week after it (ELVESO 2.1.5, 3.2).

    The last stretch may be shorter; a reading counts for every stretch whose dates
    or grace week it falls in.
    """
    dated = sorted(set(days))
    for start, grace_end in _stretches(cycle_months, first, last):
        # The first reading on or after the stretch's start must be within it or its grace.
        position = bisect.bisect_left(dated, start)
        if position == len(dated) or dated[position] > grace_end:
            return False
    return True


@functools.lru_cache(maxsize=64)
def _stretches(cycle_months: int, first: dt.date, last: dt.date
               ) -> tuple[tuple[dt.date, dt.date], ...]:
    """Each stretch's first day and the last day a reading counts for it (its grace)."""
    if cycle_months < 1:
        raise ValueError("a reading cycle is at least one month")
    stretches = []
    start = first
    while start <= last:
        end = min(add_months(start, cycle_months) - dt.timedelta(days=1), last)
        stretches.append((start, end + dt.timedelta(days=READING_GRACE_DAYS)))
        start = end + dt.timedelta(days=1)
    return tuple(stretches)


def undecided_checks(rule_set: RuleSet, season: int, method: Method,
                     on_day: dt.date) -> frozenset[str]:
    """Checks whose evidence lies after ``on_day``: readings the season still needs.

    Shown to an applicant before the season's readings are in, a failed check of
    these is "not due yet" rather than "missing".
    """
    watering_end = rule_set.watering_window.last_day(season)
    undecided: set[CheckId] = set()
    if on_day <= watering_end:
        undecided |= {CheckId.WATERING_PERIOD_COVERED, CheckId.READINGS_AT_AGREED_FREQUENCY}
    deadlines = rule_set.reading_deadlines
    if on_day <= (deadlines.end_to.in_year(season) if deadlines else watering_end):
        undecided.add(CheckId.REQUIRED_READINGS)
    winter = rule_set.winter_window
    if method is Method.A and winter is not None and on_day <= winter.last_day(season):
        undecided.add(CheckId.HISTORY_SINCE_OCTOBER)
    return frozenset(check.value for check in undecided)

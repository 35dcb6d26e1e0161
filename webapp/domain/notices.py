"""Notices of interruptions and of closure (KEE §12, §13, §43(2), DOMAIN.md section 3):
how long before planned works they go out, when an interruption obliges temporary
water supply, and when a warning of closure may be sent and the closure follow.

Every term comes from the deadline set (``webapp.domain.deadlines``).

Pure: no Flask, no database.
"""

from __future__ import annotations

import datetime as dt

from webapp.domain.acts_compensation import ActsError, deadline_due
from webapp.domain.deadlines import DeadlineId, DeadlineSet

_ONE_DAY = dt.timedelta(days=1)
# No term of KEE reaches this far: a guard against a malformed set looping forever.
_SEARCH_LIMIT_DAYS = 3 * 366


def _date(day: dt.date) -> str:
    return f"{day:%d.%m.%Y}"


# --------------------------------------------------------------------------- §13(3)


def planned_notice_due(starts_on: dt.date, deadlines: DeadlineSet | None = None) -> dt.date:
    """The last day to announce planned works starting on ``starts_on`` (KEE §13(3)):
    five calendar days counted back from the first day of the works, which does not
    count itself; never moved to a working day (that would cut the notice)."""
    # KEE §13(3): "Enne plaanilisi töid on etteteatamise aeg vähemalt viis kalendripäeva."
    return deadline_due(DeadlineId.INTERRUPTION_NOTICE, starts_on, deadlines)


def earliest_planned_start(sent_on: dt.date, deadlines: DeadlineSet | None = None) -> dt.date:
    """The first day planned works may start when their notice goes out on ``sent_on``
    (KEE §13(3)): the first day whose notice is due on ``sent_on`` or later. Sent on
    01.06.2026 -> 06.06.2026: five calendar days counted back from 06.06 (05, 04,
    03, 02, 01.06) end on 01.06, the day the notice went out."""
    # KEE §13(3): the smallest starting day whose "before" term is not earlier than the
    # notice; found by counting forward, so the term's length is only the set's.
    starts_on = sent_on
    for _ in range(_SEARCH_LIMIT_DAYS):
        if planned_notice_due(starts_on, deadlines) >= sent_on:
            return starts_on
        starts_on += _ONE_DAY
    raise ActsError(f"no starting day for planned works notified on {_date(sent_on)} "
                    "within three years (KEE §13(3))")  # pragma: no cover - a broken set


def check_planned_notice(sent_on: dt.date, starts_on: dt.date,
                         deadlines: DeadlineSet | None = None) -> None:
    """``ActsError`` if a notice sent on ``sent_on`` is too short for planned works
    starting on ``starts_on`` (KEE §13(3): at least five calendar days ahead, i.e. sent
    on the day the term counted back from ``starts_on`` ends, or earlier)."""
    latest = planned_notice_due(starts_on, deadlines)
    # KEE §13(3): "vähemalt viis kalendripäeva" ahead
    if sent_on > latest:
        raise ActsError(
            f"planned works starting on {_date(starts_on)} must be announced by "
            f"{_date(latest)} (KEE §13(3)); a notice sent on {_date(sent_on)} allows them "
            f"from {_date(earliest_planned_start(sent_on, deadlines))}")


# --------------------------------------------------------------------------- §13(4)


def needs_temporary_supply(start: dt.datetime, end: dt.datetime,
                           deadlines: DeadlineSet | None = None) -> bool:
    """Whether an interruption for repairs from ``start`` to ``end`` obliges temporary
    water supply at homes (KEE §13(4)): it lasts over one "ööpäev", more than 24 hours
    (exactly 24 hours does not). The hours are elapsed time: pass both times naive in
    one local time or both aware. ``ActsError`` if ``end`` is not after ``start`` or
    one is naive and the other aware."""
    if (start.tzinfo is None) != (end.tzinfo is None):
        raise ActsError("an interruption's start and end must both be naive or both aware")
    if end <= start:
        raise ActsError(f"an interruption ends at {end:%d.%m.%Y %H:%M}, not after it starts "
                        f"at {start:%d.%m.%Y %H:%M}")
    # KEE §13(4): "üle ühe ööpäeva": the set's term (one calendar day) as hours
    first_day = start.date()
    limit = deadline_due(DeadlineId.INTERRUPTION_TEMPORARY_SUPPLY, first_day, deadlines)
    return end - start > limit - first_day


# --------------------------------------------------------------------------- §43(2), §12


def closure_warning_earliest(due_date: dt.date, deadlines: DeadlineSet | None = None
                             ) -> dt.date:
    """The first day the utility may send the written warning of closure for an invoice
    unpaid since its ``due_date`` (KEE §43(2)): "viie tööpäeva möödudes", once five
    working days after the due date have passed (an "earliest" limit: the act is
    allowed after the term's day, TsÜS §137(1)), so the day after the fifth working
    day. Due Friday 18.12.2026: 21, 22, 23, 28, 29.12 (24-26.12 are holidays) ->
    30.12.2026."""
    # KEE §43(2): "viie tööpäeva möödudes": the day after the term's last day
    return deadline_due(DeadlineId.CLOSURE_WARNING, due_date, deadlines) + _ONE_DAY


def closure_date_ok(warning_on: dt.date, closure_on: dt.date) -> bool:
    """Whether supply may be closed on ``closure_on`` after a written warning sent on
    ``warning_on`` (KEE §43(2), second sentence: closure under §12(1)-(2)).

    Decision: §12(1) allows closure "pärast kliendi sellekohast kirjalikku teavitamist"
    but sets no notice period, and KEE gives none for this closure elsewhere; so the
    closure must only follow the warning: on a later day than it (a day counted from
    an event starts the day after, TsÜS §135(1)), ``closure_on > warning_on``."""
    # KEE §12(1): closure after the written notice; no period given
    return closure_on > warning_on

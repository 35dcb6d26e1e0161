"""Notices (KEE §12, §13, §43(2)): planned works announced five calendar days ahead,
temporary water supply after 24 hours, the warning of closure after five working days
(Christmas and Midsummer), and the closure after the warning."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.domain.acts_compensation import ActsError
from webapp.domain.billing import closure_warning_from
from webapp.domain.deadlines import DEADLINES_DIR, load_deadlines
from webapp.domain.notices import (
    check_planned_notice,
    closure_date_ok,
    closure_warning_earliest,
    earliest_planned_start,
    needs_temporary_supply,
    planned_notice_due,
)

D = dt.date
T = dt.datetime


# --------------------------------------------------------------------------- §13(3)


@pytest.mark.parametrize(("sent", "start"), [
    # Sent 01.06.2026: five calendar days counted back from 06.06 (05, 04, 03, 02,
    # 01.06) end on the day of sending: works from 06.06.2026.
    (D(2026, 6, 1), D(2026, 6, 6)),
    # Across February: sent 28.02.2026 -> 05.03.2026 (01, 02, 03, 04.03 and 28.02).
    (D(2026, 2, 28), D(2026, 3, 5)),
    # Leap year: sent 27.02.2024 -> 03.03.2024 (29.02 exists).
    (D(2024, 2, 27), D(2024, 3, 3)),
    # Calendar days, never moved to a working day: sent 19.12.2026 -> 24.12.2026 even
    # though 24-26.12 are holidays.
    (D(2026, 12, 19), D(2026, 12, 24)),
    # Across a year: sent 29.12.2026 -> 03.01.2027.
    (D(2026, 12, 29), D(2027, 1, 3)),
])
def test_earliest_planned_start_is_five_calendar_days_on(sent: D, start: D) -> None:
    assert earliest_planned_start(sent) == start
    assert planned_notice_due(start) == sent
    check_planned_notice(sent, start)  # just long enough
    check_planned_notice(sent - dt.timedelta(days=1), start)  # longer is fine
    with pytest.raises(ActsError, match="KEE §13\\(3\\)"):
        check_planned_notice(sent + dt.timedelta(days=1), start)  # a day short
    with pytest.raises(ActsError):
        check_planned_notice(sent, start - dt.timedelta(days=1))


def test_a_short_notice_says_when_to_send_and_when_to_start() -> None:
    # Works on 06.06.2026 are announced by 01.06; sent 03.06 they may start 08.06.
    with pytest.raises(ActsError, match=r"by 01\.06\.2026.*sent on 03\.06\.2026.*from "
                                        r"08\.06\.2026"):
        check_planned_notice(D(2026, 6, 3), D(2026, 6, 6))
    with pytest.raises(ActsError):
        check_planned_notice(D(2026, 6, 6), D(2026, 6, 6))  # same day
    with pytest.raises(ActsError):
        check_planned_notice(D(2026, 6, 7), D(2026, 6, 6))  # after the start


def test_the_notice_period_comes_from_the_deadline_set(tmp_path: Path) -> None:
    path = tmp_path / "KEE-2012.toml"
    shutil.copy(DEADLINES_DIR / "KEE-2012.toml", path)
    text = path.read_text(encoding="utf-8")
    old = "[deadlines.interruption_notice]\ndays = 5"
    assert old in text
    path.write_text(text.replace(old, "[deadlines.interruption_notice]\ndays = 7"),
                    encoding="utf-8")
    deadlines = load_deadlines("KEE-2012", tmp_path)
    assert earliest_planned_start(D(2026, 6, 1), deadlines) == D(2026, 6, 8)
    with pytest.raises(ActsError):
        check_planned_notice(D(2026, 6, 1), D(2026, 6, 6), deadlines)


@given(sent=st.dates(min_value=D(2013, 1, 1), max_value=D(2060, 12, 31)))
def test_earliest_planned_start_is_the_first_allowed_day(sent: D) -> None:
    start = earliest_planned_start(sent)
    check_planned_notice(sent, start)
    with pytest.raises(ActsError):
        check_planned_notice(sent, start - dt.timedelta(days=1))
    assert (start - sent).days == 5


# --------------------------------------------------------------------------- §13(4)


@pytest.mark.parametrize(("start", "end", "needed"), [
    (T(2026, 6, 1, 8, 0), T(2026, 6, 2, 8, 0), False),  # exactly 24 h: not "over"
    (T(2026, 6, 1, 8, 0), T(2026, 6, 2, 8, 1), True),  # 24 h 1 min
    (T(2026, 6, 1, 8, 0), T(2026, 6, 1, 23, 59), False),
    (T(2026, 6, 1, 23, 0), T(2026, 6, 2, 22, 0), False),  # two dates, 23 h
    (T(2026, 2, 28, 12, 0), T(2026, 3, 1, 12, 30), True),  # across a month end
    (T(2024, 2, 28, 12, 0), T(2024, 3, 1, 11, 0), True),  # 29.02 in between: 47 h
    (T(2026, 12, 31, 20, 0), T(2027, 1, 1, 20, 0), False),
])
def test_temporary_supply_after_one_day(start: T, end: T, needed: bool) -> None:
    assert needs_temporary_supply(start, end) is needed


def test_temporary_supply_with_aware_times() -> None:
    utc = dt.UTC
    tallinn = dt.timezone(dt.timedelta(hours=3))
    # 08:00 in Tallinn (UTC+3) = 05:00 UTC; to 06:00 UTC next day is 25 h.
    assert needs_temporary_supply(T(2026, 6, 1, 8, 0, tzinfo=tallinn),
                                  T(2026, 6, 2, 6, 0, tzinfo=utc))
    assert not needs_temporary_supply(T(2026, 6, 1, 8, 0, tzinfo=tallinn),
                                      T(2026, 6, 2, 5, 0, tzinfo=utc))


def test_temporary_supply_bad_times() -> None:
    with pytest.raises(ActsError, match="not after it starts"):
        needs_temporary_supply(T(2026, 6, 1, 8, 0), T(2026, 6, 1, 8, 0))
    with pytest.raises(ActsError, match="not after it starts"):
        needs_temporary_supply(T(2026, 6, 2, 8, 0), T(2026, 6, 1, 8, 0))
    with pytest.raises(ActsError, match="naive"):
        needs_temporary_supply(T(2026, 6, 1, 8, 0), T(2026, 6, 3, 8, 0, tzinfo=dt.UTC))


# --------------------------------------------------------------------------- §43(2)


@pytest.mark.parametrize(("due_date", "earliest"), [
    # Due Tuesday 15.12.2026: Wed 16, Thu 17, Fri 18, Mon 21, Tue 22 pass; the warning
    # may go out from Wednesday 23.12.2026.
    (D(2026, 12, 15), D(2026, 12, 23)),
    # Due Friday 18.12.2026: Mon 21, Tue 22, Wed 23, (24-26.12 holidays), Mon 28,
    # Tue 29 -> from Wednesday 30.12.2026.
    (D(2026, 12, 18), D(2026, 12, 30)),
    # Due Friday 19.06.2026: Mon 22, (23 and 24.06 holidays), Thu 25, Fri 26, Mon 29,
    # Tue 30 -> from Wednesday 01.07.2026.
    (D(2026, 6, 19), D(2026, 7, 1)),
    # Due Monday 02.03.2026: Tue 3 .. Mon 9 -> from Tuesday 10.03.2026.
    (D(2026, 3, 2), D(2026, 3, 10)),
])
def test_closure_warning_once_five_working_days_have_passed(due_date: D, earliest: D) -> None:
    assert closure_warning_earliest(due_date) == earliest
    assert closure_warning_earliest(due_date) == closure_warning_from(due_date)


def test_closure_warning_before_any_deadline_set_is_an_acts_error() -> None:
    with pytest.raises(ActsError):
        closure_warning_earliest(D(2012, 7, 31))


# --------------------------------------------------------------------------- §12(1)


def test_closure_must_follow_the_warning() -> None:
    warning = D(2026, 12, 30)
    assert not closure_date_ok(warning, D(2026, 12, 29))
    assert not closure_date_ok(warning, warning)  # not on the day of the warning
    assert closure_date_ok(warning, D(2026, 12, 31))
    assert closure_date_ok(warning, D(2027, 1, 1))

"""KEE's deadlines (DOMAIN.md section 3) and Estonian working days: worked examples
around Christmas, New Year, Easter, Midsummer and the other public holidays, the
properties of the working-day count, and the rule data in rules/deadlines/."""

from __future__ import annotations

import datetime as dt
import shutil
import tomllib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.domain.deadlines import (
    DEADLINES_DIR,
    DeadlineError,
    DeadlineId,
    calendar_days_after,
    calendar_days_before,
    deadline_set_for,
    deadline_set_ids,
    due,
    is_overdue,
    is_working_day,
    load_deadlines,
    months_after,
    next_working_day,
    percentage,
    working_days_after,
    working_days_before,
    working_days_between,
)

D = dt.date
SET_ID = "KEE-2012"


# --- Working days -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # Christmas 2026: 24.12 is a Thursday; 24, 25 and 26 December are holidays.
        (D(2026, 12, 23), True),  # shortened before Christmas Eve, still worked
        (D(2026, 12, 24), False),  # jõululaupäev
        (D(2026, 12, 25), False),  # esimene jõulupüha
        (D(2026, 12, 26), False),  # teine jõulupüha, a Saturday as well
        (D(2026, 12, 27), False),  # Sunday
        (D(2026, 12, 28), True),
        (D(2026, 12, 31), True),  # shortened before New Year, still worked
        (D(2027, 1, 1), False),  # uusaasta
        (D(2027, 1, 4), True),
        # Easter 2026: Good Friday 3.4 and Easter Sunday 5.4; Easter Monday is worked.
        (D(2026, 4, 2), True),
        (D(2026, 4, 3), False),
        (D(2026, 4, 5), False),
        (D(2026, 4, 6), True),
        # Midsummer: Victory Day 23.6 and St John's Day 24.6.
        (D(2026, 6, 22), True),
        (D(2026, 6, 23), False),
        (D(2026, 6, 24), False),
        (D(2026, 6, 25), True),
        (D(2026, 2, 23), True),
        (D(2026, 2, 24), False),  # Independence Day
        (D(2026, 5, 1), False),  # kevadpüha
        (D(2026, 8, 20), False),  # Day of Restoration of Independence
        (D(2026, 8, 21), True),
        (D(2026, 3, 14), False),  # an ordinary Saturday
        (D(2026, 3, 16), True),  # an ordinary Monday
    ],
)
def test_is_working_day(day: dt.date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        # 10 working days from Friday 18.12.2026: 21, 22, 23, 28, 29, 30, 31 December,
        # 4, 5, 6 January; 24-26 December, 1 January and the weekends skipped.
        (D(2026, 12, 18), 10, D(2027, 1, 6)),
        (D(2026, 12, 22), 5, D(2026, 12, 31)),
        (D(2026, 12, 23), 1, D(2026, 12, 28)),
        (D(2026, 12, 25), 1, D(2026, 12, 28)),  # from a holiday: its next working day
        (D(2026, 12, 31), 1, D(2027, 1, 4)),  # across New Year's Day and a weekend
        (D(2026, 4, 2), 1, D(2026, 4, 6)),  # Good Friday, the weekend, Easter Monday
        (D(2026, 4, 2), 3, D(2026, 4, 8)),
        (D(2026, 6, 22), 1, D(2026, 6, 25)),  # 23 and 24 June, Tuesday and Wednesday
        (D(2027, 6, 22), 1, D(2027, 6, 25)),  # 23 and 24 June, Wednesday and Thursday
        (D(2026, 2, 23), 1, D(2026, 2, 25)),
        (D(2026, 4, 30), 1, D(2026, 5, 4)),  # 1 May is a Friday
        (D(2026, 8, 19), 1, D(2026, 8, 21)),
        (D(2026, 3, 13), 5, D(2026, 3, 20)),  # an ordinary week
        (D(2026, 12, 25), 0, D(2026, 12, 25)),  # 0 is the start, even on a holiday
    ],
)
def test_working_days_after(start: dt.date, count: int, expected: dt.date) -> None:
    assert working_days_after(start, count) == expected
    assert working_days_between(start, expected) == count


def test_working_days_before_and_between() -> None:
    assert working_days_before(D(2027, 1, 6), 5) == D(2026, 12, 29)
    assert working_days_before(D(2026, 4, 7), 1) == D(2026, 4, 6)
    assert working_days_before(D(2026, 4, 6), 1) == D(2026, 4, 2)
    assert working_days_between(D(2026, 12, 23), D(2026, 12, 27)) == 0
    assert working_days_between(D(2027, 1, 6), D(2026, 12, 18)) == 0
    assert next_working_day(D(2026, 12, 24)) == D(2026, 12, 28)
    assert next_working_day(D(2026, 12, 23)) == D(2026, 12, 23)


def test_calendar_days_and_months() -> None:
    assert calendar_days_after(D(2026, 12, 18), 14) == D(2027, 1, 1)
    assert calendar_days_before(D(2026, 12, 24), 5) == D(2026, 12, 19)
    # TsÜS §136(2)-(3): the corresponding day, or the month's last day.
    assert months_after(D(2025, 8, 31), 6) == D(2026, 2, 28)
    assert months_after(D(2023, 8, 31), 6) == D(2024, 2, 29)
    assert months_after(D(2024, 2, 29), 12) == D(2025, 2, 28)
    assert months_after(D(2026, 8, 31), -6) == D(2026, 2, 28)
    assert months_after(D(2026, 1, 15), -1) == D(2025, 12, 15)


@pytest.mark.parametrize(
    "function", [working_days_after, working_days_before, calendar_days_after,
                 calendar_days_before])
def test_a_negative_count_is_refused(function: Callable[[dt.date, int], dt.date]) -> None:
    with pytest.raises(ValueError, match="never negative"):
        function(D(2026, 1, 5), -1)


days = st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 12, 31))
counts = st.integers(min_value=0, max_value=60)


@given(days, st.integers(min_value=1, max_value=60))
def test_the_result_is_a_working_day(start: dt.date, count: int) -> None:
    assert is_working_day(working_days_after(start, count))
    assert is_working_day(working_days_before(start, count))


@given(days, counts)
def test_monotonic_in_the_count(start: dt.date, count: int) -> None:
    assert working_days_after(start, count) < working_days_after(start, count + 1)
    assert working_days_before(start, count) > working_days_before(start, count + 1)


@given(days, counts)
def test_exactly_count_working_days_in_between(start: dt.date, count: int) -> None:
    result = working_days_after(start, count)
    assert working_days_between(start, result) == count
    # and none is skipped: the day before the result still lacks one
    if count:
        assert working_days_between(start, result - dt.timedelta(days=1)) == count - 1
    # backwards: the count-th working day before start, then the rest up to start
    earlier = working_days_before(start, count)
    if count:
        assert working_days_between(earlier, start) == count - 1 + is_working_day(start)


@given(days, counts)
def test_before_undoes_after_from_a_working_day(start: dt.date, count: int) -> None:
    start = next_working_day(start)
    assert working_days_before(working_days_after(start, count), count) == start


# --- KEE's deadlines ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("deadline_id", "amount", "unit", "kind", "direction", "clause"),
    [
        ("draft_contract", 14, "days", "calendar", "after", "KEE §5(3)"),
        ("sale_notice", 14, "days", "calendar", "before", "KEE §6(1)"),
        ("new_owner_application", 7, "days", "calendar", "after", "KEE §6(1)"),
        ("temporary_closure", 1, "years", "calendar", "after", "KEE §6(2)"),
        ("renewal", 1, "years", "calendar", "after", "KEE §7(1)"),
        ("interruption_notice", 5, "days", "calendar", "before", "KEE §13(3)"),
        ("interruption_temporary_supply", 1, "days", "calendar", "after", "KEE §13(4)"),
        ("meter_installation", 5, "days", "working", "after", "KEE §37(1)"),
        ("meter_replacement", 5, "days", "working", "after", "KEE §37(4)"),
        ("meter_replacement_customer_fault", 5, "days", "calendar", "after", "KEE §37(4)"),
        ("price_group_change_notice", 10, "days", "working", "after", "KEE §41(4)"),
        ("price_notice", 30, "days", "calendar", "before", "KEE §4(2)"),
        ("invoice_claim", 10, "days", "working", "after", "KEE §43(1)"),
        ("claim_answer", 10, "days", "working", "after", "KEE §43(1)"),
        ("closure_warning", 5, "days", "working", "after", "KEE §43(2)"),
        ("unauthorised_connection_default_duration", 6, "months", "calendar", "before",
         "KEE §25(2)"),
    ],
)
def test_the_deadlines_of_kee(deadline_id: str, amount: int, unit: str, kind: str,
                              direction: str, clause: str) -> None:
    deadline = load_deadlines(SET_ID).deadline(deadline_id)
    assert getattr(deadline, unit) == amount
    assert (deadline.kind, deadline.direction, deadline.clause) == (kind, direction, clause)


def test_the_file_lists_every_deadline_the_code_knows() -> None:
    assert set(load_deadlines(SET_ID).deadlines) == set(DeadlineId)


def test_the_act() -> None:
    kee = load_deadlines()
    assert kee == load_deadlines(SET_ID)
    assert deadline_set_ids() == [SET_ID]
    assert kee.act.title == "Kuressaare linna ühisveevärgi ja -kanalisatsiooni kasutamise eeskiri"
    assert (kee.act.issuer, kee.act.number, kee.act.adopted) == (
        "Kuressaare Linnavolikogu", "26", D(2006, 9, 28))
    assert (kee.act.in_force_from, kee.act.redaction_in_force_from) == (
        D(2006, 10, 9), D(2012, 8, 1))
    assert (kee.effective.start, kee.effective.end) == (D(2012, 8, 1), None)


def test_every_deadline_cites_its_clause() -> None:
    data = tomllib.loads((DEADLINES_DIR / f"{SET_ID}.toml").read_text(encoding="utf-8"))
    tables = {**data["deadlines"], **data["percentages"]}
    assert len(tables) == len(DeadlineId) + 1
    for name, table in tables.items():
        assert table["clause"].startswith("KEE §"), name
        assert table["description"], name


def test_an_application_made_on_18_december() -> None:
    # Done-when of issue 8 item 6. KEE §5(3): 14 "päeva" (calendar days) from the day
    # after the application arrives end on 01.01.2027, New Year's Day. KEE does not
    # say what happens then; TsÜS §136(8) moves a due date for performing an
    # obligation off a public holiday or day off to the next working day: Monday
    # 04.01.2027 (2 and 3 January are a weekend).
    received = D(2026, 12, 18)
    assert calendar_days_after(received, 14) == D(2027, 1, 1)
    assert due("draft_contract", received) == D(2027, 1, 4)
    assert due(DeadlineId.DRAFT_CONTRACT, received) == D(2027, 1, 4)
    assert not is_overdue("draft_contract", received, D(2027, 1, 4))
    assert is_overdue("draft_contract", received, D(2027, 1, 5))
    # A year earlier the 14th day is Thursday 01.01.2026; Friday 2 January is worked.
    assert due("draft_contract", D(2025, 12, 18)) == D(2026, 1, 2)
    # A 14th day that is a working day stays.
    assert due("draft_contract", D(2026, 3, 2)) == D(2026, 3, 16)


def test_a_working_day_deadline_across_christmas() -> None:
    # Done-when of issue 8 item 6. KEE §43(1): 10 "tööpäeva" from the day after the
    # invoice arrives skip 24-26 December, 1 January and the weekends.
    assert due("invoice_claim", D(2026, 12, 18)) == D(2027, 1, 6)
    assert due("claim_answer", D(2026, 12, 18)) == D(2027, 1, 6)
    assert not is_overdue("invoice_claim", D(2026, 12, 18), D(2027, 1, 6))
    assert is_overdue("invoice_claim", D(2026, 12, 18), D(2027, 1, 7))
    # KEE §37(1): the meter within 5 working days of a contract made on 22.12.2026.
    assert due("meter_installation", D(2026, 12, 22)) == D(2026, 12, 31)
    assert due("meter_replacement", D(2026, 6, 22)) == D(2026, 7, 1)


def test_the_closure_warning_comes_once_five_working_days_have_passed() -> None:
    # KEE §43(2) "viie tööpäeva möödudes": the term runs out at 24:00 on the fifth
    # working day after the invoice's due date (TsÜS §137(1)); then a warning is allowed.
    invoice_due = D(2026, 12, 22)
    assert due("closure_warning", invoice_due) == D(2026, 12, 31)
    assert not is_overdue("closure_warning", invoice_due, D(2026, 12, 31))
    assert is_overdue("closure_warning", invoice_due, D(2027, 1, 1))
    assert load_deadlines().deadline("closure_warning").limit == "earliest"


def test_calendar_terms_for_an_act_move_off_days_off() -> None:
    # KEE §6(1): 7 days from an acquisition on 18.12.2026 end on 25.12, Christmas Day;
    # the next working day is Monday 28.12.
    assert due("new_owner_application", D(2026, 12, 18)) == D(2026, 12, 28)
    assert due("new_owner_application", D(2026, 6, 16)) == D(2026, 6, 25)  # Midsummer
    assert due("new_owner_application", D(2026, 3, 27)) == D(2026, 4, 6)  # Easter
    # KEE §7(1): a year from 18.12.2026 is Saturday 18.12.2027.
    assert due("renewal", D(2026, 12, 18)) == D(2027, 12, 20)
    assert due("renewal", D(2024, 2, 29)) == D(2025, 2, 28)
    # KEE §37(4), customer's fault: 5 calendar days from payment on 19.12.2026.
    assert due("meter_replacement_customer_fault", D(2026, 12, 19)) == D(2026, 12, 28)


def test_notices_before_an_event_and_durations_do_not_move() -> None:
    # A notice "ette"/"vähemalt ... enne" is counted back; moving its last day forward
    # would cut the notice the text guarantees, so a day off stays (and the notice may
    # of course be given earlier).
    assert due("sale_notice", D(2027, 1, 7)) == D(2026, 12, 24)
    assert due("interruption_notice", D(2026, 6, 26)) == D(2026, 6, 21)  # a Sunday
    assert due("price_notice", D(2027, 1, 1)) == D(2026, 12, 2)
    # Durations are lengths of time, not days to act by.
    assert due("temporary_closure", D(2026, 12, 18)) == D(2027, 12, 18)  # a Saturday
    assert due("interruption_temporary_supply", D(2026, 12, 23)) == D(2026, 12, 24)
    # KEE §25(2): 6 months back from the act of 31.08.2026.
    assert due("unauthorised_connection_default_duration", D(2026, 8, 31)) == D(2026, 2, 28)


def test_late_interest_cap() -> None:
    assert percentage("late_interest_cap", D(2026, 1, 1)) == Decimal("0.15")
    cap = load_deadlines().percentage("late_interest_cap")
    assert (cap.per, cap.clause) == ("day", "KEE §41(3)")


@given(st.dates(min_value=D(2012, 8, 1), max_value=D(2099, 12, 31)),
       st.sampled_from(list(DeadlineId)))
def test_every_deadline_on_any_day(from_day: dt.date, deadline_id: DeadlineId) -> None:
    deadline = load_deadlines().deadline(deadline_id)
    result = due(deadline_id, from_day)
    assert (result > from_day) is (deadline.direction == "after")
    if deadline.kind == "working" or deadline.moves_to_next_working_day:
        assert is_working_day(result)


def test_unknown_deadlines_and_days_outside_the_act() -> None:
    with pytest.raises(DeadlineError, match="no deadline 'draft'"):
        due("draft", D(2026, 1, 5))
    with pytest.raises(DeadlineError, match=r"no deadline set of KEE governs 31\.07\.2012"):
        due("draft_contract", D(2012, 7, 31))
    with pytest.raises(DeadlineError, match=r"KEE-2012 does not govern 31\.07\.2012"):
        due("draft_contract", D(2012, 7, 31), load_deadlines())
    with pytest.raises(DeadlineError, match="no percentage 'interest'"):
        percentage("interest", D(2026, 1, 5))


# --- The rule data, malformed -------------------------------------------------------


def _copy(tmp_path: Path, set_id: str = SET_ID) -> Path:
    shutil.copy(DEADLINES_DIR / f"{SET_ID}.toml", tmp_path / f"{set_id}.toml")
    return tmp_path / f"{set_id}.toml"


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('limit = "latest"\nmoves_to_next_working_day = true\nclause = "KEE §5(3)"',
         'limit = "latest"\nmoves_to_next_working_day = true', "deadlines.draft_contract.clause"),
        ('clause = "KEE §5(3)"', 'clause = "ELVESO 2.2"', "deadlines.draft_contract.clause"),
        ('clause = "KEE §5(3)"', 'clause = ""', "deadlines.draft_contract.clause"),
        ("[deadlines.draft_contract]\ndays = 14", "[deadlines.draft_contract]\ndays = 14.5",
         "deadlines.draft_contract.days"),
        ("[deadlines.draft_contract]\ndays = 14", '[deadlines.draft_contract]\ndays = "14"',
         "deadlines.draft_contract.days"),
        ("[deadlines.draft_contract]\ndays = 14", "[deadlines.draft_contract]\ndays = -14",
         "deadlines.draft_contract.days"),
        ('days = 14\nkind = "calendar"', 'days = 14\nkind = "kalender"',
         "deadlines.draft_contract.kind"),
        ("[deadlines.draft_contract]", "[deadlines.draft_contrakt]",
         "deadlines.draft_contrakt"),
        ("[deadlines.draft_contract]", "[deadlines.draft_contract]\ncolour = 1",
         "deadlines.draft_contract.colour"),
        ("[deadlines.draft_contract]", '[deadlines.draft_contract]\nid = "x"',
         "deadlines.draft_contract.id"),
        ("moves_to_next_working_day = true", 'moves_to_next_working_day = "yes"',
         "deadlines.draft_contract.moves_to_next_working_day"),
        ("[deadlines.temporary_closure]\nyears = 1",
         "[deadlines.temporary_closure]\nyears = 1\ndays = 3", "deadlines.temporary_closure"),
        ("[deadlines.temporary_closure]\nyears = 1",
         "[deadlines.temporary_closure]\nyears = 0", "deadlines.temporary_closure"),
        ("[deadlines.meter_installation]\ndays = 5",
         "[deadlines.meter_installation]\nmonths = 5", "deadlines.meter_installation.kind"),
        ('[deadlines.sale_notice]\ndays = 14', '[deadlines.sale_notice]\ndays = 14\n'
         'moves_to_next_working_day = true', "deadlines.sale_notice.moves_to_next_working_day"),
        ('percent = "0.15"', "percent = 0.15", "percentages.late_interest_cap.percent"),
        ("start = 2012-08-01", 'start = "2012-08-01"', "effective.start"),
        ("adopted = 2006-09-28", "", "act.adopted"),
        ('id = "KEE-2012"', 'id = "KEE-2013"', "id"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_file_and_field(
        tmp_path: Path, old: str, new: str, field: str) -> None:
    path = _copy(tmp_path)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DeadlineError) as error:
        load_deadlines(SET_ID, tmp_path)
    message = str(error.value)
    assert str(path) in message
    assert f"{field}:" in message or f"{field} " in message, message


def test_a_file_that_is_not_toml(tmp_path: Path) -> None:
    (tmp_path / "X-1.toml").write_text("id = ", encoding="utf-8")
    with pytest.raises(DeadlineError, match=r"X-1\.toml: not valid TOML"):
        load_deadlines("X-1", tmp_path)


def test_an_unknown_set() -> None:
    with pytest.raises(DeadlineError, match=r"unknown deadline set 'KEE-2030' \(known: KEE-2012"):
        load_deadlines("KEE-2030")


def test_an_unchanged_copy_loads(tmp_path: Path) -> None:
    _copy(tmp_path)
    assert load_deadlines(SET_ID, tmp_path) == load_deadlines(SET_ID)
    assert load_deadlines(None, tmp_path) == load_deadlines()


def test_a_new_version_governs_from_its_start(tmp_path: Path) -> None:
    # rules/README.md: a change is a new file; the old one's end may stay open.
    _copy(tmp_path)
    path = _copy(tmp_path, "KEE-2030")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('id = "KEE-2012"', 'id = "KEE-2030"')
                    .replace("start = 2012-08-01", "start = 2030-01-01")
                    .replace("[deadlines.draft_contract]\ndays = 14",
                             "[deadlines.draft_contract]\ndays = 10"), encoding="utf-8")
    assert deadline_set_for(D(2029, 12, 31), directory=tmp_path).id == SET_ID
    new = deadline_set_for(D(2030, 1, 1), directory=tmp_path)
    assert new.id == "KEE-2030"
    assert due("draft_contract", D(2030, 3, 1), new) == D(2030, 3, 11)
    assert load_deadlines(None, tmp_path).id == "KEE-2030"

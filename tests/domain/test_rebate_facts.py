"""Facts the rebate calculation takes as given (``domain/rebate_facts.py``) and the
rule set that governs a season (``rule_sets.rule_set_for_season``)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.domain.rebate_facts import (
    add_months,
    first_season,
    frequency_period,
    last_season_on_ending,
    readings_at_agreed_frequency,
    undecided_checks,
)
from webapp.domain.rule_sets import Method, load_rule_set, rule_set_for_season

ELVESO = load_rule_set("ELVESO-2014")
TV_2020 = load_rule_set("TV-2020")

D = dt.date


def month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    days, day = [], first
    while day <= last:
        days.append(add_months(day.replace(day=1), 1) - dt.timedelta(days=1))
        day = add_months(day.replace(day=1), 1)
    return days


# --------------------------------------------------------------------------- seasons


@pytest.mark.parametrize(("submitted", "covered", "expected"), [
    (D(2026, 12, 2), None, 2026),  # received all year (ELVESO 3.3): this year's season
    (D(2026, 3, 1), None, 2026),
    (D(2026, 3, 1), 2025, 2026),
    (D(2026, 11, 5), 2026, 2027),  # the earlier application covers 2026 already
])
def test_the_first_season_of_a_new_application(submitted: dt.date, covered: int | None,
                                               expected: int) -> None:
    assert first_season(submitted, covered) == expected


@pytest.mark.parametrize(("ended", "first", "expected"), [
    (D(2026, 9, 1), 2024, 2026),  # ELVESO's 2026 watering period ended on 31.08
    (D(2026, 8, 31), 2024, 2025),  # not yet ended on its last day
    (D(2026, 5, 1), 2024, 2025),
    (D(2026, 5, 1), 2026, 2025),  # withdrawn before its first season: none covered
])
def test_a_withdrawn_application_keeps_the_seasons_already_ended(
        ended: dt.date, first: int, expected: int) -> None:
    assert last_season_on_ending(ELVESO, ended, first) == expected


def test_tv_seasons_end_on_30_september() -> None:
    assert last_season_on_ending(TV_2020, D(2026, 9, 30), 2020) == 2025
    assert last_season_on_ending(TV_2020, D(2026, 10, 1), 2020) == 2026


# --------------------------------------------------------------------------- frequency


def test_the_frequency_year_ends_with_the_watering_period() -> None:
    assert frequency_period(ELVESO, 2025) == (D(2024, 9, 1), D(2025, 8, 31))
    assert frequency_period(TV_2020, 2025) == (D(2024, 10, 1), D(2025, 9, 30))


def test_monthly_readings_at_month_ends_are_at_the_agreed_frequency() -> None:
    first, last = frequency_period(ELVESO, 2025)
    assert readings_at_agreed_frequency(month_ends(first, last), 1, first, last)


def test_a_missing_month_breaks_a_monthly_cycle_but_not_a_quarterly_one() -> None:
    first, last = frequency_period(ELVESO, 2025)
    days = [day for day in month_ends(first, last) if day.month != 1]
    # December's reading on 31.12 is January's too only within the week's grace.
    assert not readings_at_agreed_frequency(days, 1, first, last)
    assert readings_at_agreed_frequency(days, 3, first, last)


def test_a_reading_within_the_week_after_counts() -> None:
    first, last = D(2025, 1, 1), D(2025, 2, 28)
    assert readings_at_agreed_frequency([D(2025, 1, 20), D(2025, 3, 7)], 1, first, last)
    assert not readings_at_agreed_frequency([D(2025, 1, 20), D(2025, 3, 8)], 1, first, last)
    assert not readings_at_agreed_frequency([D(2025, 2, 9), D(2025, 2, 28)], 1, first, last)


def test_no_readings_at_all_are_not_at_any_frequency() -> None:
    assert not readings_at_agreed_frequency([], 12, D(2025, 1, 1), D(2025, 12, 31))
    with pytest.raises(ValueError, match="at least one month"):
        readings_at_agreed_frequency([], 0, D(2025, 1, 1), D(2025, 12, 31))


@given(st.lists(st.dates(D(2024, 6, 1), D(2025, 10, 31)), max_size=30),
       st.integers(1, 6))
def test_more_readings_never_break_the_frequency(days: list[dt.date], cycle: int) -> None:
    first, last = frequency_period(ELVESO, 2025)
    if readings_at_agreed_frequency(days, cycle, first, last):
        assert readings_at_agreed_frequency([*days, D(2025, 3, 3)], cycle, first, last)


@given(st.dates(D(2000, 1, 1), D(2100, 12, 31)), st.integers(-30, 30))
def test_adding_months_keeps_the_day_where_the_month_has_it(day: dt.date, months: int) -> None:
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    clipped = moved.day < day.day and (moved + dt.timedelta(days=1)).day == 1
    assert moved.day == day.day or clipped


# --------------------------------------------------------------------------- not yet due


def test_checks_that_wait_for_the_seasons_readings() -> None:
    in_may = undecided_checks(ELVESO, 2026, Method.A, D(2026, 5, 10))
    assert in_may == {"watering_period_covered", "readings_at_agreed_frequency",
                      "required_readings"}
    # The end reading may come until 07.09 (ELVESO 3.2).
    assert undecided_checks(ELVESO, 2026, Method.B, D(2026, 9, 5)) == {"required_readings"}
    assert undecided_checks(ELVESO, 2026, Method.B, D(2026, 9, 8)) == frozenset()
    # Method A's winter is 01.10-31.03: in February it is still being measured.
    assert "history_since_october" in undecided_checks(ELVESO, 2026, Method.A, D(2026, 2, 1))
    assert "history_since_october" not in undecided_checks(ELVESO, 2026, Method.B,
                                                           D(2026, 2, 1))


# --------------------------------------------------------------------------- rule sets


@pytest.mark.parametrize(("active", "season", "expected"), [
    ("TV-2020", 2025, "TV-2020"),
    ("TV-2020", 2019, "TV-2016"),  # the same utility's rules in force then
    ("TV-2016", 2024, "TV-2020"),
    ("TV-2020", 2015, "TV-2020"),  # none governs: the active one, which refuses it
    ("ELVESO-2014", 2013, "ELVESO-2014"),
    ("ELVESO-2014", 2030, "ELVESO-2014"),
])
def test_the_rule_set_of_a_season(active: str, season: int, expected: str) -> None:
    assert rule_set_for_season(active, season).id == expected


def test_governs_needs_the_whole_watering_period_within_the_dates() -> None:
    tv_2016 = load_rule_set("TV-2016")
    assert tv_2016.governs(2016) and tv_2016.governs(2019)
    assert not tv_2016.governs(2015) and not tv_2016.governs(2020)
    assert ELVESO.governs(2014) and not ELVESO.governs(2013)

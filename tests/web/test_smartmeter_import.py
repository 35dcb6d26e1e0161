"""``flask smartmeter import FILE.csv``: the utility's loader for smart-meter readings.

Uses the ``app``, ``runner`` and ``demo`` fixtures of tests/conftest.py. The demo
smart meters 00456001 and 00456002 have hourly readings for the last 90 days;
the files here mostly load readings of 2025, long before them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import Result
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from webapp.domain.smart_csv import MAX_BYTES
from webapp.extensions import db
from webapp.models import Meter, MeterStatus, Reading, ReadingChannel

SMART = "00456001"
SMART_2 = "00456002"
COLD = "00123456"  # Mari's cold-water meter: read by a person, not by the loader
UTC = dt.UTC

pytestmark = pytest.mark.usefixtures("demo")


# --------------------------------------------------------------------------- helpers


def load(runner: FlaskCliRunner, tmp_path: Path, text: str, name: str = "smart.csv") -> Result:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return runner.invoke(args=["smartmeter", "import", str(path)])


def meter(number: str) -> Meter:
    found = db.session.scalar(select(Meter).where(Meter.number == number))
    assert found is not None
    return found


def reading_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Reading.id))) or 0


def reading_at(number: str, moment: dt.datetime) -> Reading | None:
    db.session.expire_all()
    return db.session.scalar(
        select(Reading).where(Reading.meter_id == meter(number).id, Reading.measured_at == moment)
    )


def stored_hours(number: str, count: int) -> list[Reading]:
    """``count`` consecutive stored readings of a demo smart meter, oldest first."""
    readings = db.session.scalars(
        select(Reading).where(Reading.meter_id == meter(number).id)
        .order_by(Reading.measured_at.desc()).offset(5).limit(count)
    ).all()
    assert len(readings) == count
    return list(reversed(readings))


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def assert_refused(result: Result, count_before: int, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert "nothing was imported" in result.stderr
    for word in words:
        assert word in result.stderr
    assert "Traceback" not in result.output
    assert reading_count() == count_before


GOOD = (
    "\ufeffmeter number;timestamp;value\n"
    f"{SMART};2025-06-30T20:30:00Z;100,5\n"  # 23:30 in Tallinn
    f"{SMART};2025-06-30T21:30:00.000Z;101\n"  # 00:30 on 1 July in Tallinn
    f"{SMART_2};2025-01-31T23:45:00+02:00;50.25\n"  # winter: Tallinn time, stored in UTC
)


def test_the_demo_smart_readings_are_all_later_than_the_files_here() -> None:
    first = db.session.scalar(select(func.min(Reading.measured_at)))
    assert first is not None
    assert first > dt.datetime(2025, 12, 31, tzinfo=UTC)


# --------------------------------------------------------------------------- importing


def test_import_stores_the_readings_dated_by_the_tallinn_day(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    before = reading_count()
    result = load(runner, tmp_path, GOOD)
    assert result.exit_code == 0, result.output
    assert "3 rows read, 3 new readings saved, 0 already stored" in result.stdout
    assert reading_count() == before + 3
    expected = [
        (SMART, dt.datetime(2025, 6, 30, 20, 30, tzinfo=UTC), "100.500", dt.date(2025, 6, 30)),
        (SMART, dt.datetime(2025, 6, 30, 21, 30, tzinfo=UTC), "101.000", dt.date(2025, 7, 1)),
        (SMART_2, dt.datetime(2025, 1, 31, 21, 45, tzinfo=UTC), "50.250", dt.date(2025, 1, 31)),
    ]
    for number, moment, value, day in expected:
        reading = reading_at(number, moment)
        assert reading is not None, (number, moment)
        assert reading.value == Decimal(value)
        assert reading.reading_date == day
        assert reading.channel == ReadingChannel.API  # machine data, as the demo's
        assert reading.submitted_by_id is None
        assert reading.replaced_by_id is None


def test_importing_the_same_file_again_saves_nothing(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    assert load(runner, tmp_path, GOOD).exit_code == 0
    after_first = reading_count()
    again = load(runner, tmp_path, GOOD)
    assert again.exit_code == 0, again.output
    assert "3 rows read, 0 new readings saved, 3 already stored" in again.stdout
    assert reading_count() == after_first


def test_a_file_overlapping_an_earlier_one_saves_only_the_new_rows(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    assert load(runner, tmp_path, GOOD).exit_code == 0
    before = reading_count()
    more = GOOD + f"{SMART};2025-06-30T22:30:00Z;101.5\n"
    result = load(runner, tmp_path, more, "more.csv")
    assert result.exit_code == 0, result.output
    assert "4 rows read, 1 new readings saved, 3 already stored" in result.stdout
    assert reading_count() == before + 1


def test_the_same_row_twice_in_a_file_is_saved_once(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    before = reading_count()
    row = f"{SMART},2025-06-30T20:30:00Z,100.5\n"
    result = load(runner, tmp_path, row + row)
    assert result.exit_code == 0, result.output
    assert "1 new readings saved" in result.stdout
    assert "1 repeated row(s) in the file counted once" in result.stdout
    assert reading_count() == before + 1


def test_readings_between_stored_ones_are_saved(runner: FlaskCliRunner, tmp_path: Path) -> None:
    previous, following = stored_hours(SMART, 2)
    between = previous.value + (following.value - previous.value) / 2
    moment = previous.measured_at + dt.timedelta(minutes=30)
    result = load(runner, tmp_path, f"{SMART};{stamp(moment)};{between:.3f}\n")
    assert result.exit_code == 0, result.output
    reading = reading_at(SMART, moment)
    assert reading is not None
    assert reading.value == between.quantize(Decimal("0.001"))


# --------------------------------------------------------------------------- all or nothing

BAD_ROWS = {
    "no offset": (f"{SMART};2025-06-30T23:30:00;102", "has no offset from UTC"),
    "negative": (f"{SMART};2025-06-30T23:30:00Z;-1", "is negative"),
    "decimals": (f"{SMART};2025-06-30T23:30:00Z;101.0001", "more than 3 decimals"),
    "unknown meter": ("99999999;2025-06-30T23:30:00Z;102", "no meter with the number '99999999'"),
    "cold water": (f"{COLD};2025-06-30T23:30:00Z;102", "is not a smart meter"),
    "going down": (f"{SMART};2025-06-30T23:30:00Z;99", "cannot go down"),
}
GOOD_ROWS = [
    f"{SMART};2025-06-30T20:30:00Z;100.5",
    f"{SMART};2025-06-30T21:30:00Z;101",
    f"{SMART_2};2025-06-30T21:30:00Z;50",
]


@pytest.mark.parametrize("position", [0, 1, 3])
@pytest.mark.parametrize("kind", sorted(BAD_ROWS))
def test_a_bad_row_anywhere_writes_nothing_and_names_its_line(
    runner: FlaskCliRunner, tmp_path: Path, kind: str, position: int
) -> None:
    bad, words = BAD_ROWS[kind]
    rows = [*GOOD_ROWS]
    rows.insert(position, bad)
    before = reading_count()
    result = load(runner, tmp_path, "meter;timestamp;value\n" + "\n".join(rows) + "\n")
    line = position + 2  # after the header
    assert_refused(result, before, f"line {line}: ", words)
    assert "1 error(s) in 4 rows; nothing was imported." in result.stderr
    assert reading_at(SMART, dt.datetime(2025, 6, 30, 20, 30, tzinfo=UTC)) is None


def test_every_bad_row_is_listed_at_once(runner: FlaskCliRunner, tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, *(bad for bad, _ in BAD_ROWS.values())]
    before = reading_count()
    result = load(runner, tmp_path, "\n".join(rows) + "\n")
    assert_refused(result, before, f"{len(BAD_ROWS)} error(s)")
    for line in range(len(GOOD_ROWS) + 1, len(rows) + 1):
        assert f"line {line}: " in result.stderr


def test_an_unknown_meter_is_an_error(runner: FlaskCliRunner, tmp_path: Path) -> None:
    before = reading_count()
    rows = f"{SMART};2025-06-30T20:30:00Z;1\n00999999;2025-06-30T20:30:00Z;1\n"
    result = load(runner, tmp_path, rows)
    assert_refused(result, before, "line 2: there is no meter with the number '00999999'")


def test_a_meter_that_is_not_smart_takes_no_readings(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    before = reading_count()
    result = load(runner, tmp_path, f"{COLD};2025-06-30T20:30:00Z;1\n")
    assert_refused(
        result, before, f"line 1: meter {COLD} is not a smart meter (it is a cold water meter)"
    )


def test_a_removed_meter_takes_no_readings(runner: FlaskCliRunner, tmp_path: Path) -> None:
    meter(SMART_2).status = MeterStatus.REMOVED
    db.session.commit()
    before = reading_count()
    result = load(runner, tmp_path, "\n".join(GOOD_ROWS) + "\n")
    assert_refused(result, before, f"line 3: meter {SMART_2} has been removed")


def test_a_reading_before_the_installation_is_an_error(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    before = reading_count()
    installed = meter(SMART).installed_on
    # 23:59 in Tallinn (summer time, +03) on the day before the installation
    moment = dt.datetime.combine(installed, dt.time(), UTC) - dt.timedelta(hours=3, minutes=1)
    result = load(runner, tmp_path, f"{SMART};{stamp(moment)};1\n")
    assert_refused(
        result, before, f"line 1: {stamp(moment)} is before meter {SMART} was installed on "
        f"{installed}",
    )


def test_a_reading_in_the_future_is_an_error(runner: FlaskCliRunner, tmp_path: Path) -> None:
    tomorrow = dt.datetime.now(UTC).replace(microsecond=0) + dt.timedelta(days=1)
    before = reading_count()
    result = load(runner, tmp_path, f"{SMART};{stamp(tomorrow)};999999\n")
    assert_refused(result, before, f"line 1: meter {SMART}: {stamp(tomorrow)} is in the future")


def test_values_going_down_in_the_file_are_an_error(runner: FlaskCliRunner, tmp_path: Path) -> None:
    before = reading_count()
    rows = f"{SMART};2025-06-30T20:30:00Z;100.5\n{SMART};2025-06-30T21:30:00Z;100.4\n"
    result = load(runner, tmp_path, rows)
    assert_refused(
        result, before,
        f"line 2: meter {SMART}: value 100.400 at 2025-06-30T21:30:00Z is lower than 100.500 at "
        "2025-06-30T20:30:00Z on line 1",
    )


def test_a_value_below_the_stored_reading_before_it_is_an_error(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    previous, _ = stored_hours(SMART, 2)
    moment = previous.measured_at + dt.timedelta(minutes=30)
    before = reading_count()
    result = load(runner, tmp_path, f"{SMART};{stamp(moment)};{previous.value - 1}\n")
    assert_refused(result, before, f"is lower than the stored reading {previous.value} at")


def test_a_value_above_the_stored_reading_after_it_is_an_error(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    previous, following = stored_hours(SMART, 2)
    moment = previous.measured_at + dt.timedelta(minutes=30)
    before = reading_count()
    result = load(runner, tmp_path, f"{SMART};{stamp(moment)};{following.value + 1}\n")
    assert_refused(result, before, f"is higher than the stored reading {following.value} at")


def test_the_stored_neighbours_on_other_days_count(runner: FlaskCliRunner, tmp_path: Path) -> None:
    first_demo = stored_first(SMART)
    # Days before the demo's readings: the first of them is the next stored one.
    before = reading_count()
    result = load(runner, tmp_path, f"{SMART};2025-06-30T20:30:00Z;{first_demo.value + 1}\n")
    assert_refused(result, before, f"is higher than the stored reading {first_demo.value} at")
    # A file of a later day meets the stored readings of an earlier one.
    assert load(runner, tmp_path, GOOD).exit_code == 0
    before = reading_count()
    result = load(runner, tmp_path, f"{SMART};2025-07-05T12:00:00Z;100\n", "later.csv")
    assert_refused(
        result, before, "value 100.000 at 2025-07-05T12:00:00Z is lower than the stored reading "
        "101.000 at 2025-06-30T21:30:00Z",
    )


def stored_first(number: str) -> Reading:
    first = db.session.scalar(
        select(Reading).where(Reading.meter_id == meter(number).id)
        .order_by(Reading.measured_at).limit(1)
    )
    assert first is not None
    return first


def test_a_stored_reading_with_another_value_is_never_overwritten(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    stored = stored_hours(SMART, 1)[0]
    assert stored.measured_at is not None
    before = reading_count()
    result = load(runner, tmp_path, f"{SMART};{stamp(stored.measured_at)};{stored.value + 1}\n")
    assert_refused(
        result, before,
        f"line 1: meter {SMART} at {stamp(stored.measured_at)} is already stored with value "
        f"{stored.value}, the file says {stored.value + 1}",
    )
    assert reading_at(SMART, stored.measured_at).value == stored.value  # type: ignore[union-attr]


def test_a_stored_reading_with_the_same_value_is_already_stored(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    stored = stored_hours(SMART, 1)[0]
    assert stored.measured_at is not None
    before = reading_count()
    result = load(runner, tmp_path, f"{SMART};{stamp(stored.measured_at)};{stored.value}\n")
    assert result.exit_code == 0, result.output
    assert "1 rows read, 0 new readings saved, 1 already stored" in result.stdout
    assert reading_count() == before


def test_one_moment_with_two_values_in_the_file_names_both_lines(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    before = reading_count()
    rows = (f"{SMART};2025-06-30T20:30:00Z;100.5\n{SMART_2};2025-06-30T20:30:00Z;7\n"
            f"{SMART};2025-06-30T23:30:00+03:00;100.6\n")
    result = load(runner, tmp_path, rows)
    assert_refused(
        result, before,
        f"line 3: meter {SMART} at 2025-06-30T20:30:00Z has value 100.600 here but 100.500 on "
        "line 1",
    )


# --------------------------------------------------------------------------- the file as a whole


def test_a_missing_file_exits_1(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["smartmeter", "import", str(tmp_path / "missing.csv")])
    assert result.exit_code == 1
    assert "cannot read the file" in result.stderr
    assert "Traceback" not in result.output


def test_a_file_over_the_size_cap_is_refused(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    row = f"{SMART};2025-06-30T20:30:00Z;100.5\n".encode()
    path.write_bytes(row * (MAX_BYTES // len(row) + 1))
    before = reading_count()
    result = runner.invoke(args=["smartmeter", "import", str(path)])
    assert_refused(result, before, "larger than 20 MB")


def test_a_file_that_is_not_utf8_is_refused(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(f"Arvesti;Aeg;N\xe4it\n{SMART};2025-06-30T20:30:00Z;1\n".encode("cp1257"))
    before = reading_count()
    assert_refused(runner.invoke(args=["smartmeter", "import", str(path)]), before, "not UTF-8")


# --------------------------------------------------------------------------- the database


def test_the_database_refuses_a_second_current_reading_of_the_same_moment() -> None:
    stored = stored_hours(SMART, 1)[0]
    db.session.add(Reading(
        meter_id=stored.meter_id, value=stored.value, reading_date=stored.reading_date,
        measured_at=stored.measured_at, channel=ReadingChannel.API,
    ))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_replaced_reading_and_day_readings_do_not_count_for_the_unique_moment() -> None:
    stored = stored_hours(SMART, 1)[0]
    new = Reading(
        meter_id=stored.meter_id, value=stored.value + 1, reading_date=stored.reading_date,
        measured_at=None, channel=ReadingChannel.STAFF, correction_reason="test",
    )
    db.session.add(new)
    db.session.flush()
    stored.replaced_by_id = new.id
    db.session.flush()
    new.measured_at = stored.measured_at  # the old one is replaced: the moment is free
    db.session.add_all(
        Reading(meter_id=stored.meter_id, value=Decimal(1), reading_date=dt.date(2025, 1, 1),
                channel=ReadingChannel.STAFF)
        for _ in range(2)
    )
    db.session.commit()

"""The smart-meter loader's file and rules (``flask smartmeter import``), no app, no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal

import pytest

from webapp.domain import smart_csv
from webapp.domain.smart_csv import (
    MAX_BYTES,
    ImportPlan,
    MeterFacts,
    ParsedSmartCsv,
    RowError,
    SmartCsvRefused,
    SmartRow,
    StoredReading,
    parse_smart_csv,
    plan_import,
)

BOM = b"\xef\xbb\xbf"
UTC = dt.UTC


def parse(text: str) -> ParsedSmartCsv:
    return parse_smart_csv(text.encode("utf-8"))


def only_row(parsed: ParsedSmartCsv) -> SmartRow:
    assert parsed.errors == ()
    assert len(parsed.rows) == 1
    return parsed.rows[0]


def only_error(text: str) -> RowError:
    parsed = parse(text)
    assert parsed.rows == ()
    assert len(parsed.errors) == 1
    return parsed.errors[0]


def refusal(data: bytes) -> str:
    with pytest.raises(SmartCsvRefused) as caught:
        parse_smart_csv(data)
    return str(caught.value)


# --------------------------------------------------------------------------- delimiters


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("00456001;2026-04-01T08:30:00Z;12.5\n", ";"),
        ("00456001,2026-04-01T08:30:00Z,12.5\n", ","),
        ("00456001\t2026-04-01T08:30:00Z\t12.5\n", "\t"),
    ],
)
def test_semicolon_comma_and_tab_delimited_files_are_read(text: str, delimiter: str) -> None:
    parsed = parse(text)
    assert parsed.delimiter == delimiter
    row = only_row(parsed)
    assert (row.meter_number, row.value) == ("00456001", Decimal("12.500"))
    assert row.measured_at == dt.datetime(2026, 4, 1, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_decimal_comma_is_read_with_semicolons_and_tabs(delimiter: str) -> None:
    row = only_row(parse(delimiter.join(["00456001", "2026-04-01T08:30:00Z", "13,25"]) + "\n"))
    assert row.value == Decimal("13.250")


def test_a_decimal_comma_with_comma_delimiters_must_be_quoted() -> None:
    error = only_error("00456001,2026-04-01T08:30:00Z,12,5\n")
    assert error.line == 1
    assert "4 columns where 3 are expected" in error.message
    assert "decimal comma is ambiguous" in error.message
    quoted = parse('00456001,2026-04-01T08:30:00Z,"12,5"\n')
    assert only_row(quoted).value == Decimal("12.500")


# --------------------------------------------------------------------------- encoding, header


def test_utf8_with_and_without_bom_is_read() -> None:
    text = "meter;timestamp;value\n00456001;2026-04-01T08:30:00Z;1\n"
    for data in (text.encode(), BOM + text.encode()):
        parsed = parse_smart_csv(data)
        assert parsed.had_header
        assert only_row(parsed).meter_number == "00456001"


def test_a_header_row_is_recognised_by_its_value_column_and_not_counted() -> None:
    parsed = parse("Arvesti nr;Aeg;Näit m³\n00456001;2026-04-01T08:30:00Z;1\n")
    assert parsed.had_header
    assert parsed.rows_read == 1
    assert only_row(parsed).line == 2  # line numbers count the header


def test_without_a_header_the_first_row_is_data() -> None:
    parsed = parse("00456001;2026-04-01T08:30:00Z;1\n00456001;2026-04-01T09:30:00Z;2\n")
    assert not parsed.had_header
    assert [row.line for row in parsed.rows] == [1, 2]


def test_a_first_row_with_a_bad_value_is_an_error_not_a_header() -> None:
    error = only_error("00456001;2026-04-01T08:30:00Z;abc\n")
    assert error == RowError(1, "value 'abc' is not a number")


def test_a_header_only_counts_on_the_first_row() -> None:
    parsed = parse("meter;timestamp;value\nmeter;timestamp;value\n")
    assert parsed.rows_read == 1
    assert [error.line for error in parsed.errors] == [2]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\xff\xfe0\x004\x00", "not UTF-8"),
        (b"meter;\xe4\n", "not UTF-8"),  # Windows-1257 is not taken: the loader writes UTF-8
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"00456001;2026-04-01T08:30:00Z;1\x00\n", "control characters"),
    ],
)
def test_a_file_that_is_not_utf8_text_is_refused(data: bytes, words: str) -> None:
    assert words in refusal(data)


# --------------------------------------------------------------------------- timestamps


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-04-01T08:30:00Z",
        "2026-04-01T08:30:00.000Z",
        "2026-04-01T11:30:00+03:00",
        "2026-04-01T11:30:00+0300",
        "2026-04-01 08:30:00Z",
        "2026-04-01T08:30Z",
        "2026-04-01t08:30:00z",
        "2026-04-01T05:30:00-03:00",
    ],
)
def test_iso_timestamps_with_an_offset_are_read_as_utc(stamp: str) -> None:
    row = only_row(parse(f"00456001;{stamp};1\n"))
    assert row.measured_at == dt.datetime(2026, 4, 1, 8, 30, tzinfo=UTC)
    assert row.measured_at.utcoffset() == dt.timedelta(0)


def test_fractions_of_a_second_are_kept() -> None:
    row = only_row(parse("00456001;2026-04-01T08:30:00.250Z;1\n"))
    assert row.measured_at == dt.datetime(2026, 4, 1, 8, 30, 0, 250_000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stamp", "day"),
    [
        ("2026-06-30T20:59:59Z", dt.date(2026, 6, 30)),  # summer, +03: 23:59:59
        ("2026-06-30T21:00:00Z", dt.date(2026, 7, 1)),  # 00:00 in Tallinn
        ("2026-01-31T21:59:00Z", dt.date(2026, 1, 31)),  # winter, +02
        ("2026-01-31T22:00:00Z", dt.date(2026, 2, 1)),
        ("2026-02-01T00:30:00+02:00", dt.date(2026, 2, 1)),
    ],
)
def test_the_reading_date_is_the_tallinn_day_of_the_moment(stamp: str, day: dt.date) -> None:
    assert only_row(parse(f"00456001;{stamp};1\n")).day == day


def test_a_timestamp_without_an_offset_is_an_error_that_says_so() -> None:
    error = only_error("00456001;2026-04-01T08:30:00;1\n")
    assert error.line == 1
    assert "has no offset from UTC" in error.message
    assert "2026-04-01T08:30:00Z" in error.message  # how to write it


@pytest.mark.parametrize(
    ("stamp", "words"),
    [
        ("yesterday", "is not an ISO 8601 timestamp"),
        ("01.04.2026 08:30", "is not an ISO 8601 timestamp"),
        ("2026-04-01T08:30:00+03:00:00", "is not an ISO 8601 timestamp"),
        ("2026-04-01", "is a date without a time"),
        ("2026-02-30T08:30:00Z", "is not a real date and time"),
        ("2026-04-01T24:00:00Z", "is not a real date and time"),
        ("2026-04-01T08:30:00+25:00", "is not a real date and time"),
        ("", "the timestamp is missing"),
    ],
)
def test_a_bad_timestamp_is_an_error(stamp: str, words: str) -> None:
    error = only_error(f"00456001;{stamp};1\n")
    assert words in error.message


# --------------------------------------------------------------------------- values and cells


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", "0.000"), ("1234.5", "1234.500"), ("1234,567", "1234.567"), ("007", "7.000")],
)
def test_values_have_up_to_three_decimals(value: str, expected: str) -> None:
    assert only_row(parse(f"00456001;2026-04-01T08:30:00Z;{value}\n")).value == Decimal(expected)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("-1", "is negative"),
        ("-0,5", "is negative"),
        ("1.2345", "more than 3 decimals"),
        ("1,0001", "more than 3 decimals"),
        ("12a", "is not a number"),
        ("1e3", "is not a number"),
        ("1234567890", "too large"),
    ],
)
def test_a_bad_value_is_an_error(value: str, words: str) -> None:
    error = only_error(f"00456001;2026-04-01T08:30:00Z;{value}\n")
    assert words in error.message
    assert repr(value) in error.message


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("00456001;2026-04-01T08:30:00Z", "2 columns where 3 are expected"),
        ("00456001;2026-04-01T08:30:00Z;", "2 columns where 3 are expected"),
        ("00456001;2026-04-01T08:30:00Z;1;x", "4 columns where 3 are expected"),
        (";2026-04-01T08:30:00Z;1", "the meter number is missing"),
        ("00456001;;1", "the timestamp is missing"),
        ("00456001; ;1", "the timestamp is missing"),
    ],
)
def test_a_row_with_missing_or_extra_cells_is_an_error(line: str, words: str) -> None:
    assert words in only_error(f"{line}\n").message


def test_a_spreadsheet_apostrophe_keeps_the_leading_zeros() -> None:
    assert only_row(parse("'00456001;2026-04-01T08:30:00Z;1\n")).meter_number == "00456001"


def test_every_error_names_its_physical_line() -> None:
    parsed = parse(
        "meter;timestamp;value\r\n"
        "00456001;2026-04-01T08:30:00Z;1\r\n"
        "\r\n"
        "00456001;2026-04-01T09:30:00;2\r\n"
        '"004\n56001";2026-04-01T10:30:00Z;3\r\n'  # a quoted cell over two lines
        "00456001;2026-04-01T11:30:00Z;-4\r\n"
    )
    assert [row.line for row in parsed.rows] == [2, 5]
    assert [error.line for error in parsed.errors] == [4, 7]
    assert str(parsed.errors[0]).startswith("line 4: timestamp '2026-04-01T09:30:00' has no offset")
    assert parsed.rows_read == 4


# --------------------------------------------------------------------------- limits


def test_a_file_over_the_size_cap_is_refused_before_it_is_read() -> None:
    assert MAX_BYTES == 20 * 1024 * 1024
    message = refusal(b"\xff" * (MAX_BYTES + 1))  # not even UTF-8: the size comes first
    assert "more than the 20.0 MB a file may have" in message
    assert "split it" in message


def test_a_file_at_the_size_cap_is_read() -> None:
    row = b"00456001;2026-04-01T08:30:00Z;1\n"
    data = row + b" " * (MAX_BYTES - len(row))
    assert parse_smart_csv(data).rows_read == 1


def test_a_file_over_the_row_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert smart_csv.MAX_ROWS == 200_000
    monkeypatch.setattr(smart_csv, "MAX_ROWS", 3)
    header = "meter;timestamp;value\n"
    rows = [f"00456001;2026-04-01T0{hour}:00:00Z;{hour}\n" for hour in range(4)]
    assert parse(header + "".join(rows[:3])).rows_read == 3  # the cap itself is fine
    message = refusal((header + "".join(rows)).encode())
    assert "more than 3 rows" in message
    assert "line 5 is row 4" in message


def test_progress_is_reported_for_every_row() -> None:
    calls: list[int] = []
    text = "".join(f"00456001;2026-04-01T08:{i % 60:02d}:00Z;{i}\n" for i in range(2500))
    parse_smart_csv(text.encode(), calls.append)
    assert sum(calls) == 2500
    assert len(calls) == 3


# --------------------------------------------------------------------------- the rules

NOW = dt.datetime(2026, 4, 2, 12, 0, tzinfo=UTC)
INSTALLED = dt.date(2022, 10, 3)
SMART = MeterFacts("smart", removed=False, installed_on=INSTALLED)
METERS: Mapping[str, MeterFacts] = {"00456001": SMART, "00456002": SMART}


def at(hour: int, minute: int = 0, day: int = 1) -> dt.datetime:
    return dt.datetime(2026, 4, day, hour, minute, tzinfo=UTC)


def row(line: int, moment: dt.datetime, value: str, meter: str = "00456001") -> SmartRow:
    return SmartRow(line, meter, moment, smart_csv.local_day(moment), Decimal(value))


def stored(moment: dt.datetime, value: str, current: bool = True) -> StoredReading:
    return StoredReading(smart_csv.local_day(moment), moment, Decimal(value), current)


def plan(
    rows: Sequence[SmartRow],
    history: Sequence[StoredReading] = (),
    meters: Mapping[str, MeterFacts] = METERS,
) -> ImportPlan:
    return plan_import(rows, meters, {"00456001": history}, NOW)


def error_lines(result: ImportPlan) -> list[int]:
    return [error.line for error in result.errors]


def test_rows_in_order_are_all_new() -> None:
    rows = [row(1, at(8), "10"), row(2, at(9), "10"), row(3, at(10), "11.5")]
    result = plan(rows, [stored(at(7), "9")])
    assert result.errors == ()
    assert result.new == tuple(rows)
    assert (result.already_stored, result.repeated) == (0, 0)


def test_an_unknown_meter_is_named_once_with_its_lines() -> None:
    rows = [row(2, at(8), "1", "99999999"), row(5, at(9), "2", "99999999"), row(6, at(9), "1")]
    result = plan(rows)
    assert result.errors == (RowError(
        2, "there is no meter with the number '99999999' (the file has 2 rows for it, also line 5)"
    ),)
    assert result.new == (rows[2],)


@pytest.mark.parametrize(
    ("facts", "words"),
    [
        (MeterFacts("cold_water", False, INSTALLED), "is not a smart meter (it is a cold water"),
        (MeterFacts("garden_sub_meter", False, INSTALLED), "is not a smart meter"),
        (MeterFacts("smart", True, INSTALLED), "has been removed"),
    ],
)
def test_only_active_smart_meters_take_readings(facts: MeterFacts, words: str) -> None:
    result = plan([row(3, at(8), "1")], meters={"00456001": facts})
    assert error_lines(result) == [3]
    assert words in result.errors[0].message
    assert result.new == ()


def test_a_reading_before_the_installation_is_an_error() -> None:
    installed = MeterFacts("smart", False, dt.date(2026, 4, 1))
    rows = [row(1, dt.datetime(2026, 3, 31, 20, 59, tzinfo=UTC), "1"),  # 23:59 in Tallinn
            row(2, dt.datetime(2026, 3, 31, 21, 0, tzinfo=UTC), "1")]  # 00:00 on the day
    result = plan(rows, meters={"00456001": installed})
    assert error_lines(result) == [1]
    assert "is before meter 00456001 was installed on 2026-04-01" in result.errors[0].message


def test_a_reading_in_the_future_is_an_error() -> None:
    rows = [row(1, NOW + dt.timedelta(minutes=5), "1"), row(2, NOW + dt.timedelta(hours=1), "2")]
    result = plan(rows)
    assert error_lines(result) == [2]
    assert "is in the future" in result.errors[0].message


def test_the_same_row_twice_is_counted_once() -> None:
    result = plan([row(1, at(8), "10"), row(4, at(8), "10.000")])
    assert result.errors == ()
    assert [r.line for r in result.new] == [1]
    assert result.repeated == 1


def test_one_moment_with_two_values_in_the_file_names_both_lines() -> None:
    result = plan([row(2, at(8), "10"), row(7, at(8), "11")])
    assert result.errors == (RowError(
        7, "meter 00456001 at 2026-04-01T08:00:00Z has value 11 here but 10 on line 2"
    ),)


def test_the_same_moment_on_two_meters_is_no_duplicate() -> None:
    result = plan([row(1, at(8), "10"), row(2, at(8), "11", "00456002")])
    assert result.errors == ()
    assert len(result.new) == 2


def test_a_reading_stored_with_the_same_value_is_skipped() -> None:
    result = plan([row(1, at(8), "10"), row(2, at(9), "11")], [stored(at(8), "10.000")])
    assert result.errors == ()
    assert [r.line for r in result.new] == [2]
    assert result.already_stored == 1


def test_a_reading_stored_before_and_corrected_by_staff_is_skipped() -> None:
    history = [stored(at(8), "10", current=False), stored(at(8), "10.5")]
    result = plan([row(1, at(8), "10")], history)
    assert result.errors == ()
    assert (result.new, result.already_stored) == ((), 1)


def test_a_reading_stored_with_another_value_is_an_error_not_an_overwrite() -> None:
    result = plan([row(3, at(8), "12")], [stored(at(8), "10")])
    assert error_lines(result) == [3]
    assert "is already stored with value 10, the file says 12" in result.errors[0].message
    assert "never changes a stored reading" in result.errors[0].message
    assert result.new == ()


def test_values_going_down_within_the_file_are_an_error() -> None:
    # Out of order in the file: on the meter's time line 9:00 (line 1) follows 8:00 (line 2).
    result = plan([row(1, at(9), "9"), row(2, at(8), "10"), row(3, at(10), "10")])
    assert result.errors == (RowError(1, (
        "meter 00456001: value 9 at 2026-04-01T09:00:00Z is lower than 10 at "
        "2026-04-01T08:00:00Z on line 2; a cumulative value cannot go down"
    )),)


def test_equal_values_are_not_going_down() -> None:
    assert plan([row(1, at(8), "10"), row(2, at(9), "10")], [stored(at(7), "10")]).errors == ()


def test_a_row_below_the_stored_reading_before_it_is_an_error() -> None:
    result = plan([row(4, at(9), "9.999")], [stored(at(8), "10"), stored(at(12), "20")])
    assert result.errors == (RowError(4, (
        "meter 00456001: value 9.999 at 2026-04-01T09:00:00Z is lower than the stored reading "
        "10 at 2026-04-01T08:00:00Z; a cumulative value cannot go down"
    )),)


def test_a_row_above_the_stored_reading_after_it_is_an_error() -> None:
    result = plan([row(4, at(9), "20.001")], [stored(at(8), "10"), stored(at(12), "20")])
    assert error_lines(result) == [4]
    assert "is higher than the stored reading 20 at 2026-04-01T12:00:00Z, which is later" in (
        result.errors[0].message
    )


def test_a_row_between_its_stored_neighbours_is_new() -> None:
    result = plan([row(4, at(9, 30), "15")], [stored(at(8), "10"), stored(at(12), "20")])
    assert result.errors == ()
    assert len(result.new) == 1


def test_a_replaced_stored_reading_is_no_neighbour() -> None:
    history = [stored(at(8), "30", current=False), stored(at(8), "10")]
    assert plan([row(1, at(9), "15")], history).errors == ()


def test_a_stored_day_reading_stands_at_the_end_of_its_day() -> None:
    day_reading = StoredReading(dt.date(2026, 4, 1), None, Decimal("50"), True)
    late_evening = row(1, dt.datetime(2026, 4, 1, 20, 0, tzinfo=UTC), "60")  # 23:00 in Tallinn
    next_morning = row(2, dt.datetime(2026, 4, 1, 21, 30, tzinfo=UTC), "40")  # 00:30 next day
    result = plan([late_evening, next_morning], [day_reading])
    assert [str(error) for error in result.errors] == [
        "line 1: meter 00456001: value 60 at 2026-04-01T20:00:00Z is higher than the stored "
        "reading 50 at the end of 2026-04-01, which is later; a cumulative value cannot go down",
        "line 2: meter 00456001: value 40 at 2026-04-01T21:30:00Z is lower than the stored "
        "reading 50 at the end of 2026-04-01; a cumulative value cannot go down",
    ]


def test_stored_readings_going_down_are_not_blamed_on_the_file() -> None:
    history = [stored(at(8), "20"), stored(at(9), "10")]
    assert plan([row(1, at(12), "30")], history).errors == ()


def test_errors_come_sorted_by_line() -> None:
    rows = [row(9, at(8), "1", "99999999"), row(3, at(8), "10"), row(5, at(9), "1")]
    assert error_lines(plan(rows)) == [5, 9]

"""Reading an uploaded readings CSV (ITB 1.2.1), rule by rule, with no app or database."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.domain.csv_readings import (
    MAX_BYTES,
    MAX_ROWS,
    CsvRefused,
    CsvRejection,
    CsvRow,
    ParsedCsv,
    RefusalReason,
    RowProblem,
    parse_readings_csv,
    template_csv,
)

BOM = b"\xef\xbb\xbf"


def parse(text: str, encoding: str = "utf-8") -> ParsedCsv:
    return parse_readings_csv(text.encode(encoding))


def refusal(data: bytes) -> RefusalReason:
    with pytest.raises(CsvRefused) as caught:
        parse_readings_csv(data)
    return caught.value.reason


def only_row(parsed: ParsedCsv) -> CsvRow:
    assert parsed.rejected == ()
    assert len(parsed.rows) == 1
    return parsed.rows[0]


def only_rejection(parsed: ParsedCsv) -> CsvRejection:
    assert len(parsed.rejected) == 1
    return parsed.rejected[0]


# Delimiters


def test_semicolon_delimited_file_is_read() -> None:
    parsed = parse("1001;12,5\r\n1002;13\r\n")
    assert parsed.delimiter == ";"
    assert [(r.meter_number, r.reading) for r in parsed.rows] == [("1001", "12,5"), ("1002", "13")]


def test_comma_delimited_file_is_read() -> None:
    parsed = parse("1001,12.5\r\n1002,13\r\n")
    assert parsed.delimiter == ","
    assert [(r.meter_number, r.reading) for r in parsed.rows] == [("1001", "12.5"), ("1002", "13")]


def test_semicolon_is_preferred_when_both_appear() -> None:
    parsed = parse("1001;12,5;31.01.2026\r\n")
    assert parsed.delimiter == ";"
    assert only_row(parsed).reading == "12,5"


def test_delimiter_inside_quotes_does_not_count_for_detection() -> None:
    parsed = parse('"10;01",5\r\n')
    assert parsed.delimiter == ","
    assert only_row(parsed).meter_number == "10;01"


def test_tab_delimited_file_is_read_even_with_decimal_commas() -> None:
    parsed = parse("1001\t12,5\r\n1002\t13\r\n")
    assert parsed.delimiter == "\t"
    assert [r.reading for r in parsed.rows] == ["12,5", "13"]


# Encodings


def test_utf8_with_bom_does_not_leak_into_the_first_cell() -> None:
    parsed = parse_readings_csv(BOM + b"00123;5\r\n")
    assert parsed.encoding == "utf-8"
    assert only_row(parsed) == CsvRow(line=1, meter_number="00123", reading="5", day=None)


def test_utf8_with_bom_still_finds_the_header() -> None:
    parsed = parse_readings_csv(BOM + "Arvesti nr;Näit\r\n00123;5\r\n".encode())
    assert parsed.had_header
    assert only_row(parsed).line == 2


def test_utf8_without_bom_keeps_estonian_letters() -> None:
    parsed = parse("Kõrts-1;5\r\n")
    assert parsed.encoding == "utf-8"
    assert only_row(parsed).meter_number == "Kõrts-1"


def test_windows_1257_file_is_decoded() -> None:
    parsed = parse("Arvesti;Näit\r\nKõrts Šiži 1;5\r\n", encoding="cp1257")
    assert parsed.encoding == "cp1257"
    assert parsed.had_header
    assert only_row(parsed).meter_number == "Kõrts Šiži 1"


def test_bom_in_front_of_windows_1257_bytes_is_dropped() -> None:
    parsed = parse_readings_csv(BOM + "Kõrts;5\r\n".encode("cp1257"))
    assert parsed.encoding == "cp1257"
    assert only_row(parsed).meter_number == "Kõrts"


# Readings stay raw


def test_decimal_comma_is_kept_raw_with_semicolons() -> None:
    assert only_row(parse("1001;1234,567\r\n")).reading == "1234,567"


def test_quoted_decimal_comma_is_kept_raw_with_commas() -> None:
    assert only_row(parse('1001,"1234,567"\r\n')).reading == "1234,567"


def test_reading_is_not_validated_as_a_number() -> None:
    parsed = parse("1001;5\r\n1002;abc\r\n")
    assert [r.reading for r in parsed.rows] == ["5", "abc"]


# Header


@pytest.mark.parametrize(
    "header",
    [
        "meter;reading",
        "Arvesti;Näit",
        "Arvesti nr;Näit;Kuupäev",
        "Счётчик;Показание;Дата",
        "meter_number;reading;date",
        "Meter;Reading;;;",
    ],
)
def test_header_is_detected_by_a_non_numeric_second_cell(header: str) -> None:
    parsed = parse(f"{header}\r\n1001;5\r\n")
    assert parsed.had_header
    assert only_row(parsed) == CsvRow(line=2, meter_number="1001", reading="5", day=None)


@pytest.mark.parametrize("first", ["1001;5", "AB1001;5", "AB1001;1 234,5", "1001;abc"])
def test_first_row_with_numeric_reading_or_no_letters_in_meter_is_data(first: str) -> None:
    parsed = parse(f"{first}\r\n1002;6\r\n")
    assert not parsed.had_header
    assert [r.line for r in parsed.rows] == [1, 2]


def test_header_is_the_first_non_empty_row_after_empty_lines() -> None:
    parsed = parse("\r\n;;\r\nmeter;reading\r\n1001;5\r\n")
    assert parsed.had_header
    assert only_row(parsed).line == 4


def test_only_the_first_row_can_be_a_header() -> None:
    parsed = parse("1001;5\r\nmeter;reading\r\n")
    assert not parsed.had_header
    assert [(r.meter_number, r.reading) for r in parsed.rows] == [
        ("1001", "5"),
        ("meter", "reading"),
    ]


# Dates


@pytest.mark.parametrize(
    ("cell", "day"),
    [
        ("31.01.2026", dt.date(2026, 1, 31)),
        ("1.2.2026", dt.date(2026, 2, 1)),
        ("2026-01-31", dt.date(2026, 1, 31)),
        ("  29.02.2024 ", dt.date(2024, 2, 29)),
    ],
)
def test_date_is_read_in_estonian_and_iso_form(cell: str, day: dt.date) -> None:
    assert only_row(parse(f"1001;5;{cell}\r\n")).day == day


@pytest.mark.parametrize("text", ["1001;5\r\n", "1001;5;\r\n", "1001;5; \r\n", "1001;5;;;\r\n"])
def test_missing_or_empty_date_is_none(text: str) -> None:
    assert only_row(parse(text)).day is None


@pytest.mark.parametrize(
    "cell",
    [
        "31.02.2026",
        "32.01.2026",
        "29.02.2025",
        "2026/01/31",
        "31-01-2026",
        "31.01.26",
        "2026-1-31",
        "eile",
        "0000-01-01",
        "31.01.2026 12:00",
    ],
)
def test_bad_date_is_rejected_with_its_line(cell: str) -> None:
    parsed = parse(f"meter;reading;date\r\n1001;5;31.01.2026\r\n1002;6;{cell}\r\n")
    assert [r.meter_number for r in parsed.rows] == ["1001"]
    assert only_rejection(parsed) == CsvRejection(
        line=3, meter_number="1002", problem=RowProblem.BAD_DATE
    )


# Empty rows and line numbers


def test_empty_rows_are_skipped_and_still_counted_as_lines() -> None:
    parsed = parse("meter;reading\r\n\r\n1001;5\r\n;;\r\n   \r\n1002;6\r\n\r\n")
    assert parsed.rejected == ()
    assert [(r.line, r.meter_number) for r in parsed.rows] == [(3, "1001"), (6, "1002")]


@pytest.mark.parametrize("ending", ["\r\n", "\n", "\r"])
def test_every_line_ending_counts_one_line(ending: str) -> None:
    parsed = parse(ending.join(["meter;reading", "1001;5", "", "1002;6", ""]))
    assert [r.line for r in parsed.rows] == [2, 4]


def test_a_quoted_cell_over_several_lines_keeps_later_line_numbers_right() -> None:
    parsed = parse('meter;reading\r\n"10\r\n01";5\r\n1002;6\r\n1003;"7\n"\r\n1004;8\r\n')
    assert [(r.line, r.meter_number) for r in parsed.rows] == [
        (2, "10\r\n01"),
        (4, "1002"),
        (5, "1003"),
        (7, "1004"),
    ]


def test_trailing_empty_cells_from_a_spreadsheet_are_ignored() -> None:
    assert only_row(parse("1001;5;31.01.2026;;;;\r\n")).day == dt.date(2026, 1, 31)


# Meter numbers


def test_leading_zeros_of_a_meter_number_are_kept() -> None:
    assert only_row(parse("00123;5\r\n")).meter_number == "00123"


def test_meter_number_loses_surrounding_spaces_and_one_leading_apostrophe() -> None:
    parsed = parse("  '00123 ;5\r\n''9;6\r\n")
    assert [r.meter_number for r in parsed.rows] == ["00123", "'9"]


def test_duplicate_meter_is_rejected_and_the_first_kept() -> None:
    parsed = parse("ab-1;5\r\n1002;6\r\n AB-1 ;7\r\n'ab-1;8\r\n")
    assert [(r.meter_number, r.reading) for r in parsed.rows] == [("ab-1", "5"), ("1002", "6")]
    assert parsed.rejected == (
        CsvRejection(line=3, meter_number="AB-1", problem=RowProblem.DUPLICATE),
        CsvRejection(line=4, meter_number="ab-1", problem=RowProblem.DUPLICATE),
    )


def test_a_rejected_row_does_not_make_a_later_one_a_duplicate() -> None:
    parsed = parse("1001;5;32.01.2026\r\n1001;6;31.01.2026\r\n")
    assert parsed.rejected == (CsvRejection(1, "1001", RowProblem.BAD_DATE),)
    assert parsed.rows == (CsvRow(2, "1001", "6", dt.date(2026, 1, 31)),)


# Rejected rows


@pytest.mark.parametrize("row", [";5", "  ;5", "';5", '"";5'])
def test_row_without_meter_number_is_rejected(row: str) -> None:
    parsed = parse(f"1000;1\r\n{row}\r\n")
    assert only_rejection(parsed) == CsvRejection(2, "", RowProblem.MISSING_METER)


@pytest.mark.parametrize("row", ["1001", "1001;", "1001; ;31.01.2026", '1001;""'])
def test_row_without_reading_is_rejected(row: str) -> None:
    parsed = parse(f"1000;1\r\n{row}\r\n")
    assert only_rejection(parsed) == CsvRejection(2, "1001", RowProblem.MISSING_READING)


@pytest.mark.parametrize("row", ["1001;5;31.01.2026;x", "1001;5;;x"])
def test_row_with_a_fourth_filled_cell_is_rejected(row: str) -> None:
    parsed = parse(f"1000;1\r\n{row}\r\n")
    assert only_rejection(parsed) == CsvRejection(2, "1001", RowProblem.TOO_MANY_COLUMNS)


# Files refused as a whole


def test_file_over_the_limit_is_refused_as_too_large() -> None:
    assert refusal(b"1;2\n" + b" " * (MAX_BYTES - 3)) is RefusalReason.TOO_LARGE


def test_file_exactly_at_the_limit_is_read() -> None:
    data = b"1;2\n" + b" " * (MAX_BYTES - 4)
    assert len(data) == MAX_BYTES
    assert only_row(parse_readings_csv(data)).meter_number == "1"


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
        b"1001;5\r\n1002\x00;6\r\n",
        b"1001;5\x1b[0m\r\n",
        b"1001;5\x0c\r\n",
        "1001;5\u0085\r\n".encode(),
        b"1001;\x81\r\n",  # neither UTF-8 nor Windows-1257
        "1;2\r\n".encode("utf-16"),
    ],
)
def test_binary_or_control_characters_are_refused_as_not_text(data: bytes) -> None:
    assert refusal(data) is RefusalReason.NOT_TEXT


@pytest.mark.parametrize("data", [b"", BOM, b"\r\n \r\n\t\n"])
def test_empty_file_is_refused_as_not_text(data: bytes) -> None:
    assert refusal(data) is RefusalReason.NOT_TEXT


def numbered_rows(count: int) -> bytes:
    return "".join(f"{n:06d};{n % 997},5;31.01.2026\r\n" for n in range(count)).encode()


def short_rows(count: int) -> bytes:
    """As many rows as MAX_ROWS + 1 still fit in MAX_BYTES."""
    return "".join(f"{n};{n % 10}\n" for n in range(count)).encode()


def test_more_than_max_rows_is_refused_as_too_many_rows() -> None:
    assert refusal(b"meter;reading\n" + short_rows(MAX_ROWS + 1)) is RefusalReason.TOO_MANY_ROWS


def test_max_rows_exactly_are_read() -> None:
    # Speed is measured by bench/bench_readings.py, not here.
    data = b"meter;reading\n" + short_rows(MAX_ROWS)
    parsed = parse_readings_csv(data)
    assert len(parsed.rows) == MAX_ROWS
    assert parsed.rows[-1].line == MAX_ROWS + 1


@pytest.mark.parametrize(
    "text", ["1001\r\n1002\r\n", "meter\r\n1001\r\n", "1001;;;\r\n;;;\r\n", "a|b\r\n1|2\r\n"]
)
def test_one_column_file_is_refused_as_no_columns(text: str) -> None:
    assert refusal(text.encode()) is RefusalReason.NO_COLUMNS


def test_quote_left_open_over_the_field_limit_is_refused_as_no_columns() -> None:
    data = b'1001;5\r\n1002;"6\r\n' + b"1003;7\r\n" * 20_000
    assert refusal(data) is RefusalReason.NO_COLUMNS


def test_refusal_carries_its_reason() -> None:
    error = CsvRefused(RefusalReason.TOO_LARGE)
    assert error.reason is RefusalReason.TOO_LARGE
    assert str(error) == "too_large"


# The template


def test_template_parses_back_to_its_two_example_rows() -> None:
    template = template_csv()
    assert template.startswith("meter_number;reading;date\r\n")
    parsed = parse_readings_csv(BOM + template.encode())
    assert parsed.had_header
    assert parsed.delimiter == ";"
    assert parsed.rejected == ()
    assert len(parsed.rows) == 2
    assert [r.line for r in parsed.rows] == [2, 3]


# Properties


def physical_lines(data: bytes) -> int:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.removeprefix(BOM).decode("cp1257")
    return len(io.StringIO(text, newline="").readlines())


def check_shape(parsed: ParsedCsv, data: bytes) -> None:
    assert parsed.encoding in {"utf-8", "cp1257"}
    assert parsed.delimiter in {";", ",", "\t"}
    lines = [r.line for r in parsed.rows] + [r.line for r in parsed.rejected]
    assert len(set(lines)) == len(lines)
    assert all(1 <= line <= physical_lines(data) for line in lines)
    meters = [r.meter_number.casefold() for r in parsed.rows]
    assert len(set(meters)) == len(meters)
    for row in parsed.rows:
        assert row.meter_number and row.meter_number == row.meter_number.strip()
        assert row.reading and row.reading == row.reading.strip()


def parse_or_refuse(data: bytes) -> None:
    try:
        parsed = parse_readings_csv(data)
    except CsvRefused:
        return
    check_shape(parsed, data)


@given(st.binary(max_size=2_000))
def test_any_bytes_give_a_preview_or_a_refusal(data: bytes) -> None:
    parse_or_refuse(data)


CSV_LIKE = st.text(alphabet=st.sampled_from(list("0123456789;,\t\"' .-\r\nabõäÕŠ")), max_size=300)


@given(CSV_LIKE, st.sampled_from(["utf-8", "utf-8-sig", "cp1257"]))
def test_any_csv_like_text_gives_a_preview_or_a_refusal(text: str, encoding: str) -> None:
    parse_or_refuse(text.encode(encoding))


METER = st.text(alphabet=st.sampled_from(list('0123456789abcõäöüšžABCÕÄÖÜŠŽ -/"')), min_size=1)
READING = st.builds(
    lambda whole, separator, fraction: f"{whole}{separator}{fraction}" if separator else str(whole),
    st.integers(0, 999_999),
    st.sampled_from(["", ".", ","]),
    st.integers(0, 999),
)
DAY = st.none() | st.dates(min_value=dt.date(1900, 1, 1))


@st.composite
def spreadsheet_exports(draw: st.DrawFn) -> tuple[bytes, str, bool, list[CsvRow]]:
    delimiter = draw(st.sampled_from([";", ","]))
    header = draw(st.booleans())
    ending = draw(st.sampled_from(["\r\n", "\n"]))
    meters = st.one_of(METER, st.just(f"1{delimiter}2")).map(str.strip).filter(bool)
    cells = draw(
        st.lists(
            st.tuples(meters, READING, DAY, st.sampled_from(["padded", "iso", "short"])),
            unique_by=lambda cell: cell[0].casefold(),
            min_size=1,
            max_size=20,
        )
    )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=ending)
    lines = 0
    if header:
        writer.writerow(["Arvesti nr", "Näit", "Kuupäev"])
        lines += 1
    expected = []
    for meter, reading, day, style in cells:
        for _ in range(draw(st.integers(0, 2))):
            out.write(ending)
            lines += 1
        writer.writerow([meter, reading, format_day(day, style)])
        lines += 1
        expected.append(CsvRow(lines, meter, reading, day))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1257"]))
    return out.getvalue().encode(encoding), delimiter, header, expected


def format_day(day: dt.date | None, style: str) -> str:
    if day is None:
        return ""
    if style == "iso":
        return day.isoformat()
    if style == "short":
        return f"{day.day}.{day.month}.{day.year}"
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


@given(spreadsheet_exports())
def test_what_a_spreadsheet_writes_is_read_back(
    export: tuple[bytes, str, bool, list[CsvRow]],
) -> None:
    data, delimiter, header, expected = export
    parsed = parse_readings_csv(data)
    assert parsed.delimiter == delimiter
    assert parsed.had_header == header
    assert parsed.rejected == ()
    assert list(parsed.rows) == expected

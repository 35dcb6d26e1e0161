"""The monthly use chart: an accessible SVG the CSP allows, escaped, the same every time."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from decimal import Decimal

import pytest
from markupsafe import Markup

from webapp.charts import MonthlyUse, Scale, monthly_use_chart, nice_scale

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & co'


def month_label(month: dt.date) -> str:
    return month.strftime("%m.%y")


def volume_label(volume: Decimal) -> str:
    assert isinstance(volume, Decimal), "volumes stay Decimal up to the formatter"
    return str(volume).replace(".", ",")


def months_from(start: dt.date, volumes: list[str | None]) -> list[MonthlyUse]:
    months = []
    year, month = start.year, start.month
    for volume in volumes:
        months.append(
            MonthlyUse(dt.date(year, month, 1), None if volume is None else Decimal(volume))
        )
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def chart(
    months: list[MonthlyUse],
    *,
    title: str = "Monthly use of meter 12345, m³",
    description: str = "Bar chart of the last months; the table below lists the same figures.",
    month_label: Callable[[dt.date], str] = month_label,
    volume_label: Callable[[Decimal], str] = volume_label,
    unknown_label: str = "no data",
    id_prefix: str = "chart",
) -> Markup:
    return monthly_use_chart(
        months,
        title=title,
        description=description,
        month_label=month_label,
        volume_label=volume_label,
        unknown_label=unknown_label,
        id_prefix=id_prefix,
    )


def parse(markup: Markup) -> ET.Element:
    return ET.fromstring(str(markup))  # noqa: S314  (our own output, not untrusted XML)


def bars(root: ET.Element, css_class: str) -> list[ET.Element]:
    return [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == css_class]


def bar_title(rect: ET.Element) -> str:
    title = rect.find(f"{SVG}title")
    assert title is not None
    return title.text or ""


def month_labels(root: ET.Element) -> list[str]:
    group = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "chart-bars")
    return [text.text or "" for text in group.iter(f"{SVG}text")]


YEAR = months_from(dt.date(2025, 1, 1), ["3", "6.5", None, "12.345", "0", None, "9", "1"])


def test_returns_markup_that_parses_as_svg() -> None:
    markup = chart(YEAR)
    assert isinstance(markup, Markup)
    root = parse(markup)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 720 280"
    assert root.get("width") == "100%"
    assert root.get("preserveAspectRatio") == "xMidYMid meet"


def test_is_an_image_labelled_by_its_title_and_description() -> None:
    root = parse(chart(YEAR))
    assert root.get("role") == "img"
    title_id, desc_id = (root.get("aria-labelledby") or "").split()
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None
    assert desc is not None
    assert title.get("id") == title_id
    assert desc.get("id") == desc_id
    assert title.text == "Monthly use of meter 12345, m³"
    assert desc.text is not None
    assert desc.text.startswith("Bar chart")


@pytest.mark.parametrize(
    ("id_prefix", "expected"),
    [
        ("use-12345", "use-12345"),
        ('meter "1"<x> & y', "meter1xy"),
        ("12345", "chart-12345"),
        ('"<>&', "chart"),
        ("", "chart"),
    ],
)
def test_ids_come_from_a_sanitised_prefix(id_prefix: str, expected: str) -> None:
    root = parse(chart(YEAR, id_prefix=id_prefix))
    assert root.get("aria-labelledby") == f"{expected}-title {expected}-desc"
    ids = [element.get("id") for element in root.iter() if element.get("id")]
    assert ids == [f"{expected}-title", f"{expected}-desc"]


def test_two_charts_on_one_page_have_different_ids() -> None:
    first = parse(chart(YEAR, id_prefix="meter-1"))
    second = parse(chart(YEAR, id_prefix="meter-2"))
    assert first.get("aria-labelledby") != second.get("aria-labelledby")


def test_one_bar_per_known_month_with_its_figure() -> None:
    root = parse(chart(YEAR))
    known = bars(root, "chart-bar")
    assert [bar_title(rect) for rect in known] == [
        "01.25: 3 m³",
        "02.25: 6,5 m³",
        "04.25: 12,345 m³",
        "05.25: 0 m³",
        "07.25: 9 m³",
        "08.25: 1 m³",
    ]
    assert all(rect.get("fill") == "#1f5f8b" for rect in known)


def test_unknown_months_get_a_dashed_outline() -> None:
    root = parse(chart(YEAR))
    unknown = bars(root, "chart-bar-unknown")
    assert [bar_title(rect) for rect in unknown] == ["03.25: no data", "06.25: no data"]
    for rect in unknown:
        assert rect.get("fill") == "none"
        assert rect.get("stroke-dasharray")
        assert float(rect.get("height") or 0) > 0


def test_bars_keep_the_given_order() -> None:
    root = parse(chart(YEAR))
    rects = [rect for rect in root.iter(f"{SVG}rect")]
    xs = [float(rect.get("x") or 0) for rect in rects]
    assert xs == sorted(xs)
    assert [bar_title(rect).split(":")[0] for rect in rects] == [
        month_label(entry.month) for entry in YEAR
    ]


def test_a_larger_volume_makes_a_taller_bar_on_the_same_baseline() -> None:
    root = parse(chart(months_from(dt.date(2025, 1, 1), ["4", "8", "2"])))
    heights = [float(rect.get("height") or 0) for rect in bars(root, "chart-bar")]
    assert heights[1] > heights[0] > heights[2] > 0
    bottoms = {
        round(float(rect.get("y") or 0) + float(rect.get("height") or 0), 2)
        for rect in bars(root, "chart-bar")
    }
    assert len(bottoms) == 1


def test_escapes_every_text_from_the_caller() -> None:
    markup = chart(
        months_from(dt.date(2025, 1, 1), ["1", None]),
        title=HOSTILE,
        description=HOSTILE,
        month_label=lambda month: f"<b>{month:%m}</b>",
        volume_label=lambda volume: f"{volume} & <i>",
        unknown_label="<em>none</em>",
    )
    assert "<script" not in markup
    assert "<b>" not in markup
    assert "<i>" not in markup
    assert "<em>" not in markup
    assert "&lt;script&gt;" in markup
    assert "&amp; co" in markup
    root = parse(markup)
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text == HOSTILE
    assert [bar_title(rect) for rect in root.iter(f"{SVG}rect")] == [
        "<b>01</b>: 1 & <i> m³",
        "<b>02</b>: <em>none</em>",
    ]


def test_a_caller_cannot_break_out_of_an_attribute() -> None:
    root = parse(chart(YEAR, id_prefix='x" onload="alert(1)'))
    assert root.get("onload") is None
    assert all(not name.startswith("on") for element in root.iter() for name in element.attrib)


def test_no_inline_styles_for_the_csp() -> None:
    markup = chart(YEAR)
    root = parse(markup)
    assert all(element.tag != f"{SVG}style" for element in root.iter())
    assert all("style" not in element.attrib for element in root.iter())
    assert "style" not in markup.replace("stroke-", "")
    assert "<script" not in markup


def test_text_follows_the_page_colour() -> None:
    root = parse(chart(YEAR))
    texts = list(root.iter(f"{SVG}text"))
    assert texts
    assert all(text.get("fill") == "currentColor" for text in texts)
    assert all(text.get("class") == "chart-label" for text in texts)


def test_axis_has_gridlines_from_zero_to_a_nice_maximum() -> None:
    root = parse(chart(months_from(dt.date(2025, 1, 1), ["12.3", "4"])))
    axis = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "chart-axis")
    assert len(axis.findall(f"{SVG}line")) == 6
    assert [text.text for text in axis.findall(f"{SVG}text")] == [
        "0",
        "2,5",
        "5",
        "7,5",
        "10",
        "12,5",
    ]


@pytest.mark.parametrize(
    ("largest", "step", "ticks"),
    [
        ("0", "0.2", 5),
        ("-3", "0.2", 5),
        ("1", "0.2", 5),
        ("3", "1", 4),
        ("6", "2", 4),
        ("10", "2", 5),
        ("10.1", "2.5", 5),
        ("12.3", "2.5", 5),
        ("0.004", "0.001", 4),
        ("999", "200", 5),
        ("1234567", "250000", 5),
    ],
)
def test_nice_scale(largest: str, step: str, ticks: int) -> None:
    scale = nice_scale(Decimal(largest))
    assert scale == Scale(step=Decimal(step), ticks=ticks)
    assert scale.top >= Decimal(largest)
    assert scale.values()[0] == 0
    assert scale.values()[-1] == scale.top


def test_tick_values_have_no_exponent() -> None:
    assert [str(value) for value in nice_scale(Decimal("999")).values()] == [
        "0",
        "200",
        "400",
        "600",
        "800",
        "1000",
    ]


@pytest.mark.parametrize(
    "volumes",
    [["0", "0", "0"], [None, None, None], ["0", None]],
    ids=["all-zero", "all-unknown", "zero-and-unknown"],
)
def test_nothing_to_scale_still_renders_with_an_axis_to_one(volumes: list[str | None]) -> None:
    root = parse(chart(months_from(dt.date(2025, 1, 1), volumes)))
    assert len(list(root.iter(f"{SVG}rect"))) == len(volumes)
    axis = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "chart-axis")
    assert [text.text for text in axis.findall(f"{SVG}text")][-1] == "1"
    assert all(float(rect.get("height") or 0) == 0 for rect in bars(root, "chart-bar"))


def test_a_negative_volume_is_drawn_as_zero() -> None:
    root = parse(chart(months_from(dt.date(2025, 1, 1), ["-5", "2"])))
    negative, positive = bars(root, "chart-bar")
    assert negative.get("height") == "0"
    assert bar_title(negative) == "01.25: 0 m³"
    assert float(positive.get("height") or 0) > 0


def test_a_volume_that_is_not_a_number_counts_as_unknown() -> None:
    months = [MonthlyUse(dt.date(2025, 1, 1), Decimal("NaN"))]
    root = parse(chart(months))
    assert [bar_title(rect) for rect in bars(root, "chart-bar-unknown")] == ["01.25: no data"]


def test_no_months_give_no_chart() -> None:
    markup = chart([])
    assert markup == Markup("")
    assert not markup


def test_twelve_months_label_every_bar() -> None:
    months = months_from(dt.date(2025, 1, 1), [str(i) for i in range(1, 13)])
    root = parse(chart(months))
    assert month_labels(root) == [month_label(entry.month) for entry in months]


def test_twenty_four_months_label_every_second_bar_but_title_every_bar() -> None:
    months = months_from(dt.date(2024, 2, 1), [str(i) for i in range(24)])
    root = parse(chart(months))
    assert len(list(root.iter(f"{SVG}rect"))) == 24
    assert all(bar_title(rect) for rect in root.iter(f"{SVG}rect"))
    labels = month_labels(root)
    assert len(labels) == 12
    assert labels == [month_label(entry.month) for entry in months[1::2]]
    assert labels[-1] == "01.26", "the latest month always has its label"


def test_thirty_six_months_label_every_third_bar() -> None:
    months = months_from(dt.date(2023, 1, 1), ["1"] * 36)
    labels = month_labels(parse(chart(months)))
    assert labels == [month_label(entry.month) for entry in months[2::3]]


def test_month_labels_do_not_crowd_each_other() -> None:
    months = months_from(dt.date(2024, 1, 1), ["1"] * 24)
    root = parse(chart(months))
    group = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "chart-bars")
    xs = [float(text.get("x") or 0) for text in group.iter(f"{SVG}text")]
    # "01.26" at font size 14 is about 40 units wide.
    assert min(b - a for a, b in itertools.pairwise(xs)) > 45


def test_coordinates_have_at_most_two_decimals() -> None:
    months = months_from(dt.date(2025, 1, 1), ["1.23456", "7", None, "3.3333333"] * 5)
    root = parse(chart(months))
    numeric = re.compile(r"-?\d+(\.\d{1,2})?")
    for element in root.iter():
        for name in ("x", "y", "x1", "y1", "x2", "y2", "width", "height"):
            value = element.get(name)
            if value is not None and element is not root:
                assert numeric.fullmatch(value), (element.tag, name, value)


def test_the_same_input_gives_the_same_output() -> None:
    months = months_from(dt.date(2024, 1, 1), ["1.5", None, "2", "0"] * 6)
    assert chart(months) == chart(list(months))
    assert chart(months, id_prefix="a") == chart(months, id_prefix="a")

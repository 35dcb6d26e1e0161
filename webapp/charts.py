"""Server-rendered SVG charts: no JavaScript, no inline styles (the CSP forbids them).

The chart is a picture for sighted readers; the page puts a table with the same
figures next to it, so the SVG is one ``role="img"`` with a title and a description.
Colours are presentation attributes and class names the portal's CSS may override.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup

WIDTH = 720
HEIGHT = 280
MARGIN_LEFT = 72  # room for the volume labels, which the caller formats
MARGIN_RIGHT = 12
MARGIN_TOP = 16
MARGIN_BOTTOM = 36  # room for the month labels
PLOT_WIDTH = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
PLOT_HEIGHT = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
BASELINE = MARGIN_TOP + PLOT_HEIGHT

BAR_COLOUR = "#1f5f8b"  # 6.9:1 against white, above WCAG's 3:1 for graphics
AXIS_COLOUR = "#595959"  # 7:1 against white
GRID_COLOUR = "#d9d9d9"  # decoration only: the labels carry the values
FONT_SIZE = 14  # still about 7 px when the chart shrinks to a 360 px phone
BAR_SHARE = Decimal("0.7")  # of a month's slot; the rest is the gap between bars
MAX_BAR_WIDTH = 48.0  # a few months should not look like a wall
UNKNOWN_HEIGHT = 24.0  # the unknown-month marker is short so it never reads as a figure
MAX_MONTH_LABELS = 12  # about 54 units per label: "01.26" at 14 px fits

NICE_MANTISSAS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5))
TICK_COUNTS = (5, 4)  # on a tie 5 gridlines win: 0, 2, 4 … reads better than 0, 2.5, 5 …

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class MonthlyUse:
    month: dt.date  # first day of the month
    volume: Decimal | None  # m³ used in that month; None = not known (no readings around it)


@dataclass(frozen=True)
class Scale:
    """The y axis: from 0 to ``top`` in ``ticks`` equal steps of ``step``."""

    step: Decimal
    ticks: int

    @property
    def top(self) -> Decimal:
        return self.step * self.ticks

    def values(self) -> list[Decimal]:
        return [_plain(self.step * i) for i in range(self.ticks + 1)]


def nice_scale(largest: Decimal) -> Scale:
    """The lowest axis top at or above ``largest`` made of 4 or 5 steps of 1, 2, 2.5 or 5 × 10ⁿ.

    Nothing to show (zero, negative) gets an axis from 0 to 1.
    """
    if not largest.is_finite() or largest <= 0:
        largest = Decimal(1)
    exponent = largest.adjusted()
    candidates = [
        Scale(step=mantissa.scaleb(power), ticks=ticks)
        for power in range(exponent - 2, exponent + 2)
        for mantissa in NICE_MANTISSAS
        for ticks in TICK_COUNTS
    ]
    return min(
        (scale for scale in candidates if scale.top >= largest),
        key=lambda scale: (scale.top, -scale.ticks),
    )


def monthly_use_chart(
    months: Sequence[MonthlyUse],
    *,
    title: str,
    description: str,
    month_label: Callable[[dt.date], str],
    volume_label: Callable[[Decimal], str],
    unknown_label: str,
    id_prefix: str = "chart",
    unit: str = "m³",
) -> Markup:
    """An inline SVG bar chart of ``months`` in the given order, or ``Markup("")`` for none.

    An empty chart says nothing the caller's table (or its "no readings" message)
    does not, so there is nothing to draw: templates can test ``{% if chart %}``.
    ``title``, ``description`` and ``unknown_label`` come translated; every text is
    escaped here. ``unit`` follows each bar's figure in its tooltip (m³, EUR).
    """
    if not months:
        return Markup("")
    prefix = _safe_id(id_prefix)
    title_id, desc_id = f"{prefix}-title", f"{prefix}-desc"
    volumes = [_known_volume(entry.volume) for entry in months]
    scale = nice_scale(
        max((volume for volume in volumes if volume is not None), default=Decimal(0))
    )

    parts = [
        *_svg_start("chart", title_id, title, desc_id, description),
        *_axis(scale, volume_label),
        *_bars(months, volumes, scale, month_label, volume_label, unknown_label, unit),
        Markup("</svg>"),
    ]
    return Markup("").join(parts)

def _svg_start(css_class: str, title_id: str, title: str, desc_id: str,
               description: str) -> list[Markup]:
    """The opening of a chart: one image named by its title and description."""
    return [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" role="img"'
            ' viewBox="0 0 {width} {height}" width="100%"'
            ' preserveAspectRatio="xMidYMid meet" aria-labelledby="{title_id} {desc_id}">'
        ).format(css_class=css_class, width=WIDTH, height=HEIGHT, title_id=title_id,
                 desc_id=desc_id),
        Markup('<title id="{}">{}</title>').format(title_id, title),
        Markup('<desc id="{}">{}</desc>').format(desc_id, description),
    ]


def _axis(scale: Scale, volume_label: Callable[[Decimal], str]) -> list[Markup]:
    parts = [Markup('<g class="chart-axis">')]
    for index, value in enumerate(scale.values()):
        y = BASELINE - PLOT_HEIGHT * index / scale.ticks
        parts.append(
            Markup('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>').format(
                _num(MARGIN_LEFT),
                _num(y),
                _num(WIDTH - MARGIN_RIGHT),
                _num(y),
                AXIS_COLOUR if index == 0 else GRID_COLOUR,
            )
        )
        parts.append(
            Markup(
                '<text class="chart-label" x="{}" y="{}" fill="currentColor" font-size="{}"'
                ' text-anchor="end">{}</text>'
            ).format(
                _num(MARGIN_LEFT - 8),
                _num(y + FONT_SIZE * 0.35),
                FONT_SIZE,
                volume_label(value),
            )
        )
    parts.append(Markup("</g>"))
    return parts


def _bars(
    months: Sequence[MonthlyUse],
    volumes: Sequence[Decimal | None],
    scale: Scale,
    month_label: Callable[[dt.date], str],
    volume_label: Callable[[Decimal], str],
    unknown_label: str,
    unit: str = "m³",
) -> list[Markup]:
    slot = PLOT_WIDTH / len(months)
    bar_width = min(slot * float(BAR_SHARE), MAX_BAR_WIDTH)
    # More than 12 months: label every 2nd, 3rd … month, counted back from the
    # latest so the month people look for always has its label.
    label_every = -(-len(months) // MAX_MONTH_LABELS)
    parts = [Markup('<g class="chart-bars">')]
    for index, (entry, volume) in enumerate(zip(months, volumes, strict=True)):
        centre = MARGIN_LEFT + slot * (index + 0.5)
        x = _num(centre - bar_width / 2)
        month = month_label(entry.month)
        if volume is None:
            parts.append(
                Markup(
                    '<rect class="chart-bar-unknown" x="{}" y="{}" width="{}" height="{}"'
                    ' fill="none" stroke="{}" stroke-width="1.5" stroke-dasharray="4 3">'
                    "<title>{}: {}</title></rect>"
                ).format(
                    x,
                    _num(BASELINE - UNKNOWN_HEIGHT),
                    _num(bar_width),
                    _num(UNKNOWN_HEIGHT),
                    AXIS_COLOUR,
                    month,
                    unknown_label,
                )
            )
        else:
            height = PLOT_HEIGHT * float(volume / scale.top)
            parts.append(
                Markup(
                    '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: {} {}</title></rect>"
                ).format(
                    x,
                    _num(BASELINE - height),
                    _num(bar_width),
                    _num(height),
                    BAR_COLOUR,
                    month,
                    volume_label(volume),
                    unit,
                )
            )
        if (len(months) - 1 - index) % label_every == 0:
            parts.append(
                Markup(
                    '<text class="chart-label" x="{}" y="{}" fill="currentColor" font-size="{}"'
                    ' text-anchor="middle">{}</text>'
                ).format(_num(centre), _num(BASELINE + FONT_SIZE + 6), FONT_SIZE, month)
            )
    parts.append(Markup("</g>"))
    return parts


def _known_volume(volume: Decimal | None) -> Decimal | None:
    """None stays unknown (so do NaN and infinities); a negative use cannot happen, so 0."""
    if volume is None or not volume.is_finite():
        return None
    return max(volume, Decimal(0))


def _plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros or an exponent: 2500, not 2.50E+3, for the formatter."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _num(value: float) -> str:
    """A coordinate with at most 2 decimals and no trailing zeros: the same input, the same text."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _safe_id(prefix: str) -> str:
    cleaned = _ID_UNSAFE.sub("", prefix)
    if not cleaned:
        return "chart"
    return cleaned if cleaned[0].isalpha() else f"chart-{cleaned}"


# --------------------------------------------------------------------------- grouped bars

SERIES_COLOURS = ("#1f5f8b", "#b35900")  # blue 6.9:1, orange 4.6:1 against white
MAX_GROUPED_BAR_WIDTH = 40.0


@dataclass(frozen=True)
class Series:
    """One bar in every category: its name (the legend) and its values, in order."""

    name: str
    values: tuple[Decimal, ...]


def grouped_bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    description: str,
    value_label: Callable[[Decimal], str],
    unit: str,
    id_prefix: str = "chart",
) -> Markup:
    """An inline SVG of side-by-side bars (one per series) for each category, with a
    legend; ``Markup("")`` for nothing to draw. Texts come translated; all escaped here.
    Negative values are drawn as 0: the caller's table says the figure. The bars are
    ``chart-series-N``, not ``chart-bar``, whose one colour the portal's CSS sets."""
    if not categories or not series:
        return Markup("")
    prefix = _safe_id(id_prefix)
    title_id, desc_id = f"{prefix}-title", f"{prefix}-desc"
    values = [[max(value, Decimal(0)) if value.is_finite() else Decimal(0)
               for value in entry.values] for entry in series]
    scale = nice_scale(max((value for row in values for value in row), default=Decimal(0)))
    parts = [
        *_svg_start("chart chart--grouped", title_id, title, desc_id, description),
        *_axis(scale, value_label),
        *_grouped_bars(categories, series, values, scale, value_label, unit),
        *_legend(series),
        Markup("</svg>"),
    ]
    return Markup("").join(parts)


def _grouped_bars(categories: Sequence[str], series: Sequence[Series],
                  values: Sequence[Sequence[Decimal]], scale: Scale,
                  value_label: Callable[[Decimal], str], unit: str) -> list[Markup]:
    slot = PLOT_WIDTH / len(categories)
    bar_width = min(slot * float(BAR_SHARE) / len(series), MAX_GROUPED_BAR_WIDTH)
    parts = [Markup('<g class="chart-bars">')]
    for index, category in enumerate(categories):
        centre = MARGIN_LEFT + slot * (index + 0.5)
        left = centre - bar_width * len(series) / 2
        for number, entry in enumerate(series):
            value = values[number][index]
            height = PLOT_HEIGHT * float(value / scale.top)
            parts.append(Markup(
                '<rect class="chart-series chart-series-{}" x="{}" y="{}" width="{}" height="{}"'
                ' fill="{}"><title>{}, {}: {} {}</title></rect>'
            ).format(number + 1, _num(left + bar_width * number), _num(BASELINE - height),
                     _num(bar_width), _num(height), SERIES_COLOURS[number % len(SERIES_COLOURS)],
                     category, entry.name, value_label(entry.values[index]), unit))
        parts.append(Markup(
            '<text class="chart-label" x="{}" y="{}" fill="currentColor" font-size="{}"'
            ' text-anchor="middle">{}</text>'
        ).format(_num(centre), _num(BASELINE + FONT_SIZE + 6), FONT_SIZE, category))
    parts.append(Markup("</g>"))
    return parts


def _legend(series: Sequence[Series]) -> list[Markup]:
    """Above the plot, left to right: the top margin holds one line."""
    parts = [Markup('<g class="chart-legend">')]
    x = float(MARGIN_LEFT)
    for number, entry in enumerate(series):
        parts.append(Markup(
            '<rect x="{}" y="{}" width="12" height="12" fill="{}"/>'
            '<text class="chart-label" x="{}" y="{}" fill="currentColor" font-size="{}">{}</text>'
        ).format(_num(x), "1", SERIES_COLOURS[number % len(SERIES_COLOURS)],
                 _num(x + 18), "12", FONT_SIZE, entry.name))
        x += 18 + FONT_SIZE * 0.6 * len(entry.name) + 24
    parts.append(Markup("</g>"))
    return parts

"""The words of the what-if report, in the reader's language: problems with a
proposal, the bands of change, and the chart."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from webapp.charts import Series, grouped_bar_chart
from webapp.domain.rule_sets import Method, RuleSet, Window
from webapp.domain.what_if import MAX_CAP_M3, Band
from webapp.i18n import format_money, format_volume
from webapp.services.what_if import WhatIfReport

BAND_NAMES = {
    Band.LOSS_OVER_50: _l("Lose more than 50 EUR"),
    Band.LOSS_10_50: _l("Lose 10 to 50 EUR"),
    Band.LOSS_UP_TO_10: _l("Lose up to 10 EUR"),
    Band.GAIN_UP_TO_10: _l("Gain up to 10 EUR"),
    Band.GAIN_10_50: _l("Gain 10 to 50 EUR"),
    Band.GAIN_OVER_50: _l("Gain more than 50 EUR"),
    Band.NEWLY_ELIGIBLE: _l("Newly eligible"),
    Band.NO_LONGER_ELIGIBLE: _l("No longer eligible"),
}


def problem_text(code: str) -> str:
    texts = {
        "cap_range": _("A cap is from 0 to %(max)s m³.", max=MAX_CAP_M3),
        "not_a_day": _("This day is not in every year."),
        "not_month_start": _("A period starts on the first day of a month."),
        "not_month_end": _("A period ends on the last day of a month."),
        "watering_wraps": _("The watering period lies within one calendar year: it ends "
                            "after it starts."),
        "no_method": _("Allow at least one method."),
        "winter_needed": _("Method A compares with the winter: give the winter period."),
    }
    return str(texts.get(code, code))


def what_if_chart(report: WhatIfReport, id_prefix: str = "what-if-chart") -> Markup:
    """EUR refunded now and as proposed, by method and in all."""
    impact = report.impact
    categories = [_("Method %(method)s", method=method.value)
                  for method, _before, _after in impact.by_method]
    before = [totals.refund_eur for _method, totals, _after in impact.by_method]
    after = [totals.refund_eur for _method, _before, totals in impact.by_method]
    categories.append(_("All"))
    before.append(impact.baseline.refund_eur)
    after.append(impact.changed.refund_eur)
    return grouped_bar_chart(
        categories,
        [Series(_("Now"), tuple(before)), Series(_("As proposed"), tuple(after))],
        title=_("Refunds in the %(season)s season, now and as proposed", season=report.season),
        description=_("EUR refunded now: %(before)s; as proposed: %(after)s; difference "
                      "%(difference)s. The table gives every figure.",
                      before=format_money(impact.baseline.refund_eur),
                      after=format_money(impact.changed.refund_eur),
                      difference=format_money(impact.difference.refund_eur)),
        value_label=format_money,
        unit="EUR",
        id_prefix=id_prefix,
    )


def cap_text(rule_set: RuleSet, method: str) -> str:
    """A cap as written (30, 40,5), or a dash for none."""
    cap = rule_set.caps.get(Method(method))
    if cap is None:
        return "–"
    exponent = cap.m3.as_tuple().exponent
    return format_volume(cap.m3, max(0, -exponent) if isinstance(exponent, int) else 0)


def window_text(window: Window | None) -> str:
    """01.06.–31.08., or a dash for none."""
    if window is None:
        return "–"
    return (f"{window.start.day:02d}.{window.start.month:02d}.–"
            f"{window.end.day:02d}.{window.end.month:02d}.")

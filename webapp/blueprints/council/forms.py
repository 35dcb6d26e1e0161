"""The what-if form: sent with GET, so that a report can be linked and put in the
council's papers; it changes nothing, so it has no CSRF token."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from webapp.domain.rule_sets import Method, MonthDay
from webapp.domain.what_if import Proposal
from webapp.forms.common import CheckboxesField

_DAY = re.compile(r"\s*(\d{1,2})\.(\d{1,2})\.?\s*")
_NUMBER = re.compile(r"\s*\d{1,6}(?:[.,]\d{1,3})?\s*")
METHOD_NAMES = {Method.A: _l("A: the season difference (main meter)"),
                Method.B: _l("B: the garden sub-meter")}


def parse_cap(text: str | None) -> Decimal | None:
    """"40" or "40,5" as a Decimal; None for nothing (no cap)."""
    if text is None or not text.strip():
        return None
    if not _NUMBER.fullmatch(text):
        raise ValueError(text)
    try:
        return Decimal(text.strip().replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(text) from None


def parse_day(text: str | None) -> MonthDay | None:
    """"01.06" as the 1st of June (no year: a window recurs every year)."""
    match = _DAY.fullmatch(text or "")
    if match is None:
        return None
    return MonthDay(int(match[2]), int(match[1]))


def _cap_valid(_form: Any, field: Field) -> None:
    try:
        parse_cap(field.data)
    except ValueError:
        raise ValidationError(_l("Enter cubic metres as a number, e.g. 40 or 40,5.")) from None


def _day_valid(_form: Any, field: Field) -> None:
    if field.data and field.data.strip() and parse_day(field.data) is None:
        raise ValidationError(_l("Enter a day and month as DD.MM, e.g. 01.06."))


def _day_required(_form: Any, field: Field) -> None:
    if not (field.data or "").strip():
        raise ValidationError(_l("Enter a day and month as DD.MM, e.g. 01.06."))


class WhatIfForm(FlaskForm):
    class Meta:
        csrf = False

    rule_set = SelectField(_l("Rule set"), choices=[])
    cap_A = StringField(_l("Cap for method A (m³ a season)"),
                        validators=[Length(max=12), _cap_valid],
                        render_kw={"inputmode": "decimal", "autocomplete": "off"})
    cap_B = StringField(_l("Cap for method B (m³ a season)"),
                        validators=[Length(max=12), _cap_valid],
                        render_kw={"inputmode": "decimal", "autocomplete": "off"})
    watering_start = StringField(_l("Watering period from"),
                                 validators=[Length(max=10), _day_required, _day_valid])
    watering_end = StringField(_l("Watering period to"),
                               validators=[Length(max=10), _day_required, _day_valid])
    winter_start = StringField(_l("Winter period from"), validators=[Length(max=10), _day_valid])
    winter_end = StringField(_l("Winter period to"), validators=[Length(max=10), _day_valid])
    methods = CheckboxesField(_l("Allowed methods"),
                              choices=[SelectChoice(method.value, METHOD_NAMES[method])
                                       for method in Method])

    def proposal(self) -> Proposal:
        """What the validated form proposes: every field, caps left empty meaning none."""
        caps = []
        for method, field in ((Method.A, self.cap_A), (Method.B, self.cap_B)):
            cap = parse_cap(field.data)
            if cap is not None:
                caps.append((method, cap))
        return Proposal(
            caps=tuple(caps),
            watering_window=_window(self.watering_start.data, self.watering_end.data),
            winter_window=_window(self.winter_start.data, self.winter_end.data),
            methods=tuple(Method(value) for value in self.methods.data or ()),
        )


def _window(start: str | None, end: str | None) -> tuple[MonthDay, MonthDay] | None:
    first, last = parse_day(start), parse_day(end)
    return None if first is None or last is None else (first, last)


def form_data(proposal: Proposal, rule_set_id: str) -> dict[str, Any]:
    """The form's values for ``proposal`` (the rule set's own, as defaults)."""
    caps = dict(proposal.caps or ())
    watering = proposal.watering_window
    winter = proposal.winter_window
    return {
        "rule_set": rule_set_id,
        "cap_A": _number(caps.get(Method.A)),
        "cap_B": _number(caps.get(Method.B)),
        "watering_start": _day(watering[0]) if watering else "",
        "watering_end": _day(watering[1]) if watering else "",
        "winter_start": _day(winter[0]) if winter else "",
        "winter_end": _day(winter[1]) if winter else "",
        "methods": [method.value for method in proposal.methods or ()],
    }


def _number(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f").replace(".", ",")


def _day(day: MonthDay) -> str:
    return f"{day.day:02d}.{day.month:02d}"

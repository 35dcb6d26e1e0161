"""The notice of an interruption of water supply or sewerage for works (KEE §13(3)-(4)).

Planned works are announced at least five calendar days ahead (KEE §13(3)); emergency
works are not bound by that term. An interruption of over one day obliges the utility
to supply water at homes in another way, so the notice says where (KEE §13(4)).

Each affected site gets a notice of its own, addressed to its customer; the notices
sent in one action share a ``batch_key`` (``webapp.services.interruptions``). Staff
do not start one from the list of acts (``listed=False``), and a notice is not signed
(``signed=False``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, StringField
from wtforms.validators import InputRequired, Length, Regexp

from webapp.domain import notices as rules
from webapp.domain.acts_compensation import ActsError
from webapp.forms.common import clean_line
from webapp.models import ActKind, OfficialDocument
from webapp.services.access import today_in_tallinn
from webapp.services.act_kinds import common
from webapp.services.acts import ActError, KindSpec, form_data, register

TALLINN = ZoneInfo("Europe/Tallinn")
MOMENT_FORMAT = "%Y-%m-%dT%H:%M"
# The fields of the notice itself (a page that sends it may add its own).
NOTICE_FIELDS = ("area", "works", "starts_at", "ends_at", "planned", "temporary_supply",
                 "contact_phone")


def _moment_field(label: Any) -> DateTimeLocalField:
    return DateTimeLocalField(label, format=MOMENT_FORMAT, validators=[
        InputRequired(_l("Give the date and time."))])


class InterruptionNoticeForm(FlaskForm):
    area = common.text_field(_l("Area: the streets or houses without water or sewerage"),
                             rows=2)
    works = common.text_field(_l("The works"), rows=3)
    starts_at = _moment_field(_l("Starts (date and time, Tallinn)"))
    ends_at = _moment_field(_l("Ends (date and time, Tallinn)"))
    planned = BooleanField(_l("Planned works (emergency works are not bound by the "
                              "five days' notice, KEE §13(3))"), default=True)
    temporary_supply = common.text_field(
        _l("Where water is supplied meanwhile (required when the interruption lasts "
           "over one day, KEE §13(4))"), required=False, rows=2)
    contact_phone = StringField(_l("Contact phone"), filters=[clean_line], validators=[
        InputRequired(_l("Give a phone number.")), Length(max=40),
        Regexp(r"^\+?[0-9 ()-]{5,40}$", message=_l("Give a phone number, e.g. +372 453 3000."))],
        render_kw={"inputmode": "tel", "autocomplete": "off"})

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        try:
            check(notice_data(self), today_in_tallinn())
        except ActError as refused:
            target = self._fields.get(refused.field or "") or self.starts_at
            target.errors = [*target.errors, refused.message]
            return False
        return True


def notice_data(form: FlaskForm) -> dict[str, Any]:
    """What the notice states, from a form that holds its fields (and perhaps others)."""
    data = form_data(form)
    return {name: data.get(name) for name in NOTICE_FIELDS}


def moment(data: Mapping[str, Any], name: str) -> dt.datetime:
    """A time staff entered (Tallinn local time) as an aware time in Tallinn."""
    value = data.get(name)
    if value in (None, ""):
        raise ActError(str(_l("Give the date and time.")), name)
    try:
        local = dt.datetime.strptime(str(value)[:16], MOMENT_FORMAT)
    except ValueError:
        raise ActError(str(_l("Give the date and time.")), name) from None
    return local.replace(tzinfo=TALLINN)


def shown(value: dt.datetime) -> str:
    """Estonian date and time, e.g. 07.12.2026 08:00."""
    return value.strftime("%d.%m.%Y %H:%M")


def check(data: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """The notice's facts checked (``ActError`` beside the field at fault) and what it
    states: the times as shown, whether temporary supply is required."""
    start, end = moment(data, "starts_at"), moment(data, "ends_at")
    if end <= start:
        raise ActError(str(_l("The end must be after the start.")), "ends_at")
    if data.get("planned"):
        # KEE §13(3): planned works are announced at least five calendar days ahead.
        try:
            rules.check_planned_notice(today, start.date())
        except ActsError:
            earliest = rules.earliest_planned_start(today)
            raise ActError(str(_l(
                "Planned works must be announced at least five calendar days ahead "
                "(KEE §13(3)): announced today, they may start on %(day)s at the earliest.",
                day=earliest.strftime("%d.%m.%Y"))), "starts_at") from None
    # KEE §13(4): over one day, elapsed time (in UTC, so a change of clocks counts right).
    try:
        long = rules.needs_temporary_supply(start.astimezone(dt.UTC), end.astimezone(dt.UTC))
    except ActsError:  # pragma: no cover - the end was checked above
        raise ActError(str(_l("The end must be after the start.")), "ends_at") from None
    if long and not (data.get("temporary_supply") or "").strip():
        raise ActError(str(_l("The interruption lasts over one day: say where water is "
                              "supplied meanwhile (KEE §13(4)).")), "temporary_supply")
    return {"starts": shown(start), "ends": shown(end), "planned": bool(data.get("planned")),
            "temporary_supply_required": long}


def compute(doc: OfficialDocument, data: Mapping[str, Any]) -> dict[str, Any]:
    return check(data, today_in_tallinn())


SPEC = register(KindSpec(
    kind=ActKind.INTERRUPTION_NOTICE, prefix="KAT",
    title=_l("Notice of an interruption of water supply or sewerage"),
    clauses=("KEE §13(3)", "KEE §13(4)"),
    form=InterruptionNoticeForm, compute=compute, listed=False, signed=False))

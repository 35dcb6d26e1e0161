"""The written warning of closure for an unpaid invoice (KEE §43(2); closure under
§12(1)-(2)).

The warning may be sent once five working days after the invoice's due date have
passed (``notices.closure_warning_earliest``); the closure it announces must come
after it (``notices.closure_date_ok``: §12(1) sets no notice period). The invoice
must be issued and still unpaid on the day the warning is issued: ``acts.issue``
computes again that day, so an invoice paid after the draft was made is refused
then, and nothing is numbered.

The sum owed is the invoice's open amount and the late interest (KEE §41(3)) accrued
on it up to the warning's day and not yet charged on a later invoice, computed by the
billing run's own rule (``billing_run._owed`` and ``_late_interest``: part payments,
interest already charged, a waiver), not again here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField
from wtforms.validators import InputRequired

from webapp.domain import notices
from webapp.domain.billing import BillingError
from webapp.domain.deadlines import deadline_set_for
from webapp.extensions import db
from webapp.models import (
    ActKind,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    OfficialDocument,
    Utility,
)
from webapp.services import billing_run
from webapp.services.access import today_in_tallinn
from webapp.services.act_kinds import common
from webapp.services.acts import ActError, KindSpec, register
from webapp.services.customer_invoices import display_status

_ONE_DAY = dt.timedelta(days=1)


class ClosureWarningForm(FlaskForm):
    invoice_id = SelectField(_l("Unpaid invoice"), choices=[],
                             validators=[InputRequired(_l("Choose the invoice."))])
    closure_on = common.day_field(_l("Supply to be closed on, unless paid before"))
    notes = common.text_field(_l("Notes"), required=False, rows=3)


def _day(value: dt.date) -> str:
    return value.strftime("%d.%m.%Y")


def accrued_interest(invoice: Invoice, until: dt.date) -> Decimal:
    """KEE §41(3): the late interest on ``invoice`` up to ``until`` not yet charged on a
    later invoice, by the billing run's rule; 0 where it is waived."""
    owed = next((item for items in billing_run._owed([invoice.contract_id], until + _ONE_DAY)
                 .values() for item in items if item.id == invoice.id), None)
    utility = db.session.scalar(select(Utility).order_by(Utility.id).limit(1))
    if owed is None or utility is None:
        return Decimal("0.00")
    cap = deadline_set_for(until).percentage("late_interest_cap").percent
    # The billing run adds interest to a bill; its contract is not read by the rule.
    bill = billing_run._Bill(cast(Any, None))
    try:
        billing_run._late_interest(bill, owed, until, utility, cap)
    except BillingError:
        raise ActError(_("The late interest rate is above the cap of KEE §41(3); correct "
                         "the utility's settings."), "invoice_id") from None
    return bill.interest


def compute(doc: OfficialDocument, data: Mapping[str, Any]) -> dict[str, Any]:
    today = today_in_tallinn()  # the warning's day: the day of issue
    invoice = db.session.get(Invoice, doc.invoice_id) if doc.invoice_id else None
    if invoice is None or invoice.customer_id != doc.customer_id or invoice.number is None:
        raise ActError(_("Choose the invoice."), "invoice_id")
    if invoice.kind is not InvoiceKind.INVOICE or invoice.status is not InvoiceStatus.ISSUED \
            or invoice.open_amount <= 0 or invoice.due_date is None:
        # KEE §43(2): only an invoice left unpaid by its due date
        raise ActError(_("Invoice %(number)s is not unpaid (it is %(status)s): no warning of "
                         "closure can be sent for it.", number=invoice.number,
                         status=_status_name(invoice, today)), "invoice_id")
    earliest = notices.closure_warning_earliest(invoice.due_date)
    if display_status(invoice, today) != "overdue" or today < earliest:
        # KEE §43(2): "viie tööpäeva möödudes"
        raise ActError(_("A warning of closure for invoice %(number)s may be sent from "
                         "%(day)s, once five working days after its due date %(due)s have "
                         "passed (KEE §43(2)).", number=invoice.number, day=_day(earliest),
                         due=_day(invoice.due_date)), "invoice_id")
    closure_on = common.required_day(data, "closure_on")
    if not notices.closure_date_ok(today, closure_on):
        # KEE §43(2), §12(1): the closure follows the written warning
        raise ActError(_("The closure must come after the warning: on %(day)s or later "
                         "(KEE §12(1)).", day=_day(today + _ONE_DAY)), "closure_on")
    interest = accrued_interest(invoice, today)
    open_amount = invoice.open_amount
    return {
        "invoice": {"number": invoice.number, "issued_on": _iso(invoice.issued_on),
                    "due_date": invoice.due_date.isoformat(),
                    "period_start": invoice.period_start.isoformat(),
                    "period_end": invoice.period_end.isoformat(),
                    "payable": str(invoice.payable), "paid_amount": str(invoice.paid_amount),
                    "open_amount": str(open_amount),
                    "reference_number": invoice.reference_number or ""},
        "earliest": earliest.isoformat(), "warning_on": today.isoformat(),
        "closure_on": closure_on.isoformat(), "interest": str(interest),
        "interest_until": today.isoformat(), "total": str(open_amount + interest),
    }


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _status_name(invoice: Invoice, today: dt.date) -> str:
    names = {"paid": _("paid"), "cancelled": _("cancelled"), "draft": _("a draft"),
             "credit_note": _("a credit note"), "issued": _("not yet due"),
             "overdue": _("overdue")}
    status = display_status(invoice, today)
    return names.get(status, status)


SPEC = register(KindSpec(
    kind=ActKind.CLOSURE_WARNING, prefix="HOI",
    title=_l("Warning of closure of water supply and sewerage"),
    clauses=("KEE §43(2)", "KEE §12(1)-(2)", "KEE §41(2)-(3)"),
    form=ClosureWarningForm, compute=compute, needs_invoice=True))

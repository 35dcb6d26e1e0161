"""The words for billing's codes, in the reader's language: invoice statuses, line
kinds and where a quantity came from (with its clause). Templates get them as
``invoice_status_names``, ``line_kind_names`` and ``use_source_names``."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from webapp.models import InvoiceStatus, LineKind, UseSource

INVOICE_STATUS_NAMES = {
    InvoiceStatus.DRAFT: _l("draft"),
    InvoiceStatus.ISSUED: _l("unpaid"),
    InvoiceStatus.PAID: _l("paid"),
    InvoiceStatus.CANCELLED: _l("cancelled"),
}

LINE_KIND_NAMES = {
    LineKind.WATER: _l("Water"),
    LineKind.SEWER: _l("Sewer"),
    LineKind.FIXED_FEE: _l("Monthly fixed fee"),
    LineKind.LATE_INTEREST: _l("Late interest (KEE §41(3))"),
    LineKind.CLOSURE_FEE: _l("Closing the supply (KEE §6(2))"),
    LineKind.REOPENING_FEE: _l("Reopening the supply (KEE §6(2))"),
    LineKind.CREDIT: _l("Credit"),
}

USE_SOURCE_NAMES = {
    UseSource.READINGS: _l("from readings"),
    UseSource.INTERPOLATED: _l("the month's end interpolated between readings"),
    UseSource.ESTIMATED: _l("estimated from the average daily use of the last 12 months; "
                            "the next reading corrects it"),
    UseSource.FAILED_METER: _l("meter failure: the average daily use of the three calendar "
                               "months before it was found (KEE §38(1))"),
    UseSource.RESIDENTS: _l("no meter: residents × the average use per resident (KEE §42)"),
}


def template_names() -> dict[str, Any]:
    return {"invoice_status_names": INVOICE_STATUS_NAMES, "line_kind_names": LINE_KIND_NAMES,
            "use_source_names": USE_SOURCE_NAMES}

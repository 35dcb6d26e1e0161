"""The draft service contract as a PDF (KEE §5(3)), in the customer's language with the
Estonian text, which is the binding one, after it when the customer reads another."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from pdf.render import render_pdf
from webapp.domain.deadlines import load_deadlines
from webapp.extensions import db
from webapp.models import (
    ContractApplication,
    ContractEvent,
    Meter,
    PollutionGroup,
    Price,
    PriceKind,
    ServiceContract,
    Utility,
)
from webapp.models.enums import VOLUME_PRICE_KINDS

BINDING_LANGUAGE = "et"


def volume_prices(utility: Utility | None, day: dt.date,
            group: PollutionGroup | None) -> dict[str, Price]:
    """The water and sewer prices per m³ in force on ``day``; the sewer price of the
    wastewater's pollution group where it has one of its own (KEE §4(3), §22(1))."""
    if utility is None:
        return {}
    found = {}
    for kind in VOLUME_PRICE_KINDS:
        variants = ["", (group or PollutionGroup.I).value] if kind is PriceKind.SEWER else [""]
        price = db.session.scalar(
            select(Price).where(Price.utility_id == utility.id, Price.kind == kind,
                                Price.variant.in_(variants), Price.valid_from <= day,
                                (Price.valid_until.is_(None)) | (Price.valid_until >= day))
            .order_by(Price.variant.desc(), Price.valid_from.desc()).limit(1))
        if price is not None:
            found[kind.value] = price
    return found


def _context(application: ContractApplication) -> dict[str, Any]:
    utility = db.session.scalar(select(Utility).order_by(Utility.id).limit(1))
    start = application.start_date or dt.date.today()
    meters = []
    if application.site is not None:
        meters = list(db.session.scalars(select(Meter).where(
            Meter.site_id == application.site.id).order_by(Meter.number)))
    return {
        "application": application, "utility": utility,
        "utility_name": utility.name if utility else "",
        "site": application.site, "meters": meters,
        "prices": volume_prices(utility, start, application.pollution_group),
        "act": load_deadlines().act,
        "customer_name": application.company.name if application.company
        else application.applicant.full_name,
        "customer_code": application.company.registry_code if application.company
        else application.applicant.personal_code,
    }


def draft_contract_pdf(application: ContractApplication) -> bytes:
    return bilingual_pdf(
        "pdf/contract_draft.html", "pdf/_contract_body.html",
        customer_language(application.applicant.locale), lambda: _title(application),
        application.draft_number, application.draft_sent_at, _context(application))


def customer_language(locale: str | None) -> str:
    return locale if locale in ("et", "en", "ru") else BINDING_LANGUAGE


def bilingual_pdf(template: str, body: str, lang: str, title: Callable[[], str],
                   number: str | None, created: dt.datetime | None,
                   context: dict[str, Any]) -> bytes:
    """The document in the customer's language; when that is not Estonian, the
    Estonian body follows, the binding text."""
    binding = binding_title = None
    if lang != BINDING_LANGUAGE:
        with force_locale(BINDING_LANGUAGE):
            # Our own template, escaped as it renders: safe to place as it is.
            binding = Markup(render_template(body, **context, lang=BINDING_LANGUAGE))  # noqa: S704
            binding_title = title()
    with force_locale(lang):
        shown_title = title()
    return render_pdf(template, lang=lang, title=shown_title, document_number=number,
                      created=created, binding_body=binding, binding_title=binding_title,
                      **context)


def _title(application: ContractApplication) -> str:
    return _("Service contract %(number)s (draft)", number=application.draft_number)


def termination_notice_pdf(contract: ServiceContract, event: ContractEvent) -> bytes:
    """KEE §6(4): the written notice of the utility's termination (§6(3)), in the
    customer's language with the Estonian text, the binding one, after it."""
    from webapp.services.contracts import GROUND_NAMES

    customer = contract.customer
    lang = customer_language(customer.locale)
    utility = db.session.scalar(select(Utility).order_by(Utility.id).limit(1))
    context: dict[str, Any] = {
        "contract": contract, "event": event, "customer": customer, "utility": utility,
        "utility_name": utility.name if utility else "", "act": load_deadlines().act,
        "ground_names": GROUND_NAMES,
    }
    return bilingual_pdf("pdf/termination_notice.html", "pdf/_termination_body.html",
                          lang, lambda: _notice_title(contract),
                          f"{contract.number}-L{event.id}", event.occurred_at, context)


def _notice_title(contract: ServiceContract) -> str:
    return _("Notice of the termination of service contract %(number)s",
             number=contract.number)

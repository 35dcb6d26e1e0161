"""Official acts and notices (issue 9): drafts, previews, issuing, the archive, and the
check of a printed act's number and hash.

Each kind of document is a ``KindSpec`` in ``KINDS`` (``webapp/services/act_kinds/``):
its number prefix, title, clauses, form, and the computation that turns what staff
entered (``data``) into what the act states (``result``). Everything else is the
same for every kind:

- a draft is edited and previewed (the act's body as HTML, and the PDF marked as a
  draft); nothing of it is shown to the customer;
- ``issue`` computes the result again from the data as they stand that day, takes
  the next number of the kind and year (``numbering``: no gaps, no duplicates), renders
  the PDF once in the customer's language with the binding Estonian text after it,
  stores it with its SHA-256, and tells the customer (portal and e-mail); the row is
  locked first, so the same draft is never issued twice;
- an issued document never changes (the model refuses it); ``correct`` starts a new
  draft that names the one it corrects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import Select, or_, select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, DateTimeLocalField, SelectMultipleField

from webapp.domain.permissions import Action, Actor, can
from webapp.extensions import db
from webapp.models import (
    ActAttachment,
    ActKind,
    ActStatus,
    Customer,
    Invoice,
    Meter,
    OfficialDocument,
    Person,
    ServiceContract,
    Site,
    StoredFile,
    Utility,
    contract_site,
)
from webapp.models.base import utcnow
from webapp.services import audit, notifications, numbering, uploads
from webapp.services.access import contract_in_force, today_in_tallinn
from webapp.services.contract_documents import bilingual_pdf, customer_language

NUMBER_PATTERN = re.compile(r"^[A-Z]{3}-\d{4}-\d{5}$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
PHOTO_MAX_BYTES = 10 * uploads.MEGABYTE
PHOTOS_MAX = 12
ACT_PDF_MAX_BYTES = 50 * uploads.MEGABYTE


class ActError(ValueError):
    """What staff must change before a draft can be issued; ``field`` names the form
    field it belongs beside, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class AlreadyIssued(ActError):
    """The draft was issued already (by this person a moment ago, or another)."""


Compute = Callable[["OfficialDocument", Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class KindSpec:
    kind: ActKind
    prefix: str  # the number's series: three capitals, e.g. OMU
    title: Any  # a lazy_gettext string
    clauses: tuple[str, ...]
    form: type[FlaskForm]
    compute: Compute
    # Which of the document's links its form fills in: meter, invoice.
    needs_meter: bool = False
    needs_invoice: bool = False
    photos: bool = False
    # Staff make it from the list of acts (not only through another page).
    listed: bool = True
    # Signed by both sides on the spot (an act); a notice is not.
    signed: bool = True
    # Called in the issuing transaction, after the number is given.
    on_issue: Callable[[OfficialDocument], None] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def body_template(self) -> str:
        return f"pdf/acts/_{self.kind.value}.html"


KINDS: dict[ActKind, KindSpec] = {}


def register(spec: KindSpec) -> KindSpec:
    if spec.kind in KINDS:
        raise RuntimeError(f"act kind registered twice: {spec.kind}")
    if not re.fullmatch(r"[A-Z]{3}", spec.prefix):
        raise RuntimeError(f"an act's prefix is three capitals: {spec.prefix!r}")
    KINDS[spec.kind] = spec
    return spec


def spec_of(kind: ActKind) -> KindSpec:
    from webapp.services import act_kinds  # noqa: F401  (registers every kind)

    return KINDS[kind]


def all_specs() -> list[KindSpec]:
    from webapp.services import act_kinds  # noqa: F401

    return [KINDS[kind] for kind in ActKind if kind in KINDS]


# --------------------------------------------------------------------------- form data


def form_data(form: FlaskForm) -> dict[str, Any]:
    """The form's typed values as JSON: dates as ISO text, decimals as text."""
    data: dict[str, Any] = {}
    for name, form_field in form._fields.items():
        if name in ("csrf_token", "submit") or form_field.type in ("SubmitField", "CSRFTokenField"):
            continue
        data[name] = _plain(form_field.data)
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat(timespec="minutes") if isinstance(value, dt.datetime) \
            else value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def formdata_of(form_class: type[FlaskForm], data: Mapping[str, Any]) -> MultiDict[str, str]:
    """What a browser would send to show ``data`` in the form again."""
    sent: MultiDict[str, str] = MultiDict()
    fields = form_class(formdata=None, meta={"csrf": False})._fields
    for name, value in data.items():
        form_field = fields.get(name)
        if form_field is None or value is None:
            continue
        if isinstance(form_field, BooleanField):
            if value:
                sent.add(name, "y")
        elif isinstance(form_field, SelectMultipleField):
            for item in value:
                sent.add(name, str(item))
        elif isinstance(form_field, DateTimeLocalField):
            sent.add(name, str(value)[:16])
        else:
            sent.add(name, str(value))
    return sent


def form_for(doc: OfficialDocument, formdata: Any = None) -> FlaskForm:
    """The draft's form: what was sent, or what is stored."""
    spec = spec_of(doc.kind)
    if formdata is None and doc.data:
        formdata = formdata_of(spec.form, doc.data)
    # A new draft (no data yet) shows the form's defaults.
    form = spec.form(formdata=formdata)
    _prepare(form, doc)
    return form


def _prepare(form: FlaskForm, doc: OfficialDocument) -> None:
    """Choices that depend on the document: the site's meters, the customer's invoices."""
    if "meter_id" in form:
        meters = db.session.scalars(select(Meter).where(Meter.site_id == doc.site_id)
                                    .order_by(Meter.number)) if doc.site_id else []
        form["meter_id"].choices = [("", _("Choose a meter")),
                                    *((str(meter.id), meter.number) for meter in meters)]
    if "invoice_id" in form:
        invoices = db.session.scalars(select(Invoice).where(
            Invoice.customer_id == doc.customer_id, Invoice.number.is_not(None))
            .order_by(Invoice.issued_on.desc())) if doc.customer_id else []
        form["invoice_id"].choices = [("", _("Choose an invoice")),
                                      *((str(invoice.id), invoice.number or "")
                                        for invoice in invoices)]


# --------------------------------------------------------------------------- drafts


def holder_of(site: Site, on: dt.date) -> Customer | None:
    """The customer whose contract in force on ``on`` holds the site (the lowest id
    where, exceptionally, there are several)."""
    return db.session.scalar(
        select(Customer).join(ServiceContract, ServiceContract.customer_id == Customer.id)
        .join(contract_site, contract_site.c.contract_id == ServiceContract.id)
        .where(contract_site.c.site_id == site.id, contract_in_force(on))
        .order_by(Customer.id).limit(1))


def create_draft(kind: ActKind, site: Site | None, person: Person | None, *,
                 customer: Customer | None = None, data: Mapping[str, Any] | None = None,
                 corrects: OfficialDocument | None = None, today: dt.date | None = None,
                 acting_as: str = "clerk") -> OfficialDocument:
    """A new draft of ``kind`` for ``site`` (addressed to the site's customer)."""
    today = today or today_in_tallinn()
    if customer is None and site is not None:
        customer = holder_of(site, today)
    doc = OfficialDocument(
        kind=kind, status=ActStatus.DRAFT, site=site, customer=customer,
        language=customer_language(customer.locale if customer else None),
        data=dict(data or {}), created_by=person, corrects=corrects)
    if corrects is not None:
        doc.meter_id, doc.invoice_id = corrects.meter_id, corrects.invoice_id
    db.session.add(doc)
    db.session.flush()
    audit.record("act_draft_created", "official_document", doc.id, acting_as=acting_as,
                 after={"kind": kind.value, "site_id": site.id if site else None,
                        "corrects": corrects.number if corrects else None})
    return doc


def update_draft(doc: OfficialDocument, form: FlaskForm) -> None:
    """Keep what the form holds; the links (meter, invoice) follow its choices."""
    _refuse_issued(doc)
    data = form_data(form)
    spec = spec_of(doc.kind)
    if spec.needs_meter:
        doc.meter_id = _linked(Meter, data.get("meter_id"), Meter.site_id == doc.site_id)
    if spec.needs_invoice:
        doc.invoice_id = _linked(Invoice, data.get("invoice_id"),
                                 Invoice.customer_id == doc.customer_id)
    doc.data = data
    doc.updated_at = utcnow()


def _linked(model: Any, value: Any, belongs: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        wanted = int(value)
    except (TypeError, ValueError):
        return None
    found: int | None = db.session.scalar(select(model.id).where(model.id == wanted, belongs))
    return found


def compute(doc: OfficialDocument) -> dict[str, Any]:
    """What the act states, computed from its data (``ActError`` names what is missing)."""
    return spec_of(doc.kind).compute(doc, doc.data)


def discard(doc: OfficialDocument, acting_as: str) -> None:
    _refuse_issued(doc)
    audit.record("act_draft_discarded", "official_document", doc.id, acting_as=acting_as,
                 before={"kind": doc.kind.value})
    db.session.delete(doc)


def _refuse_issued(doc: OfficialDocument) -> None:
    if doc.is_issued:
        raise AlreadyIssued(_("This act was issued as %(number)s and cannot change. "
                              "Make a correction instead.", number=doc.number))


def correct(doc: OfficialDocument, person: Person, acting_as: str) -> OfficialDocument:
    """A new draft with the same data, naming the issued act it corrects."""
    if not doc.is_issued:
        raise ActError(_("Only an issued act can be corrected; change the draft itself."))
    return create_draft(doc.kind, doc.site, person, customer=doc.customer, data=doc.data,
                        corrects=doc, acting_as=acting_as)


# --------------------------------------------------------------------------- photos


def attach_photo(doc: OfficialDocument, stream: IO[bytes], name: str | None, caption: str,
                 person: Person) -> ActAttachment:
    """A photo of the findings (checked by its content: JPEG or PNG)."""
    _refuse_issued(doc)
    if not spec_of(doc.kind).photos:
        raise ActError(_("This kind of act has no photos."), "photo")
    if len(doc.attachments) >= PHOTOS_MAX:
        raise ActError(_("An act holds at most %(count)s photos.", count=PHOTOS_MAX), "photo")
    try:
        checked = uploads.check_upload(stream, name, PHOTO_MAX_BYTES, (uploads.JPEG, uploads.PNG))
    except uploads.UploadRefused as refused:
        raise ActError(refused.message, "photo") from None
    stored = uploads.store(checked, person.id)
    if any(item.file.sha256 == stored.sha256 for item in doc.attachments):
        raise ActError(_("This photo is attached already."), "photo")
    attachment = ActAttachment(document=doc, file=stored, caption=caption[:200])
    db.session.add(attachment)
    return attachment


def remove_photo(doc: OfficialDocument, attachment_id: int) -> None:
    _refuse_issued(doc)
    for item in doc.attachments:
        if item.id == attachment_id:
            doc.attachments.remove(item)
            return
    raise ActError(_("No such photo."))


# --------------------------------------------------------------------------- rendering


def _utility() -> Utility | None:
    return db.session.scalar(select(Utility).order_by(Utility.id).limit(1))


def context_of(doc: OfficialDocument, result: Mapping[str, Any] | None) -> dict[str, Any]:
    spec = spec_of(doc.kind)
    utility = _utility()
    return {
        "doc": doc, "spec": spec, "data": doc.data, "result": result or {},
        "site": doc.site, "customer": doc.customer, "meter": doc.meter,
        "invoice": doc.invoice, "utility": utility,
        "utility_name": utility.name if utility else "",
        "customer_name": customer_name(doc.customer),
        "photos": [(item, uploads.read(item.file)) for item in doc.attachments]
        if spec.photos else [],
        # ``issue`` renders after numbering, before the status changes: a number = issued
        "draft": not doc.is_issued and doc.number is None, "today": today_in_tallinn(),
    }


def customer_name(customer: Customer | None) -> str:
    if customer is None:
        return ""
    if customer.company is not None:
        return customer.company.name
    return customer.person.full_name if customer.person else ""


def title_of(doc: OfficialDocument) -> str:
    return str(spec_of(doc.kind).title)


def body_html(doc: OfficialDocument, result: Mapping[str, Any] | None, lang: str) -> str:
    """The act's body as HTML in ``lang``: the htmx preview shows the same text as the PDF."""
    with force_locale(lang):
        # Our own template, escaped as it renders: safe to place in the page as it is.
        return Markup(render_template(spec_of(doc.kind).body_template,  # noqa: S704
                                      **context_of(doc, result), lang=lang))


def render(doc: OfficialDocument, result: Mapping[str, Any] | None,
           created: dt.datetime | None = None) -> bytes:
    """The act as a PDF/A-3b, in its language with the binding Estonian text after it."""
    spec = spec_of(doc.kind)
    context = context_of(doc, result)
    # The photos are embedded as portal-upload:<sha256>; the PDF's fetcher serves
    # only these (pdf.fetcher), the HTML preview links the photo route instead.
    context["in_pdf"] = True
    context["uploads"] = {item.file.sha256: data for item, data in context["photos"]}
    return bilingual_pdf("pdf/act.html", spec.body_template, doc.language,
                         lambda: title_of(doc), doc.number, created or doc.issued_at,
                         context)


def preview_pdf(doc: OfficialDocument) -> bytes:
    """A draft's PDF, marked as a draft and without a number; an issued act's stored one."""
    if doc.is_issued and doc.pdf_file is not None:
        return uploads.read(doc.pdf_file)
    try:
        result = compute(doc)
    except ActError:
        result = None
    return render(doc, result, created=utcnow())


# --------------------------------------------------------------------------- issuing


def issue(doc_id: int, person: Person, acting_as: str, today: dt.date | None = None,
          notify: bool = True) -> OfficialDocument:
    """Issue the draft: number, PDF, hash, and the customer told. The caller commits.

    The row is read again under a lock (PostgreSQL), so two presses of "Issue", or two
    staff at once, issue it once: the second hears ``AlreadyIssued``."""
    today = today or today_in_tallinn()
    doc = db.session.scalar(select(OfficialDocument).where(OfficialDocument.id == doc_id)
                            .with_for_update().execution_options(populate_existing=True))
    if doc is None:
        raise ActError(_("No such act."))
    _refuse_issued(doc)
    # Claim the draft first: the version-checked update waits for, then fails after,
    # another issuing of the same draft (SQLite has no FOR UPDATE), before a number
    # is taken.
    doc.updated_at = utcnow()
    _flush_or_already_issued()
    spec = spec_of(doc.kind)
    result = spec.compute(doc, doc.data)  # as the data stand today
    moment = utcnow()
    serial = numbering.next_number(spec.prefix, today.year)
    doc.series, doc.year, doc.serial = spec.prefix, today.year, serial
    doc.number = f"{spec.prefix}-{today.year}-{serial:05d}"
    doc.issued_at, doc.issued_on, doc.issued_by = moment, today, person
    doc.result = result
    if doc.customer is not None:
        doc.language = customer_language(doc.customer.locale)
    pdf = render(doc, result, created=moment)
    stored = store_pdf(doc, pdf, person)
    doc.pdf_file, doc.sha256 = stored, stored.sha256
    doc.status = ActStatus.ISSUED
    _flush_or_already_issued()
    if spec.on_issue is not None:
        spec.on_issue(doc)
    audit.record("act_issued", "official_document", doc.id, acting_as=acting_as,
                 after={"number": doc.number, "sha256": doc.sha256, "kind": doc.kind.value})
    if notify:
        tell_customer(doc)
    return doc


def _flush_or_already_issued() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        # Issued by someone else meanwhile (the version had moved on): not twice.
        raise AlreadyIssued(_("This act was issued already; it was not issued again.")) \
            from None


def store_pdf(doc: OfficialDocument, pdf: bytes, person: Person | None) -> StoredFile:
    checked = uploads.check_upload(io.BytesIO(pdf), f"{doc.number}.pdf", ACT_PDF_MAX_BYTES,
                                   (uploads.PDF,))
    return uploads.store(checked, person.id if person else None)


def tell_customer(doc: OfficialDocument) -> None:
    """The customer's e-mail (their language) saying the act is in their portal."""
    customer = doc.customer
    if customer is None:
        return
    with force_locale(doc.language):
        subject = _("%(title)s %(number)s", title=title_of(doc), number=doc.number)
        body = _("The utility has issued %(title)s %(number)s about %(address)s. You can "
                 "read and download it in the self-service portal under Documents.",
                 title=title_of(doc), number=doc.number,
                 address=doc.site.address if doc.site else "")
    notifications.notify(customer.email or (customer.person.email if customer.person else None),
                         subject, body, person=customer.person,
                         about=("official_document", doc.id))


def file_name(doc: OfficialDocument) -> str:
    return f"{doc.number or f'draft-{doc.id}'}.pdf"


# --------------------------------------------------------------------------- finding


def staff_document(doc_id: int) -> OfficialDocument | None:
    return db.session.get(OfficialDocument, doc_id)


@dataclass(frozen=True)
class ListFilter:
    kind: ActKind | None = None
    status: ActStatus | None = None
    issued_from: dt.date | None = None
    issued_until: dt.date | None = None
    text: str = ""
    batch: str = ""  # the interruption notices sent in one action


def staff_query(filters: ListFilter) -> Select[tuple[OfficialDocument]]:
    statement = select(OfficialDocument).outerjoin(Site, Site.id == OfficialDocument.site_id)
    if filters.kind is not None:
        statement = statement.where(OfficialDocument.kind == filters.kind)
    if filters.status is not None:
        statement = statement.where(OfficialDocument.status == filters.status)
    if filters.issued_from is not None:
        statement = statement.where(OfficialDocument.issued_on >= filters.issued_from)
    if filters.issued_until is not None:
        statement = statement.where(OfficialDocument.issued_on <= filters.issued_until)
    if filters.batch:
        statement = statement.where(OfficialDocument.batch_key == filters.batch)
    if filters.text:
        like = f"%{filters.text}%"
        statement = statement.where(or_(OfficialDocument.number.ilike(like),
                                        Site.code.ilike(like), Site.address.ilike(like)))
    return statement.order_by(OfficialDocument.status, OfficialDocument.issued_on.desc(),
                              OfficialDocument.id.desc())


def issued_on_day(day: dt.date) -> list[OfficialDocument]:
    return list(db.session.scalars(select(OfficialDocument).where(
        OfficialDocument.status == ActStatus.ISSUED, OfficialDocument.issued_on == day)
        .order_by(OfficialDocument.number)))


def batch_pdf(documents: Iterable[OfficialDocument]) -> bytes:
    """The stored PDFs one after the other, as one file to print."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for doc in documents:
        if doc.pdf_file is not None:
            writer.append(io.BytesIO(uploads.read(doc.pdf_file)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --------------------------------------------------------------------------- the customer


def may_view(actor: Actor, doc: OfficialDocument, on: dt.date | None = None) -> bool:
    """An issued act is the customer's document: seen by those who may view documents
    at its site while the customer still holds it (as invoices, ITB 2)."""
    if not doc.is_issued or doc.site_id is None or doc.customer_id is None:
        return False
    if not can(actor, Action.VIEW_DOCUMENTS, doc.site_id):
        return False
    holder = holder_of(doc.site, on or today_in_tallinn()) if doc.site else None
    return holder is not None and holder.id == doc.customer_id


def customer_documents(actor: Actor, on: dt.date | None = None) -> list[OfficialDocument]:
    on = on or today_in_tallinn()
    site_ids = [site_id for site_id in actor.site_roles
                if can(actor, Action.VIEW_DOCUMENTS, site_id)]
    if not site_ids:
        return []
    holders = dict(db.session.execute(
        select(contract_site.c.site_id, ServiceContract.customer_id)
        .join(ServiceContract, ServiceContract.id == contract_site.c.contract_id)
        .where(contract_site.c.site_id.in_(site_ids), contract_in_force(on))).all())
    if not holders:
        return []
    docs = db.session.scalars(select(OfficialDocument).where(
        OfficialDocument.status == ActStatus.ISSUED,
        OfficialDocument.site_id.in_(list(holders)))
        .order_by(OfficialDocument.issued_on.desc(), OfficialDocument.id.desc()))
    return [doc for doc in docs if holders.get(doc.site_id or 0) == doc.customer_id]


# --------------------------------------------------------------------------- verifying


@dataclass(frozen=True)
class Verification:
    number: str
    found: bool
    matches: bool
    kind: ActKind | None = None
    issued_on: dt.date | None = None
    corrected_by: str | None = None


def clean_number(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def clean_sha256(value: str) -> str:
    return re.sub(r"\s+", "", value or "").lower()


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify(number: str, sha256: str) -> Verification:
    """Is ``number`` an issued act whose PDF has the hash ``sha256``? Tells nothing of
    whom it concerns."""
    doc = db.session.scalar(select(OfficialDocument).where(
        OfficialDocument.number == number, OfficialDocument.status == ActStatus.ISSUED))
    if doc is None:
        return Verification(number, found=False, matches=False)
    corrected_by = db.session.scalar(select(OfficialDocument.number).where(
        OfficialDocument.corrects_id == doc.id, OfficialDocument.status == ActStatus.ISSUED)
        .order_by(OfficialDocument.id.desc()).limit(1))
    return Verification(number, found=True, matches=doc.sha256 == sha256, kind=doc.kind,
                        issued_on=doc.issued_on, corrected_by=corrected_by)


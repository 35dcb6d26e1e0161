"""The authorisation matrix: every route × method × kind of visitor × own/other object."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import or_, select, update
from stdnum.ee import ik

from tests import authz_matrix as matrix
from tests.conftest import (
    ADMIN,
    CLERK,
    INSPECTOR,
    JAAN,
    KATI,
    MARI,
    PEETER,
    _test_config,
    csrf_token_from,
    empty_all_tables,
    log_in,
)
from webapp import create_app
from webapp.cli_data import read_document
from webapp.domain.rebate_cases import decision_json, parse_case
from webapp.domain.rebates import evaluate
from webapp.domain.rule_sets import Method
from webapp.extensions import db
from webapp.models import (
    ActAttachment,
    ActKind,
    ActStatus,
    ApiKey,
    Company,
    ContractApplication,
    ContractApplicationStatus,
    ContractDocument,
    ContractEvent,
    ContractEventKind,
    Customer,
    DocumentKind,
    HouseType,
    Meter,
    MeterKind,
    NoticeRun,
    OfficialDocument,
    Person,
    Property,
    Reading,
    RebateApplication,
    RebateDecisionRecord,
    RebateJointApplicant,
    RebateRun,
    RebateRunStatus,
    RebateStatus,
    ServiceContract,
    Site,
    SiteGroup,
    SiteGroupMember,
    SiteRole,
    SiteRoleKind,
    StaffRole,
    StaffRoleKind,
)
from webapp.services import api_keys, uploads

COUNCIL_MEMBER = "47208080805"  # Kadri Kuusk in the demo data
CODES = {matrix.MARI: MARI, matrix.PEETER: PEETER, matrix.KATI: KATI, matrix.CLERK: CLERK,
         matrix.INSPECTOR: INSPECTOR, matrix.ADMIN: ADMIN, matrix.COUNCIL: COUNCIL_MEMBER}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - IGNORED_METHODS
    }


def cases() -> Iterator[Any]:
    for (endpoint, method), row in sorted(matrix.MATRIX.items()):
        for actor in matrix.ACTORS:
            for which in ("own", "other") if row.params else ("own",):
                yield pytest.param(endpoint, method, actor, which,
                                   id=f"{endpoint}-{method}-{actor}-{which}")


@pytest.fixture(scope="module")
def matrix_app(database_uri: str, _schema: None) -> Iterator[Flask]:
    """One app with the demo data for the whole matrix (loading it per case is slow)."""
    from webapp.demo import build_demo_data
    from webapp.services.importer import import_master_data

    # A provider that does not answer: login cannot start, callbacks are still checked.
    app = create_app(_test_config(database_uri, OIDC_ISSUER="http://127.0.0.1:9"))
    twin = create_app(_test_config(database_uri))
    with twin.app_context():
        import_master_data(build_demo_data(dt.datetime.now(dt.UTC)))
        db.session.commit()
        yield app
        empty_all_tables()
        db.engine.dispose()
    with app.app_context():
        db.engine.dispose()


# Whose objects each visitor calls "own" and "someone else's": the sites (by code)
# and the customer (by personal or registry code). Staff and the anonymous have no
# objects of their own: "own" is Mari's, "other" is Kodu Haldus's.
HOUSE, TALLINNA, KINGU, JAANS = "TK-10001", "TK-20001", "TK-20002", "TK-10002"
KODU_HALDUS = "10123459"
OWN_AND_OTHER = {
    matrix.MARI: ((HOUSE, MARI, MARI), (TALLINNA, KODU_HALDUS, KATI)),
    matrix.PEETER: ((KINGU, KODU_HALDUS, PEETER), (JAANS, JAAN, JAAN)),
    matrix.KATI: ((TALLINNA, KODU_HALDUS, KATI), (JAANS, JAAN, JAAN)),
}
STAFF_VIEW = ((HOUSE, MARI, MARI), (TALLINNA, KODU_HALDUS, KATI))
_serial = itertools.count(1)


def new_person() -> Person:
    """A person nobody knows yet, with a valid personal code of their own."""
    number = next(_serial)
    born = dt.date(1990, 1, 1) + dt.timedelta(days=number // 1000)  # 1000 serials a day
    stem = f"3{born:%y%m%d}{number % 1000:03d}"
    person = Person(personal_code=stem + ik.calc_check_digit(stem), given_name="Test",
                    family_name="Isik")
    db.session.add(person)
    db.session.flush()
    return person


def objects_at(site_code: str, customer_code: str, person_code: str) -> dict[str, Any]:
    """Real ids of one party's objects, with a fresh representative role and staff
    role that a case may remove without spoiling the next."""
    site = db.session.scalar(select(Site).where(Site.code == site_code))
    assert site is not None
    meter = db.session.scalars(
        select(Meter).where(Meter.site_id == site.id, Meter.kind != MeterKind.SMART)
        .order_by(Meter.number)
    ).first()
    reading = db.session.scalars(
        select(Reading).where(Reading.meter_id == meter.id, Reading.replaced_by_id.is_(None))
        .order_by(Reading.reading_date.desc())
    ).first()
    customer = db.session.scalar(
        select(Customer).outerjoin(Person, Customer.person_id == Person.id)
        .outerjoin(Company, Customer.company_id == Company.id)
        .where(or_(Person.personal_code == customer_code,
                   Company.registry_code == customer_code))
    )
    owner_id = person_id(person_code)
    representative = SiteRole(site_id=site.id, person_id=new_person().id, role=SiteRoleKind.USER,
                              given_by_id=owner_id, valid_from=dt.date(2020, 1, 1))
    staff_role = StaffRole(person_id=new_person().id, role=StaffRoleKind.INSPECTOR)
    group = SiteGroup(person_id=owner_id, name=f"Group {next(_serial)}",
                      members=[SiteGroupMember(site_id=site.id)])
    # One key in force per person and customer: the case's fresh key replaces the last.
    db.session.execute(update(ApiKey).where(
        ApiKey.customer_id == customer.id, ApiKey.created_by_id == owner_id,
        ApiKey.revoked_at.is_(None)).values(revoked_at=dt.datetime.now(dt.UTC)))
    raw = api_keys.new_raw_key()
    key = ApiKey(customer_id=customer.id, created_by_id=owner_id, key_hash=api_keys.digest(raw),
                 prefix=raw[:9])
    db.session.add_all([representative, staff_role, group, key])
    db.session.flush()
    rebate = _rebate_objects(site, customer, owner_id)
    contract = _contract_objects(owner_id)
    service_contract = db.session.scalar(
        select(ServiceContract).join(ServiceContract.sites).where(Site.id == site.id))
    assert service_contract is not None
    notice = ContractEvent(kind=ContractEventKind.UTILITY_TERMINATION,
                           effective_on=dt.date(2099, 1, 1),
                           notice_file=uploads.store(uploads.check_upload(
                               io.BytesIO(MINIMAL_PDF), "notice.pdf", 1024), owner_id))
    service_contract.events.append(notice)
    db.session.flush()
    billing = _billing_objects(service_contract)
    claim = _claim_objects(billing["invoice_id"], owner_id)
    return {
        **rebate,
        **contract,
        **billing,
        **claim,
        **_payment_objects(),
        **_act_objects(site, customer, owner_id),
        "contract_id": service_contract.id,
        "event_id": notice.id,
        "kind": "customer",
        "site": site.id,
        "site_id": site.id,
        "customer_id": customer.id,
        "person_id": owner_id,
        "meter_id": meter.id,
        "reading_id": reading.id,
        "role_id": representative.id,
        "staff_role_id": staff_role.id,
        "group_id": group.id,
        "key_id": key.id,
    }


CASE_FILE = Path(__file__).resolve().parents[1] / "cases" / "rebates" / "elveso-2014-b.json"
MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _rebate_objects(site: Site, customer: Customer, owner_id: int) -> dict[str, Any]:
    """A withdrawn rebate application of the site with an attachment and a decision
    kept as history (neither blocks the next case's), a joint application at a
    throwaway site naming the owner, and a finished season run."""
    now = dt.datetime.now(dt.UTC)
    attachment = uploads.store(uploads.check_upload(io.BytesIO(MINIMAL_PDF), "proof.pdf",
                                                    1024), owner_id)
    application = RebateApplication(
        site_id=site.id, customer_id=customer.id, applicant_id=owner_id,
        rule_set="ELVESO-2014", method=Method.A, house_type=HouseType.DETACHED,
        first_season=2025, last_season=2025, consent_given_at=now,
        status=RebateStatus.WITHDRAWN, attachment=attachment)
    number = next(_serial)
    place = Property(cadastral_number=f"99999:{number // 10000:03d}:{number % 10000:04d}",
                     address=f"Testi tn {number}")
    other_site = Site(code=f"TEST-{number}", address=place.address, property=place)
    joint = RebateApplication(
        site=other_site, customer_id=customer.id, applicant_id=new_person().id,
        rule_set="ELVESO-2014", method=Method.A, house_type=HouseType.SEMI_DETACHED,
        first_season=2026, consent_given_at=now, status=RebateStatus.AWAITING_JOINT,
        joint_applicants=[RebateJointApplicant(
            personal_code=db.session.get(Person, owner_id).personal_code,  # type: ignore[union-attr]
            name="Kaasomanik")])
    db.session.add_all([application, joint])
    db.session.flush()
    case = read_document(CASE_FILE)
    decision = evaluate(parse_case(case))
    record = RebateDecisionRecord(
        application_id=application.id, site_id=site.id, customer_id=customer.id,
        season=decision.season, rule_set=decision.rule_set, method=decision.method,
        eligible=decision.eligible, volume_m3=decision.volume_m3,
        refund_eur=decision.refund_eur, sewer_price=Decimal(case["sewer_price"]),
        inputs=json.loads(json.dumps(case, default=str)), inputs_digest="0" * 64,
        result=decision_json(decision), superseded_at=now)
    run = RebateRun(season=2025, status=RebateRunStatus.FINISHED, finished_at=now,
                    summary={"season": 2025, "rule_set": "ELVESO-2014", "applications": 0,
                             "eligible": 0, "refused": 0, "new": 0, "replaced": 0,
                             "unchanged": 0, "volume_m3": "0.000", "refund_eur": "0.00",
                             "credited_eur": "0.00", "waiting_review": 0, "errors": [],
                             "refusals": [], "sewer_price": "1.5240"})
    db.session.add_all([record, run])
    db.session.flush()
    return {"rebate_application_id": application.id, "decision_id": record.id,
            "run_id": run.id, "joint_application_id": joint.id}


def _act_objects(site: Site, customer: Customer, owner_id: int) -> dict[str, Any]:
    """A draft act of the site with a photo, and an issued one (long ago, so that no
    day's batch picks up its stand-in file)."""
    number = next(_serial)
    stored = uploads.store(uploads.check_upload(io.BytesIO(MINIMAL_PDF), "act.pdf", 1024),
                           owner_id)
    issued = OfficialDocument(
        kind=ActKind.UNAUTHORISED_CONNECTION, status=ActStatus.ISSUED,
        number=f"TST-2020-{number:05d}", series="TST", year=2020, serial=number, site=site,
        customer=customer, data={"found_on": "2020-01-02"}, result={},
        issued_at=dt.datetime(2020, 1, 2, 10, tzinfo=dt.UTC), issued_on=dt.date(2020, 1, 2),
        pdf_file=stored, sha256=stored.sha256)
    draft = OfficialDocument(kind=ActKind.UNAUTHORISED_CONNECTION, status=ActStatus.DRAFT,
                             site=site, customer=customer, data={})
    photo = ActAttachment(document=draft, file=stored, caption="")
    notice_run = NoticeRun(batch_key=f"{number:032x}", status=RebateRunStatus.FINISHED,
                           finished_at=dt.datetime(2020, 1, 2, 10, tzinfo=dt.UTC),
                           data={"notice": {"area": "Testi tn"}, "site_ids": []})
    db.session.add_all([issued, draft, photo, notice_run])
    db.session.flush()
    return {"act_id": draft.id, "issued_act_id": issued.id, "attachment_id": photo.id,
            "notice_run_id": notice_run.id}


def _billing_objects(contract: ServiceContract) -> dict[str, Any]:
    """An issued invoice of the contract (for a month of its own, one regular invoice
    a month being allowed) and a finished billing run."""
    from webapp.domain.deadlines import months_after
    from webapp.models import BillingRun, Invoice, InvoiceLine, LineKind, RebateRunStatus, Utility
    from webapp.services import invoices

    period = months_after(dt.date(2001, 1, 1), next(_serial))
    invoice = Invoice(
        customer_id=contract.customer_id, contract_id=contract.id, period_start=period,
        period_end=months_after(period, 1) - dt.timedelta(days=1), net=Decimal("10.00"),
        vat=Decimal("2.40"), gross=Decimal("12.40"), payable=Decimal("12.40"),
        lines=[InvoiceLine(position=1, kind=LineKind.WATER, first_day=period, last_day=period,
                           quantity=Decimal(5), unit="MTQ", unit_price=Decimal(2),
                           vat_rate=Decimal(24), net=Decimal("10.00"))])
    db.session.add(invoice)
    db.session.flush()
    utility = db.session.scalars(select(Utility)).first()
    assert utility is not None
    invoices.issue(invoice, issued_on=dt.date.today(), actor_id=None, utility=utility)
    from webapp.services.billing_run import RunSummary

    run = BillingRun(period_start=period, status=RebateRunStatus.FINISHED,
                     summary=RunSummary(f"{period:%Y-%m}", Decimal(24)).as_json())
    db.session.add(run)
    db.session.flush()
    return {"invoice_id": invoice.id, "billing_run_id": run.id}


def _payment_objects() -> dict[str, Any]:
    """An unmatched payment from a bank statement (staff see every payment)."""
    from webapp.models import Payment, PaymentStatus

    payment = Payment(account_iban="EE382200221020145685",
                      entry_reference=f"MATRIX-{next(_serial)}", booked_on=dt.date(2026, 12, 2),
                      amount=Decimal("12.40"), status=PaymentStatus.UNMATCHED,
                      debtor_name="MAKSJA", description="vesi")
    db.session.add(payment)
    db.session.flush()
    return {"payment_id": payment.id}


def _claim_objects(invoice_id: int, person_id: int) -> dict[str, Any]:
    """An open claim about the invoice (KEE §43(1)), made by the person."""
    from webapp.domain.billing import claim_answer_until
    from webapp.models import Claim, Invoice

    invoice = db.session.get(Invoice, invoice_id)
    assert invoice is not None and invoice.issued_on is not None
    claim = Claim(invoice_id=invoice.id, customer_id=invoice.customer_id, made_by_id=person_id,
                  received_on=invoice.issued_on,
                  answer_until=claim_answer_until(invoice.issued_on), text="The sum is wrong.")
    db.session.add(claim)
    db.session.flush()
    return {"claim_id": claim.id}


def _contract_objects(person_id: int) -> dict[str, Any]:
    """A sent service contract application of the person with a document, and a
    document in their draft (begun if they have none)."""
    checked = uploads.check_upload(io.BytesIO(MINIMAL_PDF), "proof.pdf", 1024)
    application = ContractApplication(
        applicant_id=person_id, status=ContractApplicationStatus.RECEIVED,
        cadastral_number="34901:010:0555", address="Uus tn 5",
        submitted_at=dt.datetime.now(dt.UTC), complete_at=dt.datetime.now(dt.UTC),
        draft_file=uploads.store(checked, person_id), draft_number="L-2026-9999",
        documents=[ContractDocument(kind=DocumentKind.OWNERSHIP,
                                    file=uploads.store(checked, person_id))])
    draft = db.session.scalar(select(ContractApplication).where(
        ContractApplication.applicant_id == person_id,
        ContractApplication.status == ContractApplicationStatus.DRAFT))
    if draft is None:
        draft = ContractApplication(applicant_id=person_id,
                                    status=ContractApplicationStatus.DRAFT)
    draft_document = ContractDocument(kind=DocumentKind.OWNERSHIP,
                                      file=uploads.store(checked, person_id))
    draft.documents.append(draft_document)
    db.session.add_all([application, draft])
    db.session.flush()
    return {"application_id": application.id, "document_id": application.documents[0].id,
            "draft_document_id": draft_document.id}


@pytest.fixture
def objects(matrix_app: Flask, endpoint: str, method: str, actor: str) -> matrix.Objects:
    """Objects of the visitor's own and of someone else's, made fresh for every case,
    so that a case that changes one (a removal, say) leaves the next case alone."""
    own: dict[str, dict[str, Any]] = {}
    other: dict[str, dict[str, Any]] = {}
    if matrix.MATRIX[(endpoint, method)].params:
        mine, theirs = OWN_AND_OTHER.get(actor, STAFF_VIEW)
        own[actor], other[actor] = objects_at(*mine), objects_at(*theirs)
        db.session.commit()
    return matrix.Objects(own=own, other=other)


def person_id(code: str) -> int:
    return db.session.scalar(select(Person.id).where(Person.personal_code == code))


def client_for(app: Flask, actor: str) -> FlaskClient:
    client = app.test_client()
    if actor != matrix.ANONYMOUS:
        log_in(client, CODES[actor])
    return client


def check(response: Any, expected: matrix.Outcome) -> None:
    location = response.headers.get("Location", "")
    if expected == matrix.LOGIN:
        assert response.status_code == 302, response.status_code
        assert location.startswith("/login"), location
    elif expected == matrix.OK:
        assert response.status_code < 400, response.status_code
        assert not location.startswith("/login"), location
    else:
        assert response.status_code == expected, response.status_code


def test_every_route_is_in_the_matrix(matrix_app: Flask) -> None:
    missing = routes(matrix_app) - set(matrix.MATRIX)
    stale = set(matrix.MATRIX) - routes(matrix_app)
    assert not missing, f"routes without a row in tests/authz_matrix.py: {sorted(missing)}"
    assert not stale, f"rows for routes that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize(("endpoint", "method", "actor", "which"), list(cases()))
def test_route_access(matrix_app: Flask, objects: matrix.Objects, endpoint: str, method: str,
                      actor: str, which: str) -> None:
    row = matrix.MATRIX[(endpoint, method)]
    expected = row.outcomes[actor][0 if which == "own" else 1]
    client = client_for(matrix_app, actor)
    arguments = row.params(objects, actor, which) if row.params else {}
    with matrix_app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **arguments, **row.query)
    if method == "GET":
        response = client.get(url)
    else:
        token = csrf_token_from(client.get("/rules").get_data(as_text=True))
        response = client.open(url, method=method, data={"csrf_token": token})
    response.close()
    check(response, expected)

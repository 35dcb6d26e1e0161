"""Service contract applications (issue 8 items 1, 2 and 7): the steps kept as a draft,
documents checked by content, sending, the staff queue with the draft's legal
deadline, missing documents that restart the clock, and the e-mails of each step."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_mail import Message
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from tests.conftest import CLERK, INSPECTOR, KATI, MARI, csrf_token_from
from webapp.extensions import db, mail
from webapp.models import (
    AuditEvent,
    ContractApplication,
    ContractApplicationStatus,
    Notification,
    StoredFile,
)
from webapp.services import contract_applications

Login = Callable[[str], FlaskClient]
S = ContractApplicationStatus
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
KIND = {"kind": "new", "party": "self"}
PROPERTY = {"cadastral_number": "34901:010:0555", "address": "Uus tn 5, Kuressaare"}
CONTACT = {"email": "mari@example.com", "phone": "+372 5550 0217", "invoice_delivery": "email"}


@pytest.fixture
def outbox(app: Flask) -> Iterator[list[Message]]:
    """The e-mails the portal sends during the test (nothing leaves in tests)."""
    with mail.record_messages() as messages:
        yield messages


def post(client: FlaskClient, url: str, data: dict[str, Any], page: str | None = None) -> Any:
    token = csrf_token_from(client.get(page or url).get_data(as_text=True))
    builder = EnvironBuilder(path=url, method="POST", data={"csrf_token": token, **data})
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def step(client: FlaskClient, name: str, data: dict[str, Any]) -> Any:
    return post(client, f"/my/contracts/apply/{name}", data)


def document(client: FlaskClient, content: bytes = PDF, name: str = "kinnistusraamat.pdf",
             kind: str = "ownership", url: str = "/my/contracts/apply/documents",
             page: str | None = None) -> Any:
    return post(client, url, {"kind": kind, "file": (io.BytesIO(content), name)}, page)


def the_application() -> ContractApplication:
    db.session.expire_all()
    application = db.session.scalar(select(ContractApplication))
    assert application is not None
    return application


def filled(client: FlaskClient) -> ContractApplication:
    assert client.get("/my/contracts/apply").status_code == 303
    assert step(client, "kind", KIND).status_code == 303
    assert step(client, "property", PROPERTY).status_code == 303
    assert step(client, "contact", CONTACT).status_code == 303
    assert document(client).status_code == 303
    return the_application()


def sent(client: FlaskClient) -> ContractApplication:
    filled(client)
    response = step(client, "send", {})
    assert response.status_code == 303
    return the_application()


# --------------------------------------------------------------------------- the steps


def test_anyone_logged_in_finds_the_application(login: Login) -> None:
    mari = login(MARI)
    assert 'href="/my/contracts"' in mari.get("/my").get_data(as_text=True)
    page = mari.get("/my/contracts").get_data(as_text=True)
    assert "Apply for a service contract" in page
    assert login(CLERK).get("/my/contracts").status_code == 200


def test_the_draft_is_kept_between_visits(login: Login) -> None:
    mari = login(MARI)
    response = mari.get("/my/contracts/apply")
    assert response.status_code == 303
    assert response.headers["Location"] == "/my/contracts/apply/kind"
    assert step(mari, "kind", KIND).status_code == 303
    assert step(mari, "property", PROPERTY).status_code == 303
    # Another visit: the same draft, with what was entered.
    again = login(MARI)
    again.get("/my/contracts/apply")
    page = again.get("/my/contracts/apply/property").get_data(as_text=True)
    assert 'value="34901:010:0555"' in page
    assert db.session.scalar(select(func.count()).select_from(ContractApplication)) == 1
    assert "Continue the application" in again.get("/my/contracts").get_data(as_text=True)


@pytest.mark.parametrize(("name", "data", "message"), [
    ("kind", {"kind": "bogus", "party": "self"}, "Not a valid choice"),
    ("kind", {"kind": "new", "party": "999"}, "Not a valid choice"),  # no such company
    ("kind", {"kind": "temporary", "party": "self", "period_start": "2026-06-01",
              "period_end": "2026-05-01"}, "The end cannot be before the start."),
    ("property", {"cadastral_number": "34901-010-0555", "address": "x"},
     "Enter the cadastral code as 12345:123:1234."),
    ("property", {"cadastral_number": "34901:010:0555", "address": ""},
     "Enter the address."),
    ("property", {**PROPERTY, "residents": "-1"}, "Enter a number from 0 to 10000."),
    ("property", {**PROPERTY, "residents": "many"}, "Enter a whole number."),
    ("property", {**PROPERTY, "pollution_group": "IV"}, "Not a valid choice"),
    ("contact", {**CONTACT, "email": "not an address"}, "Enter a valid e-mail address."),
    ("contact", {**CONTACT, "invoice_delivery": "post"},
     "Enter the postal address for the invoices."),
    ("contact", {**CONTACT, "payer_code": "12345678901", "payer_name": "X"},
     "Enter a valid Estonian personal identification code"),
    ("contact", {**CONTACT, "payer_code": "10123459"}, "Enter the payer&#39;s name."),
])
def test_bad_input_is_sent_back_and_saves_nothing(login: Login, name: str,
                                                  data: dict[str, str], message: str) -> None:
    mari = login(MARI)
    mari.get("/my/contracts/apply")
    response = step(mari, name, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    application = the_application()
    assert application.cadastral_number is None and application.invoice_delivery is None


def test_a_board_member_applies_for_the_company(login: Login) -> None:
    kati = login(KATI)
    kati.get("/my/contracts/apply")
    page = kati.get("/my/contracts/apply/kind").get_data(as_text=True)
    assert "Kodu Haldus OÜ (10123459)" in page
    company_id = db.session.scalar(select(ContractApplication.applicant_id))
    assert company_id is not None
    from webapp.models import Company

    company = db.session.scalar(select(Company))
    assert step(kati, "kind", {"kind": "additional_site", "party": str(company.id)}
                ).status_code == 303  # type: ignore[union-attr]
    assert the_application().company_id == company.id  # type: ignore[union-attr]


# --------------------------------------------------------------------------- documents


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, "kinnistusraamat.pdf",
     "not a PDF, JPEG or PNG"),  # a Windows program renamed
    (b"", "empty.pdf", "The file is empty."),
    (b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024) + b"\n%%EOF", "big.pdf", "larger than 10 MB"),
])
def test_a_file_that_is_not_a_document_is_refused_and_nothing_is_stored(
        login: Login, app: Flask, content: bytes, name: str, message: str) -> None:
    mari = login(MARI)
    mari.get("/my/contracts/apply")
    response = document(mari, content, name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
    assert the_application().documents == []


def test_an_application_takes_at_most_30_mb_of_documents(
        login: Login, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contract_applications, "APPLICATION_MAX_BYTES", 2 * len(PDF))
    mari = login(MARI)
    mari.get("/my/contracts/apply")
    assert document(mari).status_code == 303
    assert document(mari, name="joonis.pdf", kind="as_built_drawing").status_code == 303
    response = document(mari, name="third.pdf", kind="other")
    assert response.status_code == 422
    assert "MB in all" in response.get_data(as_text=True)
    assert len(the_application().documents) == 2


def test_a_draft_document_can_be_removed_and_downloaded_by_its_applicant_only(
        login: Login) -> None:
    mari = login(MARI)
    mari.get("/my/contracts/apply")
    document(mari)
    application = the_application()
    (doc,) = application.documents
    url = f"/my/contracts/{application.id}/documents/{doc.id}"
    assert mari.get(url).data == PDF
    assert login(KATI).get(url).status_code == 404
    assert post(mari, f"/my/contracts/apply/documents/{doc.id}/remove", {},
                page="/my/contracts/apply/documents").status_code == 303
    assert the_application().documents == []


# --------------------------------------------------------------------------- sending


def test_an_incomplete_application_says_what_is_missing(login: Login) -> None:
    mari = login(MARI)
    mari.get("/my/contracts/apply")
    step(mari, "kind", KIND)
    page = mari.get("/my/contracts/apply/send").get_data(as_text=True)
    assert "Give the property&#39;s cadastral number and address." in page
    assert "Add a proof of ownership" in page
    response = step(mari, "send", {})
    assert response.status_code == 303
    assert the_application().status is S.DRAFT


def test_sending_starts_the_draft_deadline_and_tells_the_applicant(
        login: Login, outbox: list[Message]) -> None:
    mari = login(MARI)
    application = sent(mari)
    assert application.status is S.RECEIVED
    assert application.submitted_at is not None
    assert application.complete_at == application.submitted_at
    (message,) = outbox
    assert message.recipients == ["mari@example.com"]
    # In the applicant's language: Estonian unless they chose another.
    assert message.subject == f"Teenuslepingu avaldus nr {application.id}: vastu võetud"
    assert f"/my/contracts/{application.id}" in message.body
    page = mari.get(f"/my/contracts/{application.id}").get_data(as_text=True)
    assert "The application was sent to the utility." in page
    assert 'data-testid="due"' in page
    # Sent, it can no longer be changed through the steps: a new draft would begin.
    assert db.session.scalar(select(Notification.sent_at)) is not None


def test_the_e_mail_speaks_the_applicants_language(login: Login,
                                                  outbox: list[Message]) -> None:
    from webapp.models import Person

    mari = db.session.scalar(select(Person).where(Person.personal_code == MARI))
    mari.locale = "ru"  # type: ignore[union-attr]
    db.session.commit()
    application = sent(login(MARI))
    assert outbox[0].subject == f"Заявление № {application.id} на заключение договора на " \
        "обслуживание: получено"


def test_an_application_made_on_18_december_is_due_on_the_next_working_day_after_14_days(
        login: Login) -> None:
    mari = login(MARI)
    application = sent(mari)
    application.complete_at = dt.datetime(2026, 12, 18, 10, 0, tzinfo=dt.UTC)
    db.session.commit()
    # 14 days after 18.12.2026 is 01.01.2027, New Year's Day: the next working day is
    # Monday 04.01.2027 (KEE §5(3), TsÜS §136(8)).
    assert contract_applications.draft_due(application) == dt.date(2027, 1, 4)
    assert "04.01.2027" in mari.get(f"/my/contracts/{application.id}").get_data(as_text=True)


# --------------------------------------------------------------------------- the utility


def test_the_queue_shows_the_deadline_and_marks_the_overdue(login: Login) -> None:
    application = sent(login(MARI))
    application.complete_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    db.session.commit()
    clerk = login(CLERK)
    page = clerk.get("/staff/contracts/").get_data(as_text=True)
    assert f'href="/staff/contracts/{application.id}"' in page
    assert "overdue" in page
    assert '<dd data-testid="overdue-count">1</dd>' in page
    assert login(INSPECTOR).get("/staff/contracts/").status_code == 404
    assert login(MARI).get("/staff/contracts/").status_code == 404
    assert clerk.get("/staff/contracts/?status=bogus").status_code == 400


def test_a_draft_is_not_the_utilitys_to_see(login: Login) -> None:
    mari = login(MARI)
    mari.get("/my/contracts/apply")
    application = the_application()
    assert login(CLERK).get(f"/staff/contracts/{application.id}").status_code == 404


def test_missing_documents_stop_and_restart_the_clock(login: Login,
                                                      outbox: list[Message]) -> None:
    mari = login(MARI)
    application = sent(mari)
    clerk = login(CLERK)
    url = f"/staff/contracts/{application.id}"
    page = clerk.get(url).get_data(as_text=True)
    (viewed,) = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "view_contract_application"))
    assert viewed.subject_person_id == application.applicant_id
    assert post(clerk, url + "/missing-documents", {"ask-note": ""}, url).status_code == 422
    response = post(clerk, url + "/missing-documents",
                    {"ask-note": "Palun lisage hoovivõrgu teostusjoonis."}, url)
    assert response.status_code == 303
    application = the_application()
    assert application.status is S.MISSING_DOCUMENTS
    assert application.complete_at is None
    assert contract_applications.draft_due(application) is None  # the clock has stopped
    assert "Palun lisage hoovivõrgu teostusjoonis." in outbox[-1].body
    assert page  # the clerk's page rendered
    # The applicant adds the drawing and sends it: complete again, the days restart.
    page_url = f"/my/contracts/{application.id}"
    assert "hoovivõrgu teostusjoonis" in mari.get(page_url).get_data(as_text=True)
    assert document(mari, name="joonis.pdf", kind="as_built_drawing",
                    url=page_url + "/documents", page=page_url).status_code == 303
    assert post(mari, page_url + "/complete", {}, page_url).status_code == 303
    application = the_application()
    assert application.status is S.RECEIVED
    assert application.complete_at is not None
    assert [event.kind for event in application.events] == [
        "submitted", "documents_requested", "documents_sent"]
    assert len(outbox) == 3  # sent, documents asked, documents sent


def test_a_clerk_is_assigned_and_a_rejection_gives_the_reason(
        login: Login, outbox: list[Message]) -> None:
    application = sent(login(MARI))
    clerk = login(CLERK)
    url = f"/staff/contracts/{application.id}"
    clerk.get(url)
    liis = db.session.scalar(select(AuditEvent.actor_id).where(
        AuditEvent.action == "view_contract_application"))
    assert post(clerk, url + "/assign", {"clerk": str(liis)}, url).status_code == 303
    assert the_application().assigned_to_id == liis
    assert post(clerk, url + "/reject", {"reject-note": ""}, url).status_code == 422
    assert post(clerk, url + "/reject", {"reject-note": "Kinnistu ei ole liitunud."},
                url).status_code == 303
    application = the_application()
    assert application.status is S.REJECTED
    assert "Kinnistu ei ole liitunud." in outbox[-1].body
    assert "Kinnistu ei ole liitunud." in login(MARI).get(
        f"/my/contracts/{application.id}").get_data(as_text=True)


def test_withdrawing_asks_first(login: Login) -> None:
    mari = login(MARI)
    application = sent(mari)
    url = f"/my/contracts/{application.id}/withdraw"
    assert "Withdraw the application?" in mari.get(url).get_data(as_text=True)
    assert the_application().status is S.RECEIVED
    assert post(mari, url, {}).status_code == 303
    assert the_application().status is S.WITHDRAWN


def test_someone_elses_application_is_not_found(login: Login) -> None:
    application = sent(login(MARI))
    kati = login(KATI)
    for url in (f"/my/contracts/{application.id}",
                f"/my/contracts/{application.id}/withdraw"):
        assert kati.get(url).status_code == 404


# --------------------------------------------------------------------------- the outbox


def test_the_development_outbox_shows_every_message(app_factory: Callable[..., Flask],
                                                    login: Login) -> None:
    sent(login(MARI))
    outbox_app = app_factory(DEV_OUTBOX=True)
    page = outbox_app.test_client().get("/dev/outbox").get_data(as_text=True)
    assert "mari@example.com" in page
    assert "Teenuslepingu avaldus nr" in page
    # Without DEV_OUTBOX (production, tests) there is no such page.
    assert login(MARI).get("/dev/outbox").status_code == 404


def test_messages_that_could_not_go_out_are_sent_again(
        login: Login, runner: Any, monkeypatch: pytest.MonkeyPatch,
        outbox: list[Message]) -> None:
    def refuse(message: Message) -> None:
        raise ConnectionRefusedError("the SMTP server is down")

    monkeypatch.setattr(mail, "send", refuse)
    sent(login(MARI))  # the application is sent even though the e-mail is not
    notification = db.session.scalar(select(Notification))
    assert notification is not None
    assert notification.sent_at is None
    assert "SMTP server is down" in (notification.error or "")
    assert the_application().status is S.RECEIVED
    failing = runner.invoke(args=["notifications", "send"])
    assert failing.exit_code == 1
    assert "0 message(s) sent, 1 failed." in failing.output
    monkeypatch.undo()
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 0, result.output
    assert "1 message(s) sent, 0 failed." in result.output
    db.session.expire_all()
    assert db.session.scalar(select(Notification.sent_at)) is not None
    assert len(outbox) == 1


# --------------------------------------------------------------------------- the draft contract


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())  # lines wrap anywhere


def draft_fields(**changes: str) -> dict[str, str]:
    fields = {"site_code": "TK-30001", "meter_number": "00999001",
              "contract_number": "L-2026-0500",
              "start_date": dt.date.today().isoformat(), "end_date": "",
              "reading_cycle_months": "1"}
    fields.update(changes)
    return fields


def drafted(login: Login, **changes: str) -> ContractApplication:
    application = sent(login(MARI))
    url = f"/staff/contracts/{application.id}/draft"
    response = post(login(CLERK), url, draft_fields(**changes))
    assert response.status_code == 303, response.get_data(as_text=True)
    return the_application()


def test_the_clerk_prepares_the_draft_with_a_suggested_number(login: Login,
                                                              outbox: list[Message]) -> None:
    application = sent(login(MARI))
    clerk = login(CLERK)
    page = clerk.get(f"/staff/contracts/{application.id}/draft").get_data(as_text=True)
    assert f'value="L-{dt.date.today().year}-0001"' in page  # the demo's are of 2019
    response = post(clerk, f"/staff/contracts/{application.id}/draft", draft_fields())
    assert response.status_code == 303
    application = the_application()
    assert application.status is S.DRAFT_SENT
    assert application.site is not None and application.site.code == "TK-30001"
    assert application.site.property.cadastral_number == "34901:010:0555"
    assert [meter.number for meter in application.site.meters] == ["00999001"]
    assert application.draft_file is not None
    text = pdf_text(contract_applications.draft_download(application)[0])
    for expected in ("L-2026-0500", "Uus tn 5", "34901:010:0555", "00999001",
                     "kanalisatsiooni kasutamise eeskiri", "Kuressaare Linnavolikogu",
                     "KEE §5(1)", "Saare Vesi AS"):
        assert expected in text, expected
    assert "draft contract" in outbox[-1].body or "lepingu" in outbox[-1].body.lower()


@pytest.mark.parametrize(("changes", "message"), [
    ({"start_date": "2000-01-01"}, "The contract cannot start before today."),
    ({"site_code": "TK-10001"}, "The site has a contract in force on the start day"),
    ({"contract_number": "L-2019-0001"}, "This contract number is taken."),
    ({"meter_number": "00123456"}, "This meter is registered at another site."),
    ({"reading_cycle_months": "13"}, "Enter a whole number from 1 to 12."),
    ({"start_date": "31.02.2026"}, "Enter the date as dd.mm.yyyy."),
    ({"site_code": ""}, "Enter the site"),
])
def test_a_draft_that_breaks_a_rule_is_refused_and_nothing_is_made(
        login: Login, changes: dict[str, str], message: str) -> None:
    from webapp.models import Site

    application = sent(login(MARI))
    url = f"/staff/contracts/{application.id}/draft"
    response = post(login(CLERK), url, draft_fields(**changes))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert the_application().status is S.RECEIVED
    assert db.session.scalar(select(Site).where(Site.code == "TK-30001")) is None


def test_the_applicant_accepts_and_the_site_is_theirs(login: Login) -> None:
    application = drafted(login)
    mari = login(MARI)
    page_url = f"/my/contracts/{application.id}"
    page = mari.get(page_url).get_data(as_text=True)
    assert 'data-testid="draft-pdf"' in page
    assert mari.get(page_url + "/draft.pdf").mimetype == "application/pdf"
    assert login(KATI).get(page_url + "/draft.pdf").status_code == 404
    assert post(mari, page_url + "/accept", {}, page_url).status_code == 422
    assert the_application().status is S.DRAFT_SENT
    assert post(mari, page_url + "/accept", {"accept": "y"}, page_url).status_code == 303
    application = the_application()
    assert application.status is S.SIGNED
    assert application.accepted_with == "portal: mID"  # the login's eID method
    contract = application.contract
    assert contract is not None and contract.number == "L-2026-0500"
    assert [site.code for site in contract.sites] == ["TK-30001"]
    # In force from today: the site and its meter are in her portal, as the owner.
    home = login(MARI).get("/my").get_data(as_text=True)
    assert "Uus tn 5" in home and "00999001" in home
    # A draft is accepted once.
    assert post(mari, page_url + "/accept", {"accept": "y"}, page_url).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(  # the demo's 4 and this one
        __import__("webapp.models", fromlist=["ServiceContract"]).ServiceContract)) == 5


def asice(signed: bool = True) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as container:
        container.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.etsi.asic-e+zip",
                           compress_type=zipfile.ZIP_STORED)
        container.writestr("leping.pdf", PDF)
        if signed:
            container.writestr("META-INF/signatures0.xml", "<XAdESSignatures/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("content", "name", "accepted"), [
    (asice(), "leping.asice", True),
    (asice(), "leping.bdoc", True),
    (PDF, "leping-allkirjastatud.pdf", True),
    (asice(signed=False), "leping.asice", False),
    (b"PK\x03\x04not a zip", "leping.asice", False),
    (b"MZ\x90\x00", "leping.bdoc", False),
])
def test_the_draft_comes_back_signed_as_a_digidoc_container_or_a_pdf(
        login: Login, content: bytes, name: str, accepted: bool) -> None:
    application = drafted(login)
    mari = login(MARI)
    page_url = f"/my/contracts/{application.id}"
    response = post(mari, page_url + "/signed", {"file": (io.BytesIO(content), name)},
                    page_url)
    application = the_application()
    if accepted:
        assert response.status_code == 303
        assert application.status is S.SIGNED
        signed_copy = application.documents[-1]
        assert signed_copy.kind.value == "signed_contract"
        assert contract_applications.uploads.read(signed_copy.file) == content  # as is
    else:
        assert response.status_code == 422
        assert "not a DigiDoc container" in response.get_data(as_text=True)
        assert application.status is S.DRAFT_SENT


def test_the_draft_is_in_the_customers_language_with_the_binding_estonian_text(
        login: Login) -> None:
    from webapp.models import Person

    mari = db.session.scalar(select(Person).where(Person.personal_code == MARI))
    mari.locale = "ru"  # type: ignore[union-attr]
    db.session.commit()
    application = drafted(login)
    text = pdf_text(contract_applications.draft_download(application)[0])
    assert "Договор на обслуживание" in text or "договор" in text.lower()
    assert "Teenusleping L-2026-0500" in text  # the Estonian text follows, binding


def test_a_new_owner_who_applies_after_7_days_is_marked(login: Login) -> None:
    mari = login(MARI)
    mari.get("/my/contracts/apply")
    acquired = dt.date.today() - dt.timedelta(days=20)
    assert step(mari, "kind", {"kind": "change_of_owner", "party": "self",
                               "acquired_on": acquired.isoformat()}).status_code == 303
    for name, data in (("property", PROPERTY), ("contact", CONTACT)):
        assert step(mari, name, data).status_code == 303
    assert document(mari).status_code == 303
    assert step(mari, "send", {}).status_code == 303
    application = the_application()
    assert contract_applications.applied_late(application)
    page = login(CLERK).get(f"/staff/contracts/{application.id}").get_data(as_text=True)
    assert "applied later than 7 days after acquiring (KEE §6(1))" in page


def test_a_change_of_owner_needs_the_day_of_acquiring(login: Login) -> None:
    mari = login(MARI)
    mari.get("/my/contracts/apply")
    step(mari, "kind", {"kind": "change_of_owner", "party": "self"})
    page = mari.get("/my/contracts/apply/send").get_data(as_text=True)
    assert "Give the day you acquired the property (KEE §6(1))." in page


def test_a_login_without_a_name_names_the_applicant(login: Login) -> None:
    from webapp.models import Person

    mari = db.session.scalar(select(Person).where(Person.personal_code == MARI))
    mari.given_name = mari.family_name = ""  # type: ignore[union-attr]
    db.session.commit()
    client = login(MARI)
    client.get("/my/contracts/apply")
    assert 'id="given_name"' in client.get("/my/contracts/apply/kind").get_data(as_text=True)
    response = step(client, "kind", KIND)
    assert response.status_code == 422
    assert "Enter your given name." in response.get_data(as_text=True)
    assert step(client, "kind", {**KIND, "given_name": "Mari", "family_name": "Maasikas"}
                ).status_code == 303
    db.session.expire_all()
    assert db.session.get(Person, mari.id).full_name == "Mari Maasikas"  # type: ignore[union-attr]

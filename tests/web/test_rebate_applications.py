"""Garden-water rebate applications (issue 7 items 4 and 5): the resident's form with its
preconditions, co-applicants, attachments checked by content, withdrawal, and the staff
review with its audit trail."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from tests.conftest import ADMIN, CLERK, INSPECTOR, JAAN, KATI, MARI, PEETER, csrf_token_from
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    RebateApplication,
    RebateStatus,
    Site,
    StoredFile,
)
from webapp.services import uploads

Login = Callable[[str], FlaskClient]
JAANS_SUB_METER = {"sub_meter_number": "00234568", "sub_meter_seal": "SV-104614"}
MINIMAL_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
               b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def site_id(code: str) -> int:
    found = db.session.scalar(select(Site.id).where(Site.code == code))
    assert found is not None
    return found


def apply_url(code: str) -> str:
    return f"/my/rebates/apply/{site_id(code)}"


def send(client: FlaskClient, code: str, files: dict[str, Any] | None = None,
         **fields: Any) -> Any:
    url = apply_url(code)
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    data: dict[str, Any] = {"csrf_token": token, "action": "send", "consent": "y",
                            "house_type": "detached", **fields}
    data.update(files or {})
    # The builder spools a big body to a temporary file: close it here, not in the GC.
    builder = EnvironBuilder(path=url, method="POST", data=data)
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def applications() -> list[RebateApplication]:
    db.session.expire_all()
    return list(db.session.scalars(select(RebateApplication).order_by(RebateApplication.id)))


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return buffer.getvalue()


# --------------------------------------------------------------------------- who may apply


def test_owners_see_garden_water_in_the_menu_and_their_sites(login: Login) -> None:
    page = login(JAAN).get("/my/rebates").get_data(as_text=True)
    assert "Garden water" in login(JAAN).get("/my").get_data(as_text=True)
    assert "Roomassaare tee 27" in page
    assert f'href="{apply_url("TK-10002")}"' in page
    assert "ELVESO 2.2" in page  # the cap, with its clause


def test_a_user_role_gets_no_rebate_pages(login: Login) -> None:
    # ITB 2: a user submits readings and sees invoices; applying is the owner's.
    peeter = login(PEETER)
    assert peeter.get("/my/rebates").status_code == 404
    assert peeter.get(apply_url("TK-20002")).status_code == 404
    assert "Garden water" not in peeter.get("/my").get_data(as_text=True)


def test_someone_elses_site_is_not_found(login: Login) -> None:
    assert login(MARI).get(apply_url("TK-10002")).status_code == 404


def test_a_site_with_several_main_meters_says_why_it_cannot_apply(login: Login) -> None:
    page = login(KATI).get(apply_url("TK-20001")).get_data(as_text=True)
    assert "one main meter" in page
    assert 'name="consent"' not in page
    response = send(login(KATI), "TK-20001", method="A")
    assert applications() == []
    assert response.status_code == 200


# --------------------------------------------------------------------------- preconditions


def test_the_form_shows_the_preconditions_before_sending(login: Login) -> None:
    page = login(JAAN).get(apply_url("TK-10002")).get_data(as_text=True)
    # Jaan's sub-meter is in the register: the form suggests it.
    assert 'value="00234568"' in page
    assert 'data-testid="preconditions"' in page
    assert "Choose the method to see which conditions are met." in page


def test_the_preview_lists_each_precondition_with_its_clause(login: Login) -> None:
    jaan = login(JAAN)
    url = apply_url("TK-10002")
    token = csrf_token_from(jaan.get(url).get_data(as_text=True))
    response = jaan.post(url + "/preview", data={"csrf_token": token, "method": "B",
                                                 "house_type": "detached", **JAANS_SUB_METER},
                         headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    page = response.get_data(as_text=True)
    assert page.lstrip().startswith('<section id="preconditions"')
    states = dict(re.findall(r'data-check="([a-z_]+)" data-state="([a-z]+)"', page))
    assert states["sub_meter_accepted"] == "met"
    assert states["sub_meter_sealed"] == "met"
    assert states["contract_valid"] == "met"
    assert "ELVESO 3.6.4 (2.1.1)" in page
    # An unknown sub-meter is not accepted: said in plain words, before sending.
    response = jaan.post(url + "/preview", data={"csrf_token": token, "method": "B",
                                                 "house_type": "detached",
                                                 "sub_meter_number": "X-1"})
    page = response.get_data(as_text=True)
    assert 'data-check="sub_meter_accepted" data-state="missing"' in page
    assert "not in the utility&#39;s register" in page


def test_checking_without_javascript_saves_nothing(login: Login) -> None:
    jaan = login(JAAN)
    url = apply_url("TK-10002")
    token = csrf_token_from(jaan.get(url).get_data(as_text=True))
    response = jaan.post(url, data={"csrf_token": token, "action": "check", "method": "A",
                                    "house_type": "detached"})
    assert response.status_code == 200
    assert 'data-check="history_since_october"' in response.get_data(as_text=True)
    assert applications() == []


# --------------------------------------------------------------------------- sending


def test_a_complete_application_is_sent_and_on_record(login: Login) -> None:
    response = send(login(JAAN), "TK-10002", method="B", **JAANS_SUB_METER)
    assert response.status_code == 303
    (application,) = applications()
    assert response.headers["Location"] == f"/my/rebates/{application.id}"
    assert application.status is RebateStatus.SUBMITTED
    assert application.rule_set == "ELVESO-2014"
    assert application.method.value == "B"
    assert application.sub_meter_number == "00234568"
    assert application.consent_given_at is not None
    (event,) = events("apply_for_rebate")
    assert event.acting_as == "owner"
    assert event.subject_person_id == application.applicant_id


@pytest.mark.parametrize(("fields", "message"), [
    ({"method": "B", **JAANS_SUB_METER, "consent": ""},
     "Confirm the statement to send the application."),
    ({"method": "B"}, "Enter the garden sub-meter&#39;s number"),
    ({"method": "B", "sub_meter_number": "00234568"}, "Enter the number of the sub-meter"),
    ({"method": "C"}, "Not a valid choice"),
    ({"method": "A", "house_type": "castle"}, "Not a valid choice"),
    ({"method": "A", "house_type": "semi_detached"}, "name at least one co-applicant"),
    ({"method": "A", "house_type": "terraced", "joint_code_1": "12345678901",
      "joint_name_1": "Naaber"}, "Enter a valid Estonian personal identification code"),
    ({"method": "A", "house_type": "terraced", "joint_code_1": MARI},
     "Enter the co-applicant&#39;s name."),
    ({"method": "A", "house_type": "terraced", "joint_code_1": JAAN, "joint_name_1": "Jaan"},
     "You are the applicant"),
    ({"method": "A", "house_type": "terraced", "joint_code_1": MARI, "joint_name_1": "Mari",
      "joint_code_2": MARI, "joint_name_2": "Mari"}, "A co-applicant is named twice."),
    ({"method": "A", "sub_meter_verified_until": "31.02.2026"}, "Enter the date as dd.mm.yyyy."),
])
def test_bad_input_is_sent_back_and_saves_nothing(login: Login, fields: dict[str, str],
                                                  message: str) -> None:
    response = send(login(JAAN), "TK-10002", **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert applications() == []
    assert events("apply_for_rebate") == []


def test_a_method_the_rules_do_not_allow_is_refused(app: Flask, login: Login) -> None:
    from webapp.models import Utility

    utility = db.session.scalar(select(Utility))
    utility.rebate_rule_set = "TV-2020"  # method B only
    db.session.commit()
    response = send(login(JAAN), "TK-10002", method="A")
    assert response.status_code == 422
    assert applications() == []


def test_an_application_in_force_with_the_same_method_is_enough(login: Login) -> None:
    jaan = login(JAAN)
    assert send(jaan, "TK-10002", method="B", **JAANS_SUB_METER).status_code == 303
    again = send(jaan, "TK-10002", method="B", **JAANS_SUB_METER)
    assert again.status_code == 422
    assert "stays valid for later seasons" in again.get_data(as_text=True)
    assert len(applications()) == 1


def test_another_method_replaces_the_application_in_force(login: Login) -> None:
    jaan = login(JAAN)
    assert send(jaan, "TK-10002", method="B", **JAANS_SUB_METER).status_code == 303
    assert send(jaan, "TK-10002", method="A").status_code == 303
    first, second = applications()
    assert first.status is RebateStatus.SUPERSEDED
    assert first.superseded_by_id == second.id
    assert second.status is RebateStatus.SUBMITTED
    # Never approved, the first covered no season; the second counts from this year's.
    assert first.last_season == first.first_season - 1
    assert second.first_season == first.first_season


def test_a_replaced_approved_application_keeps_its_seasons(login: Login) -> None:
    import datetime as dt

    jaan = login(JAAN)
    assert send(jaan, "TK-10002", method="B", **JAANS_SUB_METER).status_code == 303
    (first,) = applications()
    first.first_season -= 2  # approved two years ago
    first.status, first.reviewed_at = RebateStatus.APPROVED, dt.datetime.now(dt.UTC)
    db.session.commit()
    assert send(jaan, "TK-10002", method="A").status_code == 303
    first, second = applications()
    # The seasons never overlap: the new one starts after the last the old one covers.
    assert first.last_season is not None and first.last_season >= first.first_season
    assert second.first_season == first.last_season + 1


# --------------------------------------------------------------------------- attachments


def test_an_attachment_is_checked_by_content_and_stored_with_its_digest(
        login: Login, app: Flask) -> None:
    jaan = login(JAAN)
    response = send(jaan, "TK-10002", files={"attachment": (io.BytesIO(MINIMAL_PDF),
                                                            "taatlus.pdf")},
                    method="B", **JAANS_SUB_METER)
    assert response.status_code == 303
    (application,) = applications()
    stored = application.attachment
    assert stored is not None
    assert stored.sha256 == hashlib.sha256(MINIMAL_PDF).hexdigest()
    assert stored.content_type == "application/pdf"
    path = Path(app.config["UPLOAD_FOLDER"]) / stored.sha256[:2] / stored.sha256
    assert path.read_bytes() == MINIMAL_PDF
    assert "static" not in str(path)
    download = jaan.get(f"/my/rebates/{application.id}/attachment")
    assert download.status_code == 200
    assert download.data == MINIMAL_PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert login(MARI).get(f"/my/rebates/{application.id}/attachment").status_code == 404


def test_a_photo_is_taken_too(login: Login) -> None:
    response = send(login(JAAN), "TK-10002", files={"attachment": (io.BytesIO(png_bytes()),
                                                                   "photo.png")},
                    method="B", **JAANS_SUB_METER)
    assert response.status_code == 303
    assert applications()[0].attachment.content_type == "image/png"  # type: ignore[union-attr]


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"<html><script>alert(1)</script></html>", "proof.pdf", "not a PDF, JPEG or PNG"),
    (b"%PDF-1.4 but no end", "broken.pdf", "not a PDF, JPEG or PNG"),
    (b"\x89PNG\r\n\x1a\nnot really", "fake.png", "not a PDF, JPEG or PNG"),
    (b"MZ\x90\x00", "virus.jpg", "not a PDF, JPEG or PNG"),
    (b"", "empty.pdf", "The file is empty."),
    (b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024) + b"\n%%EOF", "big.pdf",
     "larger than 10 MB"),
])
def test_a_file_that_is_not_a_document_is_refused_with_the_reason(
        login: Login, content: bytes, name: str, message: str) -> None:
    response = send(login(JAAN), "TK-10002", files={"attachment": (io.BytesIO(content), name)},
                    method="B", **JAANS_SUB_METER)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert applications() == []
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_content_types_are_told_by_the_bytes() -> None:
    assert uploads.content_type_of(MINIMAL_PDF) == uploads.PDF
    assert uploads.content_type_of(png_bytes()) == uploads.PNG
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="JPEG")
    assert uploads.content_type_of(buffer.getvalue()) == uploads.JPEG
    assert uploads.content_type_of(b"GIF89a") is None


# --------------------------------------------------------------------------- co-applicants


def test_a_joint_application_waits_for_every_co_applicant(login: Login) -> None:
    jaan = login(JAAN)
    response = send(jaan, "TK-10002", method="B", house_type="semi_detached",
                    joint_code_1=MARI, joint_name_1="Mari Maasikas", **JAANS_SUB_METER)
    assert response.status_code == 303
    (application,) = applications()
    assert application.status is RebateStatus.AWAITING_JOINT
    # The clerk cannot approve it yet (ELVESO 2.1.3).
    clerk = login(CLERK)
    page = clerk.get(f"/staff/rebates/{application.id}").get_data(as_text=True)
    clerk.post(f"/staff/rebates/{application.id}/approve",
               data={"csrf_token": csrf_token_from(page)})
    assert applications()[0].status is RebateStatus.AWAITING_JOINT
    # Someone not named finds nothing; Mari sees the request and confirms it.
    assert login(KATI).get(f"/my/rebates/joint/{application.id}").status_code == 404
    mari = login(MARI)
    assert "Garden water" in mari.get("/my").get_data(as_text=True)
    assert f"/my/rebates/joint/{application.id}" in mari.get("/my/rebates").get_data(
        as_text=True)
    form = mari.get(f"/my/rebates/joint/{application.id}").get_data(as_text=True)
    assert "Jaan Tamm" in form
    confirmed = mari.post(f"/my/rebates/joint/{application.id}",
                          data={"csrf_token": csrf_token_from(form)})
    assert confirmed.status_code == 303
    application = applications()[0]
    assert application.status is RebateStatus.SUBMITTED
    assert application.joint_applicants[0].confirmed_at is not None
    (event,) = events("confirm_joint_rebate_application")
    assert event.acting_as == "self"


# --------------------------------------------------------------------------- withdrawing


def test_withdrawing_asks_first_and_keeps_the_seasons_already_ended(login: Login) -> None:
    jaan = login(JAAN)
    send(jaan, "TK-10002", method="B", **JAANS_SUB_METER)
    (application,) = applications()
    page = jaan.get(f"/my/rebates/{application.id}/withdraw").get_data(as_text=True)
    assert "Withdraw the application?" in page
    assert applications()[0].status is RebateStatus.SUBMITTED
    response = jaan.post(f"/my/rebates/{application.id}/withdraw",
                         data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 303
    application = applications()[0]
    assert application.status is RebateStatus.WITHDRAWN
    assert application.last_season is not None
    assert events("withdraw_rebate_application")


# --------------------------------------------------------------------------- staff review


def sent_application(login: Login) -> RebateApplication:
    assert send(login(JAAN), "TK-10002", method="B", **JAANS_SUB_METER).status_code == 303
    return applications()[0]


def test_the_queue_shows_waiting_applications_to_clerks_only(login: Login) -> None:
    application = sent_application(login)
    page = login(CLERK).get("/staff/rebates/").get_data(as_text=True)
    assert f"/staff/rebates/{application.id}" in page
    assert "Roomassaare tee 27" in page
    assert login(INSPECTOR).get("/staff/rebates/").status_code == 404
    # The staff start page links the queue for those who may use it.
    assert 'href="/staff/rebates/"' in login(CLERK).get("/staff/").get_data(as_text=True)
    assert 'href="/staff/rebates/"' not in login(INSPECTOR).get("/staff/").get_data(
        as_text=True)
    assert login(JAAN).get("/staff/rebates/").status_code == 404
    assert login(CLERK).get("/staff/rebates/?status=bogus").status_code == 400


def test_the_review_shows_the_automatic_checks_and_is_on_record(login: Login) -> None:
    application = sent_application(login)
    page = login(CLERK).get(f"/staff/rebates/{application.id}").get_data(as_text=True)
    assert 'data-check="required_readings" data-state="met"' in page
    assert "ELVESO 3.6.6 (2.1.7, 3.2)" in page
    (event,) = events("view_rebate_application")
    assert event.acting_as == "clerk"
    assert event.purpose == "garden-water rebate review"
    assert event.subject_person_id == application.applicant_id


def test_the_clerk_approves(login: Login) -> None:
    application = sent_application(login)
    clerk = login(CLERK)
    page = clerk.get(f"/staff/rebates/{application.id}").get_data(as_text=True)
    response = clerk.post(f"/staff/rebates/{application.id}/approve",
                          data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 303
    application = applications()[0]
    assert application.status is RebateStatus.APPROVED
    assert application.reviewed_at is not None
    (event,) = events("approve_rebate_application")
    assert event.before == {"status": "submitted"}
    assert "approved" in login(JAAN).get(f"/my/rebates/{application.id}").get_data(
        as_text=True)


def test_a_refusal_names_a_ground_of_the_rules(login: Login) -> None:
    application = sent_application(login)
    clerk = login(CLERK)
    url = f"/staff/rebates/{application.id}"
    token = csrf_token_from(clerk.get(url).get_data(as_text=True))
    assert clerk.post(url + "/refuse", data={"csrf_token": token, "ground": "made_up"}
                      ).status_code == 422
    assert clerk.post(url + "/refuse", data={"csrf_token": token, "ground": ""}
                      ).status_code == 422
    assert applications()[0].status is RebateStatus.SUBMITTED
    response = clerk.post(url + "/refuse", data={"csrf_token": token, "ground": "bypass",
                                                 "note": "Möödaviik leitud 12.06."})
    assert response.status_code == 303
    application = applications()[0]
    assert application.status is RebateStatus.REFUSED
    assert application.refusal_ground == "bypass"
    (event,) = events("refuse_rebate_application")
    assert event.after["refusal_ground"] == "bypass"  # type: ignore[index]
    page = login(JAAN).get(f"/my/rebates/{application.id}").get_data(as_text=True)
    assert "No bypass" in page and "Möödaviik leitud" in page


def test_the_cap_is_raised_only_above_the_rules_and_with_a_reason(login: Login) -> None:
    application = sent_application(login)
    clerk = login(CLERK)
    url = f"/staff/rebates/{application.id}"
    token = csrf_token_from(clerk.get(url).get_data(as_text=True))
    for fields in ({"cap_m3": "30", "justification": "x"}, {"cap_m3": "abc"},
                   {"cap_m3": "40", "justification": ""}, {"cap_m3": "-5"}):
        assert clerk.post(url + "/cap", data={"csrf_token": token, **fields}
                          ).status_code == 422
    assert applications()[0].cap_m3 is None
    response = clerk.post(url + "/cap", data={"csrf_token": token, "cap_m3": "40,5",
                                              "justification": "Suur aed, põhjendatud."})
    assert response.status_code == 303
    application = applications()[0]
    assert str(application.cap_m3) == "40.500"
    assert events("raise_rebate_cap")


# --------------------------------------------------------------------------- the rules in force


def test_the_administrator_names_the_rules_in_force(login: Login) -> None:
    from webapp.models import Utility

    anne = login(ADMIN)
    page = anne.get("/staff/admin/settings").get_data(as_text=True)
    assert '<option selected value="ELVESO-2014">' in page
    token = csrf_token_from(page)
    for bad in ("NOPE", "", "../rules/x"):
        assert anne.post("/staff/admin/rebate-rules",
                         data={"csrf_token": token, "rule_set": bad}).status_code == 422
    assert anne.post("/staff/admin/rebate-rules",
                     data={"csrf_token": token, "rule_set": "TV-2020"}).status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(Utility.rebate_rule_set)) == "TV-2020"
    (event,) = [e for e in events("change_settings") if "rebate_rule_set" in (e.after or {})]
    assert event.before == {"rebate_rule_set": "ELVESO-2014"}
    # No rules: the portal offers no rebate.
    anne.post("/staff/admin/rebate-rules", data={"csrf_token": token, "rule_set": "none"})
    db.session.expire_all()
    assert db.session.scalar(select(Utility.rebate_rule_set)) is None
    assert "Garden water" not in login(JAAN).get("/my").get_data(as_text=True)
    assert login(JAAN).get("/my/rebates").status_code == 404


def test_a_new_owner_does_not_see_the_previous_customers_application(login: Login) -> None:
    import datetime as dt

    from webapp.models import ContractStatus, Customer, Person, ServiceContract

    application = sent_application(login)
    site = db.session.get(Site, application.site_id)
    old = db.session.scalar(select(ServiceContract).where(ServiceContract.number == "L-2019-0002"))
    yesterday = dt.date.today() - dt.timedelta(days=2)
    old.end_date, old.status = yesterday, ContractStatus.ENDED  # type: ignore[union-attr]
    mari = db.session.scalar(select(Customer).join(Person).where(Person.personal_code == MARI))
    db.session.add(ServiceContract(number="L-2026-0099", customer_id=mari.id,  # type: ignore[union-attr]
                                   start_date=yesterday + dt.timedelta(days=1), sites=[site]))
    db.session.commit()
    new_owner = login(MARI)
    page = new_owner.get("/my/rebates").get_data(as_text=True)
    assert "Roomassaare tee 27" in page  # her site now, where she may apply herself
    assert f"/my/rebates/{application.id}" not in page
    assert new_owner.get(f"/my/rebates/{application.id}").status_code == 404
    # Her own application ends the previous customer's: one in force per site.
    assert send(new_owner, "TK-10002", method="A").status_code == 303
    old, new = applications()
    assert old.status is RebateStatus.SUPERSEDED and new.customer_id == mari.id  # type: ignore[union-attr]


def test_an_installation_request_is_matched_with_the_sub_meter_once_installed(
        login: Login) -> None:
    from webapp.models import Meter, MeterKind

    # Mari has no garden sub-meter yet: she asks the utility to install one.
    mari = login(MARI)
    response = send(mari, "TK-10001", method="B", installation_requested="y")
    assert response.status_code == 303
    (application,) = applications()
    assert application.installation_requested and application.sub_meter_number is None
    clerk = login(CLERK)
    page = clerk.get(f"/staff/rebates/{application.id}").get_data(as_text=True)
    assert 'data-check="sub_meter_accepted" data-state="missing"' in page
    # The utility installs it: the site's one sub-meter in the register is the one.
    import datetime as dt

    db.session.add(Meter(number="G-NEW-1", site_id=application.site_id,
                         kind=MeterKind.GARDEN_SUB_METER, installed_on=dt.date(2020, 1, 1),
                         verified_until=dt.date(2099, 1, 1), seal_number="SV-9"))
    db.session.commit()
    page = clerk.get(f"/staff/rebates/{application.id}").get_data(as_text=True)
    assert 'data-check="sub_meter_accepted" data-state="met"' in page
    assert 'data-check="sub_meter_sealed" data-state="met"' in page

"""Interruption notices to every affected customer (KEE §13(3)-(4)): the staff page
refuses a planned start less than five calendar days ahead (emergency works are not
bound), requires the temporary water supply of an interruption over one day, counts
the sites (htmx), and the run issues one numbered notice per site, which its customer
sees in the portal and gets by e-mail; a second run while one goes is refused."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select

from tests.acts.helpers import assert_estonian_words, pdftotext
from tests.conftest import CLERK, JAAN, MARI, csrf_token_from
from webapp.extensions import db, mail
from webapp.models import (
    ActKind,
    ActStatus,
    NoticeRun,
    OfficialDocument,
    RebateRunStatus,
    Site,
)
from webapp.services import uploads
from webapp.services.access import today_in_tallinn

Login = Callable[[str], FlaskClient]
PAGE = "/staff/acts/interruptions"
# Mari's house, Jaan's house, a Kodu Haldus building: three customers.
CODES = "TK-10001\ntk-10002"
STREET = "tallinna TN"  # any case: Tallinna tn 62 (TK-20001)

# What an Estonian customer's PDF says (msgids; their Estonian must be in it).
ESTONIAN_WORDS = ["Interruption", "Area", "Works", "Starts", "Ends", "Contact phone"]


def _at(days: int, hour: int) -> str:
    day = today_in_tallinn() + dt.timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00"


def _form(**changes: Any) -> dict[str, Any]:
    sent: dict[str, Any] = {
        "street": STREET, "site_codes": CODES,
        "area": "Kaevu tn, Roomassaare tee and Tallinna tn 62",
        "works": "Replacing the water main valve", "starts_at": _at(5, 9),
        "ends_at": _at(5, 15), "planned": "y", "temporary_supply": "",
        "contact_phone": "+372 453 3000", "confirm": "y"}
    sent.update(changes)
    return {name: value for name, value in sent.items() if value is not None}


def _post(client: FlaskClient, **changes: Any) -> Any:
    page = client.get(PAGE)
    assert page.status_code == 200
    return client.post(PAGE, data={"csrf_token": csrf_token_from(page.text), **_form(**changes)})


def _runs() -> int:
    return db.session.scalar(select(func.count()).select_from(NoticeRun)) or 0


@pytest.mark.usefixtures("demo")
def test_planned_works_need_five_days_notice_emergency_works_do_not(login: Login) -> None:
    clerk = login(CLERK)
    # KEE §13(3): starting in four days, a notice sent today is too short
    short = _post(clerk, starts_at=_at(4, 9), ends_at=_at(4, 15))
    assert short.status_code == 422
    assert "five calendar days" in short.text and "KEE §13(3)" in short.text
    earliest = (today_in_tallinn() + dt.timedelta(days=5)).strftime("%d.%m.%Y")
    assert earliest in short.text
    assert _runs() == 0
    assert db.session.scalar(select(func.count()).select_from(OfficialDocument)) == 0
    # the same works as emergency works: no notice period
    emergency = _post(clerk, starts_at=_at(0, 23), ends_at=_at(1, 3), planned=None)
    assert emergency.status_code == 303, emergency.text
    assert _runs() == 1
    # five days ahead is enough for planned works
    assert _post(clerk).status_code == 303


@pytest.mark.usefixtures("demo")
def test_over_one_day_needs_temporary_supply_and_the_end_follows_the_start(
        login: Login) -> None:
    clerk = login(CLERK)
    # KEE §13(4): 25 hours, over one day
    long = _post(clerk, starts_at=_at(6, 8), ends_at=_at(7, 9))
    assert long.status_code == 422
    assert "KEE §13(4)" in long.text and "field--error" in long.text
    backwards = _post(clerk, starts_at=_at(6, 8), ends_at=_at(6, 7))
    assert backwards.status_code == 422 and "The end must be after the start." in backwards.text
    nothing = _post(clerk, street="", site_codes="")
    assert nothing.status_code == 422 and "Give a street or area, or site codes." in nothing.text
    unknown = _post(clerk, site_codes="TK-99999")
    assert unknown.status_code == 422 and "TK-99999" in unknown.text
    assert _runs() == 0
    # exactly one day (24 hours) is not over one day; with the place given, 25 hours go
    assert _post(clerk, starts_at=_at(6, 8), ends_at=_at(7, 8)).status_code == 303
    assert _post(clerk, starts_at=_at(6, 8), ends_at=_at(7, 9),
                 temporary_supply="Water tank at Kaevu tn 10").status_code == 303


@pytest.mark.usefixtures("demo")
def test_the_run_issues_a_numbered_notice_per_site_and_tells_each_customer(
        login: Login) -> None:
    clerk = login(CLERK)
    page = clerk.get(PAGE)
    token = csrf_token_from(page.text)
    count = clerk.post(f"{PAGE}/preview", data={"csrf_token": token, "street": STREET,
                                                "site_codes": CODES},
                       headers={"HX-Request": "true"})
    assert count.status_code == 200
    assert 'data-sites="3"' in count.text and 'data-customers="3"' in count.text
    unconfirmed = _post(clerk, confirm=None)
    assert unconfirmed.status_code == 422 and "send 3 notices" in unconfirmed.text
    assert _runs() == 0

    with mail.record_messages() as outbox:
        started = _post(clerk, temporary_supply="Water tank at Kaevu tn 10")
        assert started.status_code == 303
    run = db.session.scalar(select(NoticeRun))
    assert run is not None and run.status is RebateRunStatus.FINISHED
    assert (run.done, run.total) == (3, 3)
    docs = list(db.session.scalars(select(OfficialDocument).where(
        OfficialDocument.batch_key == run.batch_key).order_by(OfficialDocument.serial)))
    assert len(docs) == 3
    assert all(doc.kind is ActKind.INTERRUPTION_NOTICE and doc.status is ActStatus.ISSUED
               for doc in docs)
    year = today_in_tallinn().year
    first = docs[0].serial
    assert [doc.number for doc in docs] == [f"KAT-{year}-{serial:05d}"
                                            for serial in range(first, first + 3)]
    sites = {doc.site.code: doc for doc in docs}
    assert set(sites) == {"TK-10001", "TK-10002", "TK-20001"}
    assert len({doc.customer_id for doc in docs}) == 3
    assert sorted(message.recipients[0] for message in outbox) == [
        "arved@koduhaldus.example", "jaan.tamm@example.com", "mari.maasikas@example.com"]
    assert all(doc.number in " ".join(m.subject for m in outbox) for doc in docs)

    detail = clerk.get(f"/staff/acts/{docs[0].id}")
    assert detail.status_code == 200 and docs[0].number in detail.text
    assert clerk.get(f"/staff/acts/{docs[0].id}/print").status_code == 200
    index = clerk.get("/staff/acts/")
    assert 'href="/staff/acts/interruptions"' in index.text
    assert clerk.get(started.headers["Location"]).status_code == 200
    assert 'data-testid="notice-runs"' in clerk.get(PAGE).text
    progress = clerk.get(started.headers["Location"], headers={"HX-Request": "true"})
    assert 'data-issued="3"' in progress.text and 'data-status="finished"' in progress.text
    listing = clerk.get("/staff/acts/", query_string={"batch": run.batch_key})
    assert listing.status_code == 200
    assert all(doc.number in listing.text for doc in docs)
    batch = clerk.get(f"{PAGE}/{run.id}/pdf")
    assert batch.status_code == 200
    assert len(PdfReader(io.BytesIO(batch.data)).pages) == sum(
        len(PdfReader(io.BytesIO(uploads.read(doc.pdf_file))).pages) for doc in docs) == 3

    mari, jaan = login(MARI), login(JAAN)
    assert sites["TK-10001"].number in mari.get("/my/documents").text
    assert sites["TK-10002"].number not in mari.get("/my/documents").text
    assert sites["TK-10002"].number in jaan.get("/my/documents").text
    own = mari.get(f"/my/documents/{sites['TK-10001'].id}/pdf")
    assert own.status_code == 200

    text = pdftotext(own.data)
    assert sites["TK-10001"].number in text
    start = (today_in_tallinn() + dt.timedelta(days=5)).strftime("%d.%m.%Y")
    assert f"{start} 09:00" in text and f"{start} 15:00" in text  # dd.mm.yyyy hh:mm
    assert "KEE §13(3)" in text and "KEE §13(4)" in text
    assert "+372 453 3000" in text and "Replacing the water main valve" in text
    assert "Water tank at Kaevu tn 10" in text and "Kaevu tn 12" in text
    assert_estonian_words(text, ESTONIAN_WORDS)


@pytest.mark.usefixtures("demo")
def test_a_second_run_while_one_goes_is_refused(login: Login) -> None:
    db.session.add(NoticeRun(batch_key="f" * 32, status=RebateRunStatus.RUNNING, total=1,
                             data={"notice": {"area": "elsewhere"}, "site_ids": []}))
    db.session.commit()
    refused = _post(login(CLERK))
    assert refused.status_code == 422
    assert "Notices of another interruption are being sent" in refused.text
    assert _runs() == 1
    assert db.session.scalar(select(func.count()).select_from(OfficialDocument)) == 0
    assert db.session.scalar(select(Site.id).where(Site.code == "TK-10001")) is not None

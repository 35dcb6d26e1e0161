"""A contract's life after signing (issue 8 items 4 and 5): a sale notified ahead and
the use without a contract after it, termination with final readings, the utility's
termination with a written notice, temporary closure and reopening, and renewal
within a year (KEE §6-§7)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_mail import Message
from pypdf import PdfReader
from sqlalchemy import select

from tests.conftest import CLERK, INSPECTOR, KATI, MARI, csrf_token_from
from webapp.extensions import db, mail
from webapp.models import (
    AuditEvent,
    ContractApplication,
    ContractApplicationKind,
    ContractApplicationStatus,
    ContractEventKind,
    Meter,
    Reading,
    ServiceContract,
)
from webapp.services.access import today_in_tallinn

Login = Callable[[str], FlaskClient]
TODAY = today_in_tallinn()


@pytest.fixture
def outbox(app: Flask) -> Iterator[list[Message]]:
    with mail.record_messages() as messages:
        yield messages


def maris_contract() -> ServiceContract:
    db.session.expire_all()
    contract = db.session.scalar(select(ServiceContract).where(
        ServiceContract.number == "L-2019-0001"))
    assert contract is not None
    return contract


def post(client: FlaskClient, url: str, data: dict[str, Any], page: str) -> Any:
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def contract_url() -> str:
    return f"/my/contracts/c/{maris_contract().id}"


def days(count: int) -> str:
    return (TODAY + dt.timedelta(days=count)).isoformat()


def test_the_customer_finds_the_contract(login: Login) -> None:
    mari = login(MARI)
    assert f'href="{contract_url()}"' in mari.get("/my/contracts").get_data(as_text=True)
    page = mari.get(contract_url()).get_data(as_text=True)
    assert "L-2019-0001" in page and "Kaevu tn 12" in page
    assert login(KATI).get(contract_url()).status_code == 404


# --------------------------------------------------------------------------- a sale


def test_a_sale_is_notified_at_least_14_days_ahead(login: Login, outbox: list[Message]
                                                   ) -> None:
    mari = login(MARI)
    url = contract_url()
    late = post(mari, url + "/sale", {"sale_on": days(10)}, url)
    assert late.status_code == 422
    assert "at least 14 days ahead (KEE §6(1))" in late.get_data(as_text=True)
    assert maris_contract().end_date is None
    response = post(mari, url + "/sale", {"sale_on": days(20), "new_owner": "Uus Omanik"}, url)
    assert response.status_code == 303
    contract = maris_contract()
    assert contract.end_date == TODAY + dt.timedelta(days=19)  # the day before the sale
    (event,) = contract.events
    assert event.kind is ContractEventKind.SALE_NOTICE and event.new_owner == "Uus Omanik"
    assert outbox and "L-2019-0001" in outbox[-1].subject
    assert post(login(KATI), url + "/sale", {"sale_on": days(30)}, "/my/contracts"
                ).status_code == 404


def test_a_sold_site_without_a_new_application_is_used_without_a_contract(login: Login
                                                                          ) -> None:
    mari = login(MARI)
    url = contract_url()
    assert post(mari, url + "/sale", {"sale_on": days(20)}, url).status_code == 303
    # Three weeks later than now: the sale was 10 days ago, the 7 days have passed.
    contract = maris_contract()
    (event,) = contract.events
    event.effective_on = TODAY - dt.timedelta(days=10)
    event.occurred_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    contract.end_date = TODAY - dt.timedelta(days=11)
    db.session.commit()
    queue = login(CLERK).get("/staff/contracts/").get_data(as_text=True)
    assert 'data-testid="without-contract"' in queue and "Kaevu tn 12" in queue
    # The new owner applies: no longer listed.
    db.session.add(ContractApplication(
        applicant_id=contract.customer.person_id, cadastral_number="34901:005:0123",
        status=ContractApplicationStatus.RECEIVED, submitted_at=dt.datetime.now(dt.UTC)))
    db.session.commit()
    queue = login(CLERK).get("/staff/contracts/").get_data(as_text=True)
    assert 'data-testid="without-contract"' not in queue


# --------------------------------------------------------------------------- termination


def test_the_customer_ends_the_contract_with_the_final_reading(login: Login) -> None:
    mari = login(MARI)
    url = contract_url() + "/end"
    page = mari.get(url).get_data(as_text=True)
    meter = db.session.scalar(select(Meter).where(Meter.number == "00123456"))
    assert meter is not None and f'name="reading-{meter.id}"' in page
    last = db.session.scalar(select(Reading.value).where(
        Reading.meter_id == meter.id, Reading.replaced_by_id.is_(None))
        .order_by(Reading.reading_date.desc()).limit(1))
    assert last is not None
    common = {"end_on": days(5), "reading_day": TODAY.isoformat()}
    missing = post(mari, url, common, url)
    assert missing.status_code == 422 and "final reading of meter 00123456" in \
        missing.get_data(as_text=True)
    below = post(mari, url, {**common, f"reading-{meter.id}": str(last - 1)}, url)
    assert below.status_code == 422
    past = post(mari, url, {**common, "end_on": days(-1),
                            f"reading-{meter.id}": str(last + 1)}, url)
    assert past.status_code == 422
    assert maris_contract().end_date is None
    value = last + Decimal("2.5")
    assert post(mari, url, {**common, f"reading-{meter.id}": str(value).replace(".", ",")},
                url).status_code == 303
    assert maris_contract().end_date == TODAY + dt.timedelta(days=5)
    saved = db.session.scalar(select(Reading).where(Reading.meter_id == meter.id,
                                                    Reading.value == value))
    assert saved is not None and saved.reading_date == TODAY


def test_the_utility_ends_a_contract_with_a_written_notice(login: Login,
                                                           outbox: list[Message]) -> None:
    clerk = login(CLERK)
    contract = maris_contract()
    url = f"/staff/contracts/c/{contract.id}"
    assert post(clerk, url + "/terminate", {"ground": "9", "end_on": days(3)}, url
                ).status_code == 422
    assert post(clerk, url + "/terminate", {"ground": "3", "end_on": days(-3)}, url
                ).status_code == 422
    response = post(clerk, url + "/terminate", {"ground": "3", "end_on": days(3),
                                                "note": "Hoone lammutati."}, url)
    assert response.status_code == 303
    contract = maris_contract()
    assert contract.end_date == TODAY + dt.timedelta(days=3)
    (event,) = contract.events
    assert event.kind is ContractEventKind.UTILITY_TERMINATION
    assert event.notice_file is not None
    # The customer reads the notice in the portal; it gives the ground and its clause.
    mari = login(MARI)
    notice = mari.get(f"{contract_url()}/notice/{event.id}")
    assert notice.status_code == 200 and notice.mimetype == "application/pdf"
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(
        io.BytesIO(notice.data)).pages).split())
    assert "KEE §6(3)" in text and "Hoone lammutati." in text and "L-2019-0001" in text
    assert "L-2019-0001" in outbox[-1].subject
    assert any(e.action == "terminate_contract_by_utility"
               for e in db.session.scalars(select(AuditEvent)))
    assert login(INSPECTOR).get(url).status_code == 404
    assert login(KATI).get(f"{contract_url()}/notice/{event.id}").status_code == 404


# --------------------------------------------------------------------------- closure


def test_the_supply_is_closed_for_up_to_a_year_and_opened_again(login: Login) -> None:
    mari = login(MARI)
    url = contract_url()
    too_long = post(mari, url + "/close", {"start": days(2), "until": days(2 + 400)}, url)
    assert too_long.status_code == 422
    assert "up to a year (KEE §6(2))" in too_long.get_data(as_text=True)
    assert post(mari, url + "/close", {"start": days(0), "until": days(60)}, url
                ).status_code == 303
    page = mari.get(url).get_data(as_text=True)
    assert "supply closed until" in page
    assert post(mari, url + "/close", {"start": days(0), "until": days(10)}, url
                ).status_code == 303  # refused: already closed, said on the page
    assert len(maris_contract().events) == 1
    assert post(mari, url + "/reopen", {}, url).status_code == 303
    kinds = [event.kind for event in maris_contract().events]
    assert kinds == [ContractEventKind.CLOSURE, ContractEventKind.REOPENING]
    assert "supply closed until" not in mari.get(url).get_data(as_text=True)


# --------------------------------------------------------------------------- renewal


def test_an_ended_contract_is_renewed_within_a_year(login: Login) -> None:
    contract = maris_contract()
    contract.end_date = TODAY - dt.timedelta(days=30)
    db.session.commit()
    mari = login(MARI)
    url = contract_url()
    page = mari.get(url).get_data(as_text=True)
    assert 'data-testid="renew"' in page
    assert post(mari, url + "/renew", {}, url).status_code == 303
    application = db.session.scalar(select(ContractApplication))
    assert application is not None
    assert application.kind is ContractApplicationKind.RENEWAL
    assert application.renews_id == contract.id
    assert application.status is ContractApplicationStatus.RECEIVED
    # The clerk's draft suggests the same site.
    draft = login(CLERK).get(f"/staff/contracts/{application.id}/draft")
    assert 'value="TK-10001"' in draft.get_data(as_text=True)
    assert post(mari, url + "/renew", {}, url).status_code == 303  # once only
    assert db.session.scalar(select(ContractApplication.id).where(
        ContractApplication.id != application.id)) is None


def test_after_a_year_a_new_connection_contract_is_needed(login: Login) -> None:
    contract = maris_contract()
    contract.end_date = TODAY - dt.timedelta(days=400)
    db.session.commit()
    mari = login(MARI)
    url = contract_url()
    page = mari.get(url).get_data(as_text=True)
    assert 'data-testid="renewal-expired"' in page
    assert "new connection contract is needed (KEE §7(1))" in page
    post(mari, url + "/renew", {}, url)
    assert db.session.scalar(select(ContractApplication.id)) is None

"""The season run (issue 7 item 6) and decision letters (item 7): decisions stored with
their inputs, credits booked once, reruns that replace and keep history, the summary,
the staff button, and the letter's PDF."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select

from tests.conftest import CLERK, INSPECTOR, JAAN, KATI, MARI, csrf_token_from
from webapp.domain.rebate_cases import decision_json, parse_case
from webapp.domain.rebates import evaluate
from webapp.domain.rule_sets import load_rule_set
from webapp.extensions import db
from webapp.models import (
    AuditEvent,
    Meter,
    Price,
    PriceKind,
    Reading,
    ReadingChannel,
    RebateApplication,
    RebateCredit,
    RebateDecisionRecord,
    RebateRun,
    RebateRunStatus,
    RebateStatus,
    Site,
)
from webapp.models.base import utcnow
from webapp.services.access import today_in_tallinn
from webapp.services.rebates import latest_ended_season

Login = Callable[[str], FlaskClient]
ELVESO = load_rule_set("ELVESO-2014")
SEASON = latest_ended_season(ELVESO, today_in_tallinn())


def site(code: str) -> Site:
    found = db.session.scalar(select(Site).where(Site.code == code))
    assert found is not None
    return found


def approved(login: Login, code: str = "TK-10002", who: str = JAAN, **fields: str
             ) -> RebateApplication:
    """An application sent in the portal and approved by the clerk, counting from SEASON."""
    client = login(who)
    url = f"/my/rebates/apply/{site(code).id}"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    sent = client.post(url, data={"csrf_token": token, "action": "send", "consent": "y",
                                  "house_type": "detached", **fields})
    assert sent.status_code == 303, sent.get_data(as_text=True)
    application = db.session.scalars(select(RebateApplication)
                                     .order_by(RebateApplication.id.desc())).first()
    assert application is not None
    clerk = login(CLERK)
    page = clerk.get(f"/staff/rebates/{application.id}").get_data(as_text=True)
    assert clerk.post(f"/staff/rebates/{application.id}/approve",
                      data={"csrf_token": csrf_token_from(page)}).status_code == 303
    db.session.expire_all()
    # An application made today counts from this year's season; the demo's readings
    # are the last two years', so the tests compute the latest season that has ended.
    application.first_season = SEASON
    db.session.commit()
    return application


def jaans(login: Login) -> RebateApplication:
    return approved(login, method="B", sub_meter_number="00234568",
                    sub_meter_seal="SV-104614")


def run(runner: Any, season: int = SEASON) -> Any:
    return runner.invoke(args=["rebates", "run", "--season", str(season)])


def current_decisions() -> list[RebateDecisionRecord]:
    db.session.expire_all()
    return list(db.session.scalars(select(RebateDecisionRecord)
                                   .where(RebateDecisionRecord.superseded_at.is_(None))
                                   .order_by(RebateDecisionRecord.id)))


def credits_of(site_id: int, season: int = SEASON) -> list[Decimal]:
    return list(db.session.scalars(select(RebateCredit.amount_eur)
                                   .where(RebateCredit.site_id == site_id,
                                          RebateCredit.season == season)
                                   .order_by(RebateCredit.id)))


# --------------------------------------------------------------------------- the run


def test_the_run_decides_stores_the_inputs_and_credits(login: Login, runner: Any) -> None:
    application = jaans(login)
    result = run(runner)
    assert result.exit_code == 0, result.output
    assert f"Season {SEASON} under ELVESO-2014" in result.output
    assert "1 application(s), 1 eligible, 0 refused" in result.output
    (decision,) = current_decisions()
    assert decision.application_id == application.id
    assert decision.eligible
    assert decision.volume_m3 > 0
    assert decision.run is not None and decision.run.status is RebateRunStatus.FINISHED
    # The stored inputs are a case `flask rebates evaluate` takes: recomputing them
    # gives the stored result exactly.
    recomputed = evaluate(parse_case(decision.inputs))
    assert decision_json(recomputed, details=False) == decision.result
    assert decision_json(recomputed)["checks"][0]["detail"]  # the explanations, again
    assert decision.result["volume_m3"] == str(decision.volume_m3)
    # ELVESO 3.4: the refund is a prepayment for the next invoice.
    assert credits_of(decision.site_id) == [decision.refund_eur]
    (event,) = db.session.scalars(select(AuditEvent)
                                  .where(AuditEvent.action == "run_rebate_season"))
    assert event.acting_as == "operator"


def test_running_twice_credits_once(login: Login, runner: Any) -> None:
    jaans(login)
    assert run(runner).exit_code == 0
    again = run(runner)
    assert again.exit_code == 0
    assert "0 new, 0 replaced, 1 unchanged" in again.output
    assert "credited now 0.00 EUR" in again.output
    (decision,) = current_decisions()
    assert credits_of(decision.site_id) == [decision.refund_eur]
    assert db.session.scalar(select(func.count()).select_from(RebateDecisionRecord)) == 1


def correct_end_reading(number: str, season: int, rise: Decimal) -> None:
    """Staff correct a meter's reading at the end of the watering period: the old one
    stays, replaced, as the back office does."""
    meter = db.session.scalar(select(Meter).where(Meter.number == number))
    assert meter is not None
    end = ELVESO.watering_window.last_day(season)
    old = db.session.scalar(select(Reading).where(Reading.meter_id == meter.id,
                                                  Reading.reading_date == end,
                                                  Reading.replaced_by_id.is_(None)))
    assert old is not None, f"the demo has no reading of {number} on {end}"
    new = Reading(meter_id=meter.id, value=old.value + rise, reading_date=end,
                  channel=ReadingChannel.STAFF, correction_reason="misread")
    db.session.add(new)
    db.session.flush()
    old.replaced_by_id = new.id
    db.session.commit()


def test_a_rerun_after_a_correction_replaces_the_decision_and_keeps_history(
        login: Login, runner: Any) -> None:
    jaans(login)
    assert run(runner).exit_code == 0
    (first,) = current_decisions()
    correct_end_reading("00234568", SEASON, Decimal("0.500"))
    result = run(runner)
    assert "0 new, 1 replaced, 0 unchanged" in result.output
    (second,) = current_decisions()
    assert second.id != first.id
    assert second.volume_m3 == first.volume_m3 + Decimal("0.500")
    db.session.refresh(first)
    assert first.superseded_at is not None  # kept as history
    # Only the difference is credited: the credits add up to the current refund.
    credits = credits_of(second.site_id)
    assert credits == [first.refund_eur, second.refund_eur - first.refund_eur]
    assert sum(credits) == second.refund_eur
    # The resident sees both, the replaced one marked.
    page = login(JAAN).get(f"/my/rebates/{second.application_id}").get_data(as_text=True)
    assert "replaced on" in page


def test_a_lower_refund_books_a_negative_correction(login: Login, runner: Any) -> None:
    application = jaans(login)
    assert run(runner).exit_code == 0
    (first,) = current_decisions()
    application = db.session.get(RebateApplication, application.id)  # type: ignore[assignment]
    # A raised cap that changes nothing keeps the decision; a refund that falls books
    # the difference as a negative credit.
    correct_end_reading("00234568", SEASON, Decimal("-1.000"))
    assert run(runner).exit_code == 0
    (second,) = current_decisions()
    assert second.refund_eur < first.refund_eur
    assert sum(credits_of(second.site_id)) == second.refund_eur
    assert credits_of(second.site_id)[-1] < 0


def test_readings_that_cannot_be_judged_stop_one_site_not_the_run(
        login: Login, runner: Any) -> None:
    jaans(login)
    assert run(runner).exit_code == 0
    (first,) = current_decisions()
    # A correction above the next month's reading: the meter would run backwards.
    correct_end_reading("00234568", SEASON, Decimal("50.000"))
    result = run(runner)
    assert result.exit_code == 0, result.output
    assert "Not computed, the readings need correcting first (1):" in result.output
    assert "site TK-10002" in result.output and "does not run backwards" in result.output
    assert [decision.id for decision in current_decisions()] == [first.id]  # unchanged
    assert sum(credits_of(first.site_id)) == first.refund_eur


def test_refusals_are_counted_by_ground_with_their_clauses(login: Login, runner: Any) -> None:
    jaans(login)
    # Mari asks for method B with a sub-meter the utility never accepted.
    approved(login, code="TK-10001", who=MARI, method="B", sub_meter_number="X-404",
             sub_meter_seal="S-1")
    result = run(runner)
    assert result.exit_code == 0, result.output
    assert "2 application(s), 1 eligible, 1 refused" in result.output
    assert "Refusals by ground:" in result.output
    assert "ELVESO 3.6.4 (2.1.1) (sub_meter_accepted): 1" in result.output
    assert "ELVESO 3.6.3 (2.1.1) (sub_meter_sealed): 1" in result.output
    refused = next(d for d in current_decisions() if not d.eligible)
    assert refused.volume_m3 == 0 and refused.refund_eur == 0
    assert credits_of(refused.site_id) == []  # nothing to credit


def test_only_approved_applications_count(login: Login, runner: Any) -> None:
    client = login(JAAN)
    url = f"/my/rebates/apply/{site('TK-10002').id}"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    client.post(url, data={"csrf_token": token, "action": "send", "consent": "y",
                           "house_type": "detached", "method": "A"})
    application = db.session.scalar(select(RebateApplication))
    assert application is not None and application.status is RebateStatus.SUBMITTED
    application.first_season = SEASON
    db.session.commit()
    result = run(runner)
    assert "0 application(s)" in result.output
    assert "1 application(s) still waiting for review" in result.output
    assert current_decisions() == []


@pytest.mark.parametrize(("season", "code", "message"), [
    ("abc", 2, "is not a valid integer"),
    ("", 2, "is not a valid integer"),
    ("0", 2, "is not in the range"),
    (str(SEASON + 1), 1, "has not ended yet"),
    ("2013", 1, "No rule set of the utility was in force"),
    ("2014", 1, "There is no sewer price in force on 31.08.2014"),
])
def test_a_run_that_cannot_be_made_says_why_and_changes_nothing(
        login: Login, runner: Any, season: str, code: int, message: str) -> None:
    jaans(login)
    result = runner.invoke(args=["rebates", "run", "--season", season])
    assert result.exit_code == code
    assert message in result.output
    assert db.session.scalar(select(func.count()).select_from(RebateRun)) == 0
    assert current_decisions() == []


def test_one_run_at_a_time_and_a_dead_one_is_ended(login: Login, runner: Any) -> None:
    jaans(login)
    going = RebateRun(season=SEASON, status=RebateRunStatus.RUNNING)
    db.session.add(going)
    db.session.commit()
    result = run(runner)
    assert result.exit_code == 1
    assert "going already" in result.output
    # A run that gave no sign of life for ten minutes has died with its process.
    going.heartbeat_at = utcnow() - dt.timedelta(minutes=11)
    db.session.commit()
    assert run(runner).exit_code == 0
    db.session.refresh(going)
    assert going.status is RebateRunStatus.FAILED


def test_no_sewer_price_for_the_season_refuses_the_run(login: Login, runner: Any) -> None:
    jaans(login)
    for price in db.session.scalars(select(Price).where(Price.kind == PriceKind.SEWER)):
        db.session.delete(price)
    db.session.commit()
    result = run(runner)
    assert result.exit_code == 1
    assert "no sewer price" in result.output


# --------------------------------------------------------------------------- the staff button


def test_the_clerk_runs_the_season_from_the_page(login: Login) -> None:
    jaans(login)
    clerk = login(CLERK)
    page = clerk.get("/staff/rebates/runs").get_data(as_text=True)
    assert f'value="{SEASON}"' in page  # the latest season ended is offered
    token = csrf_token_from(page)
    assert clerk.post("/staff/rebates/runs", data={"csrf_token": token, "season": "x"}
                      ).status_code == 422
    assert clerk.post("/staff/rebates/runs", data={"csrf_token": token,
                                                   "season": str(SEASON + 1)}
                      ).status_code == 422
    response = clerk.post("/staff/rebates/runs", data={"csrf_token": token,
                                                       "season": str(SEASON)})
    assert response.status_code == 303
    result = clerk.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-status="finished"' in result
    assert "1 new, 0 replaced, 0 unchanged" in result
    (event,) = db.session.scalars(select(AuditEvent)
                                  .where(AuditEvent.action == "run_rebate_season"))
    assert event.acting_as == "clerk"
    # While a run goes, htmx asks for the progress part alone.
    partial = clerk.get(response.headers["Location"], headers={"HX-Request": "true"})
    assert partial.get_data(as_text=True).lstrip().startswith('<section id="run"')
    assert login(INSPECTOR).get("/staff/rebates/runs").status_code == 404
    assert login(KATI).get("/staff/rebates/runs").status_code == 404


# --------------------------------------------------------------------------- letters


def letter_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_customer_downloads_the_decision_letter(login: Login, runner: Any,
                                                    app: Flask) -> None:
    jaans(login)
    assert run(runner).exit_code == 0
    (decision,) = current_decisions()
    jaan = login(JAAN)
    page = jaan.get(f"/my/rebates/{decision.application_id}").get_data(as_text=True)
    url = f"/my/rebates/decisions/{decision.id}/letter.pdf"
    assert url in page
    response = jaan.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    text = letter_text(response.data)
    # In the customer's language (Jaan's is Estonian), every check with its clause.
    for check in decision.result["checks"]:
        assert check["clause"] in text
    assert f"KV-{SEASON}-{decision.id:06d}" in text
    assert "ELVESO 2.2" in text  # the cap's clause in the computation
    assert "Tamm" in text and "Roomassaare tee 27" in text
    # The same decision gives the same letter.
    assert jaan.get(url).data == response.data
    assert login(MARI).get(url).status_code == 404
    assert login(CLERK).get(f"/staff/rebates/decisions/{decision.id}/letter.pdf"
                            ).status_code == 200

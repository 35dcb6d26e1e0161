"""The public rule-set pages, "in force on a date", the differences between versions
and the Atom feed (issue 10)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from flask.testing import FlaskClient

from webapp.domain.rule_trace import Application
from webapp.extensions import db
from webapp.models import NoticeRun, RebateRunStatus

ATOM = "{http://www.w3.org/2005/Atom}"
pytestmark = pytest.mark.usefixtures("demo")


def test_index_lists_every_version_and_links_the_feed(client: FlaskClient) -> None:
    page = client.get("/rules/")
    assert page.status_code == 200
    for rule_set_id in ("ELVESO-2014", "TV-2016", "TV-2020", "KEE-2012"):
        assert rule_set_id in page.text
    assert "/rules/rebates/TV-2016" in page.text
    assert 'rel="alternate" type="application/atom+xml"' in page.text
    assert 'name="date"' in page.text and 'type="date"' in page.text
    assert "20.03.2014" in page.text  # ELVESO in force from, dd.mm.yyyy


def test_rule_set_page_shows_parameters_with_linked_clauses(client: FlaskClient) -> None:
    page = client.get("/rules/rebates/ELVESO-2014")
    assert page.status_code == 200
    assert 'href="#c2-2"' in page.text and 'id="c2-2"' in page.text  # the cap, ELVESO 2.2
    assert "01.06–31.08" in page.text  # the watering period, ELVESO 1.3
    assert "ELVESO 3.6.7 (2.1.4)" in page.text
    assert "Maksimaalne kliendi kastmisvee kogus" in page.text  # the source text itself
    cap_row = page.text.split('id="caps-A"')[1].split("</tr>")[0]
    assert "<code>webapp." in cap_row  # where the portal applies it (rule_trace)


def test_tv_clauses_link_to_the_whole_text_and_to_the_previous_version(
        client: FlaskClient) -> None:
    page = client.get("/rules/rebates/TV-2020")
    assert page.status_code == 200
    assert 'href="#source-text"' in page.text and 'id="source-text"' in page.text
    assert "/rules/diff?from=TV-2016&amp;to=TV-2020" in page.text
    assert "/rules/diff?" not in client.get("/rules/rebates/TV-2016").text  # the first one


@pytest.mark.parametrize("rule_set_id", ["NOPE", "elveso-2014", "..%2Fx", "TV-2016.toml"])
def test_unknown_rule_set_is_404(client: FlaskClient, rule_set_id: str) -> None:
    assert client.get(f"/rules/rebates/{rule_set_id}").status_code == 404


def test_in_force_on_a_date(client: FlaskClient) -> None:
    page = client.get("/rules/on?date=2018-07-01")
    assert page.status_code == 200
    assert "01.07.2018" in page.text
    assert "/rules/rebates/TV-2016" in page.text and "/rules/rebates/ELVESO-2014" in page.text
    assert "/rules/rebates/TV-2020" not in page.text
    assert "KEE-2012" in page.text
    earlier = client.get("/rules/on?date=2010-06-01")
    assert "KEE-2012" not in earlier.text  # the deadlines set governs from 01.08.2012 only
    assert "01.08.2012" in earlier.text  # the only redaction the portal has
    later = client.get("/rules/on?date=13.01.2021")  # typed without a date picker
    assert later.status_code == 200
    assert "/rules/rebates/TV-2020" in later.text and "KEE-2012" in later.text


def test_in_force_before_the_regulation(client: FlaskClient) -> None:
    page = client.get("/rules/on?date=2005-12-31")
    assert page.status_code == 200
    assert "09.10.2006" in page.text  # when KEE took effect
    assert "/rules/rebates/" not in page.text


@pytest.mark.parametrize("query", ["", "?date=", "?date=2021-02-30", "?date=yesterday",
                                   "?date=0001-01-01", "?date=99999-01-01", "?date=1.1"])
def test_bad_or_missing_date_is_a_clear_422(client: FlaskClient, query: str) -> None:
    page = client.get(f"/rules/on{query}")
    assert page.status_code == 422
    assert 'class="field-error"' in page.text


def test_diff_of_rule_sets(client: FlaskClient) -> None:
    page = client.get("/rules/diff?from=TV-2016&to=TV-2020")
    assert page.status_code == 200
    assert "<del>20 m³</del>" in page.text or "<del>20" in page.text  # method A's cap gone
    assert "removed" in page.text and "changed" in page.text
    assert "<select" in page.text and 'value="ELVESO-2014"' in page.text


@pytest.mark.parametrize("query", ["?from=TV-2016&to=NOPE", "?from=&to=TV-2020",
                                   "?from=%3Cscript%3E&to=TV-2020"])
def test_diff_with_unknown_ids_is_a_clear_422(client: FlaskClient, query: str) -> None:
    page = client.get(f"/rules/diff{query}")
    assert page.status_code == 422
    assert "Choose two versions" in page.text
    assert "<script>" not in page.text


def test_diff_form_alone(client: FlaskClient) -> None:
    page = client.get("/rules/diff")
    assert page.status_code == 200
    assert 'value="KEE-2012"' in page.text  # the regulation's redactions are offered too


def test_diff_of_a_redaction_with_itself(client: FlaskClient) -> None:
    page = client.get("/rules/diff?from=KEE-2012&to=KEE-2012")
    assert page.status_code == 200
    assert "The two versions have the same text." in page.text


def test_diff_of_different_kinds_is_a_clear_422(client: FlaskClient) -> None:
    page = client.get("/rules/diff?from=KEE-2012&to=TV-2020")
    assert page.status_code == 422
    assert "only be compared with a rule set" in page.text


def _run(area: str, batch: str, finished: dt.datetime) -> NoticeRun:
    return NoticeRun(batch_key=batch, status=RebateRunStatus.FINISHED, total=1, done=1,
                     finished_at=finished,
                     data={"notice": {"area": area, "works": "Toru vahetus",
                                      "starts_at": "2026-12-07T09:00",
                                      "ends_at": "2026-12-08T15:00", "planned": True,
                                      "temporary_supply": "Veepaak Kaevu tn 10 juures",
                                      "contact_phone": "+372 453 3000"},
                           "site_ids": [1, 2]})


def test_feed_is_atom_with_rules_and_interruptions(client: FlaskClient) -> None:
    db.session.add(_run("Kaevu tänav", "a" * 32, dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)))
    db.session.commit()
    response = client.get("/rules/feed.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)  # noqa: S314 - the portal's own output
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    ids = [entry.findtext(f"{ATOM}id") or "" for entry in entries]
    assert all(entry_id.startswith("tag:") for entry_id in ids)
    assert len(set(ids)) == len(ids)
    assert any(entry_id.endswith("rules/rebates/TV-2020") for entry_id in ids)
    assert any(entry_id.endswith("rules/deadlines/KEE-2012") for entry_id in ids)
    updated = [entry.findtext(f"{ATOM}updated") or "" for entry in entries]
    assert updated == sorted(updated, reverse=True)  # newest first (all the same offset)
    interruption = entries[0]  # 2026: newer than every rule
    text = ET.tostring(interruption, encoding="unicode")
    assert "Kaevu tänav" in text and "07.12.2026 09:00" in text and "Veepaak" in text
    assert "+372" not in text and "Toru vahetus" not in text
    again = ET.fromstring(client.get("/rules/feed.atom").data)  # noqa: S314 - as above
    assert ids == [e.findtext(f"{ATOM}id") for e in again.findall(f"{ATOM}entry")]  # stable


def test_feed_has_no_site_addresses_or_names(client: FlaskClient) -> None:
    from sqlalchemy import select

    from webapp.models import Person, Site

    site = db.session.scalars(select(Site).limit(1)).one()
    person = db.session.scalars(select(Person).limit(1)).one()
    db.session.add(_run("Kesklinn", "b" * 32, dt.datetime(2026, 11, 1, tzinfo=dt.UTC)))
    db.session.commit()
    text = client.get("/rules/feed.atom").text
    assert "Kesklinn" in text
    assert person.full_name not in text
    assert site.code not in text


def test_each_parameter_lists_where_the_portal_applies_it(
        client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp.blueprints.rules import rule_sets as pages

    cap = Application("caps.A.m3", "Cap", "30", "m3", "ELVESO 2.2", "rules/ELVESO-2014.toml",
                       ("webapp.domain.rebates.evaluate",))
    deadlines = Application("reading_deadlines.start_from", "Start", "05-31", "",
                             "ELVESO 3.2", "rules/ELVESO-2014.toml",
                             ("webapp.domain.rebates.required_readings",))
    monkeypatch.setattr(pages, "trace", lambda _id: {"2.2": (cap,), "3.2": (deadlines,)})
    page = client.get("/rules/rebates/ELVESO-2014").text
    row = page.split('id="caps-A"')[1].split("</tr>")[0]
    assert "webapp.domain.rebates.evaluate" in row
    row = page.split('id="reading_deadlines-start"')[1].split("</tr>")[0]
    assert "webapp.domain.rebates.required_readings" in row
    assert "webapp.domain.rebates.evaluate" not in page.split('id="caps-B"')[1].split("</tr>")[0]

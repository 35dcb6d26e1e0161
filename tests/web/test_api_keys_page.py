"""The API page of the mass view (ITB 1.2.2): making, limiting, renewing and revoking keys."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.conftest import KATI, MARI, PEETER, csrf_token_from
from webapp.extensions import db
from webapp.models import ApiKey, AuditEvent

KEY_PATTERN = re.compile(r'value="(vp_[A-Za-z0-9_-]+)"')


def new_key_url(page: str) -> str:
    match = re.search(r'href="(/my/readings/api/\d+/new)"', page)
    assert match, "no link to generate a key"
    return match.group(1)


def generate(client: FlaskClient, **fields: str) -> tuple[int, str]:
    page = client.get("/my/readings/api/").get_data(as_text=True)
    url = new_key_url(page)
    form = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_token_from(form), **fields})
    assert response.mimetype == "text/html"
    if response.status_code == 200:
        assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, response.get_data(as_text=True)


def api_status(client: FlaskClient, key: str) -> int:
    return client.get("/api/Readings", headers={"X-API-Key": key}).status_code


def test_the_mass_view_links_to_the_api_page(login: Callable[[str], FlaskClient]) -> None:
    kati = login(KATI).get("/my/readings").get_data(as_text=True)
    assert 'href="/my/readings/api/"' in kati
    # Peeter is only a user at Kodu Haldus's building: no keys for him.
    peeter = login(PEETER).get("/my/readings").get_data(as_text=True)
    assert 'href="/my/readings/api/"' not in peeter
    assert login(PEETER).get("/my/readings/api/").status_code == 404
    assert login(MARI).get("/my/readings/api/").status_code == 404


def test_a_key_is_shown_once_and_works(login: Callable[[str], FlaskClient]) -> None:
    kati = login(KATI)
    page = kati.get("/my/readings/api/").get_data(as_text=True)
    assert "You have no API key for this customer yet." in page
    assert "/api/openapi/index.html?url=/api/openapi.json" in page
    status, shown = generate(kati)
    assert status == 200
    key = KEY_PATTERN.search(shown).group(1)  # type: ignore[union-attr]
    assert "not shown again" in shown
    assert api_status(kati, key) == 200
    again = kati.get("/my/readings/api/").get_data(as_text=True)
    assert key not in again
    assert key[:9] in again  # its first characters, to tell it apart
    assert "127.0.0.1" in again  # last used, and from where
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "create_api_key")) == 1


def test_generating_a_new_key_invalidates_the_old_one_at_once(
        login: Callable[[str], FlaskClient]) -> None:
    kati = login(KATI)
    _, first = generate(kati)
    old = KEY_PATTERN.search(first).group(1)  # type: ignore[union-attr]
    confirm = kati.get(new_key_url(kati.get("/my/readings/api/").get_data(as_text=True)))
    assert "stops working at once" in confirm.get_data(as_text=True)
    _, second = generate(kati)
    new = KEY_PATTERN.search(second).group(1)  # type: ignore[union-attr]
    assert "The previous key no longer works." in second
    assert api_status(kati, old) == 401
    assert api_status(kati, new) == 200
    assert db.session.scalar(select(func.count()).select_from(ApiKey)
                             .where(ApiKey.revoked_at.is_(None))) == 1


def test_limits_are_checked_and_bad_ones_change_nothing(
        login: Callable[[str], FlaskClient]) -> None:
    kati = login(KATI)
    _, shown = generate(kati)
    key = KEY_PATTERN.search(shown).group(1)  # type: ignore[union-attr]
    stored = db.session.scalars(select(ApiKey)).one()
    page = kati.get("/my/readings/api/").get_data(as_text=True)
    prefix = f"key{stored.id}-"
    bad = kati.post(f"/my/readings/api/keys/{stored.id}", data={
        "csrf_token": csrf_token_from(page), prefix + "expires_on": "2001-01-01",
        prefix + "networks": "10.0.0.0/8\nnot-a-network"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "The date cannot be in the past." in text
    assert "not-a-network" in text
    db.session.refresh(stored)
    assert stored.expires_on is None and stored.allowed_networks is None
    good = kati.post(f"/my/readings/api/keys/{stored.id}", data={
        "csrf_token": csrf_token_from(page), prefix + "networks": "192.0.2.7/24, 2001:db8::1"})
    assert good.status_code == 303
    db.session.refresh(stored)
    assert stored.networks == ["192.0.2.0/24", "2001:db8::1/128"]
    # The test client calls from 127.0.0.1: outside the ranges now.
    assert api_status(kati, key) == 403


def test_a_key_made_with_an_expiry_date_in_the_past_is_refused(
        login: Callable[[str], FlaskClient]) -> None:
    kati = login(KATI)
    status, page = generate(kati, expires_on="2001-01-01")
    assert status == 422 and "The date cannot be in the past." in page
    assert db.session.scalar(select(func.count()).select_from(ApiKey)) == 0


def test_revoking_asks_first_and_then_the_key_fails(login: Callable[[str], FlaskClient]) -> None:
    kati = login(KATI)
    _, shown = generate(kati)
    key = KEY_PATTERN.search(shown).group(1)  # type: ignore[union-attr]
    stored = db.session.scalars(select(ApiKey)).one()
    confirm = kati.get(f"/my/readings/api/keys/{stored.id}/revoke")
    assert confirm.status_code == 200 and api_status(kati, key) == 200
    done = kati.post(f"/my/readings/api/keys/{stored.id}/revoke",
                     data={"csrf_token": csrf_token_from(confirm.get_data(as_text=True))})
    assert done.status_code == 303
    assert api_status(kati, key) == 401
    page = kati.get("/my/readings/api/").get_data(as_text=True)
    assert "You have no API key for this customer yet." in page
    # A revoked key cannot be revoked or changed again.
    assert kati.get(f"/my/readings/api/keys/{stored.id}/revoke").status_code == 404


def test_forms_need_the_csrf_token(login: Callable[[str], FlaskClient]) -> None:
    kati = login(KATI)
    url = new_key_url(kati.get("/my/readings/api/").get_data(as_text=True))
    assert kati.post(url, data={}).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(ApiKey)) == 0


def test_every_key_change_is_on_record_with_a_label(login: Callable[[str], FlaskClient]) -> None:
    from webapp.audit_labels import ACTION_LABELS

    kati = login(KATI)
    generate(kati)
    generate(kati)  # replaces the first
    stored = db.session.scalars(select(ApiKey).where(ApiKey.revoked_at.is_(None))).one()
    page = kati.get("/my/readings/api/").get_data(as_text=True)
    kati.post(f"/my/readings/api/keys/{stored.id}", data={
        "csrf_token": csrf_token_from(page), f"key{stored.id}-networks": "192.0.2.0/24"})
    kati.post(f"/my/readings/api/keys/{stored.id}/revoke",
              data={"csrf_token": csrf_token_from(page)})
    actions = [event.action for event in db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "api_key").order_by(AuditEvent.id))]
    assert actions == ["create_api_key", "replace_api_key", "create_api_key", "change_api_key",
                       "revoke_api_key"]
    assert set(actions) <= set(ACTION_LABELS)

"""Authorisations (ITB 3): owners and managers add and remove representatives."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from stdnum.ee import ik

from tests.conftest import CLERK, JAAN, KATI, MARI, PEETER, csrf_token_from
from webapp.extensions import db
from webapp.models import AuditEvent, Person, Site, SiteRole, SiteRoleKind
from webapp.models.base import utcnow
from webapp.services.access import today_in_tallinn

Login = Callable[[str], FlaskClient]

# Kodu Haldus's buildings (Kati owns all three; Peeter is a user at the second).
TALLINNA, KINGU, SMUULI = "TK-20001", "TK-20002", "TK-20003"
MARIS_HOUSE = "TK-10001"


def new_code(serial: str = "123") -> str:
    """A valid personal code of a person the utility does not know."""
    base = "3900101" + serial
    return base + ik.calc_check_digit(base + "0")  # stdnum ignores the last digit


def person(code: str) -> Person:
    found = db.session.scalar(select(Person).where(Person.personal_code == code))
    assert found is not None
    return found


def site(code: str) -> Site:
    found = db.session.scalar(select(Site).where(Site.code == code))
    assert found is not None
    return found


def roles_of(code: str, *, active_only: bool = True) -> list[SiteRole]:
    query = select(SiteRole).join(Person, SiteRole.person_id == Person.id).where(
        Person.personal_code == code
    )
    if active_only:
        query = query.where(SiteRole.revoked_at.is_(None))
    db.session.expire_all()
    return list(db.session.scalars(query.order_by(SiteRole.id)))


def role_at(code: str, site_code: str, kind: SiteRoleKind) -> SiteRole:
    return next(
        role for role in roles_of(code) if role.site.code == site_code and role.role is kind
    )


def give_role(code: str, site_code: str, kind: SiteRoleKind, *, given_by: str | None = KATI,
              valid_from: dt.date | None = None, valid_until: dt.date | None = None) -> SiteRole:
    role = SiteRole(
        site_id=site(site_code).id,
        person_id=person(code).id,
        role=kind,
        valid_from=valid_from or today_in_tallinn(),
        valid_until=valid_until,
        given_by_id=person(given_by).id if given_by else None,
    )
    db.session.add(role)
    db.session.commit()
    return role


def counts() -> tuple[int, int, int]:
    """Rows that adding or removing could write: roles, persons, audit events."""
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count(SiteRole.id))),
        db.session.scalar(select(func.count(Person.id))),
        db.session.scalar(select(func.count(AuditEvent.id))),
    )


def audit_events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def page_of(response: Any) -> str:
    return str(response.get_data(as_text=True))


def add_form(client: FlaskClient, **overrides: Any) -> dict[str, Any]:
    """A complete, valid "Add representative" form: Peeter as manager at two sites."""
    token = csrf_token_from(page_of(client.get("/authorisations/add")))
    data: dict[str, Any] = {
        "csrf_token": token,
        "personal_code": PEETER,
        "given_name": "Peeter",
        "family_name": "Paju",
        "role": "manager",
        "valid_from": today_in_tallinn().isoformat(),
        "valid_until": "",
        "sites": [site(TALLINNA).id, site(SMUULI).id],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def remove_url(role: SiteRole | int) -> str:
    role_id = role if isinstance(role, int) else role.id
    return f"/authorisations/{role_id}/remove"


def post_remove(client: FlaskClient, role: SiteRole | int) -> Any:
    token = csrf_token_from(page_of(client.get("/authorisations/")))
    return client.post(remove_url(role), data={"csrf_token": token})


def site_headings(page: str) -> list[str]:
    return re.findall(r'<h2 id="site-\d+">([^<]+)</h2>', page)


# --------------------------------------------------------------------------- who gets in


def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient) -> None:
    for path in ("/authorisations/", "/authorisations/add", "/authorisations/1/remove"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("code", [PEETER, CLERK])
def test_a_person_who_manages_no_site_gets_404(login: Login, code: str) -> None:
    # Peeter is only a user; a clerk has no site at all. Both: as if the pages did not exist.
    client = login(code)
    assert client.get("/authorisations/").status_code == 404
    assert client.get("/authorisations/add").status_code == 404
    token = csrf_token_from(page_of(client.get("/rules")))
    assert client.post("/authorisations/add", data={"csrf_token": token}).status_code == 404


def test_the_overview_links_to_authorisations_only_where_the_person_manages(
    login: Login,
) -> None:
    kati = page_of(login(KATI).get("/my"))
    for code in (TALLINNA, KINGU, SMUULI):
        assert f'href="/authorisations/?site={site(code).id}"' in kati
    peeter = page_of(login(PEETER).get("/my"))
    assert "/authorisations/" not in peeter


# --------------------------------------------------------------------------- the list


def test_kati_sees_her_sites_and_the_persons_there(login: Login) -> None:
    response = login(KATI).get("/authorisations/")
    assert response.status_code == 200
    page = page_of(response)
    for code in (TALLINNA, KINGU, SMUULI):
        assert site(code).address in page
    assert "Peeter Paju" in page and PEETER in page
    assert "Kati Kask" in page
    peeters = role_at(PEETER, KINGU, SiteRoleKind.USER)
    assert f'href="{remove_url(peeters)}"' in page
    # The owner's roles (stored, and derived from the contract) have no remove link.
    for role in roles_of(KATI):
        assert remove_url(role) not in page
    assert 'href="/my"' in page  # back to "My sites"
    # Tables with a caption and header cells.
    assert page.count("<caption>") == 3 and 'scope="col"' in page and 'scope="row"' in page


def test_a_contract_owner_without_a_stored_role_is_listed_too(login: Login) -> None:
    for role in roles_of(KATI):
        db.session.delete(role)
    db.session.commit()
    page = page_of(login(KATI).get(f"/authorisations/?site={site(TALLINNA).id}"))
    assert "Kati Kask" in page
    assert "/remove" not in page


def test_the_site_picker_shows_one_site_or_all(login: Login) -> None:
    kati = login(KATI)
    one = page_of(kati.get(f"/authorisations/?site={site(KINGU).id}"))
    assert 'id="authorisations-site-' + str(site(KINGU).id) in one
    assert 'id="authorisations-site-' + str(site(TALLINNA).id) not in one
    assert "Peeter Paju" in one
    assert f'href="/authorisations/add?site={site(KINGU).id}"' in one
    every = page_of(kati.get("/authorisations/?site="))
    assert all(site(code).address in every for code in (TALLINNA, KINGU, SMUULI))


@pytest.mark.parametrize("value", ["mari", "999999", "abc", "-1"])
def test_a_site_the_person_does_not_manage_is_404(login: Login, value: str) -> None:
    value = str(site(MARIS_HOUSE).id) if value == "mari" else value
    kati = login(KATI)
    assert kati.get(f"/authorisations/?site={value}").status_code == 404
    assert kati.get(f"/authorisations/add?site={value}").status_code == 404


def test_an_htmx_request_gets_the_list_alone(login: Login) -> None:
    kati = login(KATI)
    response = kati.get(f"/authorisations/?site={site(KINGU).id}",
                        headers={"HX-Request": "true"})
    page = page_of(response)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in page and 'id="representatives"' in page and "Peeter Paju" in page
    # Going back in history asks for the whole page again.
    restore = kati.get("/authorisations/", headers={"HX-Request": "true",
                                                    "HX-History-Restore-Request": "true"})
    assert "<html" in page_of(restore)
    assert "<html" in page_of(kati.get("/authorisations/"))


def test_a_user_is_never_shown_the_other_persons_even_after_becoming_manager_elsewhere(
    login: Login,
) -> None:
    give_role(PEETER, TALLINNA, SiteRoleKind.MANAGER)
    peeter = login(PEETER)
    page = page_of(peeter.get("/authorisations/"))
    assert site(TALLINNA).address in page
    assert site(KINGU).address not in page  # only a user there
    assert peeter.get(f"/authorisations/?site={site(KINGU).id}").status_code == 404


# --------------------------------------------------------------------------- adding


def test_the_add_form_ticks_the_site_from_the_query(login: Login) -> None:
    kati = login(KATI)
    page = page_of(kati.get(f"/authorisations/add?site={site(KINGU).id}"))
    ticked = re.findall(r'<input checked id="sites-\d" name="sites" type="checkbox" value="(\d+)"',
                        page)
    assert ticked == [str(site(KINGU).id)]
    assert page.count('name="sites"') == 3  # every site of hers is offered
    assert site(MARIS_HOUSE).address not in page
    # "Select all my sites" works without JavaScript: a link that ticks them all.
    ids = sorted(site(code).id for code in (TALLINNA, KINGU, SMUULI))
    match = re.search(r'href="(/authorisations/add\?[^"]+)" data-testid="all-sites"', page)
    assert match
    every = page_of(kati.get(match.group(1).replace("&amp;", "&")))
    ticked = re.findall(r'<input checked id="sites-\d" name="sites" type="checkbox" value="(\d+)"',
                        every)
    assert sorted(int(value) for value in ticked) == ids
    assert f'value="{today_in_tallinn().isoformat()}"' in page  # valid from: today


def test_kati_adds_peeter_as_manager_at_two_sites_at_once(login: Login) -> None:
    kati = login(KATI)
    peeter = login(PEETER)
    assert len(site_headings(page_of(peeter.get("/my")))) == 1
    before = counts()
    response = kati.post("/authorisations/add", data=add_form(kati))
    assert response.status_code == 303
    assert response.headers["Location"] == "/authorisations/"
    page = page_of(kati.get("/authorisations/"))
    assert "Peeter Paju" in page
    assert site(TALLINNA).address in page.split('role="status"', 1)[1].split("</p>", 1)[0]
    assert site(SMUULI).address in page.split('role="status"', 1)[1].split("</p>", 1)[0]

    made = [role for role in roles_of(PEETER) if role.role is SiteRoleKind.MANAGER]
    assert sorted(role.site.code for role in made) == [TALLINNA, SMUULI]
    for role in made:
        assert role.given_by_id == person(KATI).id
        assert role.valid_from == today_in_tallinn()
        assert role.valid_until is None
    assert counts() == (before[0] + 2, before[1], before[2] + 2)
    events = audit_events("add_representative")
    assert len(events) == 2
    for event, role in zip(events, made, strict=True):
        assert event.actor_id == person(KATI).id
        assert event.acting_as == "owner"
        assert event.object_type == "site_role" and event.object_id == str(role.id)
        assert event.subject_person_id == person(PEETER).id
        assert event.after == {"site": role.site.code, "role": "manager",
                               "valid_from": today_in_tallinn().isoformat(),
                               "valid_until": None}
    # The same client, the next request: three sites.
    assert len(site_headings(page_of(peeter.get("/my")))) == 3


def test_adding_at_one_site_returns_to_that_site(login: Login) -> None:
    kati = login(KATI)
    response = kati.post("/authorisations/add",
                         data=add_form(kati, sites=[site(TALLINNA).id], role="user"))
    assert response.headers["Location"] == f"/authorisations/?site={site(TALLINNA).id}"


def test_a_person_the_utility_does_not_know_is_created(login: Login, client: FlaskClient) -> None:
    from tests.conftest import log_in

    kati = login(KATI)
    code = new_code()
    response = kati.post("/authorisations/add", data=add_form(
        kati, personal_code=code, given_name=" Uno ", family_name="Uus", role="user",
        valid_until=(today_in_tallinn() + dt.timedelta(days=30)).isoformat()))
    assert response.status_code == 303
    newcomer = person(code)
    assert (newcomer.given_name, newcomer.family_name) == ("Uno", "Uus")
    assert [role.role for role in roles_of(code)] == [SiteRoleKind.USER, SiteRoleKind.USER]
    assert roles_of(code)[0].valid_until == today_in_tallinn() + dt.timedelta(days=30)
    assert {event.subject_person_id for event in audit_events("add_representative")} == {
        newcomer.id
    }
    # At their (first) login they see the two sites.
    log_in(client, code)
    assert len(site_headings(page_of(client.get("/my")))) == 2


def test_a_known_person_keeps_the_name_on_record(login: Login) -> None:
    kati = login(KATI)
    before = counts()
    response = kati.post("/authorisations/add",
                         data=add_form(kati, given_name="Someone", family_name="Else"))
    assert response.status_code == 303
    assert person(PEETER).full_name == "Peeter Paju"
    assert counts()[1] == before[1]  # no new person


def test_a_manager_adds_too_and_is_audited_as_manager(login: Login) -> None:
    give_role(PEETER, TALLINNA, SiteRoleKind.MANAGER)
    peeter = login(PEETER)
    response = peeter.post("/authorisations/add", data=add_form(
        peeter, personal_code=JAAN, given_name="Jaan", family_name="Tamm", role="user",
        sites=[site(TALLINNA).id]))
    assert response.status_code == 303
    (event,) = audit_events("add_representative")
    assert event.acting_as == "manager" and event.actor_id == person(PEETER).id
    assert role_at(JAAN, TALLINNA, SiteRoleKind.USER).given_by_id == person(PEETER).id


def test_a_role_starting_tomorrow_does_not_show_the_site_today(login: Login) -> None:
    kati = login(KATI)
    tomorrow = today_in_tallinn() + dt.timedelta(days=1)
    response = kati.post("/authorisations/add", data=add_form(
        kati, sites=[site(TALLINNA).id], valid_from=tomorrow.isoformat()))
    assert response.status_code == 303
    assert site(TALLINNA).address not in page_of(login(PEETER).get("/my"))
    listed = page_of(kati.get(f"/authorisations/?site={site(TALLINNA).id}"))
    assert "Peeter Paju" in listed and tomorrow.strftime("%d.%m.%Y") in listed
    assert 'class="authz-tag"' in listed  # not yet in force


def test_an_expired_role_is_neither_in_force_nor_listed(login: Login) -> None:
    yesterday = today_in_tallinn() - dt.timedelta(days=1)
    role = give_role(JAAN, TALLINNA, SiteRoleKind.MANAGER,
                     valid_from=yesterday - dt.timedelta(days=30), valid_until=yesterday)
    assert site(TALLINNA).address not in page_of(login(JAAN).get("/my"))
    kati = login(KATI)
    assert "Jaan Tamm" not in page_of(kati.get("/authorisations/"))
    assert kati.get(remove_url(role)).status_code == 404


INVALID_INPUTS = [
    pytest.param({"personal_code": "12345678901"}, "personal_code", id="bad-check-digit"),
    pytest.param({"personal_code": "abc"}, "personal_code", id="not-a-code"),
    pytest.param({"personal_code": ""}, "personal_code", id="no-code"),
    pytest.param({"personal_code": KATI}, "personal_code", id="yourself"),
    pytest.param({"given_name": ""}, "given_name", id="no-given-name"),
    pytest.param({"family_name": "  "}, "family_name", id="blank-family-name"),
    pytest.param({"given_name": "x" * 101}, "given_name", id="name-too-long"),
    pytest.param({"role": None}, "role", id="no-role"),
    pytest.param({"role": "owner"}, "role", id="owner-is-never-given"),
    pytest.param({"role": "admin"}, "role", id="unknown-role"),
    pytest.param({"valid_from": "yesterday"}, "valid_from", id="start-in-the-past"),
    pytest.param({"valid_from": "31.02.2030"}, "valid_from", id="not-a-date"),
    pytest.param({"valid_from": ""}, "valid_from", id="no-start"),
    pytest.param({"valid_until": "before-start"}, "valid_until", id="end-before-start"),
    pytest.param({"sites": None}, "sites", id="no-site"),
    pytest.param({"sites": ["mari"]}, "sites", id="someone-elses-site"),
    pytest.param({"sites": [999999]}, "sites", id="no-such-site"),
    pytest.param({"sites": ["kingu"], "role": "user"}, "sites", id="already-has-the-role"),
    pytest.param({"sites": ["kingu", "tallinna"], "role": "user"}, "sites",
                 id="already-has-it-at-one-of-them"),
]


@pytest.mark.parametrize(("overrides", "field"), INVALID_INPUTS)
def test_invalid_input_is_explained_and_nothing_is_written(
    login: Login, overrides: dict[str, Any], field: str
) -> None:
    today = today_in_tallinn()
    replacements = {
        "yesterday": (today - dt.timedelta(days=1)).isoformat(),
        "before-start": (today - dt.timedelta(days=1)).isoformat(),
        "mari": site(MARIS_HOUSE).id,
        "kingu": site(KINGU).id,
        "tallinna": site(TALLINNA).id,
    }

    def resolve(value: Any) -> Any:
        if isinstance(value, list):
            return [resolve(item) for item in value]
        return replacements.get(value, value) if isinstance(value, str) else value

    kati = login(KATI)
    data = add_form(kati, **{key: resolve(value) for key, value in overrides.items()})
    before = counts()
    response = kati.post("/authorisations/add", data=data)
    assert response.status_code == 200
    page = page_of(response)
    assert 'class="error-summary"' in page
    assert f'href="#{field}"' in page  # the summary links to the field ...
    assert f'id="{field}-error"' in page  # ... and the error stands beside it
    assert counts() == before
    if field != "sites":
        assert site(MARIS_HOUSE).address not in page


def test_someone_elses_site_and_a_site_that_does_not_exist_read_the_same(login: Login) -> None:
    kati = login(KATI)

    def error_for(site_id: int) -> str:
        page = page_of(kati.post("/authorisations/add", data=add_form(kati, sites=[site_id])))
        return page.split('id="sites-error">', 1)[1].split("</p>", 1)[0]

    assert error_for(site(MARIS_HOUSE).id) == error_for(999999)


def test_an_owner_cannot_be_given_another_role_at_their_site(login: Login) -> None:
    give_role(PEETER, TALLINNA, SiteRoleKind.MANAGER)
    peeter = login(PEETER)
    before = counts()
    response = peeter.post("/authorisations/add", data=add_form(
        peeter, personal_code=KATI, given_name="Kati", family_name="Kask", role="user",
        sites=[site(TALLINNA).id]))
    assert response.status_code == 200
    assert 'id="sites-error"' in page_of(response)
    assert counts() == before


def test_a_manager_role_beside_a_user_role_is_allowed(login: Login) -> None:
    kati = login(KATI)
    response = kati.post("/authorisations/add", data=add_form(kati, sites=[site(KINGU).id]))
    assert response.status_code == 303
    kinds = {role.role for role in roles_of(PEETER) if role.site.code == KINGU}
    assert kinds == {SiteRoleKind.USER, SiteRoleKind.MANAGER}


def test_a_later_role_after_one_that_ends_is_allowed(login: Login) -> None:
    today = today_in_tallinn()
    give_role(JAAN, TALLINNA, SiteRoleKind.USER, valid_until=today + dt.timedelta(days=9))
    kati = login(KATI)
    overlapping = add_form(kati, personal_code=JAAN, role="user", sites=[site(TALLINNA).id],
                           valid_from=(today + dt.timedelta(days=9)).isoformat())
    assert kati.post("/authorisations/add", data=overlapping).status_code == 200
    after = dict(overlapping, valid_from=(today + dt.timedelta(days=10)).isoformat())
    assert kati.post("/authorisations/add", data=after).status_code == 303


def test_adding_with_an_invalid_csrf_token_is_refused(login: Login) -> None:
    kati = login(KATI)
    before = counts()
    data = add_form(kati, csrf_token="forged")
    assert kati.post("/authorisations/add", data=data).status_code == 400
    del data["csrf_token"]
    assert kati.post("/authorisations/add", data=data).status_code == 400
    assert counts() == before


# --------------------------------------------------------------------------- removing


def test_kati_removes_peeter_and_he_loses_the_site_at_his_next_request(login: Login) -> None:
    peeter = login(PEETER)
    assert site(KINGU).address in page_of(peeter.get("/my"))
    role = role_at(PEETER, KINGU, SiteRoleKind.USER)
    kati = login(KATI)

    before = counts()
    confirm = kati.get(remove_url(role))
    assert confirm.status_code == 200
    page = page_of(confirm)
    assert "Peeter Paju" in page and site(KINGU).address in page
    assert f'action="{remove_url(role)}"' in page
    assert counts() == before  # asking is not removing
    assert role_at(PEETER, KINGU, SiteRoleKind.USER).revoked_at is None

    response = post_remove(kati, role)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/authorisations/?site={site(KINGU).id}"
    listed = page_of(kati.get(response.headers["Location"]))
    assert 'role="status"' in listed and "Peeter Paju" in listed.split('role="status"')[1]
    assert f'href="{remove_url(role)}"' not in listed

    stored = db.session.get(SiteRole, role.id)
    db.session.refresh(stored)
    assert stored.revoked_at is not None and stored.revoked_by_id == person(KATI).id
    (event,) = audit_events("remove_representative")
    assert event.actor_id == person(KATI).id and event.acting_as == "owner"
    assert event.object_id == str(role.id) and event.subject_person_id == person(PEETER).id
    assert event.before == {"site": KINGU, "role": "user", "valid_from": stored.valid_from
                            .isoformat(), "valid_until": None}
    # Peeter's same session, next request: the site is gone.
    assert site(KINGU).address not in page_of(peeter.get("/my"))


def test_removing_twice_is_404_the_second_time(login: Login) -> None:
    kati = login(KATI)
    role = role_at(PEETER, KINGU, SiteRoleKind.USER)
    assert post_remove(kati, role).status_code == 303
    before = counts()
    assert post_remove(kati, role).status_code == 404
    assert kati.get(remove_url(role)).status_code == 404
    assert counts() == before


def test_removing_with_an_invalid_csrf_token_is_refused(login: Login) -> None:
    kati = login(KATI)
    role = role_at(PEETER, KINGU, SiteRoleKind.USER)
    assert kati.post(remove_url(role), data={"csrf_token": "forged"}).status_code == 400
    assert kati.post(remove_url(role)).status_code == 400
    assert role_at(PEETER, KINGU, SiteRoleKind.USER).revoked_at is None
    assert audit_events("remove_representative") == []


def test_a_manager_removes_a_user_but_never_an_owner(login: Login) -> None:
    give_role(PEETER, TALLINNA, SiteRoleKind.MANAGER)
    jaans = give_role(JAAN, TALLINNA, SiteRoleKind.USER)
    peeter = login(PEETER)
    page = page_of(peeter.get(f"/authorisations/?site={site(TALLINNA).id}"))
    katis = role_at(KATI, TALLINNA, SiteRoleKind.OWNER)
    assert "Kati Kask" in page and remove_url(katis) not in page
    assert f'href="{remove_url(jaans)}"' in page

    before = counts()
    assert peeter.get(remove_url(katis)).status_code == 404
    assert post_remove(peeter, katis).status_code == 404
    assert counts() == before
    assert role_at(KATI, TALLINNA, SiteRoleKind.OWNER).revoked_at is None

    assert post_remove(peeter, jaans).status_code == 303
    (event,) = audit_events("remove_representative")
    assert event.acting_as == "manager"


def test_a_manager_removes_another_manager(login: Login) -> None:
    give_role(PEETER, TALLINNA, SiteRoleKind.MANAGER)
    jaans = give_role(JAAN, TALLINNA, SiteRoleKind.MANAGER)
    assert post_remove(login(PEETER), jaans).status_code == 303


def test_nobody_removes_their_own_role_here(login: Login) -> None:
    own = give_role(PEETER, TALLINNA, SiteRoleKind.MANAGER)
    peeter = login(PEETER)
    assert remove_url(own) not in page_of(peeter.get("/authorisations/"))
    assert peeter.get(remove_url(own)).status_code == 404
    assert post_remove(peeter, own).status_code == 404
    # The owner's own stored owner role: not removable either.
    kati = login(KATI)
    katis = role_at(KATI, TALLINNA, SiteRoleKind.OWNER)
    assert post_remove(kati, katis).status_code == 404


def test_roles_at_sites_the_person_does_not_manage_are_404(login: Login) -> None:
    # IDOR: Kati cannot see or remove roles at Mari's house.
    jaans = give_role(JAAN, MARIS_HOUSE, SiteRoleKind.USER, given_by=MARI)
    maris = role_at(MARI, MARIS_HOUSE, SiteRoleKind.OWNER)
    kati = login(KATI)
    for role in (jaans, maris):
        assert kati.get(remove_url(role)).status_code == 404
        assert post_remove(kati, role).status_code == 404
    assert kati.get("/authorisations/999999/remove").status_code == 404
    assert "Jaan Tamm" not in page_of(kati.get("/authorisations/"))
    # Peeter, a user at Kingu, may not remove there either.
    peeter_client = login(PEETER)
    other = give_role(JAAN, KINGU, SiteRoleKind.USER)
    assert peeter_client.get(remove_url(other)).status_code == 404
    assert role_at(JAAN, MARIS_HOUSE, SiteRoleKind.USER).revoked_at is None
    # Mari, the owner, may.
    assert post_remove(login(MARI), jaans).status_code == 303


def test_a_role_removed_meanwhile_is_404_on_the_confirmation(login: Login) -> None:
    role = role_at(PEETER, KINGU, SiteRoleKind.USER)
    kati = login(KATI)
    assert kati.get(remove_url(role)).status_code == 200
    role.revoked_at = utcnow()
    db.session.commit()
    assert post_remove(kati, role).status_code == 404


def test_re_adding_a_role_removed_today_explains_instead_of_failing(login: Login) -> None:
    kati = login(KATI)
    data = add_form(kati, sites=[site(TALLINNA).id])
    assert kati.post("/authorisations/add", data=data).status_code == 303
    assert post_remove(kati, role_at(PEETER, TALLINNA, SiteRoleKind.MANAGER)).status_code == 303
    before = counts()
    again = kati.post("/authorisations/add", data=data)
    assert again.status_code == 200
    assert 'id="valid_from-error"' in page_of(again)
    assert counts() == before
    tomorrow = (today_in_tallinn() + dt.timedelta(days=1)).isoformat()
    assert kati.post("/authorisations/add",
                     data=dict(data, valid_from=tomorrow)).status_code == 303

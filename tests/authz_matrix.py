"""Who may use which route: the one table the authorisation matrix test checks.

Every route and method of ``app.url_map`` has a row here; the test fails for a
route without one, so a new route cannot be added without deciding who may use
it. A row says, for each kind of visitor, what happens with an object of their
own and with someone else's (404, never 403, for what they may not know exists).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ANONYMOUS, MARI, PEETER, KATI = "anonymous", "mari", "peeter", "kati"
CLERK, INSPECTOR, ADMIN = "clerk", "inspector", "admin"
CUSTOMERS = (MARI, PEETER, KATI)
STAFF = (CLERK, INSPECTOR, ADMIN)
ACTORS = (ANONYMOUS, *CUSTOMERS, *STAFF)

OK = "ok"  # served: 2xx, or a redirect somewhere other than the login page
LOGIN = "login"  # sent to log in first
HIDDEN = 404  # as if it did not exist
# Any other int: exactly that status.

Outcome = str | int


@dataclass(frozen=True)
class Objects:
    """Ids of real objects, made by the test fixture: ``own[actor]`` and ``other[actor]``."""

    own: Mapping[str, Mapping[str, Any]]
    other: Mapping[str, Mapping[str, Any]]


ParamFactory = Callable[[Objects, str, str], dict[str, Any]]


@dataclass(frozen=True)
class Row:
    outcomes: Mapping[str, tuple[Outcome, Outcome]]  # actor -> (own object, other's object)
    params: ParamFactory | None = None
    query: Mapping[str, str] = field(default_factory=dict)


def same_for_all(outcome: Outcome) -> dict[str, tuple[Outcome, Outcome]]:
    return {actor: (outcome, outcome) for actor in ACTORS}


def logged_in(outcome: Outcome = OK) -> dict[str, tuple[Outcome, Outcome]]:
    table = same_for_all(outcome)
    table[ANONYMOUS] = (LOGIN, LOGIN)
    return table


def staff_only(*allowed: str) -> dict[str, tuple[Outcome, Outcome]]:
    """Staff functions: staff see every customer's objects; customers see none."""
    table = logged_in(HIDDEN)
    for actor in allowed or STAFF:
        table[actor] = (OK, OK)
    return table


def obj(name: str) -> ParamFactory:
    """URL argument ``name`` taken from the object of that name, own or other's."""

    def params(objects: Objects, actor: str, which: str) -> dict[str, Any]:
        source = objects.own if which == "own" else objects.other
        return {name: source[actor][name]}

    return params


MATRIX: dict[tuple[str, str], Row] = {
    ("static", "GET"): Row(same_for_all(OK), lambda *_: {"filename": "css/portal.css"}),
    ("main.index", "GET"): Row(same_for_all(OK)),
    ("main.favicon", "GET"): Row(same_for_all(OK)),
    ("main.rules", "GET"): Row(same_for_all(OK)),
    ("main.set_language", "POST"): Row(same_for_all(OK)),
    # The provider does not answer in these tests: login says so (503) to the anonymous.
    ("auth.login", "GET"): Row({**logged_in(OK), ANONYMOUS: (503, 503)}),
    # A callback without the state of a login started here is refused, whoever sends it.
    ("auth.callback", "GET"): Row(same_for_all(400)),
    ("auth.logout", "POST"): Row(logged_in(OK)),
    ("account.home", "GET"): Row(logged_in(OK)),
    ("account.data_access", "GET"): Row(logged_in(OK)),
    ("staff.home", "GET"): Row(staff_only()),
}

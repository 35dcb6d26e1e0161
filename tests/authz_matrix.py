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
# A town council member (issue 10): a staff role that grants only the what-if report,
# so every staff function is hidden from them like from a customer.
COUNCIL = "council"
CUSTOMERS = (MARI, PEETER, KATI)
STAFF = (CLERK, INSPECTOR, ADMIN)
ACTORS = (ANONYMOUS, *CUSTOMERS, *STAFF, COUNCIL)

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
    """Staff functions: staff see every customer's objects; customers (and council
    members, unless ``allowed`` names them) see none."""
    table = logged_in(HIDDEN)
    for actor in allowed or STAFF:
        table[actor] = (OK, OK)
    return table


def staff_with(outcome: Outcome) -> dict[str, tuple[Outcome, Outcome]]:
    """A staff form sent back with its problems (every staff role)."""
    table = staff_only()
    for actor in STAFF:
        table[actor] = (outcome, outcome)
    return table


def obj(*names: str, **renamed: str) -> ParamFactory:
    """URL arguments taken from the objects of those names, own or other's;
    ``renamed`` names an argument that differs from its object (``id="customer_id"``)."""

    def params(objects: Objects, actor: str, which: str) -> dict[str, Any]:
        source = (objects.own if which == "own" else objects.other)[actor]
        return {**{name: source[name] for name in names},
                **{arg: source[key] for arg, key in renamed.items()}}

    return params


def managers() -> dict[str, tuple[Outcome, Outcome]]:
    """Authorisations (ITB 3): owners and managers, at their own sites only.

    Mari owns her house, Kati Kodu Haldus's buildings; Peeter is a user and staff
    manage no site: the pages do not exist for them.
    """
    table = logged_in(HIDDEN)
    table[MARI] = table[KATI] = (OK, HIDDEN)
    return table


def managers_with(own: Outcome) -> dict[str, tuple[Outcome, Outcome]]:
    table = managers()
    table[MARI] = table[KATI] = (own, HIDDEN)
    return table


def readers(own: Outcome = OK) -> dict[str, tuple[Outcome, Outcome]]:
    """Sending readings (ITB 1): every customer role at their own sites; staff none."""
    table = logged_in(HIDDEN)
    for actor in CUSTOMERS:
        table[actor] = (own, HIDDEN)
    return table


def large_readers(own: Outcome = OK, other: Outcome | None = None
                  ) -> dict[str, tuple[Outcome, Outcome]]:
    """What large customers are offered (ITB 1.2): Kodu Haldus's sites have four meters
    each, so Kati and Peeter qualify; Mari, with one meter, does not."""
    table = logged_in(HIDDEN)
    table[PEETER] = table[KATI] = (own, own if other is None else other)
    return table


def key_makers(own: Outcome = OK) -> dict[str, tuple[Outcome, Outcome]]:
    """The API page (ITB 1.2.2): large customers' owners and managers. Kati owns Kodu
    Haldus's buildings; Peeter is only a user there and Mari is no large customer."""
    table = logged_in(HIDDEN)
    table[KATI] = (own, HIDDEN)
    return table


def named_persons() -> dict[str, tuple[Outcome, Outcome]]:
    """Confirming a joint rebate application (ELVESO 2.1.3): whoever it names, in their
    own login; an application that does not name the visitor does not exist for them.
    Staff are named in none."""
    table = logged_in(HIDDEN)
    for actor in CUSTOMERS:
        table[actor] = (OK, HIDDEN)
    return table


REBATE_APPLICATION = obj(application_id="rebate_application_id")


def own_only(own: Outcome = OK) -> dict[str, tuple[Outcome, Outcome]]:
    """A person's own application (every customer's "own" is theirs); a staff member's
    "own" is Mari's, not theirs: hidden like anyone else's."""
    table = logged_in(HIDDEN)
    for actor in CUSTOMERS:
        table[actor] = (own, HIDDEN)
    return table


MATRIX: dict[tuple[str, str], Row] = {
    ("static", "GET"): Row(same_for_all(OK), lambda *_: {"filename": "css/portal.css"}),
    ("main.index", "GET"): Row(same_for_all(OK)),
    ("main.favicon", "GET"): Row(same_for_all(OK)),
    ("main.set_language", "POST"): Row(same_for_all(OK)),
    # The provider does not answer in these tests: login says so (503) to the anonymous.
    ("auth.login", "GET"): Row({**logged_in(OK), ANONYMOUS: (503, 503)}),
    # A callback without the state of a login started here is refused, whoever sends it.
    ("auth.callback", "GET"): Row(same_for_all(400)),
    ("auth.logout", "POST"): Row(logged_in(OK)),
    ("account.home", "GET"): Row(logged_in(OK)),
    ("account.data_access", "GET"): Row(logged_in(OK)),
    ("staff.home", "GET"): Row(staff_only()),
    # Authorisations: ``site`` is one of the visitor's sites or someone else's.
    ("authorisations.index", "GET"): Row(managers(), obj("site")),
    ("authorisations.add", "GET"): Row(managers(), obj("site")),
    # A POST without the form's fields is sent back with its errors.
    ("authorisations.add", "POST"): Row(managers(), obj("site")),
    # A representative at one of the visitor's sites, or at someone else's.
    ("authorisations.remove", "GET"): Row(managers(), obj("role_id")),
    ("authorisations.remove", "POST"): Row(managers(), obj("role_id")),
    # Readings (ITB 1): whoever may send readings for a site, for their own sites only;
    # staff enter readings through the back office. ``site`` limits the list.
    ("readings.index", "GET"): Row(readers(), obj("site")),
    # A POST without its form token is refused (400), at someone else's site 404.
    ("readings.submit", "POST"): Row(readers(own=400), obj("site")),
    ("readings.check", "POST"): Row(readers(), obj(meter="meter_id")),
    ("readings.meter_history", "GET"): Row(readers(), obj("meter_id")),
    ("readings.history_csv", "GET"): Row(readers(), obj("meter_id")),
    # CSV import: large customers only.
    ("readings.import_form", "GET"): Row(large_readers()),
    ("readings.import_template", "GET"): Row(large_readers()),
    # A POST without a file is sent back with its error.
    ("readings.import_preview", "POST"): Row(large_readers(422)),
    # Groups of sites (ITB 1.2): large customers, each their own groups only.
    ("groups.index", "GET"): Row(large_readers()),
    ("groups.index", "POST"): Row(large_readers(422)),  # no name: sent back
    ("groups.edit", "GET"): Row(large_readers(OK, HIDDEN), obj("group_id")),
    ("groups.edit", "POST"): Row(large_readers(422, HIDDEN), obj("group_id")),
    ("groups.delete", "GET"): Row(large_readers(OK, HIDDEN), obj("group_id")),
    ("groups.delete", "POST"): Row(large_readers(OK, HIDDEN), obj("group_id")),
    # The API page (ITB 1.2.2): a POST without fields makes a key with no limits, or
    # saves none; ``customer_id`` and ``key_id`` are the visitor's own or someone else's.
    ("apikeys.index", "GET"): Row(key_makers()),
    ("apikeys.new_key", "GET"): Row(key_makers(), obj("customer_id")),
    ("apikeys.new_key", "POST"): Row(key_makers(), obj("customer_id")),
    ("apikeys.change", "POST"): Row(key_makers(), obj("key_id")),
    ("apikeys.revoke", "GET"): Row(key_makers(), obj("key_id")),
    ("apikeys.revoke", "POST"): Row(key_makers(), obj("key_id")),
    # The API itself: a session is no credential, only an API key is (401 without).
    # Its documentation is public.
    ("api.readings", "GET"): Row(same_for_all(401)),
    ("api.submit", "POST"): Row(same_for_all(401)),
    ("api.supply_points", "GET"): Row(same_for_all(401)),
    ("api.smart_readings", "GET"): Row(same_for_all(401)),
    ("api.openapi_document", "GET"): Row(same_for_all(OK)),
    ("api_docs.index", "GET"): Row(same_for_all(OK)),
    ("api_docs.openapi", "GET"): Row(same_for_all(OK)),
    # The back office: every staff role sees every customer; customers see none of it.
    # A card asks for the purpose first (a redirect); the objects are Mari's and
    # Kodu Haldus's.
    ("staff.search", "GET"): Row(staff_only(), query={"q": "Maasikas"}),
    ("staff.customer", "GET"): Row(staff_only(), obj("customer_id")),
    ("staff.person", "GET"): Row(staff_only(), obj("person_id")),
    ("staff.purpose", "GET"): Row(staff_only(), obj("kind", id="customer_id")),
    ("staff.purpose", "POST"): Row(staff_only(), obj("kind", id="customer_id")),
    ("staff.enter_reading", "GET"): Row(staff_only(), obj("meter_id")),
    ("staff.enter_reading", "POST"): Row(staff_only(), obj("meter_id")),
    # Inspectors read meters on site; correcting a reading is the clerks' and admins'.
    ("staff.correct_reading", "GET"): Row(staff_only(CLERK, ADMIN), obj("reading_id")),
    ("staff.correct_reading", "POST"): Row(staff_only(CLERK, ADMIN), obj("reading_id")),
    # Administration: administrators only; a POST without its fields is sent back (422).
    ("admin.staff_roles", "GET"): Row(staff_only(ADMIN)),
    ("admin.add_staff_role", "POST"): Row({**staff_only(ADMIN), ADMIN: (422, 422)}),
    ("admin.remove_staff_role", "GET"): Row(staff_only(ADMIN), obj(role_id="staff_role_id")),
    ("admin.remove_staff_role", "POST"): Row(staff_only(ADMIN), obj(role_id="staff_role_id")),
    ("admin.settings", "GET"): Row(staff_only(ADMIN)),
    ("admin.settings", "POST"): Row({**staff_only(ADMIN), ADMIN: (422, 422)}),
    ("admin.add_price", "POST"): Row({**staff_only(ADMIN), ADMIN: (422, 422)}),
    ("admin.reading_warnings", "POST"): Row({**staff_only(ADMIN), ADMIN: (422, 422)}),
    ("admin.rebate_rules", "POST"): Row({**staff_only(ADMIN), ADMIN: (422, 422)}),
    ("admin.add_vat_rate", "POST"): Row({**staff_only(ADMIN), ADMIN: (422, 422)}),
    ("admin.billing_settings", "POST"): Row({**staff_only(ADMIN), ADMIN: (422, 422)}),
    ("admin.audit", "GET"): Row(staff_only(ADMIN)),
    # Garden-water rebates (ITB 2, ELVESO 3.3): owners and managers at their own sites.
    # The overview lists a person's sites and the joint applications naming them: each
    # case names the visitor in one, so Peeter, only a user, sees it too; staff do not.
    ("rebates.index", "GET"): Row({**logged_in(HIDDEN), MARI: (OK, OK), PEETER: (OK, OK),
                                   KATI: (OK, OK)}, obj()),
    ("rebates.apply", "GET"): Row(managers(), obj("site_id")),
    # Mari's empty form is sent back (422); Kodu Haldus's buildings have several main
    # meters, so their page only says why no application can be made there.
    ("rebates.apply", "POST"): Row({**managers(), MARI: (422, HIDDEN)}, obj("site_id")),
    ("rebates.preview", "POST"): Row({**managers(), KATI: (HIDDEN, HIDDEN)}, obj("site_id")),
    ("rebates.application", "GET"): Row(managers(), REBATE_APPLICATION),
    ("rebates.withdraw", "GET"): Row(managers(), REBATE_APPLICATION),
    ("rebates.withdraw", "POST"): Row(managers(), REBATE_APPLICATION),
    ("rebates.attachment", "GET"): Row(managers(), REBATE_APPLICATION),
    ("rebates.letter", "GET"): Row(managers(), obj("decision_id")),
    ("rebates.joint", "GET"): Row(named_persons(), obj(application_id="joint_application_id")),
    ("rebates.joint", "POST"): Row(named_persons(), obj(application_id="joint_application_id")),
    # The utility's review and season runs: clerks and administrators (desk work).
    ("rebate_review.queue", "GET"): Row(staff_only(CLERK, ADMIN)),
    ("rebate_review.application", "GET"): Row(staff_only(CLERK, ADMIN), REBATE_APPLICATION),
    # A withdrawn application cannot be approved: said, and back to its page.
    ("rebate_review.approve", "POST"): Row(staff_only(CLERK, ADMIN), REBATE_APPLICATION),
    ("rebate_review.refuse", "POST"): Row({**staff_only(CLERK, ADMIN), CLERK: (422, 422),
                                           ADMIN: (422, 422)}, REBATE_APPLICATION),
    ("rebate_review.raise_cap", "POST"): Row({**staff_only(CLERK, ADMIN), CLERK: (422, 422),
                                              ADMIN: (422, 422)}, REBATE_APPLICATION),
    ("rebate_review.attachment", "GET"): Row(staff_only(CLERK, ADMIN), REBATE_APPLICATION),
    ("rebate_review.letter", "GET"): Row(staff_only(CLERK, ADMIN), obj("decision_id")),
    ("rebate_review.runs", "GET"): Row(staff_only(CLERK, ADMIN)),
    ("rebate_review.runs", "POST"): Row({**staff_only(CLERK, ADMIN), CLERK: (422, 422),
                                         ADMIN: (422, 422)}),
    ("rebate_review.run", "GET"): Row(staff_only(CLERK, ADMIN), obj("run_id")),
    # Service contract applications (KEE §5): any person for themselves; each sees only
    # their own applications and draft, staff included (their own are not the queue).
    ("contracts.index", "GET"): Row(logged_in(OK)),
    ("contracts.start", "GET"): Row(logged_in(OK)),
    ("contracts.step", "GET"): Row(logged_in(OK), lambda *_: {"step": "kind"}),
    ("contracts.step", "POST"): Row(logged_in(422), lambda *_: {"step": "kind"}),
    ("contracts.remove_document", "POST"): Row(own_only(), obj(document_id="draft_document_id")),
    ("contracts.application", "GET"): Row(own_only(), obj("application_id")),
    ("contracts.add_document", "POST"): Row(own_only(422), obj("application_id")),
    # Nothing was asked for: said, and back to the page.
    ("contracts.complete", "POST"): Row(own_only(), obj("application_id")),
    ("contracts.withdraw", "GET"): Row(own_only(), obj("application_id")),
    ("contracts.withdraw", "POST"): Row(own_only(), obj("application_id")),
    ("contracts.document", "GET"): Row(own_only(), obj("application_id", "document_id")),
    # The utility's queue: clerks and administrators; a POST without its fields is
    # sent back (422), or, for the assignment, said and back to the page.
    ("contract_review.queue", "GET"): Row(staff_only(CLERK, ADMIN)),
    ("billing_runs.index", "GET"): Row(staff_only(CLERK, ADMIN)),
    # A month that has not ended is refused with the form again.
    ("billing_runs.index", "POST"): Row({**staff_only(CLERK, ADMIN), CLERK: (422, 422),
                                         ADMIN: (422, 422)}),
    ("billing_runs.run", "GET"): Row(staff_only(CLERK, ADMIN), obj(run_id="billing_run_id")),
    ("billing_runs.issue", "GET"): Row({**staff_only(CLERK, ADMIN), CLERK: (HIDDEN, HIDDEN),
                                        ADMIN: (HIDDEN, HIDDEN)}),
    ("billing_runs.issue", "POST"): Row({**staff_only(CLERK, ADMIN), CLERK: (HIDDEN, HIDDEN),
                                         ADMIN: (HIDDEN, HIDDEN)}),
    ("billing_runs.invoices", "GET"): Row(staff_only(CLERK, ADMIN)),
    ("billing_runs.invoice", "GET"): Row(staff_only(CLERK, ADMIN), obj("invoice_id")),
    ("contract_review.application", "GET"): Row(staff_only(CLERK, ADMIN),
                                                 obj("application_id")),
    ("contract_review.assign", "POST"): Row(staff_only(CLERK, ADMIN), obj("application_id")),
    ("contract_review.missing_documents", "POST"): Row(
        {**staff_only(CLERK, ADMIN), CLERK: (422, 422), ADMIN: (422, 422)},
        obj("application_id")),
    ("contract_review.reject", "POST"): Row(
        {**staff_only(CLERK, ADMIN), CLERK: (422, 422), ADMIN: (422, 422)},
        obj("application_id")),
    ("contract_review.document", "GET"): Row(staff_only(CLERK, ADMIN),
                                              obj("application_id", "document_id")),
    ("contract_review.draft", "GET"): Row(staff_only(CLERK, ADMIN), obj("application_id")),
    ("contract_review.draft", "POST"): Row(
        {**staff_only(CLERK, ADMIN), CLERK: (422, 422), ADMIN: (422, 422)},
        obj("application_id")),
    ("contract_review.draft_pdf", "GET"): Row(staff_only(CLERK, ADMIN), obj("application_id")),
    ("contracts.draft_pdf", "GET"): Row(own_only(), obj("application_id")),
    # Without the tick, or without the signed file: sent back.
    ("contracts.accept", "POST"): Row(own_only(422), obj("application_id")),
    ("contracts.signed", "POST"): Row(own_only(422), obj("application_id")),
    # A contract (KEE §6-§7): its customer and the owners and managers of its sites;
    # Peeter, a user, has no access to contract data (ITB 2). A POST without its fields
    # is sent back (422); reopening an open supply or renewing a contract in force is
    # said and back to the page.
    ("contracts.contract", "GET"): Row(managers(), obj("contract_id")),
    ("contracts.sale", "POST"): Row(managers_with(422), obj("contract_id")),
    ("contracts.close", "POST"): Row(managers_with(422), obj("contract_id")),
    ("contracts.reopen", "POST"): Row(managers(), obj("contract_id")),
    ("contracts.renew", "POST"): Row(managers(), obj("contract_id")),
    ("contracts.end", "GET"): Row(managers(), obj("contract_id")),
    ("contracts.end", "POST"): Row(managers_with(422), obj("contract_id")),
    ("contracts.notice", "GET"): Row(managers(), obj("contract_id", "event_id")),
    ("contract_review.contract", "GET"): Row(staff_only(CLERK, ADMIN), obj("contract_id")),
    ("contract_review.terminate", "POST"): Row(
        {**staff_only(CLERK, ADMIN), CLERK: (422, 422), ADMIN: (422, 422)},
        obj("contract_id")),
    ("contract_review.notice", "GET"): Row(staff_only(CLERK, ADMIN),
                                            obj("contract_id", "event_id")),
    # The customer's invoices (ITB 2: users see and pay invoices). The list pages: whoever
    # may view documents at a site (Peeter, a user, too; staff have none). An invoice:
    # whoever may at every site of its contract; Peeter is a user at one of the three
    # buildings of Kodu Haldus's contract, so its invoices are not his to see.
    ("invoices.index", "GET"): Row({**logged_in(HIDDEN), MARI: (OK, OK), PEETER: (OK, OK),
                                    KATI: (OK, OK)}),
    ("invoices.payments", "GET"): Row({**logged_in(HIDDEN), MARI: (OK, OK), PEETER: (OK, OK),
                                       KATI: (OK, OK)}),
    ("invoices.interest", "GET"): Row({**logged_in(HIDDEN), MARI: (OK, OK), PEETER: (OK, OK),
                                       KATI: (OK, OK)}),
    ("invoices.detail", "GET"): Row(managers(), obj("invoice_id")),
    ("invoices.pdf", "GET"): Row(managers(), obj("invoice_id")),
    ("invoices.xml", "GET"): Row(managers(), obj("invoice_id")),
    # Claims about invoices (KEE §43(1)): whoever may claim at every site of the
    # invoice's contract (owners and managers; Peeter is only a user). The invoice has
    # an open claim, so a POST is refused with the reason (422).
    ("claims.new", "GET"): Row(managers(), obj("invoice_id")),
    ("claims.new", "POST"): Row(managers_with(422), obj("invoice_id")),
    # The staff's queue and answers: clerks and administrators (billing is desk work);
    # an answer without its fields is sent back (422).
    ("claims.queue", "GET"): Row(staff_only(CLERK, ADMIN)),
    ("claims.claim", "GET"): Row(staff_only(CLERK, ADMIN), obj("claim_id")),
    ("claims.reject", "POST"): Row({**staff_only(CLERK, ADMIN), CLERK: (422, 422),
                                    ADMIN: (422, 422)}, obj("claim_id")),
    ("claims.accept", "POST"): Row({**staff_only(CLERK, ADMIN), CLERK: (422, 422),
                                    ADMIN: (422, 422)}, obj("claim_id")),
    # Payments from bank statements (issue 11 item 4): clerks and administrators (billing
    # is desk work); a POST without its fields (no file, invoice, code or note) is sent
    # back (422). The payment is an unmatched one.
    # Official acts and notices (issue 9; KEE §13, §24-§29, §36-§38, §43(2)): every staff
    # role (inspectors draw them up on site, clerks at the desk). A POST without its
    # fields or its confirmation is sent back (422); the draft has a photo, the issued
    # act is a correction's starting point.
    ("acts.index", "GET"): Row(staff_only()),
    ("acts.new", "POST"): Row(staff_with(422)),
    ("acts.detail", "GET"): Row(staff_only(), obj(doc_id="act_id")),
    ("acts.save", "POST"): Row(staff_with(422), obj(doc_id="act_id")),
    ("acts.preview", "POST"): Row(staff_only(), obj(doc_id="act_id")),
    ("acts.issue", "POST"): Row(staff_with(422), obj(doc_id="act_id")),
    ("acts.discard", "POST"): Row(staff_with(422), obj(doc_id="act_id")),
    ("acts.correct", "POST"): Row(staff_only(), obj(doc_id="issued_act_id")),
    ("acts.add_photo", "POST"): Row(staff_with(422), obj(doc_id="act_id")),
    ("acts.remove_photo", "POST"): Row(staff_only(), obj(doc_id="act_id",
                                                         attachment_id="attachment_id")),
    ("acts.photo", "GET"): Row(staff_only(), obj(doc_id="act_id", attachment_id="attachment_id")),
    ("acts.pdf", "GET"): Row(staff_only(), obj(doc_id="issued_act_id")),
    ("acts.print_view", "GET"): Row(staff_only(), obj(doc_id="act_id")),
    ("acts.day_pdf", "GET"): Row(staff_only()),
    # Interruption notices to every affected site (KEE §13(3)-(4)): the form without its
    # fields is sent back (422); the htmx count answers with its problem; the finished
    # run has no notices, so its PDF sends back to the run.
    ("acts.interruptions", "GET"): Row(staff_only()),
    ("acts.interruptions", "POST"): Row(staff_with(422)),
    ("acts.interruptions_preview", "POST"): Row(staff_only()),
    ("acts.interruption_run", "GET"): Row(staff_only(), obj(run_id="notice_run_id")),
    ("acts.interruption_run_pdf", "GET"): Row(staff_only(), obj(run_id="notice_run_id")),
    # The customer's documents: everyone logged in has the page (staff see none); an
    # issued act is seen at its own site by every customer role there (ITB 2).
    ("acts.my_documents", "GET"): Row(logged_in()),
    ("acts.my_document_pdf", "GET"): Row(readers(), obj(doc_id="issued_act_id")),
    # The public check names no person: open to all; a POST without a file is sent back.
    ("acts.verify", "GET"): Row(same_for_all(OK)),
    ("acts.verify", "POST"): Row(same_for_all(422)),
    ("payments.queue", "GET"): Row(staff_only(CLERK, ADMIN)),
    ("payments.listing", "GET"): Row(staff_only(CLERK, ADMIN)),
    ("payments.upload", "GET"): Row(staff_only(CLERK, ADMIN)),
    ("payments.upload", "POST"): Row({**staff_only(CLERK, ADMIN), CLERK: (422, 422),
                                      ADMIN: (422, 422)}),
    ("payments.payment", "GET"): Row(staff_only(CLERK, ADMIN), obj("payment_id")),
    ("payments.match", "POST"): Row({**staff_only(CLERK, ADMIN), CLERK: (422, 422),
                                     ADMIN: (422, 422)}, obj("payment_id")),
    ("payments.prepay", "POST"): Row({**staff_only(CLERK, ADMIN), CLERK: (422, 422),
                                      ADMIN: (422, 422)}, obj("payment_id")),
    ("payments.ignore", "POST"): Row({**staff_only(CLERK, ADMIN), CLERK: (422, 422),
                                      ADMIN: (422, 422)}, obj("payment_id")),
    # The what-if report of the rebate rules (issue 10): aggregates only, for council
    # members, clerks and administrators. The PDF without its values is sent back (422).
    ("council.what_if_page", "GET"): Row(staff_only(CLERK, ADMIN, COUNCIL)),
    ("council.what_if_pdf", "GET"): Row({**staff_only(CLERK, ADMIN, COUNCIL),
                                         CLERK: (422, 422), ADMIN: (422, 422),
                                         COUNCIL: (422, 422)}),
    # The published rules (issue 10): public. "In force on" without a date is sent
    # back (422); the diff without versions shows its form.
    ("rules.index", "GET"): Row(same_for_all(OK)),
    ("rules.rule_set", "GET"): Row(same_for_all(OK), lambda *_: {"rule_set_id": "TV-2020"}),
    ("rules.on", "GET"): Row(same_for_all(422)),
    ("rules.diff", "GET"): Row(same_for_all(OK)),
    ("rules.feed", "GET"): Row(same_for_all(OK)),
    ("rules.regulation", "GET"): Row(same_for_all(OK)),
    ("rules.regulation_search", "GET"): Row(same_for_all(OK), query={"q": "plomm"}),
    ("rules.regulation_pdf", "GET"): Row(same_for_all(OK)),
}

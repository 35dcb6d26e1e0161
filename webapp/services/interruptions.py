"""Interruption notices to every affected site in one action (KEE §13(3)-(4); issue 9).

Staff choose the sites by a street or area written in their addresses and/or a list
of site codes, fill in the notice once, and start a run (``NoticeRun``): in the
background, each site gets a notice of its own (``ActKind.INTERRUPTION_NOTICE``),
addressed to its customer, numbered, rendered and stored, and the customer is told
in the portal and by e-mail. The notices share the run's ``batch_key``. The work goes
in chunks, each in one transaction with its progress, as the billing run does.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import has_request_context
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from webapp.extensions import db
from webapp.models import (
    ActKind,
    ActStatus,
    NoticeRun,
    OfficialDocument,
    Person,
    RebateRunStatus,
    ServiceContract,
    Site,
    Utility,
    contract_site,
)
from webapp.models.base import utcnow
from webapp.services import acts, audit, notifications, runs
from webapp.services.access import contract_in_force
from webapp.services.rebate_data import chunks

SITES_MAX = 5000
CHUNK = 100
PREVIEW_ADDRESSES = 10
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")


class SelectionRefused(ValueError):
    """The sites cannot be chosen so: ``field`` names the form field at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class Selection:
    site_ids: list[int] = field(default_factory=list)
    customers: int = 0
    addresses: list[str] = field(default_factory=list)

    @property
    def sites(self) -> int:
        return len(self.site_ids)


def parse_codes(text: str) -> list[str]:
    """Site codes, one a line (commas and spaces also part them), upper case, once each."""
    codes: list[str] = []
    for item in re.split(r"[\s,;]+", text or ""):
        if item and item.upper() not in codes:
            codes.append(item.upper())
    return codes


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def select_sites(street: str, codes_text: str, on: dt.date) -> Selection:
    """The sites whose address holds ``street`` (any case) and those named by code;
    ``SelectionRefused`` for an unknown code, none at all, or too many."""
    street = (street or "").strip()
    codes = parse_codes(codes_text)
    if not street and not codes:
        raise SelectionRefused(_("Give a street or area, or site codes."), "street")
    bad = [code for code in codes if not CODE_PATTERN.match(code)]
    if bad:
        raise SelectionRefused(_("Not a site code: %(codes)s.", codes=", ".join(bad[:10])),
                               "site_codes")
    if codes:
        found: set[str] = set()
        for part in chunks(codes, 900):
            found.update(db.session.scalars(select(func.upper(Site.code)).where(
                func.upper(Site.code).in_(part))))
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise SelectionRefused(_("No site has these codes: %(codes)s.",
                                     codes=", ".join(unknown[:10])), "site_codes")
    conditions = []
    if street:
        conditions.append(Site.address.ilike(_like(street), escape="\\"))
    if codes:
        conditions.extend(func.upper(Site.code).in_(part) for part in chunks(codes, 900))
    rows = db.session.execute(select(Site.id, Site.address).where(or_(*conditions))
                              .order_by(Site.address, Site.id).limit(SITES_MAX + 1)).all()
    if not rows:
        raise SelectionRefused(_("No site's address holds this text."), "street")
    if len(rows) > SITES_MAX:
        raise SelectionRefused(_("More than %(max)s sites: send the notices in smaller "
                                 "parts.", max=SITES_MAX), "street")
    site_ids = [row.id for row in rows]
    return Selection(site_ids=site_ids, customers=customer_count(site_ids, on),
                     addresses=[row.address for row in rows[:PREVIEW_ADDRESSES]])


def customer_count(site_ids: Sequence[int], on: dt.date) -> int:
    """How many customers hold the sites by a contract in force on ``on``."""
    customers: set[int] = set()
    for part in chunks(list(site_ids), 900):
        customers.update(db.session.scalars(
            select(ServiceContract.customer_id)
            .join(contract_site, contract_site.c.contract_id == ServiceContract.id)
            .where(contract_site.c.site_id.in_(part), contract_in_force(on))))
    return len(customers)


# --------------------------------------------------------------------------- the run


def begin_run(notice: dict[str, Any], site_ids: Sequence[int], person_id: int | None
              ) -> NoticeRun:
    """Record a run as going (``runs.Busy`` while another one goes). The caller commits."""
    run: NoticeRun = runs.begin(NoticeRun, batch_key=uuid.uuid4().hex, started_by_id=person_id,
                                total=len(site_ids), done=0,
                                data={"notice": notice, "site_ids": list(site_ids)})
    return run


def run_notices(run: NoticeRun, today: dt.date, acting_as: str = "clerk") -> int:
    """Issue a notice for every chosen site, committing each chunk; the run ends finished.
    Returns how many were issued."""
    run_id, batch_key = run.id, run.batch_key
    notice = dict(run.data["notice"])
    site_ids = list(run.data["site_ids"])
    person = db.session.get(Person, run.started_by_id) if run.started_by_id else None
    done = 0
    for chunk in chunks(site_ids, CHUNK):
        sites = {site.id: site for site in db.session.scalars(
            select(Site).where(Site.id.in_(list(chunk))))}
        for site_id in chunk:
            site = sites.get(site_id)
            if site is None:  # pragma: no cover - sites are not deleted
                continue
            doc = acts.create_draft(ActKind.INTERRUPTION_NOTICE, site, person, data=notice,
                                    today=today, acting_as=acting_as)
            doc.batch_key = batch_key
            db.session.flush()
            acts.issue(doc.id, person, acting_as, today=today, notify=True)  # type: ignore[arg-type]
        done += len(chunk)
        db.session.execute(update(NoticeRun).where(NoticeRun.id == run_id).values(
            done=done, heartbeat_at=utcnow()))
        db.session.commit()
        if has_request_context():
            # In a request (tests run it inline) the e-mails go now; a background
            # thread leaves them in the outbox for ``flask notifications send``, as
            # the billing run does.
            notifications.deliver()
    run = db.session.get_one(NoticeRun, run_id)
    run.status = RebateRunStatus.FINISHED
    run.finished_at = utcnow()
    audit.record("interruption_notices_sent", "notice_run", run.id, acting_as=acting_as,
                 actor_id=run.started_by_id,
                 after={"batch_key": batch_key, "notices": done})
    db.session.commit()
    return done


def start_in_background(run_id: int, today: dt.date, acting_as: str) -> threading.Thread | None:
    """Go on with a committed run in a thread of its own (``services/runs``)."""
    def work(run: NoticeRun, _utility: Utility, today: dt.date, acting_as: str) -> None:
        run_notices(run, today, acting_as)

    return runs.start_in_background(NoticeRun, work, run_id, today, acting_as)


def batch_documents(batch_key: str) -> list[OfficialDocument]:
    return list(db.session.scalars(select(OfficialDocument).where(
        OfficialDocument.batch_key == batch_key, OfficialDocument.status == ActStatus.ISSUED)
        .order_by(OfficialDocument.serial, OfficialDocument.id)))


def issued_count(batch_key: str) -> int:
    return db.session.scalar(select(func.count()).select_from(OfficialDocument).where(
        OfficialDocument.batch_key == batch_key,
        OfficialDocument.status == ActStatus.ISSUED)) or 0


def recent_runs(limit: int = 10) -> Iterable[NoticeRun]:
    return db.session.scalars(select(NoticeRun).order_by(NoticeRun.started_at.desc(),
                                                         NoticeRun.id.desc()).limit(limit))

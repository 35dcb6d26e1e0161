"""Meters to install (KEE §37(1)): the sites of recent service contracts that have no
working main meter yet, each with the day the utility is to install it by."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, select

from webapp.domain import meter_acts
from webapp.domain.acts_compensation import ActsError
from webapp.extensions import db
from webapp.models import Meter, MeterKind, MeterStatus, ServiceContract, Site, contract_site
from webapp.services.access import contract_in_force

# Contracts made within this many days are looked at: an older site without a meter is
# a matter for a manager, not for today's list.
LOOK_BACK_DAYS = 60
# A garden sub-meter does not measure the site's water (KEE §36(1)): it is not the meter.
MAIN_KINDS = (MeterKind.COLD_WATER, MeterKind.SMART)


@dataclass(frozen=True)
class MeterToInstall:
    site: Site
    contract: ServiceContract
    due: dt.date | None  # None: no deadline rule governs the contract's day

    def overdue(self, today: dt.date) -> bool:
        return self.due is not None and today > self.due


def meters_to_install(today: dt.date) -> list[MeterToInstall]:
    """Contracts in force that started within the last ``LOOK_BACK_DAYS`` days and whose
    sites have no active main meter, with the KEE §37(1) installation deadline, the
    earliest first."""
    has_meter = exists().where(Meter.site_id == Site.id, Meter.status == MeterStatus.ACTIVE,
                               Meter.kind.in_(MAIN_KINDS))
    rows = db.session.execute(
        select(Site, ServiceContract)
        .join(contract_site, contract_site.c.site_id == Site.id)
        .join(ServiceContract, ServiceContract.id == contract_site.c.contract_id)
        .where(contract_in_force(today),
               ServiceContract.start_date >= today - dt.timedelta(days=LOOK_BACK_DAYS),
               ~has_meter)
        .order_by(ServiceContract.start_date, Site.code)).all()
    found = []
    for site, contract in rows:
        try:
            # KEE §37(1): within five working days after the service contract is made
            due: dt.date | None = meter_acts.installation_deadline(contract.start_date)
        except ActsError:
            due = None
        found.append(MeterToInstall(site, contract, due))
    return found

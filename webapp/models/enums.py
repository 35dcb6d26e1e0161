"""Closed sets of values stored as short strings with a CHECK constraint."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


class MeterKind(enum.StrEnum):
    COLD_WATER = "cold_water"
    GARDEN_SUB_METER = "garden_sub_meter"  # kastmisvee lisaarvesti
    SMART = "smart"


class MeterStatus(enum.StrEnum):
    ACTIVE = "active"
    REMOVED = "removed"


class ReadingChannel(enum.StrEnum):
    WEB = "web"
    CSV = "csv"
    API = "api"
    STAFF = "staff"
    ESTIMATE = "estimate"


class ContractStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # KEE §6: supply closed without ending the contract
    ENDED = "ended"


class SiteRoleKind(enum.StrEnum):
    OWNER = "owner"  # ITB 2: the utility's contract partner
    MANAGER = "manager"
    USER = "user"


class StaffRoleKind(enum.StrEnum):
    CLERK = "clerk"
    INSPECTOR = "inspector"
    ADMIN = "admin"
    # A member of the town council: sees the what-if report of the rebate rules and
    # nothing of the customers (issue 10).
    COUNCIL = "council"


class RebateStatus(enum.StrEnum):
    """A garden-water rebate application's course (ELVESO 3.3, TV)."""

    AWAITING_JOINT = "awaiting_joint"  # ELVESO 2.1.3: co-applicants have not all confirmed
    SUBMITTED = "submitted"  # waiting for the utility's review
    APPROVED = "approved"  # counts in the season runs of its seasons
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"  # a later application with another method replaced it


# The statuses of an application still in force: at most one per site.
OPEN_REBATE_STATUSES = (RebateStatus.AWAITING_JOINT, RebateStatus.SUBMITTED,
                        RebateStatus.APPROVED)


class HouseType(enum.StrEnum):
    DETACHED = "detached"
    SEMI_DETACHED = "semi_detached"  # paarismaja: ELVESO 2.1.3 joint application
    TERRACED = "terraced"  # ridamaja: ELVESO 2.1.3 joint application


# ELVESO 2.1.3: these houses apply jointly.
JOINT_HOUSE_TYPES = (HouseType.SEMI_DETACHED, HouseType.TERRACED)


class RebateRunStatus(enum.StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class PriceKind(enum.StrEnum):
    WATER = "water"  # EUR per m³
    SEWER = "sewer"  # EUR per m³, by pollution group (KEE §4(3), §22(1))
    FIXED_FEE = "fixed_fee"  # EUR per month and main meter, by the meter's size
    CLOSURE_FEE = "closure_fee"  # EUR per closing of the supply (KEE §6(2))
    REOPENING_FEE = "reopening_fee"  # EUR per reopening (KEE §6(2))


# The prices charged per m³; the others are per month or per time.
VOLUME_PRICE_KINDS = (PriceKind.WATER, PriceKind.SEWER)


class PollutionGroup(enum.StrEnum):
    # KEE §22(1): wastewater pollution groups; household wastewater is group I.
    I = "I"  # noqa: E741 - the group's name
    II = "II"
    III = "III"


class InvoiceDelivery(enum.StrEnum):
    EMAIL = "email"
    E_INVOICE = "e_invoice"  # to the customer's internet bank
    POST = "post"


def enum_column(enum_cls: type[enum.StrEnum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a named CHECK constraint."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )

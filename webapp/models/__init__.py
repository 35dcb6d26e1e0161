"""All models, imported here so that Alembic and the app see one metadata."""

from webapp.models.api import ApiIdempotentRequest, ApiKey
from webapp.models.audit import AuditEvent
from webapp.models.base import Base
from webapp.models.contract import ServiceContract, contract_site
from webapp.models.enums import (
    ContractStatus,
    HouseType,
    MeterKind,
    MeterStatus,
    PriceKind,
    ReadingChannel,
    RebateRunStatus,
    RebateStatus,
    SiteRoleKind,
    StaffRoleKind,
)
from webapp.models.group import SiteGroup, SiteGroupMember
from webapp.models.meter import Meter, Reading, ReadingSubmission
from webapp.models.party import BoardMember, Company, Customer, Person
from webapp.models.property import Property, Site
from webapp.models.rebate import (
    RebateApplication,
    RebateCredit,
    RebateDecisionRecord,
    RebateJointApplicant,
    RebateRun,
)
from webapp.models.role import SiteRole, StaffRole
from webapp.models.session import LoginSession
from webapp.models.stored_file import StoredFile
from webapp.models.utility import Price, Utility

__all__ = [
    "ApiIdempotentRequest",
    "ApiKey",
    "AuditEvent",
    "Base",
    "BoardMember",
    "Company",
    "ContractStatus",
    "Customer",
    "HouseType",
    "LoginSession",
    "Meter",
    "MeterKind",
    "MeterStatus",
    "Person",
    "Price",
    "PriceKind",
    "Property",
    "Reading",
    "ReadingChannel",
    "ReadingSubmission",
    "RebateApplication",
    "RebateCredit",
    "RebateDecisionRecord",
    "RebateJointApplicant",
    "RebateRun",
    "RebateRunStatus",
    "RebateStatus",
    "ServiceContract",
    "Site",
    "SiteGroup",
    "SiteGroupMember",
    "SiteRole",
    "SiteRoleKind",
    "StaffRole",
    "StaffRoleKind",
    "StoredFile",
    "Utility",
    "contract_site",
]

"""All models, imported here so that Alembic and the app see one metadata."""

from webapp.models.api import ApiIdempotentRequest, ApiKey
from webapp.models.audit import AuditEvent
from webapp.models.base import Base
from webapp.models.billing import (
    BillingRun,
    Claim,
    ClaimStatus,
    DocumentCounter,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Payment,
    PaymentStatus,
    Prepayment,
    PrepaymentKind,
    UseSource,
    VatRate,
)
from webapp.models.contract import (
    ContractEvent,
    ContractEventKind,
    ServiceContract,
    TerminationGround,
    contract_site,
)
from webapp.models.contract_application import (
    OPEN_APPLICATION_STATUSES,
    ContractApplication,
    ContractApplicationEvent,
    ContractApplicationKind,
    ContractApplicationStatus,
    ContractDocument,
    DocumentKind,
    TemporaryPurpose,
)
from webapp.models.enums import (
    ContractStatus,
    HouseType,
    InvoiceDelivery,
    MeterKind,
    MeterStatus,
    PollutionGroup,
    PriceKind,
    ReadingChannel,
    RebateRunStatus,
    RebateStatus,
    SiteRoleKind,
    StaffRoleKind,
)
from webapp.models.group import SiteGroup, SiteGroupMember
from webapp.models.meter import Meter, Reading, ReadingSubmission
from webapp.models.notification import Notification
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
    "OPEN_APPLICATION_STATUSES",
    "ApiIdempotentRequest",
    "ApiKey",
    "AuditEvent",
    "Base",
    "BillingRun",
    "BoardMember",
    "Claim",
    "ClaimStatus",
    "Company",
    "ContractApplication",
    "ContractApplicationEvent",
    "ContractApplicationKind",
    "ContractApplicationStatus",
    "ContractDocument",
    "ContractEvent",
    "ContractEventKind",
    "ContractStatus",
    "Customer",
    "DocumentCounter",
    "DocumentKind",
    "HouseType",
    "Invoice",
    "InvoiceDelivery",
    "InvoiceKind",
    "InvoiceLine",
    "InvoiceStatus",
    "LineKind",
    "LoginSession",
    "Meter",
    "MeterKind",
    "MeterStatus",
    "Notification",
    "Payment",
    "PaymentStatus",
    "Person",
    "PollutionGroup",
    "Prepayment",
    "PrepaymentKind",
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
    "TemporaryPurpose",
    "TerminationGround",
    "UseSource",
    "Utility",
    "VatRate",
    "contract_site",
]

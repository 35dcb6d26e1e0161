"""API keys (ITB 1.2.2): made on the mass view's API page by an owner or a manager
for the customer, shown once, stored as a SHA-256 digest.

A key sees exactly the meters of the sites where its customer holds a contract in
force and where the person who made it still has the owner or manager role
(``Action.CREATE_API_KEY``): when that role ends, the key sees nothing and stops
working. "Generate new key" revokes the person's old key for the customer at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import secrets
from dataclasses import dataclass

from sqlalchemy import or_, select, update

from webapp.domain.permissions import Action, Actor, can
from webapp.extensions import db
from webapp.models import (
    ApiKey,
    Company,
    Customer,
    Person,
    ServiceContract,
    Site,
    contract_site,
)
from webapp.models.base import utcnow
from webapp.services import audit
from webapp.services.access import actor_for_person, contract_in_force, today_in_tallinn

KEY_PREFIX = "vp_"
KEY_BYTES = 32  # 256 random bits (ITB 1.2.2 asks for at least 128)
MAX_NETWORKS = 20
# Writing "last used" on every request would turn every GET into a write.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


def digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def new_raw_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)


# --------------------------------------------------------------------------- whose sites


def customer_sites(customer_id: int, on: dt.date) -> set[int]:
    """Sites of the customer's contracts in force on ``on``."""
    return set(db.session.scalars(
        select(contract_site.c.site_id)
        .join(ServiceContract, ServiceContract.id == contract_site.c.contract_id)
        .where(
            ServiceContract.customer_id == customer_id,
            contract_in_force(on),
        )
    ))


def key_actor(creator: Actor, customer_id: int, on: dt.date) -> Actor:
    """The creator's roles, limited to the customer's sites where they may make keys."""
    sites = customer_sites(customer_id, on)
    return Actor(
        person_id=creator.person_id,
        site_roles={site: roles for site, roles in creator.site_roles.items()
                    if site in sites and can(creator, Action.CREATE_API_KEY, site)},
    )


@dataclass(frozen=True)
class KeyCustomer:
    customer: Customer
    site_ids: tuple[int, ...]


def key_customers(actor: Actor, on: dt.date | None = None) -> list[KeyCustomer]:
    """The customers the person may make API keys for, with the sites a key would see."""
    on = on or today_in_tallinn()
    allowed = {site for site in actor.site_roles if can(actor, Action.CREATE_API_KEY, site)}
    if not allowed:
        return []
    rows = db.session.execute(
        select(ServiceContract.customer_id, contract_site.c.site_id)
        .join(contract_site, contract_site.c.contract_id == ServiceContract.id)
        .where(
            contract_site.c.site_id.in_(sorted(allowed)),
            contract_in_force(on),
        )
    ).all()
    by_customer: dict[int, set[int]] = {}
    for customer_id, site_id in rows:
        by_customer.setdefault(customer_id, set()).add(site_id)
    customers = db.session.scalars(
        select(Customer).where(Customer.id.in_(sorted(by_customer)))
    ).all() if by_customer else []
    found = [KeyCustomer(c, tuple(sorted(by_customer[c.id]))) for c in customers]
    return sorted(found, key=lambda k: (k.customer.name, k.customer.code))


def customer_by_code(code: str) -> Customer | None:
    """A customer by personal code or registry code."""
    return db.session.scalar(
        select(Customer).outerjoin(Person, Person.id == Customer.person_id)
        .where(or_(Person.personal_code == code,
                   Customer.company_id.in_(
                       select(Company.id).where(Company.registry_code == code))))
    )


def sites_of(site_ids: tuple[int, ...]) -> list[Site]:
    return list(db.session.scalars(
        select(Site).where(Site.id.in_(site_ids)).order_by(Site.address, Site.code)
    )) if site_ids else []


# --------------------------------------------------------------------------- making keys


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    raw: str  # shown once, never stored


def key_in_force(customer_id: int, person_id: int) -> ApiKey | None:
    return db.session.scalar(select(ApiKey).where(
        ApiKey.customer_id == customer_id, ApiKey.created_by_id == person_id,
        ApiKey.revoked_at.is_(None)))


def issue_key(actor: Actor, customer_id: int, expires_on: dt.date | None = None,
              networks: list[str] | None = None) -> IssuedKey:
    """A new key for the customer; the person's old one stops working at once.

    The caller has checked that the customer is one of ``key_customers(actor)``.
    Flush only: the caller commits. The old key is revoked before the new one is
    added, so the unique "one key in force" index never sees two.
    """
    old = key_in_force(customer_id, actor.person_id)
    if old is not None:
        revoke(actor, old, replaced=True)
    raw = new_raw_key()
    key = ApiKey(customer_id=customer_id, created_by_id=actor.person_id, key_hash=digest(raw),
                 prefix=raw[: len(KEY_PREFIX) + 6], expires_on=expires_on,
                 allowed_networks="\n".join(networks) if networks else None)
    db.session.add(key)
    db.session.flush()
    audit.record("create_api_key", "api_key", key.id, acting_as="self",
                 actor_id=actor.person_id,
                 after={"customer_id": customer_id, "prefix": key.prefix,
                        "expires_on": expires_on, "allowed_networks": networks or []})
    return IssuedKey(key, raw)


def revoke(actor: Actor, key: ApiKey, replaced: bool = False) -> None:
    db.session.execute(update(ApiKey).where(ApiKey.id == key.id, ApiKey.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))
    db.session.flush()
    db.session.refresh(key)
    audit.record("replace_api_key" if replaced else "revoke_api_key", "api_key", key.id,
                 acting_as="self", actor_id=actor.person_id, after={"prefix": key.prefix})


def change_limits(actor: Actor, key: ApiKey, expires_on: dt.date | None,
                  networks: list[str]) -> None:
    before = {"expires_on": key.expires_on, "allowed_networks": key.networks}
    key.expires_on = expires_on
    key.allowed_networks = "\n".join(networks) or None
    db.session.flush()
    audit.record("change_api_key", "api_key", key.id, acting_as="self",
                 actor_id=actor.person_id, before=before,
                 after={"expires_on": expires_on, "allowed_networks": networks})


class InvalidNetworks(ValueError):
    def __init__(self, bad: list[str], too_many: bool = False) -> None:
        super().__init__(", ".join(bad))
        self.bad = bad
        self.too_many = too_many


def parse_networks(text: str) -> list[str]:
    """CIDR ranges or single addresses, separated by spaces, commas or lines;
    normalised (``10.0.0.7/24`` is ``10.0.0.0/24``)."""
    items = [item for item in text.replace(",", " ").split() if item]
    bad, found = [], []
    for item in items:
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError:
            bad.append(item)
            continue
        if str(network) not in found:
            found.append(str(network))
    if bad:
        raise InvalidNetworks(bad)
    if len(found) > MAX_NETWORKS:
        raise InvalidNetworks([], too_many=True)
    return found


def address_allowed(key: ApiKey, address: str | None) -> bool:
    networks = key.networks
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in ipaddress.ip_network(network) for network in networks)


# --------------------------------------------------------------------------- using keys


class KeyRefused(Exception):
    """Why a request's key does not work: 401 (``status``) or 403."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class KeyUse:
    key: ApiKey
    actor: Actor  # the creator's roles, limited to the sites the key sees
    today: dt.date


def authenticate(raw: str | None, address: str | None) -> KeyUse:
    """The key a request presents, checked; raises ``KeyRefused``."""
    if not raw:
        raise KeyRefused(401, "Missing X-API-Key header.")
    key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == digest(raw.strip())))
    if key is None:
        raise KeyRefused(401, "Unknown API key.")
    if key.revoked_at is not None:
        raise KeyRefused(401, "This API key has been revoked.")
    today = today_in_tallinn()
    if key.expires_on is not None and key.expires_on < today:
        raise KeyRefused(401, "This API key has expired.")
    if not address_allowed(key, address):
        raise KeyRefused(403, "This API key may not be used from this address.")
    actor = key_actor(actor_for_person(key.created_by, on=today), key.customer_id, today)
    if not actor.site_roles:
        raise KeyRefused(401, "This API key no longer works: the person who made it no "
                              "longer has the owner or manager role at the customer's sites.")
    _note_use(key, address)
    return KeyUse(key, actor, today)


def _note_use(key: ApiKey, address: str | None) -> None:
    now = utcnow()
    if (key.last_used_at is not None and now - key.last_used_at < LAST_USED_PRECISION
            and key.last_used_from == address):
        return
    key.last_used_at = now
    key.last_used_from = (address or "")[:45] or None

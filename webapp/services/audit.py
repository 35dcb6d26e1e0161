"""Writing and reading the audit trail (append-only; see ``models/audit.py``).

``record`` adds the event to the current transaction, so it is committed with
the change it describes, or not at all.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import Select, select

from webapp.extensions import db
from webapp.models import AuditEvent, StaffRoleKind

STAFF_ROLE_NAMES = frozenset(kind.value for kind in StaffRoleKind)


def _plain(value: Any) -> Any:
    """JSON-safe: Decimals and dates as strings, enums as their values."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal | dt.date | dt.datetime):
        return str(value)
    return value


def record(
    action: str,
    object_type: str,
    object_id: object | None,
    *,
    acting_as: str,
    subject_person_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    purpose: str | None = None,
    actor_id: int | None = None,
) -> AuditEvent:
    if actor_id is None and has_request_context() and current_user.is_authenticated:
        actor_id = current_user.person.id
    event = AuditEvent(
        actor_id=actor_id,
        acting_as=acting_as,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        subject_person_id=subject_person_id,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        purpose=purpose,
    )
    if has_request_context():
        event.ip_address = request.remote_addr
        event.user_agent = (request.user_agent.string or "")[:255] or None
    db.session.add(event)
    return event


def staff_reads_of(person_id: int) -> Select[tuple[AuditEvent]]:
    """Events where a staff member looked at or changed the person's data ("Andmejälgija")."""
    return (
        select(AuditEvent)
        .where(
            AuditEvent.subject_person_id == person_id,
            AuditEvent.acting_as.in_(STAFF_ROLE_NAMES),
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )

"""E-mail notifications through an outbox.

``notify`` writes the message into the ``notification`` table in the transaction of
the change it tells of: if that rolls back, nothing was said. After the commit the
route calls ``deliver``, which sends what this request wrote (Flask-Mail) and marks
it sent; a message that could not go out keeps its error and is sent again by
``flask notifications send``. In development nothing leaves the machine
(``MAIL_SUPPRESS_SEND``) and the outbox page shows every message; tests record
them with Flask-Mail's ``record_messages``.
"""

from __future__ import annotations

from flask import current_app, g, has_request_context
from flask_mail import Message
from sqlalchemy import select

from webapp.extensions import db, mail
from webapp.models import Notification, Person
from webapp.models.base import utcnow

RETRY_BATCH = 200
ERROR_LENGTH = 500


def notify(email: str | None, subject: str, body: str, *, person: Person | None = None,
           about: tuple[str, object] | None = None) -> Notification | None:
    """Write a message to send once the transaction commits; None without an address."""
    address = (email or "").strip()
    if not address:
        return None
    notification = Notification(
        person_id=person.id if person is not None else None, email=address,
        subject=subject[:255], body=body,
        object_type=about[0] if about else None,
        object_id=str(about[1]) if about else None)
    db.session.add(notification)
    if has_request_context():
        g.setdefault("notifications", []).append(notification)
    return notification


def _send(notification: Notification) -> None:
    try:
        mail.send(Message(subject=notification.subject, recipients=[notification.email],
                          body=notification.body))
    except (OSError, ValueError) as error:  # SMTP down, refused, or a bad address
        notification.error = f"{type(error).__name__}: {error}"[:ERROR_LENGTH]
        current_app.logger.warning("notification %s not sent: %s", notification.id, error)
        return
    notification.sent_at = utcnow()
    notification.error = None


def deliver() -> int:
    """Send the messages this request wrote (call after its commit); how many went."""
    pending = [n for n in g.pop("notifications", []) if n.sent_at is None]
    for notification in pending:
        _send(notification)
    if pending:
        db.session.commit()
    return sum(1 for n in pending if n.sent_at is not None)


def send_unsent() -> tuple[int, int]:
    """Send every message not sent yet (``flask notifications send``): (sent, failed)."""
    ids = list(db.session.scalars(select(Notification.id)
                                  .where(Notification.sent_at.is_(None))
                                  .order_by(Notification.id)))
    sent = failed = 0
    for start in range(0, len(ids), RETRY_BATCH):
        batch = db.session.scalars(select(Notification).where(
            Notification.id.in_(ids[start:start + RETRY_BATCH])))
        for notification in batch:
            _send(notification)
            if notification.sent_at is None:
                failed += 1
            else:
                sent += 1
        db.session.commit()
    return sent, failed


def about(object_type: str, object_id: object) -> list[Notification]:
    """The messages about one object, oldest first (an application's history)."""
    return list(db.session.scalars(
        select(Notification).where(Notification.object_type == object_type,
                                   Notification.object_id == str(object_id))
        .order_by(Notification.id)))

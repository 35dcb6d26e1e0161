"""The development outbox: every e-mail the portal wrote, as its recipient would read
it. Registered only with ``DEV_OUTBOX`` (development), since it shows everyone's mail."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from webapp.models import Notification
from webapp.pagination import paginate

bp = Blueprint("outbox", __name__, url_prefix="/dev")


@bp.get("/outbox")
def index() -> str:
    page = paginate(select(Notification).order_by(Notification.id.desc()))
    return render_template("outbox/index.html", page=page)

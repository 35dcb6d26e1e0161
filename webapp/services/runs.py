"""Long runs that staff start from a page (the rebate season run, the billing run):
one at a time, a heartbeat, and the work done in a thread of its own while the page
shows the progress. Both run tables have the same shape: status, heartbeat_at,
finished_at, error, and a partial unique index that allows one running row."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import BillingRun, NoticeRun, RebateRun, RebateRunStatus, Utility
from webapp.models.base import utcnow

# A run whose heartbeat is older than this has died (its process was stopped).
STALE_AFTER = dt.timedelta(minutes=10)

RunModel = type[RebateRun] | type[BillingRun] | type[NoticeRun]
# The work itself: (run, utility, today, acting_as); commits as it goes.
Work = Callable[[Any, Utility, dt.date, str], object]


class Busy(Exception):
    """Another run of the kind is going."""


def begin(model: RunModel, **values: Any) -> Any:
    """Record a new run as going (after ending those that died); ``Busy`` when
    another one is going. The caller commits."""
    db.session.execute(
        update(model)
        .where(model.status == RebateRunStatus.RUNNING,
               model.heartbeat_at < utcnow() - STALE_AFTER)
        .values(status=RebateRunStatus.FAILED, finished_at=utcnow(),
                error="stopped without finishing (no sign of life for 10 minutes)"))
    if db.session.scalar(select(model.id).where(
            model.status == RebateRunStatus.RUNNING)) is not None:
        raise Busy
    run = model(status=RebateRunStatus.RUNNING, **values)
    db.session.add(run)
    try:
        db.session.flush()
    except IntegrityError:  # another one started at the same moment
        db.session.rollback()
        raise Busy from None
    return run


def fail(model: RunModel, run_id: int, error: str) -> None:
    """End a run that raised as failed, with what went wrong."""
    db.session.rollback()
    run = db.session.get(model, run_id)
    if run is not None and run.status is RebateRunStatus.RUNNING:
        run.status = RebateRunStatus.FAILED
        run.finished_at = utcnow()
        run.error = error[:1000]
        db.session.commit()


def _work(app: Flask, model: RunModel, work: Work, run_id: int, today: dt.date,
          acting_as: str) -> None:
    with app.app_context():
        try:
            run = db.session.get(model, run_id)
            utility = db.session.scalar(select(Utility).order_by(Utility.id).limit(1))
            if run is None or utility is None:
                return
            work(run, utility, today, acting_as)
        except Exception as error:  # any failure ends the run as failed
            app.logger.exception("%s %s failed", model.__tablename__, run_id)
            fail(model, run_id, f"{type(error).__name__}: {error}")
        finally:
            db.session.remove()


def start_in_background(model: RunModel, work: Work, run_id: int, today: dt.date,
                        acting_as: str) -> threading.Thread | None:
    """Go on with a committed run outside the request (the page shows its progress).
    With ``REBATE_RUN_INLINE`` (tests) the run is done before this returns."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("REBATE_RUN_INLINE"):
        _work(app, model, work, run_id, today, acting_as)
        return None
    thread = threading.Thread(target=_work, args=(app, model, work, run_id, today, acting_as),
                              name=f"{model.__tablename__}-{run_id}", daemon=True)
    thread.start()
    return thread

"""Routes of the rules blueprint: the Atom feed of rule changes and planned
interruptions (issue 10), for the municipality's website and residents.

Public, so it says nothing of a person: an interruption names its area, times and
where water is supplied meanwhile (KEE §13(3)-(4)), never the sites or customers the
notices went to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from feedgen.feed import FeedGenerator
from flask import Response, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from webapp.blueprints.rules import bp
from webapp.blueprints.rules.rule_sets import redactions, regulation_link
from webapp.domain import deadlines as deadline_rules
from webapp.domain.rule_sets import rule_sets
from webapp.extensions import db
from webapp.models import NoticeRun, RebateRunStatus
from webapp.navigation import portal_name
from webapp.services.act_kinds.interruption_notice import MOMENT_FORMAT

TALLINN = ZoneInfo("Europe/Tallinn")
# Interruption runs in the feed: the latest ones, enough for a season of works.
RUNS_SHOWN = 50


@dataclass(frozen=True)
class Entry:
    key: str  # the part of the tag URI after the date: stable for the same event
    title: str
    updated: dt.datetime
    link: str
    summary: str


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), TALLINN)


def _rule_entries() -> list[Entry]:
    entries = [Entry(f"rules/{r.id}", _("%(name)s: redaction in force from %(day)s",
                                        name=r.short_name,
                                        day=r.redaction_in_force_from.strftime("%d.%m.%Y")),
                     _midnight(r.redaction_in_force_from),
                     request.host_url.rstrip("/") + regulation_link(r), r.title)
               for r in redactions()]
    entries += [Entry(f"rules/rebates/{s.id}",
                      _("Garden-water rebate rules %(id)s in force from %(day)s",
                        id=s.id, day=s.effective.start.strftime("%d.%m.%Y")),
                      _midnight(s.effective.start),
                      url_for("rules.rule_set", rule_set_id=s.id, _external=True),
                      f"{s.name} ({s.utility})") for s in rule_sets()]
    for set_id in deadline_rules.deadline_set_ids():
        deadlines = deadline_rules.load_deadlines(set_id)
        entries.append(Entry(
            f"rules/deadlines/{deadlines.id}",
            _("Deadlines %(id)s in force from %(day)s", id=deadlines.id,
              day=deadlines.effective.start.strftime("%d.%m.%Y")),
            _midnight(deadlines.effective.start), url_for("rules.index", _external=True),
            deadlines.act.title))
    return entries


def _moment(value: Any) -> str:
    try:
        return dt.datetime.strptime(str(value)[:16], MOMENT_FORMAT).strftime("%d.%m.%Y %H:%M")
    except ValueError:
        return ""


def interruption_entry(run: NoticeRun) -> Entry | None:
    """What the public may know of a run: area, times, temporary water supply. Not
    the sites (``site_ids``), the works' details or the contact person."""
    notice = (run.data or {}).get("notice") or {}
    area = str(notice.get("area") or "").strip()
    if not area:
        return None
    starts, ends = _moment(notice.get("starts_at")), _moment(notice.get("ends_at"))
    lines = [_("Area: %(area)s", area=area)]
    if starts and ends:
        lines.append(_("From %(start)s to %(end)s", start=starts, end=ends))
    supply = str(notice.get("temporary_supply") or "").strip()
    if supply:
        lines.append(_("Water meanwhile: %(place)s", place=supply))
    kind = _("Planned interruption") if notice.get("planned", True) else _("Interruption")
    updated = run.finished_at or run.started_at
    title = f"{kind}: {area}" + (f" ({starts})" if starts else "")
    return Entry(f"interruptions/{run.batch_key}", title,
                 updated.astimezone(TALLINN), url_for("rules.index", _external=True),
                 "\n".join(lines))


def _interruption_entries() -> Iterable[Entry]:
    runs = db.session.scalars(
        select(NoticeRun).where(NoticeRun.status == RebateRunStatus.FINISHED,
                                NoticeRun.done > 0)
        .order_by(NoticeRun.finished_at.desc(), NoticeRun.id.desc()).limit(RUNS_SHOWN))
    for run in runs:
        entry = interruption_entry(run)
        if entry is not None:
            yield entry


def _tag(host: str, entry: Entry) -> str:
    # RFC 4151: the authority, the day the name was minted (the event's own), the name.
    return f"tag:{host},{entry.updated.date().isoformat()}:{entry.key}"


@bp.get("/feed.atom")
def feed() -> Response:
    entries = sorted([*_rule_entries(), *_interruption_entries()],
                     key=lambda e: (e.updated, e.key), reverse=True)
    host = request.host.split(":")[0]
    generator = FeedGenerator()
    generator.id(f"tag:{host},2026:rules/feed")
    generator.title(_("%(portal)s: rule changes and planned interruptions",
                      portal=portal_name()))
    generator.author({"name": portal_name()})
    generator.link(href=url_for("rules.feed", _external=True), rel="self")
    generator.link(href=url_for("rules.index", _external=True), rel="alternate")
    generator.language(str(get_locale() or "et"))
    generator.updated(entries[0].updated if entries else _midnight(dt.date(2006, 10, 9)))
    # feedgen puts a new entry first unless told to append: the list is newest first.
    for entry in entries:
        item = generator.add_entry(order="append")
        item.id(_tag(host, entry))
        item.title(entry.title)
        item.updated(entry.updated)
        item.link(href=entry.link, rel="alternate")
        item.summary(entry.summary)
    return Response(generator.atom_str(pretty=True), mimetype="application/atom+xml")

"""Sending meter readings (ITB 1): the standard view for one meter, the mass view
for many, CSV import with a preview, and each meter's history.

Thin: ``webapp.services.readings`` checks, writes and asks the permission
function; a route parses the form, commits once and redirects with 303.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import login_required
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response as BaseResponse

from webapp.charts import MonthlyUse, monthly_use_chart
from webapp.domain import csv_readings
from webapp.domain import readings as rules
from webapp.domain.permissions import Actor
from webapp.extensions import db
from webapp.htmx import is_htmx_request
from webapp.i18n import format_day, format_moment, format_volume
from webapp.models import ReadingChannel
from webapp.navigation import current_utility
from webapp.pagination import paginate_list
from webapp.services import groups
from webapp.services import readings as service
from webapp.services.access import current_actor, logged_in_actor, today_in_tallinn

bp = Blueprint("readings", __name__)

INVALID = 422  # a form sent back with its problems
CHART_MONTHS = 24
CHANNELS = {"web": ReadingChannel.WEB, "csv": ReadingChannel.CSV}


def _actor() -> Actor:
    """The current person, if they may send readings for any site; else 404."""
    actor = current_actor()
    if actor is None or not service.reading_site_ids(actor):
        abort(404)
    return actor


def _id_arg(name: str) -> int | None:
    """An object id from the query or form (``?site=``, ``?group=``); junk is 404."""
    raw = request.values.get(name, "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        abort(404)
    return int(raw)


def _site_arg() -> int | None:
    return _id_arg("site")


def _render_list(actor: Actor, outcomes: dict[int, service.RowOutcome] | None = None,
                 status: int = 200, preview: csv_readings.ParsedCsv | None = None,
                 rejected: list[tuple[int, str, str]] | None = None,
                 channel: str = "web") -> BaseResponse:
    group_id = _id_arg("group")
    in_group = groups.group_sites(actor, group_id) if group_id is not None else None
    listing = service.readings_list(actor, current_utility(), _site_arg(), in_group)
    if not is_htmx_request():
        template = "readings/index.html"
    elif request.endpoint == "readings.import_preview":
        template = "readings/_content.html"  # the preview swapped in for the upload form
    elif request.method == "GET":
        template = "readings/_list.html"  # the list filtered by site or group
    else:
        template = "readings/index.html"
    response = make_response(render_template(
        template, listing=listing, outcomes=outcomes or {}, token=service.new_form_token(),
        groups=groups.my_groups(actor) if listing.large_customer else [], group_id=group_id,
        preview=preview, rejected=rejected or [], channel=channel, today=today_in_tallinn(),
    ), status)
    response.vary.add("HX-Request")
    return response


@bp.get("/my/readings")
@login_required
def index() -> BaseResponse:
    return _render_list(_actor())


def _entries(today: dt.date) -> tuple[list[service.Entry], str]:
    """The filled rows of the posted form: ``reading-<meter id>``, and for rows from
    a CSV file ``date-<meter id>``; a key that is not a meter's id is ignored."""
    channel = request.form.get("channel", "web")
    if channel not in CHANNELS:
        abort(400)
    entries = []
    for key, text in request.form.items():
        prefix, _sep, raw_id = key.partition("-")
        if prefix != "reading" or not (raw_id.isascii() and raw_id.isdigit()) or len(raw_id) > 12:
            continue
        if not text.strip():
            continue
        day = today
        raw_day = request.form.get(f"date-{raw_id}", "")
        if raw_day:
            try:
                day = dt.date.fromisoformat(raw_day)
            except ValueError:
                abort(400)
        entries.append(service.Entry(meter_id=int(raw_id), text=text[:200], day=day,
                                     confirmed=request.form.get(f"confirm-{raw_id}") == "yes"))
    return entries, channel


@bp.post("/my/readings")
@login_required
def submit() -> BaseResponse:
    actor = _actor()
    site = _site_arg()
    if site is not None and site not in service.reading_site_ids(actor):
        abort(404)
    today = today_in_tallinn()
    entries, channel = _entries(today)
    token = request.form.get("token", "")
    if not 16 <= len(token) <= 64:
        abort(400)
    if not entries:
        flash(_("Enter at least one reading."), "error")
        return _render_list(actor, status=INVALID, channel=channel)
    try:
        submission = service.submit_readings(actor, entries, CHANNELS[channel], token,
                                             current_utility(), today)
        if not submission.repeated:
            db.session.commit()
    except SQLAlchemyError:
        # Nothing is saved (one transaction), and the person keeps what they typed.
        db.session.rollback()
        current_app.logger.exception("readings could not be saved")
        flash(_("The readings could not be saved just now: nothing was saved. Please "
                "press “Send” again in a moment."), "error")
        kept = {entry.meter_id: service.RowOutcome(entry) for entry in entries}
        return _render_list(actor, kept, status=503, channel=channel)
    target = url_for("readings.index", site=site, group=_id_arg("group"))
    if submission.repeated:
        flash(_("This form had already been sent: its readings are saved."), "info")
        return redirect(target, code=303)
    saved = len(submission.saved)
    if saved:
        flash(ngettext("%(num)s reading was saved.", "%(num)s readings were saved.", saved),
              "success")
    if not submission.pending:
        return redirect(target, code=303)
    flash(_("Check the rows marked below: they were not saved yet."), "error")
    outcomes = {outcome.entry.meter_id: outcome for outcome in submission.pending}
    return _render_list(actor, outcomes, status=INVALID, channel=channel)


@bp.post("/my/readings/check")
@login_required
def check() -> BaseResponse:
    """htmx: the verdict on one field as it loses focus (nothing is saved)."""
    actor = _actor()
    raw_id = request.values.get("meter", "")
    if not (raw_id.isascii() and raw_id.isdigit()) or len(raw_id) > 12:
        abort(404)
    meter = service.submittable_meter(actor, int(raw_id))
    text = request.form.get(f"reading-{meter.id}", "")
    outcome = None
    if text.strip():
        entry = service.Entry(meter_id=meter.id, text=text[:200], day=today_in_tallinn())
        outcome = service.check_entries(actor, [entry], current_utility(), entry.day)[0]
    return make_response(render_template("readings/_feedback.html", outcome=outcome,
                                          meter_id=meter.id))


# --------------------------------------------------------------------------- CSV import

REFUSALS = {
    csv_readings.RefusalReason.TOO_LARGE: _l("The file is larger than 2 MB. Split it into "
                                             "smaller files."),
    csv_readings.RefusalReason.NOT_TEXT: _l("This is not a CSV text file. Save the sheet as "
                                            "CSV (semicolon or comma separated) and try again."),
    csv_readings.RefusalReason.TOO_MANY_ROWS: _l("The file has more than %(count)s rows. Split "
                                                 "it into smaller files.",
                                                 count=f"{csv_readings.MAX_ROWS:,}"),
    csv_readings.RefusalReason.NO_COLUMNS: _l("The file has no columns for a meter number and "
                                              "a reading."),
}
ROW_PROBLEMS = {
    csv_readings.RowProblem.MISSING_METER: _l("no meter number"),
    csv_readings.RowProblem.MISSING_READING: _l("no reading"),
    csv_readings.RowProblem.BAD_DATE: _l("the date is not dd.mm.yyyy or yyyy-mm-dd"),
    csv_readings.RowProblem.TOO_MANY_COLUMNS: _l("too many columns"),
    csv_readings.RowProblem.DUPLICATE: _l("duplicate row: this meter is already in the file"),
}


def _large_customer_actor() -> tuple[Actor, service.ReadingsList]:
    actor = _actor()
    listing = service.readings_list(actor, current_utility())
    if not listing.large_customer:
        abort(404)
    return actor, listing


@bp.get("/my/readings/import")
@login_required
def import_form() -> str:
    _large_customer_actor()
    return render_template("readings/import.html", refusal=None)


def _import_page(refusal: str) -> tuple[str, int]:
    """The upload page again with why the file was refused (its part alone for htmx)."""
    template = "readings/_import.html" if is_htmx_request() else "readings/import.html"
    return render_template(template, refusal=refusal), INVALID


@bp.get("/my/readings/import/template.csv")
@login_required
def import_template() -> BaseResponse:
    _large_customer_actor()
    body = "\ufeff" + csv_readings.template_csv()
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=readings-template.csv"})


@bp.post("/my/readings/import")
@login_required
def import_preview() -> BaseResponse | tuple[str, int]:
    # With htmx the answer replaces the upload form (#import-page) or, once read, the
    # upload page's content with the preview (#readings-page, same place).
    """Fill the mass view from the file: a preview, nothing is saved until "Send"."""
    actor, listing = _large_customer_actor()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_page(_("Choose the CSV file to import."))
    try:
        data = upload.stream.read(csv_readings.MAX_BYTES + 1)
    finally:
        upload.close()  # a large upload is spooled to a temporary file
    try:
        parsed = csv_readings.parse_readings_csv(data)
    except csv_readings.CsvRefused as refused:
        return _import_page(str(REFUSALS[refused.reason]))
    outcomes, rejected = service.preview_csv(actor, listing, parsed, current_utility(),
                                             today_in_tallinn())
    for line, number, problem in parsed_rejections(parsed):
        rejected.append((line, number, problem))
    rejected.sort()
    return _render_list(actor, outcomes, preview=parsed, rejected=rejected, channel="csv")


def parsed_rejections(parsed: csv_readings.ParsedCsv) -> list[tuple[int, str, str]]:
    reasons = {problem: str(text) for problem, text in ROW_PROBLEMS.items()}
    return [(r.line, r.meter_number, reasons[r.problem]) for r in parsed.rejected]


# --------------------------------------------------------------------------- history


@bp.get("/my/meters/<int:meter_id>")
@login_required
def meter_history(meter_id: int) -> str:
    meter = service.readable_meter(logged_in_actor(), meter_id)
    lines = service.history(meter)
    months = _monthly(lines)
    chart = monthly_use_chart(
        months,
        title=_("Monthly use of meter %(number)s, m³", number=meter.number),
        description=_("Bar chart of the use in each of the last %(count)s months; the table "
                      "below lists the same figures.", count=CHART_MONTHS),
        month_label=lambda day: day.strftime("%m.%y"),
        volume_label=lambda value: format_volume(value, 0 if value == value.to_integral() else 1),
        unknown_label=_("no data"),
        id_prefix=f"use-{meter.id}",
    )
    return render_template("readings/history.html", meter=meter, page=paginate_list(lines),
                           months=months, chart=chart)


def _monthly(lines: list[service.HistoryLine]) -> list[MonthlyUse]:
    current = [rules.PastReading(line.reading.reading_date, line.reading.value)
               for line in reversed(lines) if not line.replaced]
    starts = rules.month_starts(today_in_tallinn(), CHART_MONTHS)
    return [MonthlyUse(start, use) for start, use in zip(starts, rules.monthly_use(current, starts),
                                                        strict=True)]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@bp.get("/my/meters/<int:meter_id>/readings.csv")
@login_required
def history_csv(meter_id: int) -> BaseResponse:
    meter = service.readable_meter(logged_in_actor(), meter_id)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Date"), _("Reading, m³"), _("Use, m³"), _("Channel"), _("Sent by"),
                     _("Replaced")])
    for line in service.history(meter):
        reading = line.reading
        writer.writerow([_cell(v) for v in (
            format_moment(reading.measured_at) if reading.measured_at
            else format_day(reading.reading_date),
            format_volume(reading.value),
            format_volume(line.use) if line.use is not None else "",
            reading.channel.value,
            reading.submitted_by.full_name if reading.submitted_by else "",
            _("yes") if line.replaced else "",
        )])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=meter-{_safe_name(meter.number)}.csv"})


def _safe_name(text: str) -> str:
    return "".join(c for c in text if c.isascii() and (c.isalnum() or c in "-_")) or "meter"

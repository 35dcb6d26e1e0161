"""Routes of the rules blueprint: the regulation clause by clause (issue 10).

Public, no login: ``/rules/kee`` (the redaction in force today, or
``?redaction=KEE-2012``) with a table of contents and an anchor for every §,
subsection and point; ``/rules/kee/search?q=…`` (the page, or its results alone
for htmx); ``/rules/kee.pdf`` through the one PDF pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Response, abort, make_response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from pdf.render import render_pdf
from webapp.blueprints.rules import bp
from webapp.domain.regulations import (
    MAX_QUERY_LENGTH,
    Regulation,
    SearchHit,
    Section,
    UnknownRegulation,
    in_force,
    load_regulation,
    regulations,
    search,
)
from webapp.domain.rule_trace import Application
from webapp.domain.rule_trace import applications as traced
from webapp.htmx import is_htmx_request
from webapp.navigation import current_utility
from webapp.services.access import today_in_tallinn

MAX_HITS = 200


def _redaction(short_name: str) -> Regulation:
    """The redaction asked for (``?redaction=``) or the one in force today."""
    asked = request.args.get("redaction", "").strip()
    try:
        regulation = load_regulation(asked) if asked else in_force(short_name, today_in_tallinn())
    except UnknownRegulation:
        abort(404)
    if regulation.short_name.lower() != short_name.lower():
        abort(404)
    return regulation


def applications(short_name: str) -> Mapping[str, tuple[Application, ...]]:
    """Where the portal applies each clause (``webapp.domain.rule_trace``), by anchor."""
    return traced(short_name)


@bp.app_template_filter("regulation_text")
def regulation_text(text: str) -> Markup:
    """The adopted text escaped, its superscripts (``§ 14<sup>1</sup>``) kept as such."""
    escaped = str(escape(text))
    for digit in "0123456789":
        escaped = escaped.replace(f"&lt;sup&gt;{digit}&lt;/sup&gt;", f"<sup>{digit}</sup>")
    return Markup(escaped)  # noqa: S704 - escaped above, only <sup>digit</sup> put back


def _search_state(regulation: Regulation) -> dict[str, Any]:
    asked = "q" in request.args
    query = " ".join(request.args.get("q", "").split())
    error = None
    hits: list[SearchHit] = []
    if asked and not query:
        error = _("Type a word to search for.")
    elif len(query) > MAX_QUERY_LENGTH:
        error = _("The search is too long: at most %(count)s characters.", count=MAX_QUERY_LENGTH)
    elif query:
        hits = search(regulation, query)
    return {"regulation_is_current": _is_current(regulation),
            "max_query_length": MAX_QUERY_LENGTH, "asked": asked, "query": query,
            "search_error": error, "hits": hits[:MAX_HITS],
            "more_hits": len(hits) > MAX_HITS, "hit_count": len(hits)}


def regulation_page(short_name: str) -> Response:
    regulation = _redaction(short_name)
    return _page(regulation, {"regulation_is_current": _is_current(regulation),
                              "max_query_length": MAX_QUERY_LENGTH, "asked": False, "query": "",
                              "search_error": None, "hits": [], "more_hits": False,
                              "hit_count": 0})


def regulation_search(short_name: str) -> Response:
    regulation = _redaction(short_name)
    state = _search_state(regulation)
    if is_htmx_request():
        response = make_response(render_template("rules/_regulation_search.html",
                                                 regulation=regulation, partial=True, **state))
    else:
        response = _page(regulation, state)
    response.vary.add("HX-Request")
    if state["query"] and state["search_error"]:
        response.status_code = 422  # too long: refused, the form shown again
    return response


def _section_uses(
        applied: Mapping[str, tuple[Application, ...]]) -> Callable[[Section], list[Application]]:
    """The applications of a § and of its subsections and points, in the text's order."""
    def uses(section: Section) -> list[Application]:
        anchors = [section.anchor]
        for sub in section.subsections:
            anchors += [sub.anchor, *(point.anchor for point in sub.points)]
        return [use for anchor in anchors for use in applied.get(anchor, ())]
    return uses


def _is_current(regulation: Regulation) -> bool:
    return in_force(regulation.short_name, today_in_tallinn()).id == regulation.id


def _page(regulation: Regulation, state: dict[str, Any]) -> Response:
    versions = [r for r in regulations() if r.short_name == regulation.short_name]
    applied = applications(regulation.short_name)
    response = make_response(render_template(
        "rules/regulation.html", regulation=regulation, versions=versions,
        section_uses=_section_uses(applied), partial=False, **state))
    response.vary.add("HX-Request")
    return response


def regulation_pdf(short_name: str) -> Response:
    regulation = _redaction(short_name)
    utility = current_utility()
    pdf = render_pdf("pdf/regulation.html", lang=str(get_locale() or "et"),
                     title=regulation.title, document_number=regulation.id,
                     regulation=regulation, utility_name=utility.name if utility else None)
    response = make_response(pdf)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{regulation.id}.pdf"'
    return response


def _register(short_names: set[str]) -> None:
    """``/rules/<short name>`` for every regulation: a fixed path per regulation, so that
    the other rules pages (``/rules/on``, ``/rules/diff``) never fall into it."""
    for name in sorted(short_names):
        path = f"/{name.lower()}"
        defaults = {"short_name": name}
        bp.add_url_rule(path, "regulation", regulation_page, defaults=defaults)
        bp.add_url_rule(f"{path}/search", "regulation_search", regulation_search,
                        defaults=defaults)
        bp.add_url_rule(f"{path}.pdf", "regulation_pdf", regulation_pdf, defaults=defaults)


_register({regulation.short_name for regulation in regulations()})

"""htmx the hypermedia way (DESIGN.md): a page and its partial share one template."""

from __future__ import annotations

from flask import request


def is_htmx_request() -> bool:
    """An htmx request that wants a partial; a history restore wants the whole page."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-History-Restore-Request") != "true")

"""Responses several blueprints send."""

from __future__ import annotations

import io

from flask import send_file
from werkzeug.wrappers import Response


def download(data: bytes, content_type: str, name: str, inline: bool = False) -> Response:
    """A file for the person who may see it: never cached on the way, never sniffed
    (the security headers add ``nosniff``)."""
    response = send_file(io.BytesIO(data), mimetype=content_type, as_attachment=not inline,
                         download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response

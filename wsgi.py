"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""

import gc

from webapp import create_app

app = create_app()
# The app's own objects live as long as the process: keep the garbage collector from
# walking them on every collection (a POST of 1,000 readings made ~200 of them),
# and let forked workers share their memory pages.
gc.collect()
gc.freeze()

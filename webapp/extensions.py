"""Extension objects, created here without an app and bound in ``create_app``."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from webapp.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
mail = Mail()


def rate_limit_key() -> str:
    """Who a request counts against: its API key (as a digest), else its address."""
    import hashlib

    from flask import request

    presented = request.headers.get("X-API-Key")
    if presented:
        return "key:" + hashlib.sha256(presented.strip().encode()).hexdigest()[:32]
    return "address:" + (request.remote_addr or "unknown")


# Storage and limits come from the config (RATELIMIT_STORAGE_URI, API_RATE_LIMIT).
limiter = Limiter(key_func=rate_limit_key)

"""The forms of the API page (ITB 1.2.2): a key's expiry date and allowed addresses."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, TextAreaField
from wtforms.validators import Optional, ValidationError

from webapp.services.access import today_in_tallinn
from webapp.services.api_keys import MAX_NETWORKS, InvalidNetworks, parse_networks

LONGEST_VALIDITY_DAYS = 5 * 366


class KeyLimitsForm(FlaskForm):
    expires_on = DateField(_l("Valid until (optional)"), validators=[Optional()])
    networks = TextAreaField(
        _l("Allowed addresses (optional)"),
        description=_l("IP addresses or ranges in CIDR notation, e.g. 192.0.2.0/24, one per "
                       "line. Empty: any address."),
        render_kw={"rows": 3, "autocomplete": "off", "spellcheck": "false"},
    )

    def validate_expires_on(self, field: Any) -> None:
        if field.data is None:
            return
        today = today_in_tallinn()
        if field.data < today:
            raise ValidationError(str(_l("The date cannot be in the past.")))
        if (field.data - today).days > LONGEST_VALIDITY_DAYS:
            raise ValidationError(str(_l("A key can be valid for at most five years.")))

    def validate_networks(self, field: Any) -> None:
        try:
            field.parsed = parse_networks(field.data or "")
        except InvalidNetworks as invalid:
            if invalid.too_many:
                raise ValidationError(str(_l("At most %(max)d addresses or ranges.",
                                             max=MAX_NETWORKS))) from None
            raise ValidationError(str(_l(
                "Not an IP address or range: %(items)s. Write ranges like 192.0.2.0/24.",
                items=", ".join(invalid.bad)))) from None

    @property
    def network_list(self) -> list[str]:
        return list(getattr(self.networks, "parsed", []))


class ConfirmForm(FlaskForm):
    """Only the CSRF token: revoking is a POST after a confirmation page."""

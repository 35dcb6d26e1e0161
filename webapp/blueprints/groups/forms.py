"""The form of a group of sites (ITB 1.2)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from webapp.forms.common import CheckboxesField, clean_line
from webapp.services.groups import NAME_MAX


class GroupForm(FlaskForm):
    name = StringField(
        _l("Name of the group"),
        filters=[clean_line],
        validators=[DataRequired(_l("Enter the name of the group.")),
                    Length(max=NAME_MAX, message=_l("At most %(max)d characters."))],
        render_kw={"maxlength": NAME_MAX, "autocomplete": "off"},
    )
    sites = CheckboxesField(_l("Sites in the group"), coerce=int, validate_choice=True)


class DeleteGroupForm(FlaskForm):
    """Only the CSRF token: the confirmation is the press of the button."""

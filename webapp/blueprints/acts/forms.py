"""Forms of the acts pages: the list's filter, a new act, confirmations, photos, and the
public check."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp

from webapp.forms.common import clean_line
from webapp.models import ActStatus
from webapp.services import acts


def _kind_choices(listed_only: bool) -> list[SelectChoice]:
    return [SelectChoice(spec.kind.value, spec.title) for spec in acts.all_specs()
            if spec.listed or not listed_only]


class FilterForm(FlaskForm):
    """Sent with GET: a filter changes nothing, so it has no CSRF token."""

    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=[
        SelectChoice("", _l("All")), SelectChoice(ActStatus.DRAFT.value, _l("Drafts")),
        SelectChoice(ActStatus.ISSUED.value, _l("Issued"))], validators=[Optional()])
    issued_from = DateField(_l("Issued from"), validators=[Optional()])
    issued_until = DateField(_l("Issued until"), validators=[Optional()])
    q = StringField(_l("Number, site code or address"), filters=[clean_line],
                    validators=[Optional(), Length(max=100)])
    # The interruption notices sent in one action (their batch key).
    batch = HiddenField(validators=[Optional(), Regexp(r"^[0-9a-f]{32}$")])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.kind.choices = [SelectChoice("", _l("All")), *_kind_choices(False)]


class NewActForm(FlaskForm):
    kind = SelectField(_l("Kind of act"), validators=[InputRequired()])
    site_code = StringField(_l("Site code"), filters=[clean_line],
                            validators=[InputRequired(_l("Give the site's code.")),
                                        Length(max=40)])
    # A draft started from an invoice (the closure warnings' list, KEE §43(2)).
    invoice_id = HiddenField(validators=[Optional(), Regexp(r"^\d{1,12}$")])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.kind.choices = _kind_choices(True)


class ConfirmForm(FlaskForm):
    confirm = BooleanField(_l("I have checked it"), validators=[
        InputRequired(_l("Tick the box to confirm."))])


class PhotoForm(FlaskForm):
    photo = FileField(_l("Photo (JPEG or PNG, at most 10 MB)"),
                      validators=[FileRequired(_l("Choose a photo."))])
    caption = StringField(_l("Caption"), filters=[clean_line],
                          validators=[Optional(), Length(max=200)])


_NUMBER = Regexp(r"^\s*[A-Za-z]{3}-\d{4}-\d{5}\s*$",
                 message=_l("A number looks like OMU-2026-00042."))


class VerifyForm(FlaskForm):
    """Sent with GET: a check changes nothing."""

    class Meta:
        csrf = False

    number = StringField(_l("Number of the act"), filters=[clean_line],
                         validators=[InputRequired(_l("Give the act's number.")), _NUMBER])
    sha256 = StringField(_l("SHA-256 of the PDF file"), filters=[clean_line], validators=[
        InputRequired(_l("Give the file's SHA-256.")),
        Regexp(r"^\s*[0-9A-Fa-f]{64}\s*$", message=_l("A SHA-256 is 64 hexadecimal digits."))])


class VerifyFileForm(FlaskForm):
    number = StringField(_l("Number of the act"), filters=[clean_line],
                         validators=[InputRequired(_l("Give the act's number.")), _NUMBER])
    document = FileField(_l("The PDF file"), validators=[FileRequired(_l("Choose the file."))])

"""Forms for partnerships between organisations and for moving a timebank in."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms.validators import DataRequired

from .forms import ChoiceField, DurationField, RadioChoiceField
from .partnerships import MAX_LIMIT_MINUTES

FORMATS = [
    ("timeoverflow", _l("TimeOverflow (its import layout: members and transfers, no header rows)")),
    ("generic", _l("Generic CSV (members with balances, and history if you have it)")),
]
ENCODINGS = [
    ("utf-8", _l("UTF-8 (CSV UTF-8)")),
    ("windows-1252", _l("Windows-1252 (an older spreadsheet's CSV)")),
]


class PartnershipForm(FlaskForm):
    partner_organisation_id = ChoiceField(
        _l("Organisation"),
        validators=[DataRequired(_l("Choose the organisation to partner with."))],
        invalid_choice_message=_l("Choose the organisation to partner with."),
        default="",
    )
    limit = DurationField(
        _l("Limit on the net time either way"),
        validators=[DataRequired(_l("Enter a limit, for example 50 hours."))],
        max_minutes=MAX_LIMIT_MINUTES,
        hours=True,
    )


class ImportForm(FlaskForm):
    source = RadioChoiceField(
        _l("What the files are"),
        choices=FORMATS,
        default="timeoverflow",
        validators=[DataRequired(_l("Choose what the files are."))],
    )
    members = FileField(_l("Members file (CSV)"))
    transfers = FileField(_l("Transfers or history file (CSV)"))
    encoding = RadioChoiceField(
        _l("How the files are saved"),
        choices=ENCODINGS,
        default="utf-8",
        validators=[DataRequired(_l("Choose how the files are saved."))],
    )


class ConfirmImportForm(FlaskForm):
    """Only the CSRF token: the files are the ones the dry run checked (kept by reference)."""

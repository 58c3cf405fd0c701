"""The erasure form: the reason (checked by the service) and the confirmation step."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length

from .services import MAX_REASON_LENGTH


class EraseForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is this person being erased?"),
        validators=[
            DataRequired(_l("Enter a reason.")),
            Length(
                max=MAX_REASON_LENGTH,
                message=_l(
                    "The reason must be %(count)s characters or fewer.", count=MAX_REASON_LENGTH
                ),
            ),
        ],
    )
    confirm = BooleanField(
        _l("I understand that this cannot be undone"),
        validators=[DataRequired(_l("Confirm that you understand this cannot be undone."))],
    )

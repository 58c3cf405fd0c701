"""The erasure form: the reason (checked by the service) and the confirmation step."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired


class EraseForm(FlaskForm):
    reason = TextAreaField("Why is this person being erased?")
    confirm = BooleanField(
        "I understand that this cannot be undone",
        validators=[DataRequired("Confirm that you understand this cannot be undone.")],
    )

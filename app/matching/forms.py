"""Forms for the matching pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import DateInputField

TEXT = Length(max=2000, message=_l("Use 2,000 characters or fewer."))


class WhyNotForm(FlaskForm):
    class Meta:
        csrf = False  # a GET: it only asks

    peer = SelectField(_l("Peer"), choices=[], validate_choice=False)


class ProposeForm(FlaskForm):
    peer_id = HiddenField()


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        _l("Why are you declining?"),
        validators=[DataRequired(message=_l("Enter why you are declining.")), TEXT],
    )


class CloseForm(FlaskForm):
    outcome = TextAreaField(
        _l("Outcome"),
        validators=[DataRequired(message=_l("Enter the outcome of the match.")), TEXT],
    )
    feedback = TextAreaField(_l("Your feedback (optional)"), validators=[Optional(), TEXT])
    what_worked = TextAreaField(_l("What worked? (optional)"), validators=[Optional(), TEXT])
    what_did_not = TextAreaField(_l("What did not work? (optional)"), validators=[Optional(), TEXT])
    quote_permission = BooleanField(
        _l("Yes, these words may be quoted to commissioners, without a name")
    )


class FeedbackForm(FlaskForm):
    feedback = TextAreaField(
        _l("Your feedback"), validators=[DataRequired(message=_l("Enter your feedback.")), TEXT]
    )


class CheckInForm(FlaskForm):
    note = TextAreaField(
        _l("How is it going?"), validators=[DataRequired(message=_l("Enter a note.")), TEXT]
    )


class SupportForm(FlaskForm):
    minutes = IntegerField(
        _l("Minutes"),
        validators=[
            InputRequired(message=_l("Enter the time in minutes, like 90.")),
            NumberRange(1, 1440, message=_l("Enter between 1 and 1,440 minutes.")),
        ],
    )
    occurred_on = DateInputField(
        _l("When was it?"),
        noun="The date",
        required_message=_l("Enter the date it happened, for example 27 3 2025."),
    )
    description = StringField(_l("What did you do? (optional)"), validators=[Optional(), TEXT])


class BatchConfirmForm(FlaskForm):
    pairs = HiddenField()

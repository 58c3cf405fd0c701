"""Forms for the matching pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import DateInputField

TEXT = Length(max=2000, message="Use 2,000 characters or fewer.")


class WhyNotForm(FlaskForm):
    class Meta:
        csrf = False  # a GET: it only asks

    peer = SelectField("Peer", choices=[], validate_choice=False)


class ProposeForm(FlaskForm):
    peer_id = HiddenField()


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        "Why are you declining?",
        validators=[DataRequired(message="Enter why you are declining."), TEXT],
    )


class CloseForm(FlaskForm):
    outcome = TextAreaField(
        "Outcome", validators=[DataRequired(message="Enter the outcome of the match."), TEXT]
    )
    feedback = TextAreaField("Your feedback (optional)", validators=[Optional(), TEXT])
    what_worked = TextAreaField("What worked? (optional)", validators=[Optional(), TEXT])
    what_did_not = TextAreaField("What did not work? (optional)", validators=[Optional(), TEXT])
    quote_permission = BooleanField(
        "Yes, these words may be quoted to commissioners, without a name"
    )


class FeedbackForm(FlaskForm):
    feedback = TextAreaField(
        "Your feedback", validators=[DataRequired(message="Enter your feedback."), TEXT]
    )


class CheckInForm(FlaskForm):
    note = TextAreaField(
        "How is it going?", validators=[DataRequired(message="Enter a note."), TEXT]
    )


class SupportForm(FlaskForm):
    minutes = IntegerField(
        "Minutes",
        validators=[
            InputRequired(message="Enter the time in minutes, like 90."),
            NumberRange(1, 1440, message="Enter between 1 and 1,440 minutes."),
        ],
    )
    occurred_on = DateInputField("When was it?", noun="The date")
    description = StringField("What did you do? (optional)", validators=[Optional(), TEXT])


class BatchConfirmForm(FlaskForm):
    pairs = HiddenField()

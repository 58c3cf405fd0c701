from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from ..forms import DateInputField
from .acting import MAX_REASON_LENGTH
from .services import MIN_PASSWORD_LENGTH


class SignInForm(FlaskForm):
    email = EmailField(
        _l("Email address"), validators=[DataRequired(_l("Enter your email address."))]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Enter a new password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=200,
                message=_l(
                    "The password must be at least %(count)s characters.",
                    count=MIN_PASSWORD_LENGTH,
                ),
            ),
        ],
    )
    confirm = PasswordField(
        _l("Type the password again"),
        validators=[
            DataRequired(_l("Type the password again.")),
            EqualTo("password", _l("The two passwords do not match.")),
        ],
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Email address"), validators=[DataRequired(_l("Enter your email address."))]
    )


class NewMemberForm(FlaskForm):
    name = StringField(
        _l("Full name"),
        validators=[DataRequired(_l("Enter the person's name.")), Length(max=200)],
    )
    email = EmailField(_l("Email address (optional)"), validators=[Optional(), Length(max=320)])
    postcode = StringField(_l("Postcode (optional)"), validators=[Optional(), Length(max=20)])
    role = RadioField(
        _l("Role"),
        choices=[
            ("member", _l("Member")),
            ("coordinator", _l("Coordinator – can add members, record for them and match peers")),
        ],
        default="member",
        validators=[DataRequired(_l("Choose a role."))],
    )


class OrganisationSettingsForm(FlaskForm):
    """Limits in whole hours and the hourly rate in pounds; the view turns them into minutes and
    pence."""

    min_hours = StringField(_l("How far below zero can a member's balance go?"))
    max_hours = StringField(_l("How high can a member's balance go?"))
    hourly_rate = StringField(_l("What is an hour of community time worth?"))
    auto_confirm_days = StringField(
        _l("After how many days is an exchange nobody has disputed confirmed automatically?")
    )

    def validate_min_hours(self, field):
        self.min_minutes = -_whole_hours(field.data)

    def validate_max_hours(self, field):
        self.max_minutes = _whole_hours(field.data)

    def validate_hourly_rate(self, field):
        self.rate_pence = _pounds_to_pence(field.data)

    def validate_auto_confirm_days(self, field):
        self.auto_days = _days_or_never(field.data)


def _whole_hours(text: str | None) -> int:
    from wtforms.validators import ValidationError

    from ..forms import is_whole_number

    raw = (text or "").strip().removesuffix("hours").strip()
    if not is_whole_number(raw) or int(raw) > 1_000:
        raise ValidationError(_l("Enter a whole number of hours from 0 to 1,000, like 10."))
    return int(raw) * 60


def _pounds_to_pence(text: str | None) -> int:
    from decimal import Decimal, InvalidOperation

    from wtforms.validators import ValidationError

    raw = (text or "").strip().lstrip("£").replace(",", "")
    message = _l("Enter an amount in pounds from 0 to 1,000, like 15 or 15.50.")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(message) from None
    if (
        not amount.is_finite()
        or amount < 0
        or amount > 1000
        or amount != amount.quantize(Decimal("0.01"))
    ):
        raise ValidationError(message)
    return int(amount * 100)


def _days_or_never(text: str | None) -> int | None:
    """Empty means never; otherwise a whole number of days (the service checks the range)."""
    from wtforms.validators import ValidationError

    from ..forms import is_whole_number

    raw = (text or "").strip().removesuffix("days").strip()
    if not raw:
        return None
    if not is_whole_number(raw) or not 2 <= int(raw) <= 365:
        raise ValidationError(
            _l("Enter a whole number of days from 2 to 365, like 14, or leave it empty.")
        )
    return int(raw)


class ActingArrangementForm(FlaskForm):
    """What a member asked: when, why, and until when the coordinator may act for them."""

    asked_on = DateInputField(
        _l("When did they ask you?"),
        noun="The date they asked you",
        required_message=_l("Enter the date they asked you, for example 1 12 2026."),
    )
    reason = TextAreaField(
        _l("Why did they ask you to act for them?"),
        validators=[
            DataRequired(_l("Say why they asked you to act for them.")),
            Length(
                max=MAX_REASON_LENGTH,
                message=_l(
                    "Keep the reason to %(count)s characters or fewer.", count=MAX_REASON_LENGTH
                ),
            ),
        ],
    )
    until = DateInputField(
        _l("Until when may you act for them?"),
        noun="The last day",
        required_message=_l("Enter the last day you may act for them, for example 31 12 2026."),
    )

"""Forms for the timebank pages: exchanges, listings, the directory and the community chest.

Forms check the shape of what people typed (a real date, a time we can read, a choice from the
list); the services in ``exchanges`` and ``listings`` own every rule about what is allowed.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError

from ..errors import DomainError
from ..forms import DateInputField
from ..i18n import translated
from ..templating import category_choices
from ..wording import Sentence
from .durations import InvalidDuration, parse_duration
from .exchanges import GIFT_MAX_MINUTES

MAX_TEXT = 2000


class _OneError:
    """A choice that is not in the list is the only error shown: the check stops there, so a
    person never reads "Not a valid choice" and "Choose …" for the same field."""

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError as error:
            raise StopValidation(error.args[0]) from None


class ChoiceField(_OneError, SelectField):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type = "SelectField"  # the form macros render a <select> for this type


class RadioChoiceField(_OneError, RadioField):
    pass


class DurationField(StringField):
    """Free text such as "1h 30m"; ``minutes`` holds the whole minutes once it is valid."""

    minutes: int | None = None

    def __init__(self, label=None, validators=None, *, max_minutes=None, hours=False, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.max_minutes = max_minutes
        self.bare_numbers_are_hours = hours

    def pre_validate(self, form):
        self.minutes = None
        options = {"bare_numbers_are_hours": self.bare_numbers_are_hours}
        if self.max_minutes:
            options["max_minutes"] = self.max_minutes
        try:
            self.minutes = parse_duration(self.data or "", **options)
        except InvalidDuration as error:
            raise StopValidation(translated(error.args[0])) from None


# --- exchanges ----------------------------------------------------------------------------------


def _party_field(label, message) -> ChoiceField:
    return ChoiceField(
        label, validators=[DataRequired(message)], invalid_choice_message=message, default=""
    )


# WTForms orders fields by when they were created, and the error summary follows that order: the
# sides of the exchange come first on the page, so they are created before the details.
_direction = RadioChoiceField(
    _l("Did you give time or receive it?"),
    choices=[("gave", _l("I gave time")), ("received", _l("I received time"))],
    invalid_choice_message=_l("Choose whether you gave time or received it."),
)
_other = _party_field(_l("Who with?"), _l("Choose who you exchanged time with."))
_provider = _party_field(_l("Who gave the time?"), _l("Choose who gave the time."))
_receiver = _party_field(_l("Who received the time?"), _l("Choose who received the time."))


def _with_categories(form: FlaskForm, first) -> None:
    """The category list in the page's language, built for each request (names are data)."""
    form.category.choices = [("", first), *category_choices()]


class _ExchangeDetails(FlaskForm):
    minutes = DurationField(_l("How long"))
    category = ChoiceField(
        _l("Category"),
        choices=[],
        validators=[DataRequired(_l("Choose a category."))],
        invalid_choice_message=_l("Choose a category from the list."),
        default="",
    )
    occurred_on = DateInputField(
        _l("When did it happen?"),
        required_message=_l("Enter the date it happened, for example 27 3 2025."),
    )
    description = TextAreaField(
        _l("What was it? (optional)"),
        validators=[
            Optional(),
            Length(max=MAX_TEXT, message=_l("The description must be 2,000 characters or fewer.")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _with_categories(self, _l("Choose a category"))


class MemberExchangeForm(_ExchangeDetails):
    """A member records time they gave or received; the other person confirms it."""

    direction = _direction
    other = _other


class CoordinatorExchangeForm(_ExchangeDetails):
    """A coordinator records on someone's behalf: who gave, who received. Confirmed at once."""

    provider_id = _provider
    receiver_id = _receiver


class ReverseForm(FlaskForm):
    """Only carries the reason: the service checks it (and who may reverse) before anything."""

    reason = TextAreaField(_l("Why is it being reversed?"))


# --- listings -----------------------------------------------------------------------------------


class ListingForm(FlaskForm):
    kind = RadioChoiceField(
        _l("Are you offering help or asking for it?"),
        choices=[("offer", _l("I can offer help")), ("request", _l("I would like help"))],
        invalid_choice_message=_l("Choose whether you are offering help or asking for it."),
    )
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(_l("Enter a short title, like 'I can help with gardening'.")),
            Length(max=120, message=_l("The title must be 120 characters or fewer.")),
        ],
    )
    category = ChoiceField(
        _l("Category"),
        choices=[],
        validators=[DataRequired(_l("Choose a category."))],
        invalid_choice_message=_l("Choose a category from the list."),
        default="",
    )
    description = TextAreaField(
        _l("More about it (optional)"),
        validators=[
            Optional(),
            Length(max=MAX_TEXT, message=_l("The description must be 2,000 characters or fewer.")),
        ],
    )
    availability = StringField(
        _l("When you are available (optional)"),
        validators=[
            Optional(),
            Length(max=200, message=_l("Availability must be 200 characters or fewer.")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _with_categories(self, _l("Choose a category"))


class ListingSearchForm(FlaskForm):
    """Read from the query string (GET), so it carries no CSRF token."""

    class Meta:
        csrf = False

    kind = RadioChoiceField(
        _l("Show"),
        choices=[
            ("all", _l("Offers and requests")),
            ("offer", _l("Offers of help")),
            ("request", _l("Requests for help")),
        ],
        default="all",
        invalid_choice_message=_l("Choose offers, requests or both."),
    )
    category = ChoiceField(
        _l("Category"),
        choices=[],
        default="",
        invalid_choice_message=_l("Choose a category from the list."),
    )
    q = StringField(
        _l("Words to look for"),
        validators=[Optional(), Length(max=100, message=_l("Use 100 characters or fewer."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _with_categories(self, _l("Any category"))


# --- the directory and the community chest ------------------------------------------------------


class DirectoryForm(FlaskForm):
    listed = BooleanField(_l("List me in the directory"))
    show_email = BooleanField(_l("Show my email address"))
    show_district = BooleanField(_l("Show my postcode district"))
    about = TextAreaField(
        _l("About me (optional)"),
        validators=[Optional(), Length(max=MAX_TEXT, message=_l("Use 2,000 characters or fewer."))],
    )


class DonationForm(FlaskForm):
    minutes = DurationField(
        _l("How many hours do you want to give?"), max_minutes=GIFT_MAX_MINUTES, hours=True
    )


class GrantForm(FlaskForm):
    member_id = _party_field(
        _l("Who should receive the hours?"), _l("Choose who receives the hours.")
    )
    minutes = DurationField(_l("How many hours?"), max_minutes=GIFT_MAX_MINUTES, hours=True)
    reason = TextAreaField(
        _l("Why are the hours being granted?"),
        validators=[
            DataRequired(_l("Say why the hours are granted.")),
            Length(max=MAX_TEXT, message=_l("Use 2,000 characters or fewer.")),
        ],
    )


def error_message(error: DomainError) -> str:
    """A service's error in the page's language: from its template and values when it has them
    (``ledger.worded``), else its message as marked with ``N_`` where it was written."""
    template = getattr(error, "template", None)
    if template:
        return translated(Sentence(template, error.values))
    return translated(error.message)


def in_page_language(form: FlaskForm, error: DomainError | None = None) -> None:
    """The errors a service put on the form (plain English, marked with ``N_`` where written) in
    the page's language; ``error`` is the one it raised. WTForms' own messages are lazy, so
    already translated."""
    worded = {error.message: error_message(error)} if error is not None else {}

    def words(message) -> str:
        return worded.get(str(message)) or translated(str(message))

    for field in form:
        if field.errors:
            field.errors = [words(message) for message in field.errors]
    form.form_errors = [words(message) for message in form.form_errors]

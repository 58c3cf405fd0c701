"""Forms for the plans, referrals, peers, health data and conditions pages.

Forms check the shape of what people typed (an amount of money we can read, a real date, a choice
from the list); the services in ``plans``, ``referrals``, ``profiles`` and ``conditions`` own every
rule about what is allowed (consent, the DBS rule, a mixed budget that adds up).
"""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, StopValidation

from ..forms import DateInputField, is_whole_number
from .plans import MAX_BUDGET_PENCE
from .wellbeing import QUESTIONS, SCALE

# --- plain-English words for the codes the services use -----------------------------------------

SUPPORT_TYPE_LABELS = {
    "talk": _l("A chat with someone who has been there"),
    "support_planning": _l("Help to write or review their support plan"),
    "accompany": _l("Someone to go with them to appointments or activities"),
    "practical": _l("Practical help, like shopping or filling in forms"),
}
MODE_LABELS = {
    "in_person": _l("In person"),
    "phone": _l("By phone"),
    "video": _l("By video call"),
}
MANAGEMENT_LABELS = {
    "notional": "Notional budget",
    "third_party": "Third party budget",
    "direct_payment": "Direct payment",
    "mixed": "Mixed",
}
MANAGEMENT_HINTS = {
    "notional": "The NHS holds the money and arranges the support the plan describes.",
    "third_party": "An organisation holds the money and manages it for the person.",
    "direct_payment": (
        "The person, or someone acting for them, receives the money and buys the support."
    ),
    "mixed": "A combination: part of the money is held one way, part another.",
}
GIVE_AND_GET_LABELS = {
    "timebank": "Timebank hours",
    "peer": "Peer support",
    "community": "A community group",
    "family": "Family or friends",
}
GIVE_AND_GET_HINTS = {
    "timebank": "Help from other members: an hour given earns an hour, whatever the task.",
    "peer": "Support from someone who has lived with the same condition or situation.",
    "community": "A group, club or activity nearby.",
    "family": "Help that family, friends or neighbours give.",
}
SUPPORT_KIND_LABELS = {"paid": "Paid from the budget", "give_and_get": "Give and get"}
SUPPORT_KIND_HINTS = {
    "paid": "Support bought with the personal health budget, like a personal assistant.",
    "give_and_get": "Support that costs no money: timebank hours, peer support, groups, family.",
}
YES_NO = [("yes", "Yes"), ("no", "No")]
LANGUAGES_HINT = _l(
    "Separate languages with commas, for example: English, Urdu, British Sign Language."
)
GENDER_HINT = _l("For example, female or male. Leave it empty if there is no preference.")


def split_languages(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def join_languages(languages: list[str] | None) -> str:
    return ", ".join(languages or [])


def pounds_text(pence: int | None) -> str:
    """1250050 → "12500.50": what a money field shows when it is filled in from the database."""
    if pence is None:
        return ""
    return f"{pence // 100}.{pence % 100:02d}"


# --- fields -----------------------------------------------------------------------------------

_MONEY = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?")


class PoundsField(StringField):
    """Pounds and pence as people type them ("12,500", "12500.50", "£80"). ``pence`` holds the
    integer pence once it is valid (None while empty or wrong; an optional field may be empty)."""

    pence: int | None = None

    def __init__(self, label=None, validators=None, *, noun="the amount", required=True, **kw):
        super().__init__(label, validators, **kw)
        self.noun = noun
        self.required = required

    def pre_validate(self, form):
        self.pence = None
        raw = (self.data or "").strip().replace(" ", "")
        raw = raw.removeprefix("£")
        if not raw:
            if self.required:
                raise StopValidation(f"Enter {self.noun} in pounds, like 12,500 or 12500.50.")
            return
        if raw.startswith("-"):
            raise StopValidation(f"{self.noun.capitalize()} cannot be less than £0.")
        if re.fullmatch(r"[\d,]*\.\d{3,}", raw):
            raise StopValidation(
                f"Enter {self.noun} with no more than 2 numbers after the point, like 12500.50."
            )
        if not _MONEY.fullmatch(raw):
            raise StopValidation(
                f"Enter {self.noun} in pounds and pence, using numbers, like 12,500 or 12500.50."
            )
        pence = int(Decimal(raw.replace(",", "")) * 100)
        if pence > MAX_BUDGET_PENCE:
            raise StopValidation(f"{self.noun.capitalize()} must be £10,000,000 or less.")
        self.pence = pence


class WholeNumberField(StringField):
    """A whole number in a range, typed as text (GOV.UK: inputmode numeric, not type number)."""

    number: int | None = None

    def __init__(self, label=None, validators=None, *, minimum, maximum, message, **kw):
        super().__init__(label, validators, **kw)
        self.minimum, self.maximum, self.message = minimum, maximum, message

    def pre_validate(self, form):
        self.number = None
        raw = (self.data or "").strip()
        if not is_whole_number(raw) or not self.minimum <= int(raw) <= self.maximum:
            raise StopValidation(self.message)
        self.number = int(raw)


class CheckboxesField(SelectMultipleField):
    """GOV.UK checkboxes sharing one name. ``required`` says what to write if none is ticked."""

    def __init__(self, label=None, validators=None, *, required=None, **kw):
        kw.setdefault("invalid_choice_message", _l("Choose from the list."))
        super().__init__(label, validators, **kw)
        self.required = required
        self.groups: list[tuple[str, list[tuple[str, str]]]] = []

    def pre_validate(self, form):
        if self.required and not self.data:
            raise StopValidation(self.required)
        try:
            super().pre_validate(form)
        except ValueError as error:  # ValidationError: one plain message, never two
            raise StopValidation(error.args[0]) from None


class YesNoField(RadioField):
    def __init__(self, label=None, validators=None, *, message, **kw):
        super().__init__(label, validators, choices=YES_NO, invalid_choice_message=message, **kw)

    @property
    def answer(self) -> bool:
        return self.data == "yes"


def OptionalDateField(label=None, *, noun="The date", **kwargs) -> DateInputField:  # noqa: N802
    """A date that may be left empty (a check not yet done)."""
    return DateInputField(label, noun=noun, required=False, **kwargs)


def member_field() -> SelectField:
    message = _l("Choose the person from the list.")
    return SelectField(
        _l("Who is it for?"),
        validators=[DataRequired(_l("Choose the person."))],
        invalid_choice_message=message,
        choices=[],
    )


def consent_field() -> BooleanField:
    return BooleanField(
        _l("They gave explicit consent to use their health conditions for peer support")
    )


def support_types_field(label: str, required: str | None) -> CheckboxesField:
    return CheckboxesField(
        label,
        choices=list(SUPPORT_TYPE_LABELS.items()),
        required=required,
    )


def modes_field(label: str, required: str | None) -> CheckboxesField:
    return CheckboxesField(label, choices=list(MODE_LABELS.items()), required=required)


def conditions_field(label: str) -> CheckboxesField:
    # Choices come from the taxonomy when the view builds the form; unknown codes are the
    # service's to report.
    return CheckboxesField(label, choices=[], validate_choice=False)


def languages_field(label: str) -> StringField:
    return StringField(
        label, validators=[Length(max=500, message=_l("Use 500 characters or fewer."))]
    )


def gender_field(label: str) -> StringField:
    return StringField(
        label, validators=[Length(max=40, message=_l("Use 40 characters or fewer."))]
    )


# --- plans ------------------------------------------------------------------------------------


class PlanForm(FlaskForm):
    budget = PoundsField("Yearly budget", noun="the yearly budget")
    management = RadioField(
        "How is the money managed?",
        choices=list(MANAGEMENT_LABELS.items()),
        invalid_choice_message="Choose how the money is managed.",
    )
    split_notional = PoundsField(
        "Notional: held by the NHS", noun="the notional part", required=False
    )
    split_third_party = PoundsField(
        "Third party: held by an organisation", noun="the third party part", required=False
    )
    split_direct_payment = PoundsField(
        "Direct payment: paid to the person", noun="the direct payment part", required=False
    )
    outcomes = TextAreaField(
        "What matters to them: their outcomes, in their own words",
        validators=[Length(max=30_000, message="The outcomes are too long.")],
    )
    started_without_money = BooleanField("Start as if there were no money")
    reason = TextAreaField(
        "Why is the plan changing?",
        validators=[Length(max=2000, message="Write up to 2,000 characters.")],
    )

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        if self.management.data != "mixed":  # the parts are only read for a mixed budget
            for part in (self.split_notional, self.split_third_party, self.split_direct_payment):
                part.errors = []
        return not any(field.errors for field in self)

    def split_pence(self) -> dict[str, int]:
        parts = (self.split_notional, self.split_third_party, self.split_direct_payment)
        if self.management.data != "mixed" or all(part.pence is None for part in parts):
            return {}  # not mixed, or mixed with the split not yet known
        return {
            "notional": self.split_notional.pence or 0,
            "third_party": self.split_third_party.pence or 0,
            "direct_payment": self.split_direct_payment.pence or 0,
        }

    def outcome_lines(self) -> list[str]:
        return [line.strip() for line in (self.outcomes.data or "").splitlines() if line.strip()]


class NewPlanForm(PlanForm):
    member_id = member_field()


class SupportForm(FlaskForm):
    kind = RadioField(
        "Is it paid from the budget, or give and get?",
        choices=list(SUPPORT_KIND_LABELS.items()),
        invalid_choice_message="Choose whether it is paid from the budget or give and get.",
    )
    description = TextAreaField(
        "What is the support?",
        validators=[
            DataRequired("Describe the support."),
            Length(max=1000, message="Describe the support in 1,000 characters or fewer."),
        ],
    )
    provider = StringField(
        "Who provides it? (optional)",
        validators=[Length(max=200, message="Use 200 characters or fewer.")],
    )
    annual_cost = PoundsField("Yearly cost", noun="the yearly cost", required=False)
    type = RadioField(
        "What kind of give and get?",
        choices=list(GIVE_AND_GET_LABELS.items()),
        invalid_choice_message="Choose the kind of give and get.",
        validate_choice=False,
    )
    hours_per_month = StringField("Hours a month")
    reason = TextAreaField(
        "Why is the plan changing?",
        validators=[Length(max=2000, message="Write up to 2,000 characters.")],
    )

    hours: int | None = None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if (
            self.kind.data == "paid"
            and self.annual_cost.pence is None
            and not self.annual_cost.errors
        ):
            self.annual_cost.errors.append(
                "Enter the yearly cost in pounds, like 9,000 or 9000.50."
            )
            valid = False
        if self.kind.data == "give_and_get":
            if self.type.data not in GIVE_AND_GET_LABELS:
                self.type.errors.append("Choose the kind of give and get.")
                valid = False
            raw = (self.hours_per_month.data or "").strip()
            if not is_whole_number(raw) or not 0 <= int(raw) <= 744:
                self.hours_per_month.errors.append(
                    "Enter the hours a month as a whole number, from 0 to 744."
                )
                valid = False
            else:
                self.hours = int(raw)
        return valid


class SignOffForm(FlaskForm):
    wants_peer_support = YesNoField(
        "Would they like peer support from now on?",
        message="Choose yes if they would like peer support, or no.",
    )
    condition_codes = conditions_field("What do they live with?")
    support_types = support_types_field("What support would help?", None)
    modes = modes_field("How would they like to meet?", None)
    languages = languages_field("Languages they would like to use (optional)")
    peer_gender = gender_field("Would they prefer a peer of a particular gender? (optional)")
    health_data_consent = consent_field()
    willing_to_support_others = YesNoField(
        "Would they be prepared to support someone else later?",
        message="Choose yes if they would be prepared to support someone else later, or no.",
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.wants_peer_support.data == "yes":
            if not self.support_types.data:
                self.support_types.errors.append("Choose at least one kind of support.")
                valid = False
            if not self.modes.data:
                self.modes.errors.append("Choose at least one way to meet.")
                valid = False
        return valid


# --- referrals --------------------------------------------------------------------------------


class ReferralForm(FlaskForm):
    member_id = member_field()
    condition_codes = conditions_field(_l("What do they live with?"))
    is_carer = BooleanField(
        _l("They are a family carer: these are the conditions of the person they care for")
    )
    health_data_consent = consent_field()
    postcode = StringField(
        _l("Postcode (optional)"),
        validators=[Length(max=20, message=_l("Enter a real postcode."))],
    )
    support_types = support_types_field(
        _l("What support would help?"), _l("Choose at least one kind of support.")
    )
    modes = modes_field(_l("How would they like to meet?"), _l("Choose at least one way to meet."))
    languages = languages_field(_l("Languages they would like to use (optional)"))
    peer_gender = gender_field(_l("Would they prefer a peer of a particular gender? (optional)"))


# --- peers ------------------------------------------------------------------------------------


class PeerDetailsForm(FlaskForm):
    support_types = support_types_field(
        _l("What support can they give?"), _l("Choose at least one kind of support they can give.")
    )
    modes = modes_field(_l("How can they meet people?"), _l("Choose at least one way to meet."))
    languages = languages_field(_l("Languages they speak (optional)"))
    capacity = WholeNumberField(
        _l("How many people can they support at once?"),
        minimum=1,
        maximum=20,
        message=_l("Enter how many people at once, as a whole number from 1 to 20."),
        default="1",
    )
    travel_km = WholeNumberField(
        _l("How far will they travel, in kilometres?"),
        minimum=0,
        maximum=500,
        message=_l("Enter a distance in whole kilometres, from 0 to 500."),
        default="5",
    )
    gender = gender_field(_l("Their gender (optional)"))
    references_checked_on = OptionalDateField(
        _l("References checked on"), noun="The references date"
    )
    dbs_checked_on = OptionalDateField(_l("DBS check date"), noun="The DBS check date")
    training_completed_on = OptionalDateField(_l("Training completed on"), noun="The training date")
    notes = TextAreaField(
        _l("Notes for coordinators (optional)"),
        validators=[Length(max=2000, message=_l("Use 2,000 characters or fewer."))],
    )
    approve = BooleanField(_l("Approve them as a peer now"))


class NewPeerForm(PeerDetailsForm):
    member_id = member_field()
    condition_codes = conditions_field(_l("What do they live with themselves?"))
    carer_condition_codes = conditions_field(_l("What do they know as a family carer?"))
    health_data_consent = consent_field()


# --- health data and conditions -----------------------------------------------------------------


class HealthForm(FlaskForm):
    condition_codes = conditions_field(_l("What do they live with?"))
    carer_condition_codes = conditions_field(_l("What do they know as a family carer?"))
    health_data_consent = consent_field()


class ConditionForm(FlaskForm):
    name = StringField(_l("Name in plain English"), validators=[DataRequired(_l("Enter a name."))])
    group = StringField(
        _l("Group"), validators=[DataRequired(_l("Enter a group, like Neurological."))]
    )
    code = StringField(
        _l("Code"), validators=[DataRequired(_l("Enter a code, like type_2_diabetes."))]
    )


# --- versions and reviews -----------------------------------------------------------------------

REASON_HINT = (
    "The plan is signed off, so this change makes a new version: the earlier one is kept as it "
    "was. Say what was agreed with the NHS team, and why."
)
REVIEW_STATUS_LABELS = {
    "achieved": "Achieved",
    "partly": "Partly",
    "not_yet": "Not yet",
    "no_longer_wanted": "No longer wanted",
}
DELIVERY_LABELS = {
    "as_planned": "As planned",
    "partly": "Partly",
    "not_delivered": "Not delivered",
}
SCALE_CHOICES = [(str(score), words) for score, words in SCALE]


class RemoveSupportForm(FlaskForm):
    reason = TextAreaField(
        "Why is the support coming out of the plan?",
        validators=[
            DataRequired("Say why the support is coming out of the plan."),
            Length(max=2000, message="Write up to 2,000 characters."),
        ],
    )


def _wellbeing_fields(form_class) -> None:
    for code, text in QUESTIONS:
        setattr(
            form_class,
            f"wellbeing_{code}",
            RadioField(text, choices=SCALE_CHOICES, validate_choice=False),
        )


def wellbeing_answers(form) -> dict[str, object]:
    """The answers given, question code → score (a whole number when it reads as one; anything
    else is passed on for the service to refuse)."""
    answers: dict[str, object] = {}
    for code, _text in QUESTIONS:
        raw = form[f"wellbeing_{code}"].data
        if raw in (None, "", "None"):
            continue
        answers[code] = int(raw) if is_whole_number(str(raw)) else raw
    return answers


def wellbeing_rename() -> dict[str, str]:
    return {f"wellbeing.{code}": f"wellbeing_{code}" for code, _text in QUESTIONS}


_wellbeing_fields(SignOffForm)


class ReviewForm(FlaskForm):
    paid_delivery = RadioField(
        "Were the paid supports delivered as planned?",
        choices=list(DELIVERY_LABELS.items()),
        validate_choice=False,
    )
    give_and_get_delivery = RadioField(
        "Was the give and get delivered as planned?",
        choices=list(DELIVERY_LABELS.items()),
        validate_choice=False,
    )
    delivery_comment = TextAreaField(
        "Anything to say about how the supports went (optional)",
        validators=[Length(max=2000, message="Write up to 2,000 characters.")],
    )
    changes = TextAreaField(
        "What changes? (optional)",
        validators=[Length(max=2000, message="Write up to 2,000 characters.")],
    )
    what_worked = TextAreaField(
        "What worked? (optional)",
        validators=[Length(max=2000, message="Write up to 2,000 characters.")],
    )
    what_did_not = TextAreaField(
        "What did not work? (optional)",
        validators=[Length(max=2000, message="Write up to 2,000 characters.")],
    )
    quote_permission = BooleanField(
        "Yes, their words may be quoted to commissioners, without their name"
    )
    next_review_on = OptionalDateField("Next review", noun="The next review date")
    due_on = HiddenField()


_wellbeing_fields(ReviewForm)


def review_form_for(outcomes, **kwargs) -> ReviewForm:
    """The review form with a status and a comment for each outcome of the version."""

    class Form(ReviewForm):
        pass

    for item in outcomes:
        setattr(
            Form,
            f"outcome_{item.id}",
            RadioField(
                item.text, choices=list(REVIEW_STATUS_LABELS.items()), validate_choice=False
            ),
        )
        setattr(
            Form,
            f"comment_{item.id}",
            TextAreaField(
                "In their words: how did it go? (optional)",
                validators=[Length(max=2000, message="Write up to 2,000 characters.")],
            ),
        )
    return Form(**kwargs)


class ThemeForm(FlaskForm):
    name = StringField(
        "Add a theme",
        validators=[
            DataRequired("Name the theme."),
            Length(max=80, message="Name the theme in up to 80 characters."),
        ],
    )

"""Form helpers shared by every capability."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.utils import unset_value
from wtforms.validators import StopValidation

from .errors import Conflict, DomainError
from .i18n import translated
from .language import N_


def show_domain_error(
    form: FlaskForm,
    error: DomainError,
    *,
    rename: Mapping[str, str] | None = None,
    messages: Mapping[str, str] | None = None,
) -> None:
    """Put a service's error on the fields it names, or at the top of the form.

    ``rename`` maps the service's field names to the form's (``budget_pence`` → ``budget``);
    ``messages`` gives plainer words for a field than the API's. When no named field is on the
    form the error's own message goes to the top; otherwise the messages for fields the form
    lacks do. A conflict's own message always goes to the top too (it says what clashed).
    Every message is shown in the page's language when the catalogue has it (``N_``/``_l``
    where it was written).
    """

    def worded(why) -> str:  # a lazy string (``_l``) becomes text; a ``Sentence`` stays one
        return translated(why if isinstance(why, str) else str(why))

    fields = {
        (rename or {}).get(name, name): worded((messages or {}).get(name, why))
        for name, why in error.fields.items()
    }
    placed = {name: message for name, message in fields.items() if name in form}
    for name, message in placed.items():
        form[name].errors = [*form[name].errors, message]
    message = translated(error.message)
    top = [message] if not placed else [m for n, m in fields.items() if n not in placed]
    if isinstance(error, Conflict):
        top.append(message)
    for message in top:
        if message not in form.form_errors:
            form.form_errors.append(message)


MAX_ID = 2**31 - 1
MAX_PAGE = 100_000


def id_arg(name: str, message: str = N_("We could not find that.")) -> int | None:
    """An id from the query string, or None when absent; nonsense is simply not found (404)."""
    from flask import request

    from .errors import NotFound

    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_ID:
        raise NotFound(message)
    return int(raw)


def page_arg() -> int:
    """The page number from the query string: 1 unless it is a sensible positive number."""
    from flask import request

    raw = request.args.get("page", "1")
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_PAGE:
        return int(raw)
    return 1


def is_whole_number(text: str) -> bool:
    """ASCII digits only, and not absurdly long: "²" and "١" pass str.isdigit() but not int()."""
    return 0 < len(text) <= 12 and text.isascii() and text.isdigit()


DATE_PARTS = ("day", "month", "year")

# What a date is missing, in whole sentences (a language may say each its own way).
MISSING_PARTS = {
    ("day",): N_("%(noun)s must include a day."),
    ("month",): N_("%(noun)s must include a month."),
    ("year",): N_("%(noun)s must include a year."),
    ("day", "month"): N_("%(noun)s must include a day and a month."),
    ("day", "year"): N_("%(noun)s must include a day and a year."),
    ("month", "year"): N_("%(noun)s must include a month and a year."),
}


class DateInputField(Field):
    """The GOV.UK date input: three boxes named ``<name>-day``, ``<name>-month``, ``<name>-year``.

    ``parts`` keeps what was typed (so a mistake is shown back as typed) and ``error_parts``
    says which boxes to highlight. With ``required=False`` all three empty means "no date".
    ``noun`` and ``required_message`` are marked with ``_l`` by the form that gives them; the
    messages are made in the page's language.
    """

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        noun=_l("The date"),
        required=True,
        required_message=_l("Enter the date it happened, for example 27 3 2025."),
        **kwargs,
    ):
        super().__init__(label, validators, **kwargs)
        self.noun = noun
        self.required = required
        self.required_message = required_message
        self.parts = dict.fromkeys(DATE_PARTS, "")
        self.error_parts: tuple[str, ...] = ()
        self._problem: str | None = None

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        self._problem = None
        self.error_parts = ()
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.object_data = data
        self.data = data if isinstance(data, date) else None
        self.parts = {
            part: str(getattr(self.data, part)) if self.data else "" for part in DATE_PARTS
        }
        if formdata is None:
            return
        self.parts = {
            part: (formdata.get(f"{self.name}-{part}") or "").strip() for part in DATE_PARTS
        }
        self.raw_data = list(self.parts.values())
        self.data = self._parse()

    def _fail(self, message: str, parts: tuple[str, ...]) -> None:
        self._problem = str(message)
        self.error_parts = parts

    def _parse(self) -> date | None:
        missing = tuple(part for part in DATE_PARTS if not self.parts[part])
        if len(missing) == len(DATE_PARTS):
            if self.required:
                self._fail(self.required_message, DATE_PARTS)
            return None
        noun = str(self.noun)
        if missing:
            self._fail(_(MISSING_PARTS[missing], noun=noun), missing)
            return None
        not_numbers = tuple(part for part in DATE_PARTS if not is_whole_number(self.parts[part]))
        if not_numbers:
            self._fail(
                _("%(noun)s must be a real date, written in numbers.", noun=noun), not_numbers
            )
            return None
        if len(self.parts["year"]) != 4:
            self._fail(_("The year must include 4 numbers, like 2025."), ("year",))
            return None
        day, month, year = (int(self.parts[part]) for part in DATE_PARTS)
        try:
            return date(year, month, day)
        except (ValueError, OverflowError):
            self._fail(
                _("%(noun)s must be a real date.", noun=noun),
                ("month",) if not 1 <= month <= 12 else ("day",),
            )
            return None

    def pre_validate(self, form):
        if self._problem:
            raise StopValidation(self._problem)

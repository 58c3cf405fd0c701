"""Languages: which locale a page speaks, and the switcher.

The locale is, in order: the signed-in person's stored choice (a coordinator acting for someone
keeps their own), the choice made with the switcher before signing in (kept in the session),
the browser's ``Accept-Language``, then English (en-GB, the source language). Every page sets
``lang`` and ``dir`` from it. Strings are marked with ``_()`` / ``{% trans %}`` and translated
from the catalogues in ``translations/`` (README: "Adding a language").
"""

from __future__ import annotations

from dataclasses import dataclass

from babel.lists import format_list
from flask import Flask, request, session
from flask_babel import Babel, get_locale, get_translations, refresh
from flask_login import current_user

from config import BASE_DIR

from .language import format_minutes
from .wording import Listed, Minutes, Sentence

SOURCE_LOCALE = "en_GB"
SESSION_KEY = "locale"


@dataclass(frozen=True)
class Language:
    code: str  # the catalogue's locale (translations/<code>)
    tag: str  # the page's lang attribute (BCP 47)
    name: str  # in its own language, as the switcher shows it
    direction: str  # "ltr" or "rtl"


LANGUAGES = {
    "en_GB": Language("en_GB", "en-GB", "English", "ltr"),
    "ur": Language("ur", "ur", "اردو", "rtl"),
}
babel = Babel()


def stored_locale() -> str | None:
    """The signed-in person's own choice (while acting for someone, the coordinator's)."""
    if not current_user.is_authenticated:
        return None
    person = current_user.acting_coordinator or current_user
    return person.locale


def select_locale() -> str:
    for chosen in (stored_locale(), session.get(SESSION_KEY)):
        if chosen in LANGUAGES:
            return chosen
    by_tag = {language.tag.lower(): code for code, language in LANGUAGES.items()}
    by_tag.setdefault("en", SOURCE_LOCALE)  # any English is the source English
    asked = request.accept_languages.best_match(list(by_tag))
    return by_tag.get((asked or "").lower(), SOURCE_LOCALE)


def current_language() -> Language:
    locale = get_locale()
    code = str(locale) if locale is not None else SOURCE_LOCALE
    return LANGUAGES.get(code, LANGUAGES[SOURCE_LOCALE])


# Babel's list patterns for a ``Listed``'s joins ("unit" lacks Urdu's patterns, so commas are
# the standard "and" list outside English).
LIST_STYLES = {"and": "standard", "or": "or", "comma": "standard"}


def translated(text: str) -> str:
    """A message made elsewhere (an error's, an audit event's, a matching reason's words) in the
    page's language when the catalogue has it, else as it is.

    A plain message (marked where it is written with ``N_``) is looked up whole and never
    %-formatted, so a message holding "%" is safe. A ``Sentence`` (``app.wording``) is translated
    whole by its message id (and plural form), then its values are put in, lists joined as the
    language joins them; a sentence the catalogue lacks stays the English it was written as."""
    if not text:
        return text
    translations = get_translations()
    if not isinstance(text, Sentence):
        return translations.gettext(text)
    if text.plural is None:
        wording = translations.gettext(text.msgid)
    else:
        wording = translations.ngettext(text.msgid, text.plural, text.count or 0)
    if wording in (text.msgid, text.plural):
        return str(text)
    values = {key: _worded(value) for key, value in text.values.items()}
    return wording % values if values else wording


def _worded(value: object) -> object:
    """A sentence's value in the page's language: a list joined as the language joins it, a
    time in its words, a sentence of its own translated; any other value (data) as it is."""
    locale = get_locale()
    if isinstance(value, Listed):
        return format_list(list(value), style=LIST_STYLES[value.style], locale=locale)
    if isinstance(value, Minutes):
        source = locale is None or locale.language == "en"
        return value if source else format_minutes(value.minutes, str(locale))
    if isinstance(value, str):
        return translated(value) if isinstance(value, Sentence) else value
    return value


def lang_of(locale: str | None) -> str | None:
    """The ``lang`` attribute for text stored in ``locale`` (None: the source language) when it
    is not the page's language, else None: a screen reader then reads it in its own voice, and
    WCAG's "language of parts" holds."""
    language = LANGUAGES.get(locale or SOURCE_LOCALE, LANGUAGES[SOURCE_LOCALE])
    return None if language == current_language() else language.tag


def N_(text: str) -> str:  # noqa: N802 - the gettext convention for "marked, translated later"
    return text


def register_languages(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", SOURCE_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(BASE_DIR / "translations"))
    babel.init_app(app, locale_selector=select_locale)

    @app.before_request
    def choose_locale_afresh():
        """Flask-Babel keeps the locale on the app context: choose it again for every request,
        so a request never reuses another's (the test client shares one app context)."""
        refresh()

    # Also a filter, for a list of stored words: ``themes|map("translated")|join(", ")``.
    app.add_template_filter(translated, "translated")

    @app.context_processor
    def language_helpers():
        return {
            "current_language": current_language,
            "languages": LANGUAGES,
            "translated": translated,
            "lang_of": lang_of,
        }

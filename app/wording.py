"""Sentences that know how they were written, for code that must not import Flask.

A service or the matching engine words a message in English (the API keeps that English beside
its stable code) and a page shows it in the reader's language. A plain message is marked with
``N_`` where it is written and shown with ``app.i18n.translated``. A message with values is a
``Sentence``: the English itself (it is a ``str``) that also keeps its message id, its plural
form and count, and its values, so ``translated`` can translate the sentence whole and put the
values in after. Never glue translated pieces together; write the whole sentence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def N_(text: str) -> str:  # noqa: N802 - gettext's "marked here, translated where shown"
    return text


class Listed(tuple):
    """Values a sentence lists (languages, conditions), joined as the reader's language joins
    them: with "and", with "or", or with commas."""

    style: str

    def __new__(cls, values: Iterable[str], style: str = "and"):
        listed = super().__new__(cls, values)
        listed.style = style
        return listed

    def english(self) -> str:
        return {"and": " and ", "or": " or ", "comma": ", "}[self.style].join(self)


class Minutes(str):
    """A length of time in English words ("1 hour 30 minutes", "no limit") that keeps its whole
    minutes (None: no limit), so a page can word it in the reader's language instead."""

    minutes: int | None

    def __new__(cls, english: str, minutes: int | None):
        worded = super().__new__(cls, english)
        worded.minutes = minutes
        return worded


class Sentence(str):
    """A sentence in English (the string itself) that remembers how it was written: its message
    id (and plural form and count, if it has one) and the values of its %(name)s placeholders,
    which are data: names, postcodes, figures, a ``Listed`` of them, a ``Minutes``, or a
    ``Sentence`` of their own (a chest's name), each worded in the reader's language too."""

    msgid: str
    plural: str | None
    count: int | None
    values: dict[str, object]

    def __new__(
        cls,
        msgid: str,
        values: Mapping[str, object] | None = None,
        plural: str | None = None,
        count: int | None = None,
    ):
        values = dict(values or {})
        template = msgid if plural is None or count == 1 else plural
        english = {k: v.english() if isinstance(v, Listed) else v for k, v in values.items()}
        sentence = super().__new__(cls, template % english if values else template)
        sentence.msgid, sentence.plural, sentence.count, sentence.values = (
            msgid,
            plural,
            count,
            values,
        )
        return sentence


def said(msgid: str, **values: object) -> Sentence:
    return Sentence(msgid, values)


def ngettext(singular: str, plural: str, count: int, **values: object) -> Sentence:
    """A sentence with a plural: the English for ``count`` now, either form for the page later
    (named as gettext names it so ``make translations`` extracts both; it translates nothing)."""
    return Sentence(singular, {**values, "count": count}, plural, count)


def as_data(text: str) -> str | dict:
    """A sentence as JSON data to store (its message id, plural, count and values, a value that is
    a sentence stored the same way); a plain message as it is."""
    if not isinstance(text, Sentence):
        return text
    return {
        "msgid": text.msgid,
        "plural": text.plural,
        "count": text.count,
        "values": {key: as_data(value) for key, value in text.values.items()},
    }


def from_data(data: str | dict) -> str:
    """What ``as_data`` stored, as the sentence it was (a plain string stays a string)."""
    if not isinstance(data, dict):
        return data
    values = {key: from_data(value) for key, value in (data.get("values") or {}).items()}
    return Sentence(data["msgid"], values, data.get("plural"), data.get("count"))

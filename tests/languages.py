"""What the language tests share: the Urdu catalogue and the rule for "English left on a page".

A page in Urdu may still hold English that users typed (names, listing titles, postcodes) and the
product's name; what it must not hold is a fixed piece of English that the catalogue translates.
"""

from __future__ import annotations

import re
from functools import cache

from babel.messages.pofile import read_po

from config import BASE_DIR

URDU_PO = BASE_DIR / "translations/ur/LC_MESSAGES/messages.po"


@cache
def urdu_catalogue():
    with open(URDU_PO, "rb") as po:
        return read_po(po, locale="ur")


def urdu(english: str) -> str:
    """The catalogue's Urdu for one msgid (so a test need not copy the translation)."""
    message = urdu_catalogue().get(english)
    assert message is not None and message.string, f"no Urdu for {english!r}"
    return message.string


@cache
def english_pieces() -> tuple[re.Pattern, ...]:
    """Every fixed piece of English the catalogue translates, as a whole-word pattern: each msgid
    split at its placeholders and markup."""
    pieces = set()
    # Terms the translations keep as they are ("DBS", "NHS"): not English left where they show.
    kept = re.sub(
        r"%\(\w+\)s|<[^>]+>",
        " ",
        " ".join(
            " ".join(m.string) if isinstance(m.string, tuple | list) else m.string or ""
            for m in urdu_catalogue()
            if m.id
        ),
    )
    for message in urdu_catalogue():
        if message.id and isinstance(message.id, str):
            parts = re.split(r"%\(\w+\)s", re.sub(r"<[^>]+>", "", message.id))
            for piece in parts:
                piece = piece.strip(" ,.:;?")
                words = re.findall(r"[A-Za-z]+", piece)
                # In a message with values, a lone word between two of them ("to", "from" in
                # "%(time)s from %(giver)s to %(getter)s"), or two lower-case ones ("instead of"),
                # is a fragment: as a pattern it would find "to" or "instead of" in anything
                # people typed, and "and" in "Give and Get".
                if len(parts) > 1 and (
                    len(words) < 2 or (len(words) < 3 and piece == piece.lower())
                ):
                    continue
                # A lone lower-case word ("community", "peer") is a label inside a sentence, and
                # a word people type ("the community kitchen"): the sentence around it is checked.
                if re.fullmatch(r"[a-z]+", piece):
                    continue
                if re.search(r"[A-Za-z]{2}", piece) and not re.search(
                    rf"(?<![\w-]){re.escape(piece)}(?![\w-])", kept
                ):
                    pieces.add(piece)
    return tuple(re.compile(rf"(?<![\w-]){re.escape(piece)}(?![\w-])") for piece in sorted(pieces))


def english_left(text: str) -> list[str]:
    """The catalogue's English pieces found in a page's visible text."""
    return [pattern.pattern for pattern in english_pieces() if pattern.search(text)]


def visible_text(html: str) -> str:
    """A page's text and its labels (aria-label, title, alt, placeholder) as a reader meets them,
    leaving out text marked as written in another language (``lang``, as the inbox marks a
    message sent in English): that is the language of a part, not English left untranslated."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r'<(\w+)\b[^>]*\slang="(?!ur")[^"]*"[^>]*>.*?</\1>', " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)
    labels = re.findall(r'(?:aria-label|title|alt|placeholder)="([^"]*)"', html)
    return " ".join([text, *labels])

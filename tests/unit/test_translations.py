"""Every English sentence a template shows is marked for translation, and the catalogues agree.

The convention (README, "Adding a language"): text in a template is `{{ _("...") }}` (with
`%(name)s` placeholders for values) or a `{% trans %}...{% endtrans %}` block; a string passed to
a macro or compared for display is `_("...")` too. This test reads each template's own text and
attribute values (aria-label, title, alt, placeholder) and its string literals, and fails naming
the template and the sentence that is not marked.

Every template is marked: a new one is marked from its first commit.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from jinja2 import Environment

from config import BASE_DIR

TEMPLATES = BASE_DIR / "templates"
TRANSLATIONS = BASE_DIR / "translations"
# Two or more words of letters: a sentence, a label, a heading. One word ("Status") is left to
# review: it is as often a code as a word.
SENTENCE = re.compile(r"[A-Za-z][A-Za-z'’]*(?:[ \u00a0]+[A-Za-z][A-Za-z'’,.?:;!]*)+")
MARKERS = {"_", "gettext", "ngettext", "pgettext", "npgettext", "lazy_gettext"}
ATTRIBUTES = {"aria-label", "title", "alt", "placeholder"}
HOLE = "\x00"  # where a Jinja expression or tag stood in the template's text
# The product's name is not translated.
KEPT_AS_IS = {"Give and Get"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []

    def handle_data(self, data: str) -> None:
        self.pieces.append(data)

    def handle_starttag(self, tag, attrs) -> None:
        self.pieces += [value or "" for name, value in attrs if name in ATTRIBUTES]


def unmarked_sentences(source: str) -> list[str]:
    """The English sentences in a template's own text and strings that are not marked."""
    environment = Environment(extensions=["jinja2.ext.i18n"])
    skeleton: list[str] = []
    strings: list[str] = []
    in_trans = False
    calls: list[str | None] = []  # the function each open parenthesis belongs to
    previous = previous_name = None
    for _line, kind, value in environment.lex(source):
        if kind == "data":
            skeleton.append(HOLE if in_trans else value)
        elif kind in ("block_begin", "variable_begin"):
            skeleton.append(HOLE)
        elif kind == "name" and previous == "block_begin":
            in_trans = value == "trans" or (in_trans and value not in ("endtrans",))
        elif kind == "operator" and value == "(":
            calls.append(previous_name if previous == "name" else None)
        elif kind == "operator" and value == ")" and calls:
            calls.pop()
        elif kind == "string" and not (calls and calls[-1] in MARKERS):
            strings.append(value[1:-1])
        if kind == "name":
            previous_name = value
        if kind not in ("whitespace",):
            previous = kind
    parser = _Text()
    parser.feed("".join(skeleton))
    found = []
    for text in [*parser.pieces, *strings]:
        for piece in text.split(HOLE):
            for match in SENTENCE.finditer(piece):
                sentence = " ".join(match.group(0).split())
                if sentence not in KEPT_AS_IS:
                    found.append(sentence)
    return found


def template_names() -> list[str]:
    return sorted(str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html"))


def test_the_checker_finds_text_attributes_and_macro_strings_but_not_marked_ones():
    source = (
        '{% extends "base.html" %}{% block content %}'
        '<h1>{{ _("Your hours") }}</h1><p>Record an exchange</p>'
        '<div aria-label="Waiting lists" class="govuk-body app-x">{{ name }}</div>'
        '{{ field(form.x, hint="For example, LS6 2AB") }}{{ field(form.y, hint=_("Say why")) }}'
        "{% trans name=name %}Hello {{ name }}, welcome back{% endtrans %}"
        "{# A comment is not shown #}<p>Give and Get</p>{% endblock %}"
    )
    assert unmarked_sentences(source) == [
        "Record an exchange",
        "Waiting lists",
        "For example, LS",
    ]


@pytest.mark.parametrize("name", template_names())
def test_every_sentence_in_a_marked_template_is_marked(name):
    source = (TEMPLATES / name).read_text(encoding="utf-8")
    found = unmarked_sentences(source)
    assert not found, f"templates/{name} has English not marked for translation: " + "; ".join(
        repr(sentence) for sentence in found
    )


def test_an_unmarked_sentence_added_to_a_marked_template_fails(tmp_path):
    source = (TEMPLATES / "auth/acting.html").read_text(encoding="utf-8")
    assert unmarked_sentences(source) == []
    spoiled = source.replace("{% block content %}", "{% block content %}<p>Welcome back</p>", 1)
    assert unmarked_sentences(spoiled) == ["Welcome back"]


def _catalogue(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=locale)


def test_every_marked_string_has_an_urdu_translation():
    catalogue = _catalogue("ur")
    missing = [m.id for m in catalogue if m.id and not (m.string and all(m.string))]
    assert not missing, f"translations/ur has untranslated strings: {missing}"
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not fuzzy, f"translations/ur has fuzzy (unchecked) strings: {fuzzy}"


def _as_compiled(message) -> tuple:
    """A message as `pybabel compile` writes it: a plural's (id, string) as tuples (read_mo gives
    lists), each empty plural form falling back to its msgid (singular, then plural)."""
    if isinstance(message.id, list | tuple):
        ids = tuple(message.id)
        strings = tuple(message.string)
        return ids, tuple(s or ids[min(i, 1)] for i, s in enumerate(strings))
    return message.id, message.string


def test_the_committed_mo_files_match_their_po_files():
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        locale = po_path.parent.parent.name
        # Untranslated strings (all of en_GB, the source language) are left out of a .mo, or
        # (a plural) written as their own ids: compare what says something else.
        with open(po_path.with_suffix(".mo"), "rb") as mo:
            compiled = dict(_as_compiled(m) for m in read_mo(mo) if m.id)
        # Untranslated strings (all of en_GB, the source language) are left out of a .mo; an
        # untranslated plural is written with its English forms, as pybabel does.
        written = dict(
            _as_compiled(m) for m in _catalogue(locale) if m.id and m.string and not m.fuzzy
        )
        assert compiled == written, (
            f"run `make translations`: {po_path.with_suffix('.mo')} is stale"
        )


def test_placeholders_survive_translation():
    for message in _catalogue("ur"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\(\w+\)s", " ".join(ids)))
        for string in strings:
            assert set(re.findall(r"%\(\w+\)s", string)) == wanted, message.id


def test_template_paths_are_relative():
    assert all(not Path(name).is_absolute() for name in template_names())


def test_every_marked_string_is_in_the_urdu_catalogue():
    """A string marked since the catalogue was last updated fails here: run `make translations`,
    then translate it in translations/ur/LC_MESSAGES/messages.po."""
    from babel.messages.extract import extract_from_dir

    method_map = [("app/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "N_": None}
    marked = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(str(BASE_DIR), method_map, keywords=keywords)
    }
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue("ur") if m.id}
    assert not marked - known, f"not in translations/ur: {sorted(marked - known)}"


@pytest.mark.parametrize("name", template_names())
def test_no_template_hides_gettext_behind_a_variable(name):
    """`{% set _ = ... %}` would make every `_("...")` after it fail: use another name."""
    source = (TEMPLATES / name).read_text(encoding="utf-8")
    assert not re.search(r"{%-?\s*set\s+_\s*=", source), f"templates/{name} assigns to _"

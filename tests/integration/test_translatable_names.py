"""Condition names, their groups and exchange categories are data with a name per language:
every shipped one has its Urdu name, pages show it in Urdu, and a name nobody translated (a
condition an administrator added) is shown as it is. English pages read no translation."""

from __future__ import annotations

import pytest
from flask import render_template_string
from flask_babel import refresh
from sqlalchemy import select

from app import names, templating
from app.names import NameTranslation
from app.peers.models import Condition
from app.timebank.categories import CATEGORIES
from tests.factories import ConditionFactory


def _urdu(kind: str, session) -> dict[str, str]:
    return dict(
        session.execute(
            select(NameTranslation.code, NameTranslation.name).where(
                NameTranslation.kind == kind, NameTranslation.locale == "ur"
            )
        ).all()
    )


def test_every_seeded_condition_group_and_category_has_an_urdu_name(session):
    conditions = session.scalars(select(Condition)).all()
    assert len(conditions) >= 49
    urdu = _urdu(names.CONDITION, session)
    assert {c.code for c in conditions} <= set(urdu)
    assert {c.group for c in conditions} <= set(_urdu(names.CONDITION_GROUP, session))
    assert set(CATEGORIES) == set(_urdu(names.CATEGORY, session))
    for name in [*urdu.values(), *_urdu(names.CATEGORY, session).values()]:
        assert name.strip() and not name.isascii()


@pytest.fixture()
def in_urdu(app):
    with app.test_request_context(headers={"Accept-Language": "ur"}):
        refresh()
        yield


@pytest.fixture()
def in_english(app):
    with app.test_request_context():
        refresh()
        yield


def test_pages_in_urdu_show_urdu_names_whatever_they_hold(session, in_urdu):
    asthma = session.get(Condition, "asthma")
    assert templating.condition_name(asthma) == "دمہ"  # the row
    assert templating.condition_name("asthma") == "دمہ"  # its code
    assert templating.condition_name("Asthma") == "دمہ"  # its stored English name
    assert templating.condition_group("Mental health") == "ذہنی صحت"
    assert templating.category_name("cooking") == "کھانا پکانا"
    assert ("diy", "گھر کی چھوٹی موٹی مرمت") in templating.category_choices()
    html = render_template_string(
        "{{ c|condition_name }} / {{ c.group|condition_group }} / {{ 'gardening'|category_name }}",
        c=asthma,
    )
    assert html == "دمہ / سانس اور پھیپھڑے / باغبانی"


def test_a_name_nobody_translated_keeps_its_own_name(session, in_urdu):
    added = ConditionFactory(name="Lipoedema", group="Circulation and skin")
    assert templating.condition_name(added) == "Lipoedema"
    assert templating.condition_name("Lipoedema") == "Lipoedema"
    assert templating.condition_group("Circulation and skin") == "Circulation and skin"
    assert templating.category_name("no_such_category") == "no_such_category"
    names.set_name(session, kind=names.CONDITION, code=added.code, locale="ur", name="لائپیڈیما")
    # Names are read once a page; the next page shows the new one.
    assert templating.condition_name(added) == "Lipoedema"


def test_a_translation_added_later_shows_on_the_next_page(app, session):
    added = ConditionFactory(name="Lipoedema")
    names.set_name(session, kind=names.CONDITION, code=added.code, locale="ur", name="لائپیڈیما")
    with app.test_request_context(headers={"Accept-Language": "ur"}):
        refresh()
        assert templating.condition_name(added) == "لائپیڈیما"


def test_english_pages_show_the_source_names_without_reading_translations(
    session, in_english, monkeypatch
):
    def no_query(*args, **kwargs):
        raise AssertionError("an English page read the translations")

    monkeypatch.setattr(names, "names_in", no_query)
    asthma = session.get(Condition, "asthma")
    assert templating.condition_name(asthma) == "Asthma"
    assert templating.condition_name("Asthma") == "Asthma"
    assert templating.condition_group("Mental health") == "Mental health"
    assert templating.category_name("cooking") == "Cooking and meals"
    assert templating.category_choices()[0] == ("cooking", "Cooking and meals")


def test_set_name_refuses_an_unknown_kind(session):
    with pytest.raises(ValueError):
        names.set_name(session, kind="colour", code="red", locale="ur", name="سرخ")

"""What every capability shares, in the page's language: hours, money, numbers and dates from
app.templating (Babel's Urdu, English as before), and the shared error and form messages."""

from __future__ import annotations

from datetime import date

import pytest
from flask import render_template_string
from flask_babel import refresh
from flask_wtf import FlaskForm

from app import templating
from app.errors import NotFound, ValidationFailed
from app.forms import DateInputField, show_domain_error
from app.postcodes import InvalidPostcode, normalise_postcode

FIGURES = "{{ 90|minutes }} | {{ -1250000|pounds }} | {{ 1234567|number }} | {{ 90|hours }}"


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


def test_the_apps_figure_filters_are_the_shared_ones(app):
    for name in ("date", "minutes", "pounds", "number", "hours", "condition_name"):
        assert app.jinja_env.filters[name] is templating.FILTERS[name]


def test_figures_in_english_are_as_they_always_were(in_english):
    assert render_template_string(FIGURES) == (
        "1 hour 30 minutes | minus £12,500.00 | 1,234,567 | 1.50"
    )
    assert render_template_string("{{ d|date }}", d=date(2026, 12, 1)) == "1 December 2026"


def test_figures_in_urdu_come_from_babels_urdu(in_urdu):
    html = render_template_string(FIGURES)
    assert html == "1 گھنٹہ 30 منٹ | منفی £12,500.00 | 1,234,567 | 1.50"
    assert render_template_string("{{ d|date }}", d=date(2026, 12, 1)) == "1 دسمبر 2026"


class _Form(FlaskForm):
    class Meta:
        csrf = False

    on = DateInputField("When")


def _form_with(**parts) -> _Form:
    from werkzeug.datastructures import MultiDict

    form = _Form(formdata=MultiDict({f"on-{k}": v for k, v in parts.items()}))
    form.validate()
    return form


def test_date_messages_are_whole_sentences_in_the_pages_language(app):
    with app.test_request_context():
        refresh()
        assert _form_with(day="3").on.errors == ["The date must include a month and a year."]
        assert _form_with(day="x", month="3", year="2025").on.errors == [
            "The date must be a real date, written in numbers."
        ]
        assert _form_with(day="31", month="2", year="2025").on.errors == [
            "The date must be a real date."
        ]
        assert _form_with().on.errors == ["Enter the date it happened, for example 27 3 2025."]
    with app.test_request_context(headers={"Accept-Language": "ur"}):
        refresh()
        assert _form_with(day="3").on.errors == ["تاریخ میں مہینہ اور سال شامل ہونا چاہیے۔"]
        assert _form_with(day="3", month="4", year="25").on.errors == [
            "سال میں 4 ہندسے ہونے چاہئیں، جیسے 2025۔"
        ]
        assert _form_with().on.errors == ["وہ تاریخ درج کریں جب یہ ہوا، مثال کے طور پر 27 3 2025۔"]


def test_shared_domain_messages_show_translated_on_a_form(in_urdu):
    form = _Form(formdata=None)
    show_domain_error(form, NotFound())
    assert form.form_errors == ["ہمیں یہ نہیں مل سکا۔"]
    with pytest.raises(InvalidPostcode) as bad:
        normalise_postcode("not a postcode")
    form = _Form(formdata=None)
    show_domain_error(form, ValidationFailed("Check it.", fields={"on": str(bad.value)}))
    assert form.on.errors == ["برطانیہ کا اصل پوسٹ کوڈ درج کریں، جیسے LS6 2AB۔"]


def test_shared_domain_messages_stay_english_in_english(in_english):
    form = _Form(formdata=None)
    show_domain_error(form, NotFound())
    assert form.form_errors == ["We could not find that."]


def test_the_unstorable_text_page_speaks_urdu(client):
    page = client.get("/sign-in?next=a%00b", headers={"Accept-Language": "ur"})
    assert page.status_code == 422
    assert "آپ نے جو لکھا ہے اس میں سے غلط حرف ہٹا دیں۔" in page.get_data(as_text=True)
    english = client.get("/sign-in?next=a%00b")
    assert "Remove the invalid character from what you typed." in english.get_data(as_text=True)

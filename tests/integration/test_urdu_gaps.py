"""Words made outside the templates reach an Urdu page in Urdu: a form's category list (built for
each request), a service's refusal on the error page, a time limit, a community chest's name and
the export's codes. In English each stays exactly the English it always was."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask_babel import refresh

from app.i18n import translated
from app.privacy.views import export_value
from app.timebank.categories import CATEGORIES
from app.timebank.durations import InvalidDuration, parse_duration
from app.timebank.forms import ListingForm, ListingSearchForm
from app.timebank.services import account_name
from tests.factories import OrganisationFactory, UserFactory
from tests.helpers import sign_in
from tests.languages import urdu


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


def _limit_error() -> InvalidDuration:
    with pytest.raises(InvalidDuration) as raised:
        parse_duration("3 hours", max_minutes=120)
    return raised.value


def test_a_form_lists_the_categories_in_the_page_language(session, in_urdu):
    choices = dict(ListingForm(meta={"csrf": False}).category.choices)
    assert choices[""] == urdu("Choose a category")
    assert choices["peer_support"] != CATEGORIES["peer_support"]
    assert not choices["peer_support"].isascii()
    assert dict(ListingSearchForm().category.choices)[""] == urdu("Any category")


def test_in_english_the_category_list_is_as_it_was(session, in_english):
    choices = ListingForm(meta={"csrf": False}).category.choices
    assert choices == [("", "Choose a category"), *CATEGORIES.items()]


def test_a_time_limit_and_a_chest_are_worded_in_the_page_language(session, in_urdu):
    error = _limit_error()
    assert str(error.args[0]) == "The time must be 2 hours or less."  # the API's English
    shown = translated(error.args[0])
    assert shown.startswith(urdu("The time must be %(amount)s or less.").split("%")[0])
    assert "hours" not in shown and "2" in shown
    organisation = OrganisationFactory(name="Leeds Give and Get")
    chest = SimpleNamespace(kind="chest", organisation=organisation)
    assert translated(account_name(chest)) == urdu("%(organisation)s community chest") % {
        "organisation": "Leeds Give and Get"
    }


def test_in_english_the_time_limit_and_the_chest_read_as_before(session, in_english):
    assert translated(_limit_error().args[0]) == "The time must be 2 hours or less."
    organisation = OrganisationFactory(name="Leeds Give and Get")
    chest = SimpleNamespace(kind="chest", organisation=organisation)
    assert translated(account_name(chest)) == "Leeds Give and Get community chest"


def test_a_services_refusal_shows_in_urdu_on_the_error_page(client, session):
    member = UserFactory()
    sign_in(client, member)
    page = client.get("/members", headers={"Accept-Language": "ur"}).get_data(as_text=True)
    assert urdu("Only coordinators can do that.") in page
    english = client.get("/members").get_data(as_text=True)
    assert "Only coordinators can do that." in english


def test_the_export_shows_codes_as_words(session, in_urdu):
    assert export_value("confirmed", "status", "exchanges") == urdu("Confirmed")
    assert export_value("offer", "kind", "listings") == urdu("Offer")
    assert export_value("own", "relationship", "conditions") == urdu("Their own")
    assert export_value("exchange.unknown", "action", "audit") == "exchange.unknown"

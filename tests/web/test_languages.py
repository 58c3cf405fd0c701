"""Languages through the test client: Accept-Language before sign-in, the switcher (kept for the
visit, or stored for a signed-in member), lang and dir on the page, dates per locale."""

from __future__ import annotations

from datetime import date

from flask_babel import refresh

from app.auth.models import User
from app.templating import format_date
from tests.factories import ActingArrangementFactory, CoordinatorFactory, UserFactory
from tests.helpers import sign_in

RTL = '<html lang="ur" dir="rtl"'
LTR = '<html lang="en-GB" dir="ltr"'


def test_accept_language_chooses_urdu_before_sign_in(client):
    page = client.get("/sign-in", headers={"Accept-Language": "ur-PK,ur;q=0.9,en;q=0.5"})
    html = page.get_data(as_text=True)
    assert RTL in html
    assert "سائن ان کریں" in html and "ای میل پتہ" in html
    assert ">Sign in<" not in html
    english = client.get("/sign-in", headers={"Accept-Language": "fr, en-GB;q=0.8"})
    assert LTR in english.get_data(as_text=True)
    assert LTR in client.get("/sign-in").get_data(as_text=True)  # no header: English


def test_the_switcher_keeps_a_visitors_choice_and_switches_back(client):
    response = client.post("/language", data={"locale": "ur", "next": "/sign-in"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")
    assert RTL in client.get("/sign-in").get_data(as_text=True)
    client.post("/language", data={"locale": "en_GB", "next": "/sign-in"})
    html = client.get("/sign-in", headers={"Accept-Language": "ur"}).get_data(as_text=True)
    assert LTR in html and ">Sign in</h1>" in html  # the choice beats the browser's


def test_an_unknown_language_or_an_outside_next_changes_nothing(client):
    response = client.post("/language", data={"locale": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert LTR in client.get("/sign-in").get_data(as_text=True)


def test_a_members_choice_is_stored_and_used_wherever_they_sign_in(client, session):
    member = UserFactory()
    sign_in(client, member)
    client.post("/language", data={"locale": "ur", "next": "/acting-for-you"})
    session.expire_all()
    assert session.get(User, member.id).locale == "ur"
    client.post("/sign-out")
    sign_in(client, member)
    html = client.get("/acting-for-you").get_data(as_text=True)
    assert RTL in html and "آپ کی جانب سے کون کام کر سکتا ہے" in html
    client.post("/language", data={"locale": "en_GB", "next": "/"})
    assert LTR in client.get("/acting-for-you").get_data(as_text=True)


def test_a_coordinator_acting_for_someone_keeps_their_own_language(client, session):
    coordinator = CoordinatorFactory(locale="en_GB")
    member = UserFactory(organisation=coordinator.organisation, locale="ur")
    arrangement = ActingArrangementFactory(coordinator=coordinator, member=member)
    sign_in(client, coordinator)
    client.post(f"/acting/{arrangement.id}/start")
    html = client.get("/acting-for-you").get_data(as_text=True)
    assert LTR in html and 'id="language-choice"' not in html  # no switching for them


def test_dates_follow_the_locale(app):
    with app.test_request_context(headers={"Accept-Language": "ur"}):
        refresh()
        assert format_date(date(2026, 12, 1)) == "1 دسمبر 2026"
    with app.test_request_context():
        refresh()
        assert format_date(date(2026, 12, 1)) == "1 December 2026"


def test_error_pages_speak_urdu(client):
    page = client.get("/no-such-page", headers={"Accept-Language": "ur"})
    html = page.get_data(as_text=True)
    assert page.status_code == 404
    assert RTL in html and "صفحہ نہیں ملا" in html and "ہمیں یہ نہیں مل سکا۔" in html

"""The people pages (members, settings, sign-in help, tokens, home, about, the dashboard, the
inbox and privacy rights) in Urdu through the test client: right to left, no English sentence of
the catalogue left, and the words the pages take from code (dashboard items, message kinds,
export fields, form errors) translated too."""

from __future__ import annotations

import ast
import inspect

import pytest

from app.dashboard import services as dashboard_services
from app.notifications.services import KINDS
from app.notifications.views import KIND_LABELS
from app.privacy import services as privacy_services
from app.privacy.views import EXPORT_LABELS
from tests.factories import (
    ApiTokenFactory,
    CoordinatorFactory,
    OrganisationFactory,
    UserFactory,
    UserTokenFactory,
)
from tests.helpers import sign_in
from tests.languages import english_left, visible_text

URDU = {"Accept-Language": "ur"}
RTL = '<html lang="ur" dir="rtl"'


def assert_in_urdu(response, *urdu: str) -> str:
    html = response.get_data(as_text=True)
    assert RTL in html
    text = visible_text(html)
    left = english_left(text)
    assert not left, f"English left untranslated: {left}"
    for words in urdu:
        assert words in html, words
    return html


@pytest.fixture()
def organisation(session):
    # Named so that no English word of the catalogue is in it (a factory's "Organisation 7" is).
    return OrganisationFactory(name="Harehills Timebank")


@pytest.fixture()
def coordinator(organisation):
    return CoordinatorFactory(name="Sam Okafor", organisation=organisation)


def test_a_coordinators_pages_speak_urdu(client, coordinator):
    member = UserFactory(organisation=coordinator.organisation, name="Kath Murphy", email=None)
    ApiTokenFactory(user=coordinator)
    sign_in(client, coordinator)
    pages = {
        "/": "ہیلو، Sam Okafor",
        "/members": "جانب سے کام کریں",
        "/members/new": "رکن شامل کریں",
        "/organisation/settings": "ترتیبات محفوظ کریں",
        "/dashboard": "ہم تجربہ ساتھی کے منتظر لوگ",
        "/inbox": "یہاں ابھی کچھ نہیں ہے۔",
        "/inbox/preferences": "سپورٹ پلان کے جائزے جن کا وقت آ رہا ہے",
        "/account/tokens": "منسوخ کریں",
        f"/members/{member.id}/inbox": "Kath Murphy کے لیے کچھ منتظر نہیں ہے۔",
        f"/members/{member.id}/export": "گھنٹوں کا کھاتہ",
        f"/members/{member.id}/erase": "اس فرد کا ذاتی ڈیٹا مٹائیں",
        "/about": "Give and Get کا تعارف",
    }
    for path, urdu in pages.items():
        response = client.get(path, headers=URDU)
        assert response.status_code == 200, path
        assert_in_urdu(response, urdu)


def test_the_dashboard_fills_in_the_number_of_days_in_both_languages(client, coordinator):
    sign_in(client, coordinator)
    days = dashboard_services.REVIEW_WARNING_DAYS
    assert f"in the next {days} days or overdue" in client.get("/dashboard").get_data(as_text=True)
    urdu = client.get("/dashboard", headers=URDU).get_data(as_text=True)
    assert f"اگلے {days} دنوں میں" in urdu


def test_sign_in_help_speaks_urdu_before_sign_in(client, organisation):
    assert_in_urdu(client.get("/password/forgot", headers=URDU), "لنک بھیجیں")
    sent = client.post("/password/forgot", data={"email": "nobody@example.org"}, headers=URDU)
    assert_in_urdu(sent, "اپنی ای میل دیکھیں")
    invited = UserFactory(name="Nadia Quill", password_hash=None, organisation=organisation)
    raw = "a-raw-invitation-token-for-the-test"
    UserTokenFactory(user=invited, purpose="invitation", raw=raw)
    page = client.get(f"/invitations/{raw}", headers=URDU)
    assert_in_urdu(page, "ہیلو Nadia Quill۔", "پاس ورڈ محفوظ کریں اور آگے بڑھیں")


def test_form_errors_and_banners_on_the_people_pages_are_in_urdu(client, coordinator):
    member = UserFactory(organisation=coordinator.organisation)
    sign_in(client, coordinator)
    erase = client.post(f"/members/{member.id}/erase", data={"reason": ""}, headers=URDU)
    assert_in_urdu(erase, "وجہ درج کریں۔", "تصدیق کریں کہ آپ سمجھتے ہیں")
    settings = client.post("/organisation/settings", data={"min_hours": "lots"}, headers=URDU)
    assert_in_urdu(settings, "گھنٹوں کی پوری تعداد درج کریں")
    added = client.post(
        "/members/new", data={"name": "Rafiq Ahmed", "role": "member"}, headers=URDU
    )
    assert added.status_code == 302
    banner = client.get("/members", headers=URDU).get_data(as_text=True)
    assert "رکن شامل ہو گیا ہے۔ آپ ان کے لیے تبادلے درج کر سکتے ہیں۔" in banner


def test_a_member_reads_her_inbox_count_in_urdu_with_the_right_plural(
    client, session, organisation
):
    from app.notifications.models import Notification

    member = UserFactory(organisation=organisation)
    for text in ("First", "Second"):
        session.add(Notification(recipient_id=member.id, kind="exchange_pending", text=text))
    session.flush()
    sign_in(client, member)
    assert "You have 2 unread messages." in client.get("/inbox").get_data(as_text=True)
    urdu = client.get("/inbox", headers=URDU).get_data(as_text=True)
    assert "آپ کے 2 پیغامات ابھی نہیں پڑھے گئے۔" in urdu


def test_every_message_kind_the_preferences_page_shows_is_marked():
    assert {kind.label for kind in KINDS.values()} == set(KIND_LABELS)


def test_every_field_the_export_shows_has_words():
    """The keys of every row the export builds (dict literals in privacy/services.py's export
    functions) have a label, so no field falls back to its code."""
    tree = ast.parse(inspect.getsource(privacy_services))
    builders = {"export_person"} | {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and node.name.startswith("_")
        and "dict[str, Any]" in ast.unparse(node.returns or ast.Constant(""))
    }
    keys = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in builders:
            for inner in ast.walk(node):
                if isinstance(inner, ast.Dict):
                    keys |= {key.value for key in inner.keys if isinstance(key, ast.Constant)}
    assert {"balance_minutes", "their_feedback", "relationship", "show_district"} <= keys
    assert keys <= set(EXPORT_LABELS), sorted(keys - set(EXPORT_LABELS))


def test_a_message_keeps_the_language_it_was_sent_in_and_says_so(client, session, organisation):
    """Inbox text is written once, in the recipient's language when it is sent; a page in another
    language marks it with its own ``lang`` (WCAG 3.1.2, language of parts)."""
    from app.clock import utcnow
    from app.notifications.services import notify

    member = UserFactory(organisation=organisation, locale=None)
    speaker = UserFactory(organisation=organisation, locale="ur")
    notify(
        session,
        recipient=member,
        kind="exchange_pending",
        text="Tea with Joe",
        now=utcnow(),
        link="/exchanges",
    )
    notify(session, recipient=speaker, kind="exchange_pending", text="چائے", now=utcnow())
    session.flush()
    sign_in(client, member)
    english = client.get("/inbox").get_data(as_text=True)
    assert '<p class="govuk-body govuk-!-margin-bottom-1">Tea with Joe</p>' in english
    urdu = client.get("/inbox", headers=URDU).get_data(as_text=True)
    assert '<p class="govuk-body govuk-!-margin-bottom-1" lang="en-GB">Tea with Joe</p>' in urdu
    assert '<span lang="en-GB">Tea with Joe</span>' in urdu  # the link's hidden words too
    client.post("/sign-out")
    sign_in(client, speaker)  # her own language is Urdu: her message needs no mark
    hers = client.get("/inbox").get_data(as_text=True)
    assert '<p class="govuk-body govuk-!-margin-bottom-1">چائے</p>' in hers

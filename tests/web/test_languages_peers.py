"""The peer support pages in Urdu: their own words, the flash messages, the services' refusals
shown on a form, and plurals; the same pages in English are unchanged."""

from __future__ import annotations

import pytest

from app.peers.models import PeerProfile
from tests.factories import CoordinatorFactory, OrganisationFactory, UserFactory
from tests.helpers import sign_in

RTL = '<html lang="ur" dir="rtl"'


@pytest.fixture()
def urdu_coordinator(session):
    organisation = OrganisationFactory()
    return {
        "coordinator": CoordinatorFactory(organisation=organisation, locale="ur"),
        "member": UserFactory(organisation=organisation, name="Priya Testperson"),
    }


def peer_form(member, **changes):
    return {
        "member_id": member.id,
        "condition_codes": ["stroke"],
        "health_data_consent": "y",
        "support_types": ["accompany"],
        "modes": ["in_person"],
        "capacity": "2",
        "travel_km": "8",
        **changes,
    }


def test_adding_a_peer_in_urdu_flashes_and_shows_the_profile_in_urdu(client, urdu_coordinator):
    sign_in(client, urdu_coordinator["coordinator"])
    made = client.post("/peers/new", data=peer_form(urdu_coordinator["member"]))
    assert made.status_code == 302, made.get_data(as_text=True)
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert RTL in page
    assert "ہم تجربہ ساتھی شامل ہو گیا ہے۔" in page  # the flash
    assert "منظوری کا انتظار" in page  # waiting for approval
    assert "8 کلومیٹر" in page and "خود مل کر" in page  # "8 km", the mode's label
    assert "Will travel" not in page and "In person" not in page


def test_a_services_refusal_is_shown_on_the_form_in_urdu(client, urdu_coordinator):
    """profiles.validate_details refuses approval without a DBS date: its field message is
    marked where it is written and shown in the page's language."""
    sign_in(client, urdu_coordinator["coordinator"])
    page = client.post("/peers/new", data=peer_form(urdu_coordinator["member"], approve="y"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "ساتھ جانے یا خود جا کر عملی مدد کے لیے ریکارڈ میں ڈی بی ایس چیک ضروری ہے" in html
    assert "needs a DBS check on file" not in html


def test_pausing_and_the_plural_caption_speak_urdu(client, session, urdu_coordinator):
    sign_in(client, urdu_coordinator["coordinator"])
    made = client.post("/peers/new", data=peer_form(urdu_coordinator["member"]))
    peer_id = session.query(PeerProfile.id).scalar()
    paused = client.post(f"/peers/{peer_id}/pause", follow_redirects=True)
    assert (
        "روک دیا گیا: اس ہم تجربہ ساتھی کو کوئی نیا شخص پیش نہیں کیا جائے گا۔"
        in paused.get_data(as_text=True)
    )
    listed = client.get("/peers").get_data(as_text=True)
    assert made.status_code == 302 and "1 ہم تجربہ ساتھی" in listed


def test_withdrawing_consent_says_how_many_in_urdu_with_the_right_plural(client, urdu_coordinator):
    member = urdu_coordinator["member"]
    sign_in(client, urdu_coordinator["coordinator"])
    saved = client.post(
        f"/members/{member.id}/health",
        data={"condition_codes": ["asthma"], "health_data_consent": "y"},
    )
    assert saved.status_code == 302
    page = client.post(f"/members/{member.id}/health/withdraw", follow_redirects=True)
    assert "%(num)s" not in page.get_data(as_text=True)
    assert "1 کیفیت ہر فہرست سے فوراً ہٹا دی گئی۔" in page.get_data(as_text=True)


def test_the_same_pages_stay_english_for_an_english_coordinator(client, session):
    organisation = OrganisationFactory()
    coordinator = CoordinatorFactory(organisation=organisation, locale="en_GB")
    member = UserFactory(organisation=organisation)
    sign_in(client, coordinator)
    made = client.post("/peers/new", data=peer_form(member))
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "The peer is added. Approve them when their checks are done." in page
    assert "8 km" in page and "In person" in page
    assert "1 peer<" in client.get("/peers").get_data(as_text=True)

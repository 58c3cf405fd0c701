"""Privacy rights through the browser and the API (API.md: Notifications, audit, privacy rights)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.privacy.models import Erasure
from tests.factories import (
    TEST_PASSWORD,
    AdminFactory,
    CoordinatorFactory,
    MemberConditionFactory,
    UserFactory,
)
from tests.helpers import assert_error, bearer, sign_in


@pytest.fixture()
def people(session):
    person = UserFactory(name="Nadia Quill", email="nadia@example.org", postcode="LS6 2AB")
    MemberConditionFactory(member=person)
    coordinator = CoordinatorFactory(organisation=person.organisation)
    return {
        "person": person,
        "other": UserFactory(organisation=person.organisation),
        "coordinator": coordinator,
        "outsider": CoordinatorFactory(),
        "admin": AdminFactory(),
    }


def test_the_api_export_answers_the_person_and_their_coordinator_only(client, people):
    person = people["person"]
    url = f"/api/v1/members/{person.id}/export"
    for who in ("person", "coordinator"):
        response = client.get(url, headers=bearer(people[who]))
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert body["member_id"] == person.id
        assert body["account"]["email"] == "nadia@example.org"
        assert body["conditions"] and body["consents"]
        assert {"statement", "exchanges", "listings", "plans", "referrals", "matches"} <= set(body)
        assert {"notifications", "audit"} <= set(body)
    assert_error(client.get(url, headers=bearer(people["other"])), 404, "not_found")
    assert_error(client.get(url, headers=bearer(people["outsider"])), 404, "not_found")
    assert_error(client.get(url, headers=bearer(people["admin"])), 403, "forbidden")
    assert client.get(url).status_code == 401


def test_the_api_erases_once_and_answers_the_same_again(client, session, people):
    person = people["person"]
    url = f"/api/v1/members/{person.id}/erase"
    assert_error(client.post(url, headers=bearer(people["person"])), 403, "forbidden")
    assert_error(client.post(url, headers=bearer(people["outsider"])), 404, "not_found")
    assert_error(
        client.post(url, json={}, headers=bearer(people["coordinator"])), 422, field="reason"
    )
    token_of_person = bearer(person)
    first = client.post(url, json={"reason": "Asked us to."}, headers=bearer(people["admin"]))
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.get_json()["erased_by_id"] == people["admin"].id
    again = client.post(url, json={"reason": "Again"}, headers=bearer(people["coordinator"]))
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert session.scalar(select(func.count()).select_from(Erasure)) == 1
    # They can no longer sign in, by token or by password.
    assert client.get(f"/api/v1/members/{person.id}", headers=token_of_person).status_code == 401
    token = client.post(
        "/api/v1/auth/token", json={"email": "nadia@example.org", "password": TEST_PASSWORD}
    )
    assert token.status_code == 401


def test_the_export_page_is_printable_and_offers_the_file(client, people):
    person = people["person"]
    sign_in(client, person)
    page = client.get(f"/members/{person.id}/export")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Everything we hold about Nadia Quill" in html
    assert "LS6 2AB" in html and "nadia@example.org" in html
    download = client.get(f"/members/{person.id}/export.json")
    assert download.status_code == 200
    assert download.get_json()["account"]["name"] == "Nadia Quill"
    assert "attachment" in download.headers["Content-Disposition"]
    assert client.get(f"/members/{people['other'].id}/export").status_code == 404


def test_the_erase_page_asks_for_confirmation_before_anything_changes(client, session, people):
    person = people["person"]
    sign_in(client, people["coordinator"])
    url = f"/members/{person.id}/erase"
    assert "This cannot be undone" in client.get(url).get_data(as_text=True)
    refused = client.post(url, data={"reason": "Asked to."})
    assert refused.status_code == 200
    assert "Confirm that you understand" in refused.get_data(as_text=True)
    no_reason = client.post(url, data={"confirm": "y", "reason": ""})
    assert "Enter a reason" in no_reason.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Erasure)) == 0
    done = client.post(url, data={"confirm": "y", "reason": "Asked to."}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "has been erased" in html
    assert "Nadia Quill" not in html
    assert session.scalar(select(func.count()).select_from(Erasure)) == 1
    # Erasing again from the page is harmless: it shows the erasure.
    assert "has been erased" in client.post(url, data={"confirm": "y", "reason": "x"}).get_data(
        as_text=True
    )
    client.post("/sign-out")
    signed_in = client.post(
        "/sign-in", data={"email": "nadia@example.org", "password": TEST_PASSWORD}
    )
    assert "Enter a correct email address and password" in signed_in.get_data(as_text=True)


def test_a_member_cannot_reach_the_erase_page(client, people):
    sign_in(client, people["person"])
    assert client.get(f"/members/{people['person'].id}/erase").status_code == 403
    assert client.get(f"/members/{people['other'].id}/erase").status_code == 404

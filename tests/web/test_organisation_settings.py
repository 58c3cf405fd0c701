"""Coordinators set their organisation's balance limits and hourly rate (page and API)."""

from sqlalchemy import select

from app.auth.models import Organisation
from app.clock import london_date, utcnow
from tests.factories import CoordinatorFactory, OrganisationFactory, UserFactory
from tests.helpers import assert_error, bearer, sign_in


def test_coordinator_changes_limits_and_they_apply_to_confirmations(client, session):
    organisation = OrganisationFactory()
    coordinator = CoordinatorFactory(organisation=organisation)
    giver, getter = UserFactory(organisation=organisation), UserFactory(organisation=organisation)
    response = client.post(
        f"/api/v1/organisations/{organisation.id}/settings",
        json={"min_balance_minutes": -60, "max_balance_minutes": 600, "hourly_rate_pence": 1850},
        headers=bearer(coordinator),
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["hourly_rate_pence"] == 1850
    account = client.get(f"/api/v1/members/{getter.id}/account", headers=bearer(getter)).get_json()
    assert account["min_balance_minutes"] == -60
    body = {
        "provider_id": giver.id,
        "receiver_id": getter.id,
        "minutes": 61,
        "category": "cooking",
        "occurred_on": london_date(utcnow()).isoformat(),
    }
    assert_error(
        client.post("/api/v1/exchanges", json=body, headers=bearer(coordinator)),
        409,
        "balance_limit",
    )


def test_only_the_organisations_coordinators_change_settings(client, session):
    organisation = OrganisationFactory()
    body = {"min_balance_minutes": -60, "max_balance_minutes": 600, "hourly_rate_pence": 1000}
    path = f"/api/v1/organisations/{organisation.id}/settings"
    assert_error(
        client.post(path, json=body, headers=bearer(UserFactory(organisation=organisation))), 403
    )
    assert_error(client.post(path, json=body, headers=bearer(CoordinatorFactory())), 404)
    assert_error(
        client.post(
            path,
            json={**body, "min_balance_minutes": 1},
            headers=bearer(CoordinatorFactory(organisation=organisation)),
        ),
        422,
        field="min_balance_minutes",
    )
    assert session.get(Organisation, organisation.id).min_balance_minutes == -600


def test_settings_page(client, session):
    coordinator = CoordinatorFactory()
    sign_in(client, coordinator)
    page = client.get("/organisation/settings").get_data(as_text=True)
    assert 'value="10"' in page and 'value="100"' in page and 'value="15.00"' in page
    bad = client.post(
        "/organisation/settings",
        data={"min_hours": "-5", "max_hours": "lots", "hourly_rate": "£1.234"},
    )
    text = bad.get_data(as_text=True)
    assert (
        "There is a problem" in text
        and "whole number of hours" in text
        and "Enter an amount in pounds" in text
    )
    assert (
        session.scalar(
            select(Organisation.max_balance_minutes).where(
                Organisation.id == coordinator.organisation_id
            )
        )
        == 6000
    )
    ok = client.post(
        "/organisation/settings",
        data={"min_hours": "5", "max_hours": "50", "hourly_rate": "£12.50"},
    )
    assert ok.status_code == 302
    organisation = session.get(Organisation, coordinator.organisation_id)
    session.refresh(organisation)
    assert (
        organisation.min_balance_minutes,
        organisation.max_balance_minutes,
        organisation.hourly_rate_pence,
    ) == (-300, 3000, 1250)


def test_members_cannot_see_the_settings_page(client, session):
    sign_in(client, UserFactory())
    assert client.get("/organisation/settings").status_code == 403

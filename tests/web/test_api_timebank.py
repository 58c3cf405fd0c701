"""API.md "Timebank": exchanges, confirmation, rejection, reversal, lists, categories, listings."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.clock import london_date, utcnow
from app.timebank.models import Exchange, LedgerTransaction
from tests.factories import CoordinatorFactory, OrganisationFactory, UserFactory, account_of
from tests.helpers import assert_error, bearer, sql_statements, writes

TODAY = london_date(utcnow()).isoformat()


@pytest.fixture()
def people(session):
    organisation = OrganisationFactory()
    return (
        UserFactory(organisation=organisation),
        UserFactory(organisation=organisation),
        CoordinatorFactory(organisation=organisation),
    )


def body(provider, receiver, **extra):
    return {
        "provider_id": provider.id,
        "receiver_id": receiver.id,
        "minutes": 90,
        "category": "cooking",
        "occurred_on": TODAY,
        "description": "Cooked a meal",
        **extra,
    }


def test_member_records_pending_then_other_party_confirms(client, people):
    giver, getter, _ = people
    response = client.post("/api/v1/exchanges", json=body(giver, getter), headers=bearer(giver))
    assert response.status_code == 201, response.get_json()
    exchange = response.get_json()
    assert exchange["status"] == "pending" and exchange["id"]
    assert (
        client.get(f"/api/v1/members/{giver.id}/account", headers=bearer(giver)).get_json()[
            "balance_minutes"
        ]
        == 0
    )
    confirmed = client.post(f"/api/v1/exchanges/{exchange['id']}/confirm", headers=bearer(getter))
    assert confirmed.status_code == 200 and confirmed.get_json()["status"] == "confirmed"
    assert (
        client.get(f"/api/v1/members/{giver.id}/account", headers=bearer(giver)).get_json()[
            "balance_minutes"
        ]
        == 90
    )
    assert (
        client.get(f"/api/v1/members/{getter.id}/account", headers=bearer(getter)).get_json()[
            "balance_minutes"
        ]
        == -90
    )
    assert_error(
        client.post(f"/api/v1/exchanges/{exchange['id']}/confirm", headers=bearer(getter)),
        409,
        "already_confirmed",
    )


def test_action_endpoints_take_no_body_and_no_content_type(client, people):
    giver, getter, _ = people
    exchange = client.post(
        "/api/v1/exchanges", json=body(giver, getter), headers=bearer(giver)
    ).get_json()
    response = client.open(
        f"/api/v1/exchanges/{exchange['id']}/reject",
        method="POST",
        headers=bearer(getter),
        data=b"",
    )
    assert response.status_code == 200 and response.get_json()["status"] == "rejected"


def test_coordinator_records_confirmed_at_once(client, people):
    giver, getter, coordinator = people
    response = client.post(
        "/api/v1/exchanges", json=body(giver, getter), headers=bearer(coordinator)
    )
    assert response.status_code == 201 and response.get_json()["status"] == "confirmed"


def test_organisation_account_can_give_and_receive(client, people):
    giver, _, coordinator = people
    payload = body(giver, giver)
    del payload["receiver_id"]
    payload["receiver_organisation_id"] = giver.organisation_id
    response = client.post("/api/v1/exchanges", json=payload, headers=bearer(coordinator))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["receiver_organisation_id"] == giver.organisation_id
    org_account = client.get(
        f"/api/v1/organisations/{giver.organisation_id}/account", headers=bearer(coordinator)
    )
    assert org_account.get_json()["balance_minutes"] == -90


def test_balance_limit_is_409_and_moves_nothing(client, people, session):
    giver, getter, coordinator = people
    for _ in range(6):
        client.post(
            "/api/v1/exchanges", json=body(giver, getter, minutes=100), headers=bearer(coordinator)
        )
    pending = client.post(
        "/api/v1/exchanges", json=body(giver, getter, minutes=60), headers=bearer(giver)
    ).get_json()
    error = assert_error(
        client.post(f"/api/v1/exchanges/{pending['id']}/confirm", headers=bearer(getter)),
        409,
        "balance_limit",
    )
    assert "cannot go below minus 10 hours" in error["message"]
    assert account_of(getter).balance_minutes == -600
    assert (
        client.get(f"/api/v1/exchanges/{pending['id']}", headers=bearer(getter)).get_json()[
            "status"
        ]
        == "pending"
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": 1441}, "minutes"),
        ({"minutes": 1.5}, "minutes"),
        ({"minutes": "90"}, "minutes"),
        ({"category": "juggling"}, "category"),
        ({"occurred_on": "2099-01-01"}, "occurred_on"),
        ({"occurred_on": "yesterday"}, "occurred_on"),
        ({"description": "x" * 2001}, "description"),
        ({"receiver_id": 2**31 - 1}, "receiver_id"),
        ({"provider_id": None}, "provider_id"),
        ({"provider_organisation_id": 1}, "provider_id"),
    ],
)
def test_bad_exchange_fields_are_422_and_create_nothing(client, people, session, change, field):
    giver, getter, _ = people
    payload = {**body(giver, getter), **change}
    before = session.scalar(select(func.count()).select_from(Exchange))
    assert_error(
        client.post("/api/v1/exchanges", json=payload, headers=bearer(giver)), 422, field=field
    )
    assert session.scalar(select(func.count()).select_from(Exchange)) == before


def test_exchange_with_someone_in_another_organisation_is_refused(client, people):
    giver, _, _ = people
    outsider = UserFactory()
    assert_error(
        client.post("/api/v1/exchanges", json=body(giver, outsider), headers=bearer(giver)),
        422,
        field="receiver_id",
    )


def test_reverse_is_for_coordinators_and_compensates(client, people):
    giver, getter, coordinator = people
    exchange = client.post(
        "/api/v1/exchanges", json=body(giver, getter), headers=bearer(coordinator)
    ).get_json()
    assert_error(
        client.post(
            f"/api/v1/exchanges/{exchange['id']}/reverse",
            json={"reason": "x"},
            headers=bearer(giver),
        ),
        403,
    )
    assert_error(
        client.post(f"/api/v1/exchanges/{exchange['id']}/reverse", headers=bearer(coordinator)),
        422,
        field="reason",
    )
    response = client.post(
        f"/api/v1/exchanges/{exchange['id']}/reverse",
        json={"reason": "Entered twice"},
        headers=bearer(coordinator),
    )
    assert response.status_code == 200 and response.get_json()["status"] == "reversed"
    assert account_of(giver).balance_minutes == 0
    assert_error(
        client.post(
            f"/api/v1/exchanges/{exchange['id']}/reverse",
            json={"reason": "again"},
            headers=bearer(coordinator),
        ),
        409,
        "already_reversed",
    )


def test_retrying_with_the_same_idempotency_key_never_creates_a_second_exchange(
    client, people, session
):
    giver, getter, coordinator = people
    headers = {**bearer(coordinator), "Idempotency-Key": "exchange-42"}
    first = client.post("/api/v1/exchanges", json=body(giver, getter), headers=headers)
    assert first.status_code == 201 and first.get_json()["status"] == "confirmed"
    with sql_statements() as retry:
        again = client.post("/api/v1/exchanges", json=body(giver, getter), headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    # Nothing was recorded or posted again, not even to be rolled back when the stored
    # response's unique key refused it: the replay wrote no row at all.
    assert writes(retry) == []
    assert session.scalar(select(func.count()).select_from(Exchange)) == 1
    assert session.scalar(select(func.count()).select_from(LedgerTransaction)) == 1
    assert account_of(giver).balance_minutes == 90
    assert_error(
        client.post("/api/v1/exchanges", json=body(giver, getter, minutes=30), headers=headers),
        422,
        "idempotency_mismatch",
        "Idempotency-Key",
    )
    assert session.scalar(select(func.count()).select_from(Exchange)) == 1


def test_exchange_list_filters_and_hides_other_peoples(client, people):
    giver, getter, coordinator = people
    stranger = UserFactory(organisation=giver.organisation)
    client.post("/api/v1/exchanges", json=body(giver, getter), headers=bearer(giver))
    client.post("/api/v1/exchanges", json=body(getter, giver), headers=bearer(coordinator))
    mine = client.get(f"/api/v1/exchanges?member_id={giver.id}", headers=bearer(giver)).get_json()
    assert mine["total"] == 2
    pending = client.get(
        f"/api/v1/exchanges?member_id={giver.id}&status=pending", headers=bearer(giver)
    ).get_json()
    assert pending["total"] == 1
    assert_error(
        client.get(f"/api/v1/exchanges?member_id={giver.id}", headers=bearer(stranger)), 404
    )
    assert client.get("/api/v1/exchanges", headers=bearer(stranger)).get_json()["total"] == 0
    assert client.get("/api/v1/exchanges", headers=bearer(coordinator)).get_json()["total"] == 2
    exchange_id = mine["items"][0]["id"]
    assert_error(client.get(f"/api/v1/exchanges/{exchange_id}", headers=bearer(stranger)), 404)
    assert_error(
        client.get("/api/v1/exchanges?status=lost", headers=bearer(giver)), 422, field="status"
    )


def test_categories_are_a_bare_list(client, people):
    categories = client.get("/api/v1/categories", headers=bearer(people[0])).get_json()
    assert {"code": "cooking", "name": "Cooking and meals"} in categories


def test_listings_create_and_search(client, people):
    giver, getter, _ = people
    response = client.post(
        "/api/v1/listings",
        json={
            "kind": "offer",
            "title": "I can fix a dripping tap",
            "description": "Washers too",
            "category": "diy",
        },
        headers=bearer(giver),
    )
    assert response.status_code == 201, response.get_json()
    client.post(
        "/api/v1/listings",
        json={"kind": "request", "title": "Lift to the clinic", "category": "transport"},
        headers=bearer(getter),
    )
    found = client.get("/api/v1/listings?q=TAP", headers=bearer(getter)).get_json()
    assert [item["title"] for item in found["items"]] == ["I can fix a dripping tap"]
    assert (
        client.get("/api/v1/listings?kind=request", headers=bearer(giver)).get_json()["total"] == 1
    )
    assert (
        client.get("/api/v1/listings?category=diy", headers=bearer(giver)).get_json()["total"] == 1
    )
    assert client.get("/api/v1/listings", headers=bearer(UserFactory())).get_json()["total"] == 0
    error = assert_error(
        client.post(
            "/api/v1/listings",
            json={"kind": "swap", "title": "", "category": "x"},
            headers=bearer(giver),
        ),
        422,
        "validation_error",
    )
    assert set(error["fields"]) == {"kind", "title", "category"}, error


def test_donation_and_grant_endpoints(client, people):
    giver, getter, coordinator = people
    client.post("/api/v1/exchanges", json=body(giver, getter), headers=bearer(coordinator))
    assert (
        client.post(
            "/api/v1/chest/donations", json={"minutes": 60}, headers=bearer(giver)
        ).status_code
        == 201
    )
    assert_error(
        client.post("/api/v1/chest/donations", json={"minutes": 60}, headers=bearer(giver)),
        409,
        "balance_limit",
    )
    grant = client.post(
        "/api/v1/chest/grants",
        json={"member_id": getter.id, "minutes": 60, "reason": "Welcome"},
        headers=bearer(coordinator),
    )
    assert grant.status_code == 201, grant.get_json()
    assert_error(
        client.post(
            "/api/v1/chest/grants",
            json={"member_id": getter.id, "minutes": 1, "reason": "x"},
            headers=bearer(giver),
        ),
        403,
    )


def test_date_in_the_future_by_london_calendar(client, people):
    giver, getter, _ = people
    tomorrow = (london_date(utcnow()) + timedelta(days=1)).isoformat()
    assert_error(
        client.post(
            "/api/v1/exchanges",
            json=body(giver, getter, occurred_on=tomorrow),
            headers=bearer(giver),
        ),
        422,
        field="occurred_on",
    )


def test_keyword_search_treats_percent_literally(client, people):
    giver, getter, _ = people
    for title in ("Save 50% on bills", "Save 500 pounds"):
        client.post(
            "/api/v1/listings",
            json={"kind": "offer", "title": title, "category": "paperwork"},
            headers=bearer(giver),
        )
    found = client.get("/api/v1/listings?q=50%25", headers=bearer(getter)).get_json()
    assert [item["title"] for item in found["items"]] == ["Save 50% on bills"]


def test_withdraw_endpoint_is_for_the_recorder_of_a_pending_exchange(client, people):
    giver, getter, coordinator = people
    pending = client.post(
        "/api/v1/exchanges", json=body(giver, getter), headers=bearer(giver)
    ).get_json()
    assert_error(
        client.post(f"/api/v1/exchanges/{pending['id']}/withdraw", headers=bearer(getter)), 403
    )
    withdrawn = client.post(f"/api/v1/exchanges/{pending['id']}/withdraw", headers=bearer(giver))
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"
    assert_error(
        client.post(f"/api/v1/exchanges/{pending['id']}/confirm", headers=bearer(getter)),
        409,
        "already_withdrawn",
    )
    confirmed = client.post(
        "/api/v1/exchanges", json=body(giver, getter), headers=bearer(coordinator)
    ).get_json()
    assert_error(
        client.post(f"/api/v1/exchanges/{confirmed['id']}/withdraw", headers=bearer(coordinator)),
        409,
        "already_confirmed",
    )

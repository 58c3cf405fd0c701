"""Schemathesis fuzzes the API against its own OpenAPI document: never a 5xx, always as documented."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from app import create_app
from app.auth.models import User
from app.clock import london_date, utcnow
from tests.factories import CoordinatorFactory, OrganisationFactory, UserFactory
from tests.helpers import bearer

OPENAPI = "/api/v1/openapi.json"


def _served_document() -> dict:
    # The plugin parametrizes at collection, before the session's app exists. The document needs
    # no database, so a second app (never connected) serves it exactly as the real one does.
    spec_app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    response = spec_app.test_client().get(OPENAPI)
    assert response.status_code == 200
    return response.get_json()


schema = schemathesis.openapi.from_dict(_served_document())
# Every operation is fuzzed. POST /auth/token's throttle lives in the database, so its 429s are
# rolled back with the rest; DELETE /auth/token gets a token of its own each time.
REVOKES_ITS_TOKEN = "DELETE /api/v1/auth/token"

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.content_type_conformance,
]


# Which seeded rows an id-valued parameter or body field can name.
POOLS = {
    "member_id": "members",
    "provider_id": "members",
    "receiver_id": "members",
    "organisation_id": "organisations",
    "provider_organisation_id": "organisations",
    "receiver_organisation_id": "organisations",
    "exchange_id": "exchanges",
    "listing_id": "listings",
    "peer_id": "peers",
    "plan_id": "plans",
    "referral_id": "referrals",
}


@dataclass
class Seeded:
    coordinator: User
    headers: dict[str, str]
    ids: dict[str, list[int]]

    def known(self, values):
        """The same parameters, with every id that names a row replaced by a seeded row's id."""
        if not isinstance(values, dict):
            return values
        swapped = dict(values)
        for name, value in values.items():
            if name in POOLS and isinstance(value, int) and not isinstance(value, bool):
                pool = self.ids[POOLS[name]]
                swapped[name] = pool[value % len(pool)]
        return swapped


@pytest.fixture()
def seeded(client, session) -> Seeded:
    """An organisation with a coordinator, two members and one of everything the API can name."""
    organisation = OrganisationFactory()
    coordinator = CoordinatorFactory(organisation=organisation)
    giver = UserFactory(organisation=organisation)
    getter = UserFactory(organisation=organisation)
    headers = bearer(coordinator)

    def create(path, body, as_headers=headers):
        response = client.post(path, json=body, headers=as_headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    today = london_date(utcnow()).isoformat()
    exchange = {"minutes": 30, "category": "cooking", "occurred_on": today, "description": "Soup"}
    confirmed = create(
        "/api/v1/exchanges", {**exchange, "provider_id": giver.id, "receiver_id": getter.id}
    )
    pending = create(
        "/api/v1/exchanges",
        {**exchange, "provider_id": getter.id, "receiver_id": giver.id},
        as_headers=bearer(getter),
    )
    listing = create("/api/v1/listings", {"kind": "offer", "title": "Soup", "category": "cooking"})
    peer = create(
        "/api/v1/peers",
        {
            "member_id": giver.id,
            "condition_codes": ["autism"],
            "health_data_consent": True,
            "support_types": ["talk"],
            "modes": ["phone"],
            "capacity": 2,
            "approved": True,
        },
    )
    plan = create(
        "/api/v1/plans",
        {
            "member_id": getter.id,
            "budget_pence": 100_000,
            "management": "notional",
            "outcomes": ["Get out more"],
            "supports": [{"kind": "paid", "description": "PA", "annual_pence": 100_000}],
        },
    )
    referral = create(
        "/api/v1/referrals",
        {
            "member_id": getter.id,
            "condition_codes": ["autism"],
            "health_data_consent": True,
            "support_types": ["talk"],
            "modes": ["video"],
        },
    )
    return Seeded(
        coordinator=coordinator,
        headers=headers,
        ids={
            "members": [giver.id, getter.id, coordinator.id],
            "organisations": [organisation.id],
            "exchanges": [pending, confirmed],
            "listings": [listing],
            "peers": [peer],
            "plans": [plan],
            "referrals": [referral],
        },
    )


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_as_documented(case, app, client, seeded):
    headers = seeded.headers
    if case.operation.label == REVOKES_ITS_TOKEN:
        headers = bearer(seeded.coordinator)  # each case revokes its own token, not the fuzzer's
    send = {"session": client, "app": app, "headers": headers, "checks": CHECKS}
    case.call_and_validate(**send)
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    # Random ids mostly name nothing (404, 422): valid data is tried again on seeded rows.
    known = case.operation.Case(
        method=case.method,
        path_parameters=seeded.known(case.path_parameters),
        headers=case.headers.copy(),
        cookies=dict(case.cookies),
        query=seeded.known(case.query),
        body=seeded.known(case.body),
        media_type=case.media_type,
    )
    if known != case:
        known.call_and_validate(**send)

"""API.md "Members and organisations", auth, errors, pagination, idempotency, OpenAPI, health."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.api.models import IdempotencyRecord
from app.auth.models import Organisation, User, UserToken
from tests.factories import TEST_PASSWORD, AdminFactory, CoordinatorFactory, UserFactory
from tests.helpers import assert_error, bearer, sql_statements, writes


def test_token_is_issued_for_the_right_password(client):
    user = UserFactory()
    response = client.post(
        "/api/v1/auth/token", json={"email": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["user_id"] == user.id
    me = client.get(
        f"/api/v1/members/{user.id}", headers={"Authorization": f"Bearer {body['token']}"}
    )
    assert me.status_code == 200


def test_wrong_password_is_401_and_repeated_failures_429(client):
    user = UserFactory()
    for _ in range(5):
        assert_error(
            client.post("/api/v1/auth/token", json={"email": user.email, "password": "wrong"}),
            401,
            "invalid_credentials",
        )
    response = client.post(
        "/api/v1/auth/token", json={"email": user.email, "password": TEST_PASSWORD}
    )
    assert_error(response, 429, "too_many_attempts")
    assert int(response.headers["Retry-After"]) > 0


def test_missing_or_bad_token_is_401(client):
    user = UserFactory()
    assert_error(client.get(f"/api/v1/members/{user.id}"), 401, "unauthorised")
    assert_error(
        client.get(f"/api/v1/members/{user.id}", headers={"Authorization": "Bearer nonsense"}),
        401,
    )


def test_cookies_never_authorise_the_api(client):
    user = UserFactory()
    client.post("/sign-in", data={"email": user.email, "password": TEST_PASSWORD})
    assert_error(client.get(f"/api/v1/members/{user.id}"), 401)


def test_revoked_token_stops_working(client):
    user = UserFactory()
    headers = bearer(user)
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert_error(client.get(f"/api/v1/members/{user.id}", headers=headers), 401)


def test_admin_creates_organisation_with_limits(client, session):
    admin = AdminFactory()
    response = client.post(
        "/api/v1/organisations",
        json={
            "name": "Seacroft Timebank",
            "min_balance_minutes": -300,
            "max_balance_minutes": 3000,
        },
        headers=bearer(admin),
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["id"] and body["min_balance_minutes"] == -300
    account = client.get(f"/api/v1/organisations/{body['id']}/account", headers=bearer(admin))
    assert account.get_json()["balance_minutes"] == 0
    assert account.get_json()["min_balance_minutes"] is None  # the organisation's own account


def test_coordinator_cannot_create_organisation(client):
    assert_error(
        client.post(
            "/api/v1/organisations", json={"name": "X"}, headers=bearer(CoordinatorFactory())
        ),
        403,
        "forbidden",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "X", "min_balance_minutes": 5}, "min_balance_minutes"),
        ({"name": "X", "max_balance_minutes": "lots"}, "max_balance_minutes"),
        ({"name": "X", "colour": "red"}, "colour"),
    ],
)
def test_bad_organisation_fields_are_422_and_change_nothing(client, session, body, field):
    admin = AdminFactory()
    before = session.scalar(select(func.count()).select_from(Organisation))
    assert_error(
        client.post("/api/v1/organisations", json=body, headers=bearer(admin)), 422, field=field
    )
    assert session.scalar(select(func.count()).select_from(Organisation)) == before


def test_coordinator_creates_member_and_reads_account(client):
    coordinator = CoordinatorFactory()
    response = client.post(
        "/api/v1/members",
        json={
            "name": "Rita Patel",
            "email": "rita@example.org",
            "password": "a long password",
            "postcode": "ls62ab",
        },
        headers=bearer(coordinator),
    )
    assert response.status_code == 201, response.get_json()
    member = response.get_json()
    assert member["postcode"] == "LS6 2AB"
    assert member["organisation_id"] == coordinator.organisation_id
    assert member["role"] == "member"
    assert "password" not in member and "password_hash" not in member
    account = client.get(f"/api/v1/members/{member['id']}/account", headers=bearer(coordinator))
    assert account.get_json() == {
        "account_id": account.get_json()["account_id"],
        "balance_minutes": 0,
        "min_balance_minutes": -600,
        "max_balance_minutes": 6000,
    }


def test_member_without_email_can_be_created(client):
    response = client.post(
        "/api/v1/members", json={"name": "Kath"}, headers=bearer(CoordinatorFactory())
    )
    assert response.status_code == 201
    assert response.get_json()["email"] is None


def test_coordinator_cannot_create_admin(client):
    assert_error(
        client.post(
            "/api/v1/members",
            json={"name": "Ann", "role": "admin"},
            headers=bearer(CoordinatorFactory()),
        ),
        403,
    )


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": "Ann", "postcode": "ZZ"}, 422, "postcode"),
        ({"name": "Ann", "email": "nope"}, 422, "email"),
        ({"name": "Ann", "password": "short"}, 422, "password"),
        ({"email": "ann@example.org"}, 422, "name"),
        ({"name": "Ann", "role": "king"}, 422, "role"),
        ({"name": "Ann", "organisation_id": 10**30}, 422, "organisation_id"),
        ({"name": ["Ann"]}, 422, "name"),
    ],
)
def test_bad_member_fields_are_rejected_and_change_nothing(client, session, body, status, field):
    coordinator = CoordinatorFactory()
    before = session.scalar(select(func.count()).select_from(User))
    assert_error(
        client.post("/api/v1/members", json=body, headers=bearer(coordinator)), status, field=field
    )
    assert session.scalar(select(func.count()).select_from(User)) == before


def test_duplicate_email_is_409(client):
    existing = UserFactory()
    assert_error(
        client.post(
            "/api/v1/members",
            json={"name": "Dup", "email": existing.email},
            headers=bearer(CoordinatorFactory()),
        ),
        409,
        "email_taken",
        "email",
    )


def test_members_see_only_themselves_and_other_organisations_are_404(client):
    member = UserFactory()
    neighbour = UserFactory(organisation=member.organisation)
    outsider_coordinator = CoordinatorFactory()
    assert client.get(f"/api/v1/members/{member.id}", headers=bearer(member)).status_code == 200
    assert_error(client.get(f"/api/v1/members/{neighbour.id}", headers=bearer(member)), 404)
    assert_error(client.get(f"/api/v1/members/{neighbour.id}/account", headers=bearer(member)), 404)
    assert_error(
        client.get(f"/api/v1/members/{member.id}", headers=bearer(outsider_coordinator)), 404
    )
    own_coordinator = CoordinatorFactory(organisation=member.organisation)
    assert (
        client.get(f"/api/v1/members/{member.id}", headers=bearer(own_coordinator)).status_code
        == 200
    )
    assert_error(
        client.get(
            f"/api/v1/organisations/{member.organisation_id}/account",
            headers=bearer(outsider_coordinator),
        ),
        404,
    )


def test_huge_or_negative_ids_are_404_not_500(client):
    headers = bearer(UserFactory())
    for path in [
        "/api/v1/members/" + "9" * 30,
        "/api/v1/members/0",
        "/api/v1/members/-1",
        "/api/v1/members/abc",
    ]:
        assert_error(client.get(path, headers=headers), 404)


def test_member_list_is_paginated_in_the_body(client):
    coordinator = CoordinatorFactory()
    for _ in range(3):
        UserFactory(organisation=coordinator.organisation)
    UserFactory()  # another organisation
    body = client.get("/api/v1/members?per_page=2&page=2", headers=bearer(coordinator)).get_json()
    assert body["total"] == 4 and body["page"] == 2 and body["per_page"] == 2
    assert len(body["items"]) == 2
    assert_error(
        client.get("/api/v1/members?per_page=500", headers=bearer(coordinator)),
        422,
        field="per_page",
    )
    assert_error(client.get("/api/v1/members", headers=bearer(UserFactory())), 403)


def test_idempotency_key_replays_and_detects_mismatch(client, session):
    coordinator = CoordinatorFactory()
    headers = {**bearer(coordinator), "Idempotency-Key": "abc-123"}
    body = {"name": "Once Only"}
    first = client.post("/api/v1/members", json=body, headers=headers)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    with sql_statements() as retry:
        second = client.post("/api/v1/members", json=body, headers=headers)
    assert second.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    # The retry is answered from the stored response without running the request again. (A
    # count of members alone cannot tell: a second run would insert a member, then lose the
    # race for the stored response's unique key, roll back and replay — and still show one.)
    assert writes(retry) == []
    assert (
        session.scalar(select(func.count()).select_from(User).where(User.name == "Once Only")) == 1
    )
    assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1
    with sql_statements() as mismatch:
        assert_error(
            client.post("/api/v1/members", json={"name": "Different"}, headers=headers),
            422,
            "idempotency_mismatch",
            "Idempotency-Key",
        )
    assert writes(mismatch) == []


def test_a_keyed_post_finds_its_record_in_the_tokens_own_query(client, session):
    """The bearer token's lookup brings the caller's record for the key (one round trip, not
    two), and the replay is the same as one looked up on its own."""
    coordinator = CoordinatorFactory()
    headers = {**bearer(coordinator), "Idempotency-Key": "one-trip"}
    first = client.post("/api/v1/members", json={"name": "One Trip"}, headers=headers)
    assert first.status_code == 201
    with sql_statements() as retry:
        second = client.post("/api/v1/members", json={"name": "One Trip"}, headers=headers)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json() == first.get_json()
    # The record is looked up by its key once, inside the token's query (the replay's commit
    # then reloads it by id, as it always has).
    by_key = [s for s in retry if "idempotency_record.key =" in s.replace('"', "")]
    assert len(by_key) == 1 and "api_token" in by_key[0], by_key


def test_a_replay_on_a_tokens_first_use_is_answered(client, session):
    """A token's first use commits its "last used" before the view runs, which expires the
    record the token's query brought: the replay then looks it up afresh, and still answers."""
    coordinator = CoordinatorFactory()
    body = {"name": "First Use"}
    first = client.post(
        "/api/v1/members", json=body, headers={**bearer(coordinator), "Idempotency-Key": "k-1"}
    )
    assert first.status_code == 201
    fresh_token = {**bearer(coordinator), "Idempotency-Key": "k-1"}
    with sql_statements() as retry:
        second = client.post("/api/v1/members", json=body, headers=fresh_token)
    assert second.status_code == 201 and second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json() == first.get_json()
    # Its only write is the token's "last used" (committed before the view): nothing created.
    changed = writes(retry)
    assert changed and all(s.lstrip().upper().startswith("UPDATE API_TOKEN") for s in changed)
    assert (
        session.scalar(select(func.count()).select_from(User).where(User.name == "First Use")) == 1
    )


def test_errors_have_one_shape(client):
    headers = bearer(AdminFactory())
    assert_error(client.get("/api/v1/no-such-thing", headers=headers), 404, "not_found")
    assert_error(client.put("/api/v1/members", headers=headers), 405, "method_not_allowed")
    assert_error(
        client.post(
            "/api/v1/members", data="{nope", headers={**headers, "Content-Type": "application/json"}
        ),
        400,
        "malformed_json",
    )


def test_openapi_document_describes_the_contract(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in [
        "/api/v1/auth/token",
        "/api/v1/members",
        "/api/v1/members/{member_id}",
        "/api/v1/members/{member_id}/account",
        "/api/v1/organisations",
        "/api/v1/organisations/{organisation_id}/account",
    ]:
        assert path in spec["paths"], path
    assert "bearerAuth" in spec["components"]["securitySchemes"]


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["database"] == "ok"


def test_security_headers_are_set(client):
    response = client.get("/sign-in")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_invitation_from_the_api_is_sent_after_commit(client, session, caplog):
    import logging

    from app.mail import OutboxEmail

    caplog.set_level(logging.INFO, logger="giveandget.mail")
    response = client.post(
        "/api/v1/members",
        json={"name": "Invited", "email": "invited@example.org"},
        headers=bearer(CoordinatorFactory()),
    )
    assert response.status_code == 201
    email = session.scalar(
        select(OutboxEmail).where(OutboxEmail.to_address == "invited@example.org")
    )
    assert email.sent_at is not None
    # Sent (to the log here, with no MAIL_SERVER), and the link in it never logged (issue 15).
    assert "invited@example.org" in caplog.text and "/invitations/" not in caplog.text


def test_invitation_and_reset_links_last_as_long_as_configured(app, client, session, monkeypatch):
    """INVITATION_DAYS and PASSWORD_RESET_HOURS are read, not hard-coded in the services."""
    monkeypatch.setitem(app.config, "INVITATION_DAYS", 3)
    monkeypatch.setitem(app.config, "PASSWORD_RESET_HOURS", 5)
    coordinator = CoordinatorFactory()
    response = client.post(
        "/api/v1/members",
        json={"name": "Invited Person", "email": "invited@example.org"},
        headers=bearer(coordinator),
    )
    assert response.status_code == 201, response.get_json()
    client.post("/password/forgot", data={"email": coordinator.email})
    lifetimes = {
        token.purpose: round((token.expires_at - token.created_at) / timedelta(minutes=1))
        for token in session.scalars(select(UserToken))
    }
    assert lifetimes == {"invitation": 3 * 24 * 60, "password_reset": 5 * 60}


def test_openapi_document_lists_every_api_route_and_method(app, client):
    """The API is documented when the document is first read, not at start-up: every routed
    operation must still be in it, tagged with its blueprint."""
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {
        (path, method.upper())
        for path, operations in spec["paths"].items()
        for method in operations
        if method != "parameters"
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api-docs.openapi_json":
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<id:{argument}>", f"{{{argument}}}")
            path = path.replace(f"<{argument}>", f"{{{argument}}}")
        routed |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed and routed <= documented
    tags = {tag["name"] for tag in spec["tags"]}
    assert {"api_timebank", "api_members", "api_peers"} <= tags

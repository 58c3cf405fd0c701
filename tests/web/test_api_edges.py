"""What fuzzing found: requests at the edges get a clear 4xx, never a 500."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.timebank import exchanges, listings, views
from app.timebank.models import Exchange, Listing
from tests.factories import CoordinatorFactory, UserFactory
from tests.helpers import assert_error, bearer, sign_in


@pytest.fixture()
def coordinator(session):
    return CoordinatorFactory()


def post_raw(client, path, raw: bytes, headers):
    return client.post(path, data=raw, headers={**headers, "Content-Type": "application/json"})


def test_json_nested_too_deeply_is_malformed(client, coordinator):
    headers = bearer(coordinator)
    deep = b"[" * 5000 + b"]" * 5000
    assert_error(post_raw(client, "/api/v1/listings", deep, headers), 400, "malformed_json")
    keyed = {**headers, "Idempotency-Key": "deep"}
    assert_error(post_raw(client, "/api/v1/listings", deep, keyed), 400, "malformed_json")


@pytest.mark.parametrize("text", ["a\\u0000b", "a\\ud800b"])
def test_text_no_database_can_store_is_refused_with_the_field(client, coordinator, text):
    headers = bearer(coordinator)
    raw = ('{"kind": "offer", "title": "' + text + '", "category": "cooking"}').encode()
    assert_error(post_raw(client, "/api/v1/listings", raw, headers), 422, field="title")
    raw = ('{"email": "' + text + '", "password": "x"}').encode()
    assert_error(post_raw(client, "/api/v1/auth/token", raw, {}), 422, field="email")
    assert_error(client.get("/api/v1/listings?q=a%00b", headers=headers), 422, field="q")


def test_nul_in_a_form_is_refused_plainly(client, coordinator):
    response = client.post("/sign-in", data={"email": "a\x00b@example.org", "password": "x"})
    assert response.status_code == 422
    assert "cannot be saved" in response.get_data(
        as_text=True
    ) or "invalid character" in response.get_data(as_text=True)


def test_idempotency_key_must_be_printable(client, coordinator):
    headers = {**bearer(coordinator), "Idempotency-Key": "a\tb"}
    assert_error(
        client.post("/api/v1/members", json={"name": "X"}, headers=headers),
        422,
        field="Idempotency-Key",
    )


def test_idempotency_key_is_ignored_on_reads(client, coordinator):
    headers = {**bearer(coordinator), "Idempotency-Key": "same"}
    first = client.get("/api/v1/referrals?status=waiting", headers=headers)
    second = client.get("/api/v1/referrals?status=closed", headers=headers)
    assert first.status_code == second.status_code == 200
    assert "Idempotent-Replayed" not in second.headers


def test_non_ascii_digits_are_not_ids(client, coordinator):
    assert_error(client.get("/api/v1/members/１", headers=bearer(coordinator)), 404, "not_found")


def test_consent_must_be_json_true(client, coordinator):
    person = UserFactory(organisation=coordinator.organisation)
    body = {
        "member_id": person.id,
        "condition_codes": ["autism"],
        "support_types": ["talk"],
        "modes": ["phone"],
    }
    for value in (1, "yes", "true"):
        assert_error(
            client.post(
                "/api/v1/referrals",
                json={**body, "health_data_consent": value},
                headers=bearer(coordinator),
            ),
            422,
            "consent_required",
            "health_data_consent",
        )


def test_a_body_over_a_megabyte_is_413(client, coordinator):
    raw = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    assert_error(post_raw(client, "/api/v1/members", raw, bearer(coordinator)), 413, "too_large")


def test_documented_errors_and_times_match_what_is_sent(client, coordinator):
    spec = client.get("/api/v1/openapi.json").get_json()
    error = spec["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"error"}
    member = client.get(f"/api/v1/members/{coordinator.id}", headers=bearer(coordinator)).get_json()
    assert member["created_at"].endswith("+00:00")


@pytest.mark.parametrize(
    "path",
    [
        "/exchanges/" + "9" * 30,
        "/exchanges?page=" + "9" * 30,
        "/exchanges?page=abc",
        "/exchanges/new?listing=" + "9" * 30,
        "/exchanges/new?listing=abc",
        "/listings?page=-1",
        "/plans/new?member=" + "9" * 30,
        "/referrals?page=" + "9" * 30,
        "/members/" + "9" * 30 + "/hours",
        "/peers/" + "9" * 30,
    ],
)
def test_pages_answer_nonsense_in_urls_without_a_server_error(client, coordinator, path):
    sign_in(client, coordinator)
    assert client.get(path).status_code in (200, 404)


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "/%0A/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
    ],
)
def test_sign_in_never_redirects_off_site_or_fails(client, target):
    from tests.factories import TEST_PASSWORD

    user = UserFactory()
    response = client.post(
        f"/sign-in?next={target}", data={"email": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_very_long_duration_is_refused_at_once():
    from app.timebank.durations import InvalidDuration, parse_duration

    with pytest.raises(InvalidDuration):
        parse_duration("1" * 20000 + "x")


def assert_form_errors(response, *fields: str) -> None:
    """The form came back (200) with an error for each field: listed in the error summary,
    linked to the field, and shown beside it."""
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "govuk-error-summary" in page
    for name in fields:
        assert f'href="#{name}"' in page, f"no error summary link to {name}"
        assert f'id="{name}-error"' in page, f"no error message beside {name}"


@pytest.mark.parametrize("value", ["²", "99999999999999999999", "١"])
def test_date_and_number_boxes_with_odd_digits_are_form_errors(client, coordinator, value):
    sign_in(client, coordinator)
    response = client.post(
        "/exchanges/new",
        data={
            "occurred_on-day": value,
            "occurred_on-month": "1",
            "occurred_on-year": "2025",
            "minutes": "1h",
        },
    )
    assert_form_errors(response, "occurred_on")
    person = UserFactory(organisation=coordinator.organisation)
    response = client.post(
        "/peers/new", data={"member_id": str(person.id), "capacity": value, "travel_km": value}
    )
    assert_form_errors(response, "capacity", "travel_km")


def test_peer_notes_are_for_coordinators_only(client, coordinator):
    person = UserFactory(organisation=coordinator.organisation)
    created = client.post(
        "/api/v1/peers",
        json={
            "member_id": person.id,
            "support_types": ["talk"],
            "modes": ["phone"],
            "notes": "Private note",
        },
        headers=bearer(coordinator),
    ).get_json()
    assert created["notes"] == "Private note"
    own_view = client.get(f"/api/v1/peers/{created['id']}", headers=bearer(person)).get_json()
    assert "notes" not in own_view


def test_password_reset_emails_are_limited(client, session):

    from app.mail import OutboxEmail

    user = UserFactory()
    for _ in range(6):
        client.post("/password/forgot", data={"email": user.email})
    sent = session.scalar(
        select(func.count()).select_from(OutboxEmail).where(OutboxEmail.to_address == user.email)
    )
    assert sent == 3


def test_long_organisation_names_fit_the_invitation_subject(client, session):
    from tests.factories import AdminFactory

    admin = AdminFactory()
    organisation = client.post(
        "/api/v1/organisations", json={"name": "L" * 199}, headers=bearer(admin)
    ).get_json()
    response = client.post(
        "/api/v1/members",
        json={"name": "Invitee", "email": "inv@example.org", "organisation_id": organisation["id"]},
        headers=bearer(admin),
    )
    assert response.status_code == 201


class _DeadlockVictim(Exception):
    sqlstate = "40P01"


def test_a_deadlock_that_outlasts_the_retries_is_503_with_retry_after(
    client, session, coordinator, monkeypatch
):
    """Postings lock first so this should never happen; if it does, the client is told to
    retry, nothing is kept, and it is never a 500."""
    attempts = []

    def always_a_victim(*args, **kwargs):
        attempts.append(1)
        raise OperationalError("INSERT INTO exchange ...", {}, _DeadlockVictim())

    monkeypatch.setattr(exchanges, "record_exchange", always_a_victim)
    a = UserFactory(organisation=coordinator.organisation)
    b = UserFactory(organisation=coordinator.organisation)
    body = {
        "provider_id": a.id,
        "receiver_id": b.id,
        "minutes": 30,
        "category": "cooking",
        "occurred_on": "2026-01-05",
    }
    response = client.post("/api/v1/exchanges", json=body, headers=bearer(coordinator))
    assert_error(response, 503, "unavailable")
    assert response.headers["Retry-After"] == "1"
    assert len(attempts) == 3  # retried, then gave up
    assert session.scalar(select(func.count()).select_from(Exchange)) == 0


def test_a_page_whose_database_is_busy_answers_503_not_500(client, session, monkeypatch):
    def busy(*args, **kwargs):
        raise OperationalError("SELECT ...", {}, _DeadlockVictim())

    member = UserFactory()
    sign_in(client, member)
    monkeypatch.setattr(views, "render_template", busy)
    response = client.get("/hours")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "try again in a moment" in response.get_data(as_text=True)


def test_a_page_retries_a_deadlock_victim_once_and_keeps_one_change(client, session, monkeypatch):
    """Pages share the API's unit of work: a victim of contention is run again, and only the
    successful attempt's change is kept."""
    real = listings.create_listing
    calls = []

    def victim_then_real(*args, **kwargs):
        calls.append(1)
        listing = real(*args, **kwargs)
        if len(calls) == 1:
            raise OperationalError("UPDATE ...", {}, _DeadlockVictim())
        return listing

    monkeypatch.setattr(listings, "create_listing", victim_then_real)
    sign_in(client, UserFactory())
    response = client.post(
        "/listings/new",
        data={"kind": "offer", "title": "Dog walking", "category": "gardening"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert len(calls) == 2
    assert session.scalar(select(func.count()).select_from(Listing)) == 1


def test_a_connection_closed_under_a_request_is_503_not_500(client, session, monkeypatch):
    """A PostgreSQL restart can close a connection in the middle of a request: psycopg says
    InterfaceError ("the connection is closed"), not OperationalError. Still 503, never 500."""
    import psycopg
    from sqlalchemy.exc import InterfaceError

    from app.auth import services as auth_services

    member = UserFactory()
    headers = bearer(member)

    def closed(*args, **kwargs):
        raise InterfaceError("SELECT ...", {}, psycopg.InterfaceError("the connection is closed"))

    monkeypatch.setattr(auth_services, "user_for_api_token", closed)
    response = client.get(f"/api/v1/members/{member.id}", headers=headers)
    assert_error(response, 503, "unavailable")
    assert int(response.headers["Retry-After"]) > 0

"""What fuzzing found: requests at the edges get a clear 4xx, never a 500."""

import pytest

from tests.factories import CoordinatorFactory, UserFactory
from tests.helpers import assert_error, bearer


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
    assert_error(client.get("/api/v1/members/１", headers=bearer(coordinator)), 404)


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
            field="health_data_consent",
        )


def test_a_body_over_a_megabyte_is_413(client, coordinator):
    raw = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    assert_error(post_raw(client, "/api/v1/members", raw, bearer(coordinator)), 413)


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
    from tests.helpers import sign_in

    sign_in(client, coordinator)
    assert client.get(path).status_code in (200, 404)

"""Small helpers for web and API tests."""

from __future__ import annotations

from app.auth import services as auth
from app.clock import utcnow
from app.extensions import db
from tests.factories import TEST_PASSWORD


def bearer(user) -> dict[str, str]:
    token = auth.issue_api_token(db.session, user, utcnow())
    db.session.commit()  # a token outlives the requests that use it, even failed ones
    return {"Authorization": f"Bearer {token}"}


def sign_in(client, user, password: str = TEST_PASSWORD):
    return client.post("/sign-in", data={"email": user.email, "password": password})


def assert_error(response, status: int, code: str | None = None, field: str | None = None):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code, body
    if field:
        assert field in body["error"]["fields"], body
    return body["error"]

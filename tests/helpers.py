"""Small helpers for web and API tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from app.auth import services as auth
from app.clock import utcnow
from app.extensions import db
from tests.factories import TEST_PASSWORD


def bearer(user) -> dict[str, str]:
    token = auth.issue_api_token(db.session, user, utcnow())
    db.session.commit()  # a token outlives the requests that use it, even failed ones
    return {"Authorization": f"Bearer {token}"}


def confirmed_exchange(session, coordinator, provider, receiver, minutes: int, description: str):
    """An exchange a coordinator records between two members (confirmed at once)."""
    from app.clock import london_date
    from app.timebank import exchanges
    from tests.factories import account_of

    return exchanges.record_exchange(
        session,
        actor=coordinator,
        new=exchanges.NewExchange(
            provider=account_of(provider),
            receiver=account_of(receiver),
            minutes=minutes,
            category="cooking",
            occurred_on=london_date(utcnow()),
            description=description,
        ),
        now=utcnow(),
    )


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


@contextmanager
def sql_statements() -> Iterator[list[str]]:
    """Every SQL statement sent to the database inside the block (the test's connection)."""
    bind = db.engines[None]  # the test's connection (conftest's ``session`` fixture)
    statements: list[str] = []

    def before_cursor_execute(_conn, _cursor, statement, _parameters, _context, _many):
        statements.append(statement)

    event.listen(bind, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(bind, "before_cursor_execute", before_cursor_execute)


def writes(statements: list[str]) -> list[str]:
    """The statements that change rows."""
    return [s for s in statements if s.lstrip().split(None, 1)[0].upper() in WRITE_VERBS]


WRITE_VERBS = {"INSERT", "UPDATE", "DELETE"}

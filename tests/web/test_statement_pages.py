"""The hours page shows the statement a page at a time, in either order, and the CSV of the
whole history streams from the database a chunk at a time."""

from __future__ import annotations

import csv
import io

from app.timebank import exchanges as ex
from app.timebank import views
from tests.factories import CoordinatorFactory, OrganisationFactory, UserFactory, account_of
from tests.helpers import confirmed_exchange, sign_in


def member_with_history(session, count: int):
    organisation = OrganisationFactory()
    member = UserFactory(organisation=organisation, name="Gail Giver")
    other = UserFactory(organisation=organisation, name="Gus Getter")
    coordinator = CoordinatorFactory(organisation=organisation)
    for number in range(1, count + 1):
        provider, receiver = (member, other) if number % 3 else (other, member)
        confirmed_exchange(
            session, coordinator, provider, receiver, number, f"Exchange number {number:03d}"
        )
    session.commit()
    return member, coordinator


def test_the_hours_page_pages_the_statement_oldest_first_on_request(client, session, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 5)
    member, _ = member_with_history(session, 12)
    sign_in(client, member)
    first = client.get("/hours?order=oldest").get_data(as_text=True)
    assert "Exchange number 001" in first and "Exchange number 005" in first
    assert "Exchange number 006" not in first
    assert "oldest first, page 1 of 3" in first
    assert 'href="/hours?page=2&amp;order=oldest"' in first or (
        'href="/hours?order=oldest&amp;page=2"' in first
    )
    last = client.get("/hours?page=3&order=oldest").get_data(as_text=True)
    assert "Exchange number 011" in last and "Exchange number 012" in last
    assert "Exchange number 010" not in last


def test_newest_first_by_default_with_the_same_running_balances(client, session, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 5)
    member, _ = member_with_history(session, 12)
    sign_in(client, member)
    page = client.get("/hours").get_data(as_text=True)
    assert "newest first, page 1 of 3" in page
    assert page.index("Exchange number 012") < page.index("Exchange number 008")
    assert "Exchange number 007" not in page
    assert 'href="/hours?page=2"' in page
    oldest = client.get("/hours?order=oldest").get_data(as_text=True)
    assert "oldest first, page 1 of 3" in oldest


def test_a_coordinator_pages_a_members_statement(client, session, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 5)
    member, coordinator = member_with_history(session, 7)
    sign_in(client, coordinator)
    page = client.get(f"/members/{member.id}/hours?page=2").get_data(as_text=True)
    assert "Exchange number 001" in page and "Exchange number 003" not in page
    assert f'href="/members/{member.id}/hours?page=1"' in page


def test_the_csv_streams_the_whole_history_in_chunks(client, session, monkeypatch):
    monkeypatch.setattr(views, "CSV_CHUNK_ROWS", 5)
    member, _ = member_with_history(session, 13)
    chunks = []
    real = ex.iter_statement

    def counting(session, account, chunk=1_000):
        chunks.append(chunk)
        return real(session, account, chunk=chunk)

    monkeypatch.setattr(ex, "iter_statement", counting)
    sign_in(client, member)
    response = client.get("/hours.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    pieces = list(response.response)
    assert len(pieces) == 3  # 5 rows, 5 rows, the last 3: never the whole file at once
    body = "".join(p if isinstance(p, str) else p.decode() for p in pieces)
    assert body.startswith("\ufeffDate,")
    header, *rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == 13 and chunks == [5]
    expected = ex.statement(session, account_of(member))
    assert [int(row[6]) for row in rows] == [row.balance_after for row in expected]
    assert rows[0][2] == "Exchange number 001" and rows[-1][2] == "Exchange number 013"
    assert rows[-1][6] == str(account_of(member).balance_minutes)

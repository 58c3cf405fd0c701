"""The timebank pages: hours and statements, exchanges, listings, the directory and the chest."""

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.clock import london_date, utcnow
from app.timebank import exchanges as ex
from app.timebank import listings
from app.timebank.models import DirectoryEntry, Exchange, Listing
from app.timebank.services import organisation_account
from tests.factories import (
    ConfirmedExchangeFactory,
    CoordinatorFactory,
    ExchangeFactory,
    OrganisationFactory,
    UserFactory,
    account_of,
)
from tests.helpers import bearer, sign_in


@pytest.fixture()
def people(session):
    """An organisation with two members and a coordinator."""
    organisation = OrganisationFactory()
    giver = UserFactory(organisation=organisation, name="Gail Giver")
    getter = UserFactory(organisation=organisation, name="Gus Getter")
    coordinator = CoordinatorFactory(organisation=organisation, name="Cora Coordinator")
    return giver, getter, coordinator


def today():
    return london_date(utcnow())


def exchange_form(other, *, direction="gave", minutes="1h 30m", when=None, **extra):
    when = when or today()
    return {
        "direction": direction,
        "other": str(other.id) if hasattr(other, "id") else other,
        "minutes": minutes,
        "category": "cooking",
        "occurred_on-day": str(when.day),
        "occurred_on-month": str(when.month),
        "occurred_on-year": str(when.year),
        "description": "Cooked a meal",
        **extra,
    }


def record(session, actor, provider, receiver, minutes=60, description="", created_at=None):
    created_at = created_at or utcnow()
    exchange = ex.record_exchange(
        session,
        actor=actor,
        new=ex.NewExchange(
            provider=account_of(provider),
            receiver=account_of(receiver),
            minutes=minutes,
            category="cooking",
            occurred_on=london_date(created_at),
            description=description,
        ),
        now=created_at,
    )
    session.commit()
    return exchange


def balances(session, *people):
    session.expire_all()
    return [account_of(person).balance_minutes for person in people]


def exchange_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Exchange))


def text_of(response) -> str:
    return response.get_data(as_text=True)


def h1_count(page: str) -> int:
    return len(re.findall(r"<h1[\s>]", page))


# --- who may see which page ---------------------------------------------------------------------


MEMBER_PAGES = [
    "/hours",
    "/exchanges",
    "/exchanges/new",
    "/listings",
    "/listings/new",
    "/listings/mine",
    "/directory",
    "/directory/me",
    "/chest/donate",
]


@pytest.mark.parametrize("path", MEMBER_PAGES)
def test_member_pages_render_with_one_heading(client, people, path):
    giver, _, _ = people
    sign_in(client, giver)
    response = client.get(path)
    assert response.status_code == 200, path
    assert h1_count(text_of(response)) == 1


@pytest.mark.parametrize("path", [*MEMBER_PAGES, "/exchanges/overdue", "/chest/grant"])
def test_coordinator_pages_render_with_one_heading(client, people, path):
    _, _, coordinator = people
    sign_in(client, coordinator)
    response = client.get(path)
    assert response.status_code == 200, path
    assert h1_count(text_of(response)) == 1


@pytest.mark.parametrize("path", ["/exchanges/overdue", "/chest/grant"])
def test_coordinator_pages_are_forbidden_to_members(client, people, path):
    sign_in(client, people[0])
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/hours", "/hours.csv", "/exchanges", "/listings", "/directory"])
def test_pages_ask_people_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_coordinator_sees_a_members_hours_and_nobody_else_does(client, session, people):
    giver, getter, coordinator = people
    record(session, coordinator, giver, getter, 45)
    sign_in(client, coordinator)
    page = client.get(f"/members/{giver.id}/hours")
    assert page.status_code == 200 and "Hours for Gail Giver" in text_of(page)
    assert client.get(f"/members/{giver.id}/hours.csv").status_code == 200
    client.post("/sign-out")

    sign_in(client, getter)
    assert client.get(f"/members/{giver.id}/hours").status_code == 404
    assert client.get(f"/members/{giver.id}/hours.csv").status_code == 404
    client.post("/sign-out")

    sign_in(client, CoordinatorFactory())  # another organisation's coordinator
    assert client.get(f"/members/{giver.id}/hours").status_code == 404
    assert client.get("/members/999999/hours").status_code == 404


def test_nav_marks_the_current_section(client, people):
    sign_in(client, people[0])
    page = text_of(client.get("/exchanges"))
    assert re.search(r'href="/exchanges" aria-current="page">Exchanges<', page)
    assert 'aria-current="page">Listings<' not in page
    assert ">Members<" not in page  # members do not get the coordinators' link


# --- recording, confirming, turning down, reversing ---------------------------------------------


def test_recording_1h_30m_stores_90_minutes_pending(client, session, people):
    giver, getter, _ = people
    sign_in(client, giver)
    response = client.post("/exchanges/new", data=exchange_form(getter))
    assert response.status_code == 302
    exchange = session.scalar(select(Exchange))
    assert response.headers["Location"] == f"/exchanges/{exchange.id}"
    assert exchange.minutes == 90 and exchange.status == "pending"
    assert exchange.provider_account_id == account_of(giver).id
    assert exchange.awaiting_account_id == account_of(getter).id
    assert balances(session, giver, getter) == [0, 0]
    page = text_of(client.get(response.headers["Location"]))
    # The banner names nobody (it travels in the session cookie); the page itself names both.
    assert "waiting for the other person to confirm" in page
    assert "Gail Giver" in page and "Gus Getter" in page


def test_recording_time_received_makes_the_other_person_the_giver(client, session, people):
    giver, getter, _ = people
    sign_in(client, getter)
    client.post("/exchanges/new", data=exchange_form(giver, direction="received", minutes="45"))
    exchange = session.scalar(select(Exchange))
    assert exchange.minutes == 45
    assert exchange.provider_account_id == account_of(giver).id
    assert exchange.awaiting_account_id == account_of(giver).id


def test_member_can_record_time_given_to_the_organisation(client, session, people):
    giver, _, _ = people
    sign_in(client, giver)
    client.post("/exchanges/new", data=exchange_form("org", minutes="2"))
    exchange = session.scalar(select(Exchange))
    organisation = organisation_account(session, giver.organisation_id)
    assert exchange.minutes == 120
    assert exchange.receiver_account_id == exchange.awaiting_account_id == organisation.id


def test_bad_time_date_and_category_give_field_errors_and_save_nothing(client, session, people):
    giver, getter, _ = people
    sign_in(client, giver)
    data = exchange_form(getter, minutes="lots", category="nonsense")
    data.update({"occurred_on-day": "31", "occurred_on-month": "2"})
    response = client.post("/exchanges/new", data=data)
    page = text_of(response)
    assert response.status_code == 200
    assert "There is a problem" in page and "<title>Error: Record an exchange" in page
    assert "Enter how long it took, like 1.5, 1h 30m or 90 minutes." in page
    assert "Choose a category from the list." in page
    assert "The date must be a real date." in page
    for anchor in ("#minutes", "#category", "#occurred_on"):
        assert f'href="{anchor}"' in page
    assert 'value="lots"' in page  # what they typed comes back
    assert "govuk-input--error" in page
    assert exchange_count(session) == 0


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (
            {"occurred_on-day": "", "occurred_on-month": "", "occurred_on-year": ""},
            "Enter the date",
        ),
        ({"occurred_on-month": ""}, "The date must include a month."),
        ({"occurred_on-year": "24"}, "The year must include 4 numbers"),
        ({"occurred_on-day": "first"}, "must be a real date, written in numbers"),
        ({"occurred_on-month": "13"}, "The date must be a real date."),
    ],
)
def test_date_mistakes_are_named(client, session, people, parts, message):
    giver, getter, _ = people
    sign_in(client, giver)
    page = text_of(client.post("/exchanges/new", data={**exchange_form(getter), **parts}))
    assert message in page
    assert exchange_count(session) == 0


def test_a_date_in_the_future_is_refused_by_the_service(client, session, people):
    giver, getter, _ = people
    sign_in(client, giver)
    tomorrow = today() + timedelta(days=1)
    page = text_of(client.post("/exchanges/new", data=exchange_form(getter, when=tomorrow)))
    assert "The date must be today or in the past." in page and 'href="#occurred_on"' in page
    assert exchange_count(session) == 0


def test_nobody_chosen_and_no_direction_are_named(client, session, people):
    giver, getter, _ = people
    sign_in(client, giver)
    data = exchange_form("", direction="", minutes="")
    page = text_of(client.post("/exchanges/new", data=data))
    assert page.count("Choose who you exchanged time with.") == 2  # summary and field, once each
    assert "Choose whether you gave time or received it." in page
    # The error summary lists the problems in the order of the fields on the page.
    assert page.index('href="#direction"') < page.index('href="#other"')
    assert page.index('href="#other"') < page.index('href="#minutes"')
    assert exchange_count(session) == 0


def test_someone_from_another_organisation_cannot_be_chosen(client, session, people):
    giver, _, _ = people
    stranger = UserFactory()
    sign_in(client, giver)
    page = text_of(client.post("/exchanges/new", data=exchange_form(stranger)))
    assert "Choose who you exchanged time with." in page
    assert exchange_count(session) == 0


def test_confirming_moves_the_hours(client, session, people):
    giver, getter, _ = people
    exchange = record(session, giver, giver, getter, 90)
    sign_in(client, getter)
    waiting = text_of(client.get("/exchanges"))
    assert (
        "Waiting for you to confirm" in waiting and f"/exchanges/{exchange.id}/confirm" in waiting
    )
    response = client.post(f"/exchanges/{exchange.id}/confirm", data={"return_to": "exchanges"})
    assert response.status_code == 302 and response.headers["Location"] == "/exchanges"
    assert balances(session, giver, getter) == [90, -90]
    assert "The exchange is confirmed" in text_of(client.get("/exchanges"))


def test_turning_down_moves_nothing(client, session, people):
    giver, getter, _ = people
    exchange = record(session, giver, giver, getter, 90)
    sign_in(client, getter)
    response = client.post(f"/exchanges/{exchange.id}/reject")
    assert response.headers["Location"] == f"/exchanges/{exchange.id}"
    session.expire_all()
    assert session.get(Exchange, exchange.id).status == "rejected"
    assert balances(session, giver, getter) == [0, 0]
    assert "Turned down" in text_of(client.get(f"/exchanges/{exchange.id}"))


def test_the_recorder_cannot_confirm_their_own_record(client, session, people):
    giver, getter, _ = people
    exchange = record(session, giver, giver, getter)
    sign_in(client, giver)
    assert "Did this happen?" not in text_of(client.get(f"/exchanges/{exchange.id}"))
    assert client.post(f"/exchanges/{exchange.id}/confirm").status_code == 403
    assert balances(session, giver, getter) == [0, 0]


def test_confirm_and_turn_down_buttons_carry_a_csrf_token(app, client, session, people):
    giver, getter, _ = people
    exchange = record(session, giver, giver, getter, 30)
    sign_in(client, getter)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/exchanges/{exchange.id}/confirm").status_code == 400
        page = text_of(client.get(f"/exchanges/{exchange.id}"))
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post(f"/exchanges/{exchange.id}/confirm", data={"csrf_token": token})
        assert response.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert balances(session, giver, getter) == [30, -30]


def test_someone_else_cannot_see_or_settle_an_exchange(client, session, people):
    giver, getter, _ = people
    exchange = record(session, giver, giver, getter)
    sign_in(client, UserFactory(organisation=giver.organisation))
    assert client.get(f"/exchanges/{exchange.id}").status_code == 404
    assert client.post(f"/exchanges/{exchange.id}/confirm").status_code == 404
    assert client.post(f"/exchanges/{exchange.id}/reject").status_code == 404


def test_a_balance_limit_shows_the_message_and_moves_nothing(client, session):
    organisation = OrganisationFactory(min_balance_minutes=-60)
    giver = UserFactory(organisation=organisation, name="Gail Giver")
    getter = UserFactory(organisation=organisation, name="Gus Getter")
    exchange = record(session, giver, giver, getter, 90)
    sign_in(client, getter)
    response = client.post(f"/exchanges/{exchange.id}/confirm")
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "cannot go below minus 1 hour" in page and "Nothing has been moved." in page
    assert "Important" in page
    assert balances(session, giver, getter) == [0, 0]
    session.expire_all()
    assert session.get(Exchange, exchange.id).status == "pending"


def test_confirming_twice_says_it_is_already_confirmed(client, session, people):
    giver, getter, coordinator = people
    exchange = record(session, giver, giver, getter, 30)
    ex.confirm_exchange(session, actor=getter, exchange_id=exchange.id, now=utcnow())
    session.commit()
    sign_in(client, coordinator)
    response = client.post(f"/exchanges/{exchange.id}/confirm")
    page = text_of(client.get(response.headers["Location"]))
    assert "This exchange has already been confirmed." in page
    assert balances(session, giver, getter) == [30, -30]


def test_coordinator_records_on_behalf_and_it_is_confirmed(client, session, people):
    giver, getter, coordinator = people
    sign_in(client, coordinator)
    page = text_of(client.get("/exchanges/new"))
    assert "Who gave the time?" in page and 'name="direction"' not in page
    data = exchange_form(None, minutes="90 minutes")
    del data["direction"], data["other"]
    data.update(provider_id=str(giver.id), receiver_id=str(getter.id))
    response = client.post("/exchanges/new", data=data)
    assert response.status_code == 302
    exchange = session.scalar(select(Exchange))
    assert exchange.status == "confirmed" and exchange.minutes == 90
    assert balances(session, giver, getter) == [90, -90]
    assert "recorded and confirmed" in text_of(client.get(response.headers["Location"]))


def test_coordinator_can_pay_a_member_from_the_organisation(client, session, people):
    giver, _, coordinator = people
    sign_in(client, coordinator)
    data = exchange_form(None, minutes="1")
    del data["direction"], data["other"]
    data.update(provider_id="org", receiver_id=str(giver.id))
    client.post("/exchanges/new", data=data)
    assert balances(session, giver) == [-60]


def test_coordinator_on_behalf_past_a_limit_shows_why_and_saves_nothing(client, session):
    organisation = OrganisationFactory(max_balance_minutes=60)
    giver = UserFactory(organisation=organisation)
    getter = UserFactory(organisation=organisation)
    sign_in(client, CoordinatorFactory(organisation=organisation))
    data = exchange_form(None, minutes="2")
    del data["direction"], data["other"]
    data.update(provider_id=str(giver.id), receiver_id=str(getter.id))
    page = text_of(client.post("/exchanges/new", data=data))
    assert "cannot go above 1 hour" in page
    assert "This is more time than the balance allows." in page
    assert exchange_count(session) == 0


def test_coordinator_cannot_name_the_same_side_twice(client, session, people):
    giver, _, coordinator = people
    sign_in(client, coordinator)
    data = exchange_form(None)
    del data["direction"], data["other"]
    data.update(provider_id=str(giver.id), receiver_id=str(giver.id))
    page = text_of(client.post("/exchanges/new", data=data))
    assert "Someone cannot exchange time with themselves." in page
    assert 'href="#receiver_id"' in page
    assert exchange_count(session) == 0


def test_coordinator_reverses_a_confirmed_exchange(client, session, people):
    giver, getter, coordinator = people
    exchange = record(session, coordinator, giver, getter, 60)
    sign_in(client, coordinator)
    assert "Reverse this exchange" in text_of(client.get(f"/exchanges/{exchange.id}"))
    empty = client.post(f"/exchanges/{exchange.id}/reverse", data={"reason": " "})
    assert empty.status_code == 200 and "Enter a reason." in text_of(empty)
    assert balances(session, giver, getter) == [60, -60]
    response = client.post(f"/exchanges/{exchange.id}/reverse", data={"reason": "Entered twice"})
    assert response.status_code == 302
    assert balances(session, giver, getter) == [0, 0]
    page = text_of(client.get(response.headers["Location"]))
    assert "Entered twice" in page and "Reversed" in page
    again = client.post(f"/exchanges/{exchange.id}/reverse", data={"reason": "Once more"})
    assert "already been reversed" in text_of(client.get(again.headers["Location"]))


def test_members_cannot_reverse(client, session, people):
    giver, getter, coordinator = people
    exchange = record(session, coordinator, giver, getter, 60)
    sign_in(client, giver)
    assert "Reverse this exchange" not in text_of(client.get(f"/exchanges/{exchange.id}"))
    response = client.post(f"/exchanges/{exchange.id}/reverse", data={"reason": "Mine now"})
    assert response.status_code == 403
    assert balances(session, giver, getter) == [60, -60]


def test_exchanges_are_paginated_fifty_a_page(client, session, people):
    giver, getter, coordinator = people
    for number in range(52):
        record(session, coordinator, giver, getter, 1, description=f"Task {number}")
    sign_in(client, giver)
    first = text_of(client.get("/exchanges"))
    assert "Task 51" in first and "Task 1<" not in first
    assert 'href="/exchanges?page=2"' in first
    second = text_of(client.get("/exchanges?page=2"))
    assert "Task 1<" in second and "Task 0<" in second and "Task 51" not in second
    assert client.get("/exchanges?page=nonsense").status_code == 200


def test_overdue_lists_old_pending_exchanges_with_who_must_confirm(client, session, people):
    giver, getter, coordinator = people
    record(session, giver, giver, getter, 30, created_at=utcnow() - timedelta(days=10))
    record(session, giver, giver, getter, 20)  # recent: not overdue
    sign_in(client, coordinator)
    page = text_of(client.get("/exchanges/overdue"))
    assert "30 minutes from Gail Giver to Gus Getter" in page
    assert "20 minutes" not in page
    assert re.search(r"Gus Getter</td>\s*<td[^>]*>10</td>", page)


# --- a listing leads to an exchange -------------------------------------------------------------


def test_proposing_from_a_listing_prefills_and_links_it(client, session, people):
    giver, getter, _ = people
    listing = listings.create_listing(
        session,
        actor=giver,
        new=listings.NewListing(kind="offer", title="Help in the garden", category="gardening"),
        now=utcnow(),
    )
    session.commit()
    sign_in(client, getter)
    detail = text_of(client.get(f"/listings/{listing.id}"))
    assert f"/exchanges/new?listing={listing.id}" in detail
    page = text_of(client.get(f"/exchanges/new?listing={listing.id}"))
    assert re.search(rf'<option selected value="{giver.id}">', page)
    assert '<option selected value="gardening">' in page
    assert re.search(r'value="received" checked', page)
    assert "Help in the garden" in page
    data = exchange_form(giver, direction="received", category="gardening")
    response = client.post(f"/exchanges/new?listing={listing.id}", data=data)
    assert response.status_code == 302
    exchange = session.scalar(select(Exchange))
    assert (
        exchange.listing_id == listing.id and exchange.provider_account_id == account_of(giver).id
    )


def test_a_listing_from_another_organisation_is_not_found(client, session, people):
    stranger = UserFactory()
    listing = listings.create_listing(
        session,
        actor=stranger,
        new=listings.NewListing(kind="offer", title="Elsewhere", category="other"),
        now=utcnow(),
    )
    session.commit()
    sign_in(client, people[0])
    assert client.get(f"/exchanges/new?listing={listing.id}").status_code == 404
    assert client.get(f"/listings/{listing.id}").status_code == 404


# --- hours and the statement --------------------------------------------------------------------


def test_hours_page_shows_the_statement_with_running_balance(client, session, people):
    giver, getter, coordinator = people
    record(session, coordinator, giver, getter, 90, description="Cooked a meal")
    record(session, coordinator, getter, giver, 30, description="Fixed a shelf")
    sign_in(client, giver)
    page = text_of(client.get("/hours"))
    assert "Your hours" in page and "1 hour" in page
    assert "minus 10 hours" in page and "100 hours" in page  # the limits in words
    assert "<caption" in page and 'scope="col"' in page
    assert page.index("Fixed a shelf") < page.index("Cooked a meal")  # newest first
    assert "1 hour 30 minutes" in page and "Gus Getter" in page
    assert 'href="/hours.csv"' in page


def test_csv_has_the_running_balance_and_escapes_formulas(client, session, people):
    giver, getter, coordinator = people
    record(session, coordinator, giver, getter, 90, description='=HYPERLINK("http://x")')
    record(session, coordinator, getter, giver, 120, description="+1 then -1")
    record(session, coordinator, giver, getter, 15, description="@SUM(A1)")
    sign_in(client, giver)
    response = client.get("/hours.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    header, *body = rows
    assert header[4:] == ["Minutes", "Hours", "Balance after (minutes)", "Balance after (hours)"]
    assert [row[4] for row in body] == ["90", "-120", "15"]
    assert [row[6] for row in body] == ["90", "-30", "-15"]
    assert [row[7] for row in body] == ["1.50", "-0.50", "-0.25"]
    assert [row[2] for row in body] == ['\'=HYPERLINK("http://x")', "'+1 then -1", "'@SUM(A1)"]
    assert body[0][0] == today().isoformat() and body[0][3] == "Gus Getter"


def test_csv_escapes_a_name_that_looks_like_a_formula(client, session, people):
    giver, _, coordinator = people
    trickster = UserFactory(organisation=giver.organisation, name="-2+3")
    record(session, coordinator, giver, trickster, 10)
    sign_in(client, giver)
    body = list(csv.reader(io.StringIO(client.get("/hours.csv").get_data().decode("utf-8-sig"))))
    assert body[1][3] == "'-2+3"


# --- listings -----------------------------------------------------------------------------------


def test_creating_a_listing(client, session, people):
    giver, _, _ = people
    sign_in(client, giver)
    response = client.post(
        "/listings/new",
        data={
            "kind": "offer",
            "title": "Lifts to the shops",
            "category": "transport",
            "availability": "Tuesdays",
        },
    )
    assert response.status_code == 302
    listing = session.scalar(select(Listing))
    assert listing.user_id == giver.id and listing.expires_on > today()
    assert "Lifts to the shops" in text_of(client.get("/listings/mine"))


def test_a_bad_listing_names_each_field_and_saves_nothing(client, session, people):
    sign_in(client, people[0])
    page = text_of(client.post("/listings/new", data={"category": "nonsense", "title": " "}))
    assert "Choose whether you are offering help or asking for it." in page
    assert "Enter a short title" in page and "Choose a category from the list." in page
    assert session.scalar(select(func.count()).select_from(Listing)) == 0


def _listing(session, user, title, category="gardening", kind="offer", description=""):
    listing = listings.create_listing(
        session,
        actor=user,
        new=listings.NewListing(kind=kind, title=title, category=category, description=description),
        now=utcnow(),
    )
    session.commit()
    return listing


def test_searching_listings_by_keyword_category_and_kind(client, session, people):
    giver, getter, _ = people
    _listing(session, giver, "Weeding and pruning", "gardening")
    _listing(session, getter, "Need a lift to hospital", "transport", kind="request")
    _listing(
        session, getter, "Baking for the sale", "cooking", description="Cakes for the garden party"
    )
    _listing(session, UserFactory(), "Garden help elsewhere", "gardening")  # another organisation
    sign_in(client, giver)
    everything = text_of(client.get("/listings"))
    assert "Weeding and pruning" in everything and "Need a lift" in everything
    assert "elsewhere" not in everything
    garden = text_of(client.get("/listings?q=garden"))
    assert "Baking for the sale" in garden and "Need a lift" not in garden
    assert "Weeding and pruning" not in garden
    gardening = text_of(client.get("/listings?category=gardening"))
    assert "Weeding and pruning" in gardening and "Baking" not in gardening
    requests = text_of(client.get("/listings?kind=request"))
    assert "Need a lift" in requests and "Weeding" not in requests
    bad = client.get("/listings?kind=everything")
    assert bad.status_code == 200 and "Choose offers, requests or both." in text_of(bad)


def test_owner_withdraws_and_renews_but_others_cannot(client, session, people):
    giver, getter, coordinator = people
    listing = _listing(session, giver, "Weeding")
    sign_in(client, getter)
    detail = text_of(client.get(f"/listings/{listing.id}"))
    assert "Withdraw" not in detail
    assert client.post(f"/listings/{listing.id}/withdraw").status_code == 403
    client.post("/sign-out")

    sign_in(client, giver)
    own = text_of(client.get(f"/listings/{listing.id}"))
    assert "Propose an exchange" not in own and "Withdraw" in own
    assert client.post(f"/listings/{listing.id}/withdraw").status_code == 302
    assert "Weeding" not in text_of(client.get("/listings"))
    assert "Withdrawn" in text_of(client.get("/listings/mine"))
    client.post("/sign-out")

    sign_in(client, coordinator)
    assert client.post(f"/listings/{listing.id}/renew").status_code == 302
    assert "Weeding" in text_of(client.get("/listings"))


# --- the directory ------------------------------------------------------------------------------


def test_directory_shows_only_what_each_member_chose(client, session, people):
    giver, getter, coordinator = people
    sign_in(client, giver)
    response = client.post(
        "/directory/me",
        data={"listed": "y", "show_district": "y", "about": "I like gardening"},
    )
    assert response.status_code == 302
    client.post("/sign-out")
    entry = session.get(DirectoryEntry, giver.id)
    assert entry.listed and entry.show_district and not entry.show_email
    session.add(DirectoryEntry(user_id=getter.id, listed=False, show_email=True))
    session.commit()
    _listing(session, giver, "Weeding and pruning")

    sign_in(client, coordinator)
    page = text_of(client.get("/directory"))
    assert "Gail Giver" in page and "I like gardening" in page and "LS6" in page
    assert "Weeding and pruning" in page
    assert giver.email not in page and "LS6 2AB" not in page
    assert "Gus Getter" not in page and getter.email not in page


def test_directory_form_shows_the_current_choices(client, session, people):
    giver, _, _ = people
    session.add(DirectoryEntry(user_id=giver.id, listed=True, show_email=True, about="Hi"))
    session.commit()
    sign_in(client, giver)
    page = text_of(client.get("/directory/me"))
    assert re.search(r'id="listed" name="listed" type="checkbox" value="y" checked', page)
    assert re.search(r'id="show_email"[^>]*checked', page)
    assert not re.search(r'id="show_district"[^>]*checked', page)
    client.post("/directory/me", data={"about": "Hi"})  # nothing ticked: unlisted
    session.expire_all()
    assert not session.get(DirectoryEntry, giver.id).listed


# --- the community chest ------------------------------------------------------------------------


def test_member_donates_earned_hours_to_the_chest(client, session, people):
    giver, getter, coordinator = people
    record(session, coordinator, giver, getter, 120)
    sign_in(client, giver)
    assert "In the chest now" in text_of(client.get("/chest/donate"))
    response = client.post("/chest/donate", data={"minutes": "1h"})
    assert response.status_code == 302
    session.expire_all()
    chest = organisation_account(session, giver.organisation_id, "chest")
    assert chest.balance_minutes == 60 and balances(session, giver) == [60]
    too_much = text_of(client.post("/chest/donate", data={"minutes": "2"}))
    assert "This is more than your balance." in too_much and 'href="#minutes"' in too_much
    nonsense = text_of(client.post("/chest/donate", data={"minutes": "a bit"}))
    assert "Enter how long it took" in nonsense
    assert balances(session, giver) == [60]


def test_coordinator_grants_hours_from_the_chest(client, session, people):
    giver, getter, coordinator = people
    chest = organisation_account(session, giver.organisation_id, "chest")
    record(session, coordinator, giver, getter, 180)
    ex.donate_to_chest(session, actor=giver, minutes=120, now=utcnow())
    session.commit()
    sign_in(client, coordinator)
    page = text_of(client.get("/chest/grant"))
    assert "2 hours" in page and "Gus Getter" in page
    missing_reason = text_of(
        client.post("/chest/grant", data={"member_id": str(getter.id), "minutes": "1"})
    )
    assert "Say why the hours are granted." in missing_reason
    response = client.post(
        "/chest/grant",
        data={"member_id": str(getter.id), "minutes": "1h 30m", "reason": "Settling in"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/members/{getter.id}/hours"
    assert balances(session, getter) == [-180 + 90]
    session.expire_all()
    assert session.get(type(chest), chest.id).balance_minutes == 30
    too_much = text_of(
        client.post(
            "/chest/grant",
            data={"member_id": str(getter.id), "minutes": "1", "reason": "More"},
        )
    )
    assert "cannot go below" in too_much
    assert balances(session, getter) == [-90]


def test_recorder_withdraws_a_pending_exchange_from_its_page(client, session):
    from app.timebank.models import Exchange
    from tests.factories import OrganisationFactory, UserFactory, account_of
    from tests.helpers import sign_in as web_sign_in

    organisation = OrganisationFactory()
    giver, getter = UserFactory(organisation=organisation), UserFactory(organisation=organisation)
    web_sign_in(client, giver)
    client.post(
        "/exchanges/new",
        data={
            "direction": "gave",
            "other": str(getter.id),
            "minutes": "1h",
            "category": "cooking",
            "occurred_on-day": "1",
            "occurred_on-month": "1",
            "occurred_on-year": "2025",
        },
    )
    exchange = session.query(Exchange).filter_by(provider_account_id=account_of(giver).id).one()
    page = client.get(f"/exchanges/{exchange.id}").get_data(as_text=True)
    assert "Recorded by mistake?" in page
    assert client.post(f"/exchanges/{exchange.id}/withdraw").status_code == 302
    session.refresh(exchange)
    assert exchange.status == "withdrawn"


def _page_actions(client, exchange_id) -> set[str]:
    body = client.get(f"/exchanges/{exchange_id}").get_data(as_text=True)
    shown = {
        "confirm": f"/exchanges/{exchange_id}/confirm" in body,
        "reject": f"/exchanges/{exchange_id}/reject" in body,
        "withdraw": f"/exchanges/{exchange_id}/withdraw" in body,
        "reverse": f"/exchanges/{exchange_id}/reverse" in body,
        "dispute": f"/exchanges/{exchange_id}/dispute" in body,
    }
    return {action for action, present in shown.items() if present}


def test_page_and_api_offer_the_same_actions_on_an_exchange(client, session):
    """The page's buttons and the API's allowed_actions come from one read model; a coordinator
    who took part in an exchange is never offered a Reverse the service would refuse."""
    coordinator = CoordinatorFactory()
    other_coordinator = CoordinatorFactory(organisation=coordinator.organisation)
    member = UserFactory(organisation=coordinator.organisation)
    took_part = ConfirmedExchangeFactory(provider=coordinator, receiver=member)
    pending = ExchangeFactory(provider=member, receiver=other_coordinator)
    cases = [
        (coordinator, took_part, set()),
        (other_coordinator, took_part, {"reverse"}),
        (member, took_part, set()),
        (member, pending, {"withdraw"}),
        # she is the one asked to confirm, so she may dispute it too
        (other_coordinator, pending, {"confirm", "reject", "dispute"}),
        (coordinator, pending, {"confirm", "reject"}),
    ]
    for actor, exchange, expected in cases:
        api = client.get(f"/api/v1/exchanges/{exchange.id}", headers=bearer(actor)).get_json()
        assert set(api["allowed_actions"]) == expected, (actor.name, exchange.id)
        sign_in(client, actor)
        assert _page_actions(client, exchange.id) == expected, (actor.name, exchange.id)
        client.post("/sign-out")
    # what is offered is what the service allows
    response = client.post(
        f"/api/v1/exchanges/{took_part.id}/reverse",
        json={"reason": "Typo"},
        headers=bearer(coordinator),
    )
    assert response.status_code == 403

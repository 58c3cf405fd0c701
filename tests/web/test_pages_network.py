"""Pages: partnerships, partners' listings and directory, and moving members in."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from app.auth.models import User
from app.timebank.models import Exchange, Partnership
from tests.factories import (
    CoordinatorFactory,
    DirectoryEntryFactory,
    ListingFactory,
    OrganisationFactory,
    PartnershipFactory,
    UserFactory,
)
from tests.helpers import sign_in
from tests.timeoverflow_export import timeoverflow_export


def test_a_coordinator_proposes_and_the_partner_accepts_on_the_page(client, session):
    ours, theirs = OrganisationFactory(), OrganisationFactory(name="Hillside Church")
    proposer, accepter = (
        CoordinatorFactory(organisation=ours),
        CoordinatorFactory(organisation=theirs),
    )
    sign_in(client, proposer)
    page = client.get("/partnerships")
    assert page.status_code == 200 and "Hillside Church" in page.get_data(as_text=True)
    bad = client.post(
        "/partnerships", data={"partner_organisation_id": str(theirs.id), "limit": "soon"}
    )
    assert bad.status_code == 422 and "There is a problem" in bad.get_data(as_text=True)
    done = client.post(
        "/partnerships", data={"partner_organisation_id": str(theirs.id), "limit": "50"}
    )
    assert done.status_code == 302
    partnership = session.scalar(select(Partnership))
    assert partnership.limit_minutes == 3000 and partnership.status == "proposed"
    client.post("/sign-out")
    sign_in(client, accepter)
    assert "Proposed to you" in client.get("/partnerships").get_data(as_text=True)
    client.post(f"/partnerships/{partnership.id}/accept")
    session.refresh(partnership)
    assert partnership.status == "active"


def test_members_find_partners_listings_and_directory_with_the_organisation_name(client, session):
    partnership = PartnershipFactory()
    member = UserFactory(organisation=partnership.organisation)
    partner = UserFactory(organisation=partnership.partner_organisation, email="p@example.org")
    stranger = UserFactory()  # no partnership
    DirectoryEntryFactory(user=partner, show_email=True, about="Retired joiner")
    ListingFactory(user=partner, title="I can fix a bike")
    ListingFactory(user=stranger, title="I can bake bread")
    sign_in(client, member)
    listings = client.get("/listings").get_data(as_text=True)
    assert "I can fix a bike" in listings and partnership.partner_organisation.name in listings
    assert "I can bake bread" not in listings
    directory = client.get("/directory").get_data(as_text=True)
    assert partner.name in directory and partnership.partner_organisation.name in directory
    # What the partner's member chose to show their own organisation stays there.
    assert "p@example.org" not in directory and "Retired joiner" not in directory
    form = client.get("/exchanges/new").get_data(as_text=True)
    assert partner.name in form and stranger.name not in form


def test_no_page_shows_the_other_organisations_member_data(client, session):
    partnership = PartnershipFactory()
    theirs = UserFactory(
        organisation=partnership.partner_organisation,
        email="their.member@example.org",
        postcode="LS6 2AB",
    )
    coordinator = CoordinatorFactory(organisation=partnership.organisation)
    sign_in(client, coordinator)
    for path in (f"/members/{theirs.id}", f"/members/{theirs.id}/hours"):
        assert client.get(path).status_code == 404, path
    members = client.get("/members").get_data(as_text=True)
    assert theirs.name not in members and "their.member@example.org" not in members


def test_a_coordinator_uploads_checks_and_confirms_an_import(client, session):
    coordinator = CoordinatorFactory(organisation=OrganisationFactory())
    members, transfers, source = timeoverflow_export(12, 60)
    sign_in(client, coordinator)
    assert client.get("/import").status_code == 200
    checked = client.post(
        "/import",
        data={
            "source": "timeoverflow",
            "encoding": "utf-8",
            "members": (io.BytesIO(members), "members.csv"),
            "transfers": (io.BytesIO(transfers), "transfers.csv"),
        },
        content_type="multipart/form-data",
    )
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200, page
    assert "Every member's balance equals the source's." in page
    count = lambda: session.scalar(  # noqa: E731
        select(func.count())
        .select_from(User)
        .where(User.organisation_id == coordinator.organisation_id)
    )
    assert count() == 1  # the dry run wrote nothing
    token = page.split("/import/")[1].split("/confirm")[0]
    confirmed = client.post(f"/import/{token}/confirm")
    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    assert count() == 13
    assert session.scalar(select(func.count()).select_from(Exchange)) == 60


def test_bad_rows_are_listed_on_the_page_and_nothing_is_imported(client, session):
    coordinator = CoordinatorFactory(organisation=OrganisationFactory())
    sign_in(client, coordinator)
    response = client.post(
        "/import",
        data={
            "source": "timeoverflow",
            "encoding": "utf-8",
            "members": (io.BytesIO(b"1,2020-01-01,Ann,Lee,,1,,,,\n"), "members.csv"),
            "transfers": (io.BytesIO(b"1,member,7,member,60,x,\n"), "transfers.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "transfers.csv, line 1: destination_id &#39;7&#39; is not a member_uid" in (
        response.get_data(as_text=True)
    )


def test_members_cannot_import_or_propose(client, session):
    member = UserFactory()
    sign_in(client, member)
    assert client.get("/import").status_code == 403
    assert client.post("/partnerships", data={}).status_code == 403
    assert client.get("/partnerships").status_code == 200


def test_the_report_page_says_how_many_minutes_flowed_each_way(client, session):
    from app.clock import london_date, utcnow
    from tests.factories import ConfirmedExchangeFactory

    partnership = PartnershipFactory()
    ours = UserFactory(organisation=partnership.organisation)
    theirs = UserFactory(organisation=partnership.partner_organisation)
    ConfirmedExchangeFactory(provider=ours, receiver=theirs, minutes=75)
    sign_in(client, CoordinatorFactory(organisation=partnership.organisation))
    today = london_date(utcnow()).isoformat()
    page = client.get(f"/reports?start={today}&end={today}").get_data(as_text=True)
    assert "With partner organisations" in page
    assert partnership.partner_organisation.name in page
    # One person on our side: the row's figures are suppressed, the headline hours are not.
    assert "Hours given to partner organisations" in page
    assert "Hours received from partner organisations" in page


def test_a_coordinator_invites_an_imported_member_when_ready(client, session):
    from app.clock import london_date, utcnow
    from app.mail import OutboxEmail
    from app.timebank import imports

    coordinator = CoordinatorFactory(organisation=OrganisationFactory())
    book = imports.read_timeoverflow(
        members=b"1,2020-01-01,Ann,Lee,,1,,,,ann@example.org\n",
        transfers=b"",
        members_file="m.csv",
        transfers_file="t.csv",
        today=london_date(utcnow()),
    )
    imports.apply_import(
        session,
        actor=coordinator,
        organisation_id=coordinator.organisation_id,
        book=book,
        now=utcnow(),
    )
    session.commit()
    outbox = lambda: session.scalar(select(func.count()).select_from(OutboxEmail))  # noqa: E731
    assert outbox() == 0
    ann = session.scalar(select(User).where(User.email == "ann@example.org"))
    sign_in(client, coordinator)
    assert "Invite" in client.get("/members").get_data(as_text=True)
    assert client.post(f"/members/{ann.id}/invite").status_code == 302
    assert outbox() == 1
    outsider = CoordinatorFactory()
    client.post("/sign-out")
    sign_in(client, outsider)
    assert client.post(f"/members/{ann.id}/invite").status_code == 404
    assert outbox() == 1

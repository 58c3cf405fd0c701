"""The matching pages through the test client: candidates and Why not?, propose, the peer's
view before and after the introduction, support time, and the batch."""

from __future__ import annotations

import re

import pytest

from app.clock import london_date, utcnow
from app.mail import OutboxEmail
from app.matching.models import Match
from tests.helpers import sign_in
from tests.matching_network import network, place


@pytest.fixture()
def net(session):
    n = network()
    place("LS6 2AB", 0)
    place("LS6 3AA", 1.8)
    place("LS20 1AA", 30)
    return n


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_coordinator_sees_candidates_asks_why_not_and_proposes(client, session, net):
    referral = net.referral(codes=["multiple_sclerosis"], languages=["Punjabi"])
    best = net.peer("LS6 3AA", ["multiple_sclerosis"], languages=["Punjabi"])
    excluded = net.peer("LS6 3AA", ["multiple_sclerosis"], paused=True)
    sign_in(client, net.coordinator)
    page = client.get(f"/referrals/{referral.id}/candidates")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count("<h1") == 1
    assert best.member.name in html and "Speaks Punjabi" in html
    assert excluded.member.name + " <span" not in html  # not among the candidates
    why = client.get(f"/referrals/{referral.id}/candidates?peer={excluded.id}").get_data(
        as_text=True
    )
    assert "has paused peer support for now." in why
    assert "does not speak Punjabi." in why
    proposed = client.post(
        f"/referrals/{referral.id}/propose", data={"csrf_token": _csrf(html), "peer_id": best.id}
    )
    assert proposed.status_code == 302
    match = session.query(Match).one()
    assert proposed.headers["Location"].endswith(f"/matches/{match.id}")
    # The peer's email went out after the commit, as every page's unit of work sends it.
    [email] = session.query(OutboxEmail).filter_by(to_address=best.member.email).all()
    assert email.sent_at is not None


def test_peer_sees_only_what_they_need_until_the_introduction(client, session, net):
    referral = net.referral(codes=["multiple_sclerosis"])
    peer = net.peer("LS6 3AA", ["multiple_sclerosis"])
    sign_in(client, net.coordinator)
    html = client.get(f"/referrals/{referral.id}/candidates").get_data(as_text=True)
    client.post(
        f"/referrals/{referral.id}/propose", data={"csrf_token": _csrf(html), "peer_id": peer.id}
    )
    match = session.query(Match).one()
    client.post("/sign-out", data={"csrf_token": _csrf(html)})
    client.get("/sign-out")
    sign_in(client, peer.member)
    page = client.get(f"/matches/{match.id}").get_data(as_text=True)
    assert "Someone would like your support" in page
    assert "LS6" in page and "Multiple sclerosis" in page
    assert referral.member.name not in page and referral.member.email not in page
    assert "LS6 2AB" not in page
    accepted = client.post(f"/matches/{match.id}/accept", data={"csrf_token": _csrf(page)})
    assert accepted.status_code == 302
    still = client.get(f"/matches/{match.id}").get_data(as_text=True)
    assert referral.member.name not in still
    client.get("/sign-out")
    client.post("/sign-out", data={"csrf_token": _csrf(still)})
    sign_in(client, referral.member)
    mine = client.get(f"/matches/{match.id}").get_data(as_text=True)
    assert (
        client.post(f"/matches/{match.id}/introduce", data={"csrf_token": _csrf(mine)}).status_code
        == 302
    )
    client.post("/sign-out", data={"csrf_token": _csrf(mine)})
    sign_in(client, peer.member)
    after = client.get(f"/matches/{match.id}").get_data(as_text=True)
    assert f"Supporting {referral.member.name}" in after
    today = london_date(utcnow())
    logged = client.post(
        f"/matches/{match.id}/support",
        data={
            "csrf_token": _csrf(after),
            "minutes": "90",
            "description": "Wrote the plan",
            "occurred_on-day": str(today.day),
            "occurred_on-month": str(today.month),
            "occurred_on-year": str(today.year),
        },
    )
    assert logged.status_code == 302, logged.get_data(as_text=True)
    assert "Wrote the plan" in client.get(f"/matches/{match.id}").get_data(as_text=True)


def test_decline_without_a_reason_shows_the_error_summary(client, session, net):
    referral = net.referral()
    peer = net.peer("LS6 3AA")
    sign_in(client, net.coordinator)
    html = client.get(f"/referrals/{referral.id}/candidates").get_data(as_text=True)
    client.post(
        f"/referrals/{referral.id}/propose", data={"csrf_token": _csrf(html), "peer_id": peer.id}
    )
    match = session.query(Match).one()
    page = client.get(f"/matches/{match.id}").get_data(as_text=True)
    refused = client.post(
        f"/matches/{match.id}/decline", data={"csrf_token": _csrf(page), "reason": ""}
    )
    assert refused.status_code == 422
    assert "There is a problem" in refused.get_data(as_text=True)
    assert "Enter why you are declining." in refused.get_data(as_text=True)


def test_batch_page_is_a_dry_run_until_confirmed(client, session, net):
    net.peer("LS6 3AA", ["multiple_sclerosis"], capacity=2)
    referrals = [net.referral(codes=["multiple_sclerosis"]) for _ in range(2)]
    sign_in(client, net.coordinator)
    page = client.get("/matching/batch")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Match everyone waiting" in html
    assert all(r.status == "waiting" for r in referrals)
    pairs = re.search(
        r'name="pairs" type="hidden" value="([^"]+)"|id="pairs" name="pairs" type="hidden" value="([^"]+)"',
        html,
    )
    value = next(g for g in pairs.groups() if g)
    done = client.post("/matching/batch", data={"csrf_token": _csrf(html), "pairs": value})
    assert done.status_code == 302
    session.expire_all()
    assert all(r.status == "proposed" for r in referrals)
    after = client.get("/matches").get_data(as_text=True)
    assert "2 peers asked." in after


def test_confirming_an_empty_batch_says_so_in_the_reader_s_language(client, session, net):
    sign_in(client, net.coordinator)
    urdu = {"Accept-Language": "ur"}
    html = client.get("/matching/batch", headers=urdu).get_data(as_text=True)
    done = client.post(
        "/matching/batch", data={"csrf_token": _csrf(html), "pairs": ""}, headers=urdu
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/matching/batch")
    again = client.get("/matching/batch", headers=urdu).get_data(as_text=True)
    assert "تصدیق کرنے کے لیے کچھ نہیں تھا۔" in again


def test_members_cannot_see_candidates_or_the_batch(client, session, net):
    referral = net.referral()
    sign_in(client, net.person())
    assert client.get(f"/referrals/{referral.id}/candidates").status_code == 404
    assert client.get("/matching/batch").status_code == 403


def test_reasons_and_why_not_are_said_in_urdu_and_in_english_as_written(client, session, net):
    referral = net.referral(codes=["multiple_sclerosis"], languages=["Punjabi", "Urdu"])
    best = net.peer("LS6 3AA", ["multiple_sclerosis"], languages=["Punjabi"])
    excluded = net.peer("LS6 3AA", ["multiple_sclerosis"], paused=True, languages=["English"])
    sign_in(client, net.coordinator)
    urdu = {"Accept-Language": "ur"}
    html = client.get(f"/referrals/{referral.id}/candidates", headers=urdu).get_data(as_text=True)
    assert best.member.name in html
    assert "Punjabi بولتے ہیں" in html and "1.8 کلومیٹر دور" in html
    assert "Speaks Punjabi" not in html and "km away" not in html
    why = client.get(
        f"/referrals/{referral.id}/candidates?peer={excluded.id}", headers=urdu
    ).get_data(as_text=True)
    name = excluded.member.name.split(" ")[0]
    assert f"{name} نے فی الحال ہم تجربہ مدد روکی ہوئی ہے۔" in why
    # The languages asked for, listed as Urdu lists them ("یا" is "or").
    assert f"{name} Punjabi یا Urdu نہیں بولتے۔" in why
    assert "has paused peer support" not in why and "does not speak" not in why
    # The same page in English is the engine's English, as the API gives it.
    english = client.get(f"/referrals/{referral.id}/candidates?peer={excluded.id}").get_data(
        as_text=True
    )
    assert f"{name} does not speak Punjabi or Urdu." in english

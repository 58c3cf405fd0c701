"""The Reports API as API.md promises it: who may ask, bad periods, the figures, both levels
of disclosure, and CSV with the same figures and a notes row."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from app.clock import london_date, utcnow
from app.extensions import db
from app.reports import disclosure as dc
from app.reports.contribution import Period, compute_contribution
from tests.factories import (
    AdminFactory,
    ConfirmedExchangeFactory,
    CoordinatorFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.helpers import assert_error, bearer

CONTRACT_FIELDS = {
    "period",
    "hours_exchanged_minutes",
    "exchanges",
    "active_members",
    "members_giving",
    "members_receiving",
    "members_both",
    "new_members",
    "peer_matches_introduced",
    "median_days_signoff_to_introduction",
    "peer_support_minutes",
    "social_value_pence",
    "by_category",
    "by_locality",
}


@pytest.fixture()
def community(session):
    """Ten people in LS6 exchanging cooking, and three in BD1 doing DIY (a small row)."""
    organisation = OrganisationFactory(min_balance_minutes=-6000, max_balance_minutes=6000)
    coordinator = CoordinatorFactory(organisation=organisation, postcode=None)
    leeds = [UserFactory(organisation=organisation, postcode="LS6 2AB") for _ in range(10)]
    bradford = [UserFactory(organisation=organisation, postcode="BD1 1AA") for _ in range(3)]
    for i, person in enumerate(leeds):
        ConfirmedExchangeFactory(provider=person, receiver=leeds[(i + 1) % 10], minutes=30 + i)
    ConfirmedExchangeFactory(provider=bradford[0], receiver=bradford[1], category="diy", minutes=45)
    ConfirmedExchangeFactory(provider=bradford[2], receiver=bradford[1], category="diy", minutes=20)
    return organisation, coordinator


def _url(organisation, **extra):
    today = london_date(utcnow())
    query = {
        "organisation_id": organisation.id,
        "from": (today - timedelta(days=30)).isoformat(),
        "to": today.isoformat(),
        **extra,
    }
    return "/api/v1/reports/contribution?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_coordinator_gets_the_exact_figures_with_small_rows_suppressed(client, community):
    organisation, coordinator = community
    response = client.get(_url(organisation), headers=bearer(coordinator))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert CONTRACT_FIELDS <= set(body)
    today = london_date(utcnow())
    assert body["period"] == {"from": str(today - timedelta(days=30)), "to": str(today)}
    today = london_date(utcnow())
    exact = compute_contribution(
        db.session,
        organisation,
        Period(today - timedelta(days=30), today),
    ).as_dict()
    assert body["hours_exchanged_minutes"] == exact["hours_exchanged_minutes"] == 10 * 30 + 45 + 65
    assert body["active_members"] == 13 and body["members_both"] == 10
    assert body["social_value_pence"] == (410 * 1500 + 30) // 60
    diy = next(r for r in body["by_category"] if r["category"] == "diy")
    assert diy == {
        "category": "diy",
        "name": "DIY and small repairs",
        "people": None,
        "exchanges": None,
        "minutes": None,
        "suppressed": True,
    }
    # Two categories, one suppressed: the other would give it away, so it is suppressed too.
    assert all(r["suppressed"] for r in body["by_category"])
    districts = {r["district"]: r for r in body["by_locality"]}
    assert districts["BD1"]["suppressed"] and districts["BD1"]["minutes_given"] is None
    assert districts["LS6"]["suppressed"]  # the complement of BD1
    assert body["disclosure"] == "coordinator" and "1 to 4 people" in body["disclosure_rule"]


def test_published_rounds_people_and_hides_small_counts(client, community):
    organisation, coordinator = community
    body = client.get(
        _url(organisation, disclosure="published"), headers=bearer(coordinator)
    ).get_json()
    assert body["active_members"] == 15  # 13 to the nearest 5
    assert body["members_giving"] == 10 and body["members_receiving"] == 10  # 12 and 11
    assert body["hours_exchanged_minutes"] == 410
    assert body["new_members"] == 15  # 14 people joined today, coordinator included
    assert body["peer_matches_introduced"] == 0
    for row in body["by_category"] + body["by_locality"] + body["by_month"]:
        assert row["people"] == "*" or row["people"] % 5 == 0 and row["people"] not in range(1, 8)
    assert "NHS rule" in body["disclosure_rule"]


def test_csv_has_the_same_figures_and_a_notes_row(client, community):
    organisation, coordinator = community
    headers = bearer(coordinator)
    for disclosure in ("coordinator", "published"):
        body = client.get(_url(organisation, disclosure=disclosure), headers=headers).get_json()
        response = client.get(
            _url(organisation, disclosure=disclosure, format="csv"), headers=headers
        )
        assert response.status_code == 200 and response.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        assert rows[0] == ["section", "row", "figure", "value"]
        summary = {r[2]: r[3] for r in rows if r[0] == "summary"}
        assert summary["hours_exchanged_minutes"] == str(body["hours_exchanged_minutes"])
        assert summary["active_members"] == str(body["active_members"])
        notes = [r for r in rows if r[0] == "notes" and r[2] == "disclosure_rule"]
        assert notes == [["notes", "", "disclosure_rule", dc.rule(disclosure)]]
        for r in rows:
            if r[0] in ("by_category", "by_locality", "by_month") and r[2] == "people":
                if disclosure == "published":
                    assert r[3] == "*" or int(r[3]) % 5 == 0 and int(r[3]) not in range(1, 8)
        diy = {r[2]: r[3] for r in rows if r[0] == "by_category" and r[1] == "diy"}
        assert diy["minutes"] in ("", "*") and diy["suppressed"] == "true"


def test_csv_cells_never_start_a_formula():
    from app.reports.export import safe_cell

    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell("@SUM") == "'@SUM" and safe_cell("-1+1") == "'-1+1"
    assert safe_cell(12) == "12" and safe_cell(None) == ""


def test_member_is_refused_and_another_organisation_sees_nothing(client, community):
    organisation, _ = community
    member = UserFactory(organisation=organisation)
    assert_error(client.get(_url(organisation), headers=bearer(member)), 403, "forbidden")
    stranger = CoordinatorFactory()
    assert_error(client.get(_url(organisation), headers=bearer(stranger)), 404, "not_found")
    # Even with a bad period, a stranger learns nothing about the organisation.
    assert_error(client.get(_url(organisation, to="nonsense"), headers=bearer(stranger)), 404)
    assert client.get(_url(organisation), headers=bearer(AdminFactory())).status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"from": "2026-02-01", "to": "2026-01-01"}, "to"),
        ({"from": "2026-02-30"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2019-01-01", "to": "2026-01-01"}, "to"),
        ({"disclosure": "everything"}, "disclosure"),
        ({"format": "xlsx"}, "format"),
    ],
)
def test_bad_requests_are_422_with_fields(client, community, change, field):
    organisation, coordinator = community
    assert_error(
        client.get(_url(organisation, **change), headers=bearer(coordinator)), 422, field=field
    )


def test_missing_period_is_422(client, community):
    organisation, coordinator = community
    response = client.get(
        f"/api/v1/reports/contribution?organisation_id={organisation.id}",
        headers=bearer(coordinator),
    )
    assert_error(response, 422, field="from")


def test_snapshots_are_listed_for_coordinators_only(client, community):
    from tests.factories import ReportSnapshotFactory

    organisation, coordinator = community
    ReportSnapshotFactory(organisation=organisation)
    body = client.get(
        f"/api/v1/reports/snapshots?organisation_id={organisation.id}", headers=bearer(coordinator)
    ).get_json()
    assert {s["disclosure"] for s in body["items"]} == {"coordinator", "published"}
    assert body["items"][0]["period"] == {"from": "2026-01-01", "to": "2026-01-31"}
    member = UserFactory(organisation=organisation)
    assert_error(
        client.get(
            f"/api/v1/reports/snapshots?organisation_id={organisation.id}", headers=bearer(member)
        ),
        403,
    )

"""CSV downloads speak the downloader's language in their header row; the rows stay figures.
The statement still streams a chunk at a time; the API's CSV keeps its documented header."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from app.clock import london_date, utcnow
from app.timebank import views
from tests.factories import ConfirmedExchangeFactory, CoordinatorFactory, OrganisationFactory
from tests.helpers import bearer, sign_in
from tests.languages import urdu
from tests.web.test_statement_pages import member_with_history

ENGLISH_STATEMENT_HEADER = [
    "Date",
    "Type",
    "What",
    "With whom",
    "Minutes",
    "Hours",
    "Balance after (minutes)",
    "Balance after (hours)",
]
URDU_STATEMENT_HEADER = [urdu(english) for english in ENGLISH_STATEMENT_HEADER]


def _rows(response) -> list[list[str]]:
    pieces = list(response.response)
    body = "".join(p if isinstance(p, str) else p.decode() for p in pieces)
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def test_the_statement_csv_header_is_in_the_members_language_and_still_streams(
    client, session, monkeypatch
):
    monkeypatch.setattr(views, "CSV_CHUNK_ROWS", 5)
    member, _ = member_with_history(session, 7)
    member.locale = "ur"
    session.commit()
    sign_in(client, member)
    response = client.get("/hours.csv")
    assert response.status_code == 200 and response.is_streamed
    pieces = list(response.response)
    assert len(pieces) == 2  # 5 rows, then 2: never the whole file at once
    body = "".join(p if isinstance(p, str) else p.decode() for p in pieces)
    header, *rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert header == URDU_STATEMENT_HEADER
    assert len(rows) == 7 and rows[0][2] == "Exchange number 001"  # the data as typed


def test_the_statement_csv_header_stays_english_for_an_english_member(client, session):
    member, _ = member_with_history(session, 2)
    member.locale = "en_GB"
    session.commit()
    sign_in(client, member)
    response = client.get("/hours.csv", headers={"Accept-Language": "ur"})  # their choice wins
    assert _rows(response)[0] == ENGLISH_STATEMENT_HEADER


def _community():
    organisation = OrganisationFactory()
    coordinator = CoordinatorFactory(organisation=organisation, locale="ur")
    for _ in range(3):
        ConfirmedExchangeFactory(
            provider__organisation=organisation, receiver__organisation=organisation
        )
    return organisation, coordinator


def test_the_report_csv_page_header_is_urdu_and_the_api_keeps_its_documented_header(
    client, session
):
    organisation, coordinator = _community()
    today = london_date(utcnow())
    start, end = (today - timedelta(days=7)).isoformat(), today.isoformat()
    sign_in(client, coordinator)
    page = client.get("/reports/contribution.csv", query_string={"start": start, "end": end})
    assert page.status_code == 200
    rows = list(csv.reader(io.StringIO(page.get_data(as_text=True))))
    assert rows[0] == ["حصہ", "قطار", "اعداد و شمار", "مقدار"]
    assert ["period", "", "from", start] in rows  # the figures' keys are the API's, unchanged

    api = client.get(
        f"/api/v1/reports/contribution?organisation_id={organisation.id}&from={start}&to={end}"
        "&format=csv",
        headers={**bearer(coordinator), "Accept-Language": "ur"},
    )
    assert api.status_code == 200
    assert next(csv.reader(io.StringIO(api.get_data(as_text=True)))) == [
        "section",
        "row",
        "figure",
        "value",
    ]

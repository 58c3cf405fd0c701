"""The report pages: the figures and their definitions, the rate and its source, the rule, the
printable pack and the same pack as PDF (read back with pypdf), CSV, and who may see them."""

from __future__ import annotations

import io
import re
import time
from datetime import timedelta

import pytest
from pypdf import PdfReader

from app.clock import london_date, utcnow
from app.reports import disclosure as dc
from tests.factories import (
    ConfirmedExchangeFactory,
    CoordinatorFactory,
    OrganisationFactory,
    ReportSnapshotFactory,
    UserFactory,
)
from tests.helpers import sign_in


@pytest.fixture()
def organisation(session):
    organisation = OrganisationFactory(name="Chapeltown Timebank", hourly_rate_pence=1250)
    people = [UserFactory(organisation=organisation, postcode="LS7 1AB") for _ in range(12)]
    for i, person in enumerate(people):
        ConfirmedExchangeFactory(provider=person, receiver=people[(i + 1) % 12], minutes=60 + i)
    return organisation


def _query(**extra):
    today = london_date(utcnow())
    return {"start": (today - timedelta(days=7)).isoformat(), "end": today.isoformat(), **extra}


def test_the_report_page_shows_figures_definitions_rate_and_rule(client, organisation):
    sign_in(client, CoordinatorFactory(organisation=organisation))
    page = client.get("/reports", query_string=_query())
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("<h1") == 1 and "Community contribution report" in html
    assert "13.1" in html  # 786 minutes = 13.1 hours
    assert "£163.75" in html  # 786 × £12.50 / 60
    assert "What each figure means" in html and "Median days from sign-off" in html
    assert "£12.50 an hour" in html and "rate every organisation starts with" in html
    assert dc.rule(dc.COORDINATOR) in html.replace("&#39;", "'")
    assert "<svg" in html and "Minutes exchanged by month: the numbers" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and " style=" not in html


def test_the_report_and_pack_speak_urdu_with_the_same_figures(client, organisation):
    sign_in(client, CoordinatorFactory(organisation=organisation))
    urdu = {"Accept-Language": "ur"}
    html = client.get("/reports", query_string=_query(), headers=urdu).get_data(as_text=True)
    assert '<h1 class="govuk-heading-l">کمیونٹی کے حصے کی رپورٹ</h1>' in html
    assert "13.1" in html and "£163.75" in html  # the same figures
    assert "£12.50 فی گھنٹہ: وہ ریٹ جس سے ہر تنظیم شروع کرتی ہے" in html
    assert "مہینے کے لحاظ سے تبادلے کے منٹ: اعداد و شمار" in html
    assert dc.rule(dc.COORDINATOR) not in html.replace("&#39;", "'")
    assert "What each figure means" not in html and "an hour" not in html
    pack = client.get(
        "/reports/pack", query_string=_query(disclosure="published"), headers=urdu
    ).get_data(as_text=True)
    assert "شائع ہونے والی گنتی کے لیے NHS کے اصول کے تحت شائع کیا گیا" in pack
    assert "Chapeltown Timebank: ہماری کمیونٹی نے کیا دیا" in pack
    wrong = client.get(
        "/reports", query_string=_query(start="2026-02-30", end="1800-01-01"), headers=urdu
    ).get_data(as_text=True)
    assert "YYYY-MM-DD کی صورت میں اصل تاریخ لکھیں، جیسے 2026-01-31۔" in wrong
    assert "1900 سے 2999 تک کا کوئی سال لکھیں۔" in wrong
    assert "Enter a" not in wrong


def test_a_bad_period_is_shown_on_the_form(client, organisation):
    sign_in(client, CoordinatorFactory(organisation=organisation))
    html = client.get("/reports", query_string=_query(start="2026-02-30")).get_data(as_text=True)
    assert "There is a problem" in html and 'href="#start"' in html
    response = client.get("/reports/pack", query_string=_query(end="2019-01-01"))
    assert response.status_code == 422


def test_members_cannot_see_reports(client, organisation):
    sign_in(client, UserFactory(organisation=organisation))
    assert client.get("/reports").status_code == 403
    assert client.get("/reports/pack.pdf", query_string=_query()).status_code == 403


def test_the_published_pack_as_pdf_carries_the_figures_and_the_rule(client, organisation):
    sign_in(client, CoordinatorFactory(organisation=organisation))
    started = time.monotonic()
    response = client.get("/reports/pack.pdf", query_string=_query(disclosure="published"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert time.monotonic() - started < 30
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    text = re.sub(r"\s+", " ", text)
    assert "Chapeltown Timebank: what our community gave" in text
    assert "Hours exchanged 13.1" in text
    assert "Active members 10" in text  # 12, rounded to the nearest 5
    assert "NHS rule for published counts" in text
    assert "What each figure means" in text
    assert "Sign out" not in text  # the print stylesheet leaves the navigation out


def test_the_printable_pack_and_csv_agree(client, organisation):
    sign_in(client, CoordinatorFactory(organisation=organisation))
    pack = client.get("/reports/pack", query_string=_query(disclosure="published"))
    assert pack.status_code == 200 and "reports.css" in pack.get_data(as_text=True)
    csv_text = client.get("/reports/contribution.csv", query_string=_query(disclosure="published"))
    body = csv_text.get_data(as_text=True)
    assert "summary,,active_members,10" in body and "notes,,disclosure_rule," in body


def test_kept_snapshots_are_listed_and_shown(client, organisation):
    coordinator = CoordinatorFactory(organisation=organisation)
    snapshot = ReportSnapshotFactory(organisation=organisation)
    sign_in(client, coordinator)
    html = client.get("/reports").get_data(as_text=True)
    assert f"/reports/snapshots/{snapshot.id}" in html
    kept = client.get(f"/reports/snapshots/{snapshot.id}")
    assert kept.status_code == 200 and "as kept on" in kept.get_data(as_text=True)
    other = ReportSnapshotFactory()
    assert client.get(f"/reports/snapshots/{other.id}").status_code == 404

"""Paper for members who prefer it: the printable hours statement and plan summary, as pages
with the print stylesheet and as PDFs through the reports' PDF route (read back with pypdf)."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from sqlalchemy import select

from app.audit import AuditEvent
from tests.factories import (
    ActingArrangementFactory,
    ConfirmedExchangeFactory,
    CoordinatorFactory,
    SignedOffSupportPlanFactory,
    UserFactory,
)
from tests.helpers import sign_in

CHROME = ("Sign out", "Skip to main content", "Your hours", "Directory", "About and accessibility")


def pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    pages = PdfReader(io.BytesIO(response.data)).pages
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pages))


def test_member_prints_their_statement_as_a_page_and_a_pdf_without_navigation(client, session):
    exchange = ConfirmedExchangeFactory(description="Walked the dog round the park")
    member = exchange.provider_account.user
    sign_in(client, member)
    page = client.get("/hours/statement")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"Hours statement for {member.name}" in html
    assert "print.css" in html and "Walked the dog round the park" in html
    text = pdf_text(client.get("/hours/statement.pdf"))
    assert f"Hours statement for {member.name}" in text
    assert "Walked the dog round the park" in text
    assert "Balance 1 hour" in text
    for chrome in CHROME:
        assert chrome not in text, chrome


def test_coordinator_prints_a_members_statement_but_not_another_organisations(client, session):
    coordinator = CoordinatorFactory()
    member = UserFactory(organisation=coordinator.organisation, email=None, password_hash=None)
    stranger = UserFactory()
    sign_in(client, coordinator)
    assert member.name in pdf_text(client.get(f"/members/{member.id}/statement.pdf"))
    assert client.get(f"/members/{member.id}/statement").status_code == 200
    assert client.get(f"/members/{stranger.id}/statement").status_code == 404
    assert client.get(f"/members/{stranger.id}/statement.pdf").status_code == 404


def test_members_cannot_print_someone_elses_statement(client, session):
    member = UserFactory()
    other = UserFactory(organisation=member.organisation)
    sign_in(client, member)
    assert client.get(f"/members/{other.id}/statement").status_code == 404


def test_coordinator_acting_for_a_member_without_email_prints_their_statement(client, session):
    coordinator = CoordinatorFactory()
    member = UserFactory(organisation=coordinator.organisation, email=None, password_hash=None)
    arrangement = ActingArrangementFactory(coordinator=coordinator, member=member)
    sign_in(client, coordinator)
    client.post(f"/acting/{arrangement.id}/start")
    text = pdf_text(client.get("/hours/statement.pdf"))
    assert f"Hours statement for {member.name}" in text
    assert "acting for" not in text  # the banner stays off paper
    assert session.scalars(
        select(AuditEvent).where(
            AuditEvent.acting_for_id == member.id,
            AuditEvent.object_type == "timebank.statement_pdf",
        )
    ).all()


def test_plan_summary_prints_for_the_person_and_is_audited(client, session):
    plan = SignedOffSupportPlanFactory(outcomes=["Get back to the allotment twice a week"])
    sign_in(client, plan.member)
    page = client.get(f"/plans/{plan.id}/summary")
    assert page.status_code == 200
    assert f"Support plan summary for {plan.member.name}" in page.get_data(as_text=True)
    text = pdf_text(client.get(f"/plans/{plan.id}/summary.pdf"))
    assert "Get back to the allotment twice a week" in text
    assert "£12,500.00" in text
    for chrome in CHROME:
        assert chrome not in text, chrome
    for removal in ("Remove", "Add a paid support"):
        assert removal not in text
    viewed = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "plan.viewed", AuditEvent.object_id == plan.id
        )
    ).all()
    assert len(viewed) == 2


def test_plan_summary_is_hidden_from_other_members(client, session):
    plan = SignedOffSupportPlanFactory()
    sign_in(client, UserFactory(organisation=plan.member.organisation))
    assert client.get(f"/plans/{plan.id}/summary").status_code == 404
    assert client.get(f"/plans/{plan.id}/summary.pdf").status_code == 404

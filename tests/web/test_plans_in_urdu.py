"""The support plan pages in Urdu through the test client: the words the forms, the labels and
the services give are translated where they are shown, and English stays English."""

from __future__ import annotations

import re

from tests.factories import CoordinatorFactory, SignedOffSupportPlanFactory
from tests.helpers import sign_in

URDU = {"Accept-Language": "ur"}


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_a_plan_reads_in_urdu_labels_tags_and_counts_included(client, session):
    plan = SignedOffSupportPlanFactory()
    sign_in(client, plan.member)
    html = text_of(client.get(f"/plans/{plan.id}", headers=URDU))
    assert '<h1 class="govuk-heading-l">آپ کا سپورٹ پلان</h1>' in html
    assert "سائن آف ہو گیا" in html  # the status tag, not "Signed off"
    assert "ملا جلا" in html and "نوشنل بجٹ" in html  # the form's lazy labels
    assert "8 گھنٹے" in html  # ngettext: 8 hours planned a month
    assert "Lifts to the allotment" in html  # what people typed stays as typed
    for english in ("Signed off", "Mixed", "Paid from the budget", "Your support plan"):
        assert english not in html
    english = text_of(client.get(f"/plans/{plan.id}"))
    assert "Your support plan" in english and "8 hours" in english and "سائن آف" not in english


def test_a_money_mistake_and_the_saved_flash_are_in_urdu(client, session):
    coordinator = CoordinatorFactory()
    sign_in(client, coordinator)
    form = {"member_id": coordinator.id, "management": "notional", "outcomes": "Cook"}
    wrong = client.post("/plans/new", data={**form, "budget": "-5"}, headers=URDU)
    assert "سالانہ بجٹ £0 سے کم نہیں ہو سکتا۔" in text_of(wrong)
    assert "cannot be less than" not in text_of(wrong)
    saved = client.post(
        "/plans/new", data={**form, "budget": "500"}, headers=URDU, follow_redirects=True
    )
    assert "مسودہ پلان محفوظ ہو گیا ہے۔ اب مدد شامل کریں۔" in text_of(saved)


def test_the_review_form_asks_the_wellbeing_questions_in_urdu(client, session):
    plan = SignedOffSupportPlanFactory()
    sign_in(client, plan.member)
    html = text_of(client.get(f"/plans/{plan.id}/reviews/new", headers=URDU))
    assert "مجھے لگتا ہے کہ اپنی مدد پر میرا اختیار ہے" in html
    assert "پوری طرح سچ ہے" in html
    assert "I feel in control of my support" not in html
    assert not re.search(r">\s*Completely true\s*<", html)


def test_the_suggested_themes_are_shown_in_the_page_language(client, session):
    coordinator = CoordinatorFactory()
    sign_in(client, coordinator)
    added = client.post("/voice/themes/suggested", headers=URDU, follow_redirects=True)
    html = text_of(added)
    assert "انتظار اور تاخیر" in html and "Waiting and delays" not in html
    assert "Waiting and delays" in text_of(client.get("/voice"))  # stored, and English there


def test_a_services_refusal_is_shown_in_urdu_on_the_form(client, session):
    coordinator = CoordinatorFactory()
    sign_in(client, coordinator)
    form = {
        "member_id": coordinator.id,
        "budget": "1000",
        "management": "mixed",
        "split_notional": "600",
        "split_direct_payment": "100",
    }
    page = text_of(client.post("/plans/new", data=form, headers=URDU))
    assert "ملے جلے بجٹ کے حصوں کا مجموعہ پورے بجٹ کے برابر ہونا چاہیے۔" in page
    english = text_of(client.post("/plans/new", data=form))
    assert "The parts of a mixed budget must add up to the whole budget." in english


def test_a_versions_change_lines_are_stored_as_sentences_and_read_in_either_language(app):
    from dataclasses import replace

    from flask_babel import force_locale

    from app.i18n import translated
    from app.peers.plans import PlanDetails, describe_changes
    from app.wording import as_data, from_data

    before = PlanDetails(member_id=1, budget_pence=500_000, outcomes=["Cook"])
    after = replace(before, budget_pence=650_000, management="third_party", outcomes=["Walk"])
    stored = [as_data(change) for change in describe_changes(before, after)]
    lines = [from_data(change) for change in stored]
    # The English (what the API sends, and what the page shows in English) is as it always was.
    assert lines == [
        "Budget changed from £5,000.00 to £6,500.00 a year.",
        "Managed third party instead of notional.",
        "Outcome added: Walk",
        "Outcome taken out: Cook",
    ]
    with app.test_request_context(), force_locale("ur"):
        urdu = [translated(line) for line in lines]
    assert urdu[0] == "بجٹ سال میں £5,000.00 سے بدل کر £6,500.00 ہو گیا۔"
    assert urdu[1] == "اب نوشنل کی بجائے تھرڈ پارٹی کے طور پر چلایا جاتا ہے۔"  # the codes too
    assert urdu[2] == "نتیجہ شامل کیا گیا: Walk"  # what people typed stays as typed
    with app.test_request_context(), force_locale("en_GB"):
        assert [translated(line) for line in lines] == lines

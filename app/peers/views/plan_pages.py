"""Support plans: the list, a plan with its money and give and get, sign-off and review."""

from __future__ import annotations

from datetime import date

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ...auth.services import require_coordinator
from ...clock import london_date, utcnow
from ...errors import Conflict, NotFound
from ...extensions import db
from ...i18n import translated
from ...pages import attempt, commit
from ...printing import pdf_download
from ...templating import format_date
from .. import plans, profiles, reviews
from ..forms import (
    DELIVERY_LABELS,
    REASON_HINT,
    REVIEW_STATUS_LABELS,
    NewPlanForm,
    PlanForm,
    RemoveSupportForm,
    SignOffForm,
    SupportForm,
    pounds_text,
    review_form_for,
    split_languages,
    wellbeing_answers,
    wellbeing_rename,
)
from ..models import SupportPlan
from ..wellbeing import QUESTIONS, SCALE
from .common import (
    PER_PAGE,
    PREFERENCE_FIELDS,
    bp,
    member_id_arg,
    member_of_my_organisation,
    on_form,
    page_number,
    prepare_member_field,
    render_and_commit,
    with_conditions,
)

# --- plans --------------------------------------------------------------------------------------


def _plan_answers(form: PlanForm) -> dict:
    return {
        "budget_pence": form.budget.pence,
        "management": form.management.data,
        "split_pence": form.split_pence(),
        "outcomes": form.outcome_lines(),
        "started_without_money": bool(form.started_without_money.data),
        "reason": (form.reason.data or "").strip(),
    }


PLAN_FIELDS = {"budget_pence": "budget", "split_pence": "split_notional"}


@bp.get("/plans")
def plans_page():
    statement = plans.plans_query(current_user).options(joinedload(SupportPlan.member))
    page = db.paginate(statement, page=page_number(), per_page=PER_PAGE, error_out=False)
    plans.record_plans_listed(db.session, actor=current_user, shown=page.items, now=utcnow())
    return render_and_commit(
        "peers/plans.html",
        page=page,
        today=london_date(utcnow()),
        effective_status=plans.effective_status,
    )


@bp.route("/plans/new", methods=["GET", "POST"])
def plan_new():
    require_coordinator(current_user)
    member_id = member_id_arg("member")
    person = member_of_my_organisation(member_id) if member_id else None
    form = NewPlanForm()
    prepare_member_field(form, person)
    if form.validate_on_submit():
        outcome = attempt(
            lambda: plans.create_plan(
                db.session,
                actor=current_user,
                details=plans.PlanDetails(
                    member_id=int(form.member_id.data), **_plan_answers(form)
                ),
                now=utcnow(),
            ),
            **on_form(form, PLAN_FIELDS),
        )
        if outcome.ok:
            plan = outcome.value
            flash(_("The draft plan is saved. Now add the supports."), "success")
            return redirect(url_for("peers.plan", plan_id=plan.id))
    return render_template("peers/plan_form.html", form=form, person=person, plan=None)


@bp.get("/plans/<id:plan_id>")
def plan(plan_id: int):
    now = utcnow()
    view = plans.view_plan(db.session, current_user, plan_id, now=now)
    return render_and_commit(
        "peers/plan.html",
        plan=view,
        status=view.status,
        totals=view.totals,
        delivered=view.delivered,
        referral_id=view.referral_id,
        peer=profiles.peer_of(db.session, view.member),
        coordinator=view.can_manage,
        versions=plans.version_history(db.session, view.plan),
        **REVIEW_WORDS,
    )


REVIEW_WORDS = {
    "review_status_labels": REVIEW_STATUS_LABELS,
    "delivery_labels": DELIVERY_LABELS,
    "wellbeing_questions": QUESTIONS,
    "wellbeing_scale": dict(SCALE),
}


def _plan_summary(plan_id: int) -> str:
    """The plan on paper (its view audited as the plan page's is), saved with the audit."""
    now = utcnow()
    view = plans.view_plan(db.session, current_user, plan_id, now=now)
    return render_and_commit(
        "peers/plan_summary.html",
        plan=view,
        status=view.status,
        totals=view.totals,
        delivered=view.delivered,
        today=london_date(now),
    )


@bp.get("/plans/<id:plan_id>/summary")
def plan_summary(plan_id: int):
    return _plan_summary(plan_id)


@bp.get("/plans/<id:plan_id>/summary.pdf")
def plan_summary_pdf(plan_id: int):
    return pdf_download(_plan_summary(plan_id), f"support-plan-{plan_id}.pdf")


@bp.route("/plans/<id:plan_id>/edit", methods=["GET", "POST"])
def plan_edit(plan_id: int):
    require_coordinator(current_user)
    now = utcnow()
    plan = plans.get_plan_for(db.session, current_user, plan_id, now=now)
    form = PlanForm(
        data={
            "budget": pounds_text(plan.budget_pence),
            "management": plan.management,
            "split_notional": pounds_text((plan.split_pence or {}).get("notional")),
            "split_third_party": pounds_text((plan.split_pence or {}).get("third_party")),
            "split_direct_payment": pounds_text((plan.split_pence or {}).get("direct_payment")),
            "outcomes": "\n".join(plan.outcomes or []),
            "started_without_money": plan.started_without_money,
        }
    )
    if form.validate_on_submit():
        details = plans.details_of(plan)
        for name, value in _plan_answers(form).items():
            setattr(details, name, value)
        outcome = attempt(
            lambda: plans.update_plan(
                db.session, actor=current_user, plan_id=plan.id, details=details, now=now
            ),
            **on_form(form, PLAN_FIELDS),
        )
        if outcome.ok:
            flash(_("The plan’s details are saved."), "success")
            return redirect(url_for("peers.plan", plan_id=plan_id))
        plan = plans.get_plan_for(db.session, current_user, plan_id, now=now)  # rolled back
    return render_and_commit(
        "peers/plan_form.html", form=form, person=plan.member, plan=plan, reason_hint=REASON_HINT
    )


@bp.route("/plans/<id:plan_id>/supports/new", methods=["GET", "POST"])
def plan_support_new(plan_id: int):
    """Add one support to the plan."""
    require_coordinator(current_user)
    now = utcnow()
    plan = plans.get_plan_for(db.session, current_user, plan_id, now=now)
    form = SupportForm(data={"kind": request.args.get("kind")} if request.method == "GET" else None)
    if form.validate_on_submit():
        paid = form.kind.data == "paid"
        line = plans.SupportLine(
            kind=form.kind.data,
            description=form.description.data.strip(),
            provider=(form.provider.data or "").strip(),
            annual_pence=form.annual_cost.pence if paid else None,
            type=None if paid else form.type.data,
            hours_per_month=None if paid else form.hours,
        )
        outcome = attempt(
            lambda: plans.add_support(
                db.session,
                actor=current_user,
                plan_id=plan.id,
                line=line,
                now=now,
                reason=(form.reason.data or "").strip(),
            ),
            **on_form(form, {"annual_pence": "annual_cost"}),
        )
        if outcome.ok:
            flash(_("The support is added to the plan."), "success")
            anchor = "paid-supports" if paid else "give-and-get-supports"
            return redirect(url_for("peers.plan", plan_id=plan_id, _anchor=anchor))
        plan = plans.get_plan_for(db.session, current_user, plan_id, now=now)  # rolled back
    return render_and_commit(
        "peers/support_form.html", form=form, plan=plan, reason_hint=REASON_HINT
    )


@bp.route("/plans/<id:plan_id>/supports/<id:support_id>/remove", methods=["GET", "POST"])
def plan_support_remove(plan_id: int, support_id: int):
    """A draft's support comes out at once; a signed-off plan's by a new version, with why."""
    require_coordinator(current_user)
    now = utcnow()
    plan = plans.get_plan_for(db.session, current_user, plan_id, now=now)
    support = next((s for s in plan.supports if s.id == support_id), None)
    if support is None:
        raise NotFound(_("We could not find that support in the plan."))
    form = RemoveSupportForm()
    if plan.status == "draft" and request.method == "POST" or form.validate_on_submit():
        outcome = attempt(
            lambda: plans.remove_support(
                db.session,
                actor=current_user,
                plan_id=plan_id,
                support_id=support_id,
                now=now,
                reason=(form.reason.data or "").strip(),
            ),
            **on_form(form),
        )
        if outcome.ok:
            flash(_("The support is removed from the plan."), "success")
            return redirect(url_for("peers.plan", plan_id=plan_id))
        plan = plans.get_plan_for(db.session, current_user, plan_id, now=now)  # rolled back
        support = next(s for s in plan.supports if s.id == support_id)
    return render_and_commit(
        "peers/support_remove.html", form=form, plan=plan, support=support, reason_hint=REASON_HINT
    )


@bp.route("/plans/<id:plan_id>/sign-off", methods=["GET", "POST"])
def plan_sign_off(plan_id: int):
    require_coordinator(current_user)
    now = utcnow()
    plan = plans.get_plan_for(db.session, current_user, plan_id, now=now)
    if plan.status == "signed_off":
        commit()  # the view of the plan is audited
        flash(_("This plan has already been signed off."), "info")
        return redirect(url_for("peers.plan", plan_id=plan_id))
    form = SignOffForm()
    with_conditions(form, "condition_codes")
    if form.validate_on_submit():
        answers = plans.SignOff(
            wants_peer_support=form.wants_peer_support.answer,
            willing_to_support_others=form.willing_to_support_others.answer,
            condition_codes=form.condition_codes.data,
            support_types=form.support_types.data,
            modes=form.modes.data,
            languages=split_languages(form.languages.data),
            peer_gender=(form.peer_gender.data or "").strip() or None,
            consent_given=bool(form.health_data_consent.data),
            wellbeing=wellbeing_answers(form),
        )
        outcome = attempt(
            lambda: plans.sign_off(
                db.session,
                actor=current_user,
                plan_id=plan.id,
                answers=answers,
                now=now,
                first_review_months=current_app.config["PLAN_FIRST_REVIEW_MONTHS"],
            ),
            **on_form(form, {**PREFERENCE_FIELDS, **wellbeing_rename()}),
        )
        if outcome.ok:
            signed, _referral = outcome.value
            review = format_date(signed.next_review_on)
            flash(
                _("The plan is signed off. The first review is due by %(day)s.", day=review),
                "success",
            )
            return redirect(url_for("peers.plan", plan_id=plan_id, _anchor="after-sign-off"))
        plan = plans.get_plan_for(db.session, current_user, plan_id, now=now)  # rolled back
    return render_and_commit("peers/sign_off.html", form=form, plan=plan, **REVIEW_WORDS)


@bp.post("/plans/<id:plan_id>/review")
def plan_review(plan_id: int):
    require_coordinator(current_user)
    outcome = attempt(
        lambda: plans.record_review(
            db.session,
            actor=current_user,
            plan_id=plan_id,
            now=utcnow(),
            interval_months=current_app.config["PLAN_REVIEW_INTERVAL_MONTHS"],
        ),
        expected=(Conflict,),
    )
    if outcome.ok:
        review = format_date(outcome.value.next_review_on)
        flash(
            _("The review is recorded. The next review is due by %(day)s.", day=review), "success"
        )
    else:
        flash(translated(outcome.error.message), "info")
    return redirect(url_for("peers.plan", plan_id=plan_id))


@bp.route("/plans/<id:plan_id>/reviews/new", methods=["GET", "POST"])
def plan_review_new(plan_id: int):
    """Review the plan: the person online, or a coordinator with or for them."""
    now = utcnow()
    plan = plans.get_plan_for(db.session, current_user, plan_id, now=now)
    today = london_date(now)
    if plan.status != "signed_off":
        commit()  # the view of the plan is audited
        flash(_("A plan is reviewed once it has been signed off."), "info")
        return redirect(url_for("peers.plan", plan_id=plan_id))
    interval = current_app.config["PLAN_REVIEW_INTERVAL_MONTHS"]
    form = review_form_for(
        plan.outcome_items,
        data={
            "next_review_on": plans.add_months(today, interval),
            "due_on": plan.next_review_on.isoformat() if plan.next_review_on else "",
        },
    )
    outcome_ids = [item.id for item in plan.outcome_items]
    if form.validate_on_submit():
        answers = reviews.ReviewAnswers(
            outcomes=[
                reviews.OutcomeAnswer(
                    outcome_id=item_id,
                    status=form[f"outcome_{item_id}"].data,
                    comment=(form[f"comment_{item_id}"].data or "").strip(),
                )
                for item_id in outcome_ids
                if form[f"outcome_{item_id}"].data not in (None, "", "None")
            ],
            wellbeing=wellbeing_answers(form),
            what_worked=form.what_worked.data or "",
            what_did_not=form.what_did_not.data or "",
            quote_permission=bool(form.quote_permission.data),
            next_review_on=form.next_review_on.data,
            paid_delivery=form.paid_delivery.data or None,
            give_and_get_delivery=form.give_and_get_delivery.data or None,
            delivery_comment=form.delivery_comment.data or "",
            changes=form.changes.data or "",
            due_on=_date_or_none(form.due_on.data),
        )
        rated = [a.outcome_id for a in answers.outcomes]
        rename = {
            **wellbeing_rename(),
            **{f"outcomes.{i}.status": f"outcome_{item}" for i, item in enumerate(rated)},
            **{f"outcomes.{i}.comment": f"comment_{item}" for i, item in enumerate(rated)},
        }
        outcome = attempt(
            lambda: reviews.record_review(
                db.session,
                actor=current_user,
                plan_id=plan_id,
                answers=answers,
                now=now,
                interval_months=interval,
            ),
            **on_form(form, rename),
        )
        if outcome.ok:
            review = format_date(outcome.value.next_review_on)
            flash(
                _("The review is recorded. The next review is due by %(day)s.", day=review),
                "success",
            )
            return redirect(url_for("peers.plan", plan_id=plan_id, _anchor="reviews"))
        plan = plans.get_plan_for(db.session, current_user, plan_id, now=now)  # rolled back
    return render_and_commit(
        "peers/review_form.html",
        form=form,
        plan=plan,
        delivery=reviews.planned_and_delivered(db.session, plan, today),
        since=reviews.review_period_start(plan),
        totals=plans.totals(plan),
        latest=reviews.latest_allowed(today),
        **REVIEW_WORDS,
    )


def _date_or_none(raw: str | None):
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None

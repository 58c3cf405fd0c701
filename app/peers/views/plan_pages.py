"""Support plans: the list, a plan with its money and give and get, sign-off and review."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ...auth.services import require_coordinator
from ...clock import london_date, utcnow
from ...errors import Conflict
from ...extensions import db
from ...pages import attempt, commit
from ...printing import pdf_download
from ...templating import format_date
from .. import plans, profiles
from ..forms import (
    NewPlanForm,
    PlanForm,
    SignOffForm,
    SupportForm,
    pounds_text,
    split_languages,
)
from ..models import SupportPlan
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


def _support_lines(plan: SupportPlan) -> list[plans.SupportLine]:
    return [
        plans.SupportLine(
            kind=s.kind,
            description=s.description,
            annual_pence=s.annual_pence,
            provider=s.provider,
            type=s.type,
            hours_per_month=s.hours_per_month,
        )
        for s in plan.supports
    ]


def _plan_details(plan: SupportPlan, supports: list[plans.SupportLine]) -> plans.PlanDetails:
    """The plan as it stands, with a new list of supports."""
    return plans.PlanDetails(
        member_id=plan.member_id,
        budget_pence=plan.budget_pence,
        management=plan.management,
        split_pence=dict(plan.split_pence or {}),
        outcomes=list(plan.outcomes or []),
        supports=supports,
        started_without_money=plan.started_without_money,
    )


def _plan_answers(form: PlanForm) -> dict:
    return {
        "budget_pence": form.budget.pence,
        "management": form.management.data,
        "split_pence": form.split_pence(),
        "outcomes": form.outcome_lines(),
        "started_without_money": bool(form.started_without_money.data),
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
            flash(
                f"The draft plan for {plan.member.name} is saved. Now add the supports.",
                "success",
            )
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
    )


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
        details = _plan_details(plan, _support_lines(plan))
        for name, value in _plan_answers(form).items():
            setattr(details, name, value)
        outcome = attempt(
            lambda: plans.update_plan(
                db.session, actor=current_user, plan_id=plan.id, details=details, now=now
            ),
            **on_form(form, PLAN_FIELDS),
        )
        if outcome.ok:
            flash("The plan's details are saved.", "success")
            return redirect(url_for("peers.plan", plan_id=plan_id))
        plan = plans.get_plan_for(db.session, current_user, plan_id, now=now)  # rolled back
    return render_and_commit("peers/plan_form.html", form=form, person=plan.member, plan=plan)


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
                db.session, actor=current_user, plan_id=plan.id, line=line, now=now
            ),
            **on_form(form, {"annual_pence": "annual_cost"}),
        )
        if outcome.ok:
            flash(f"Support added: {line.description}", "success")
            anchor = "paid-supports" if paid else "give-and-get-supports"
            return redirect(url_for("peers.plan", plan_id=plan_id, _anchor=anchor))
        plan = plans.get_plan_for(db.session, current_user, plan_id, now=now)  # rolled back
    return render_and_commit("peers/support_form.html", form=form, plan=plan)


@bp.post("/plans/<id:plan_id>/supports/<id:support_id>/remove")
def plan_support_remove(plan_id: int, support_id: int):
    require_coordinator(current_user)
    removed = plans.remove_support(
        db.session, actor=current_user, plan_id=plan_id, support_id=support_id, now=utcnow()
    )
    commit()
    flash(f"Support removed: {removed.description}", "success")
    return redirect(url_for("peers.plan", plan_id=plan_id))


@bp.route("/plans/<id:plan_id>/sign-off", methods=["GET", "POST"])
def plan_sign_off(plan_id: int):
    require_coordinator(current_user)
    now = utcnow()
    plan = plans.get_plan_for(db.session, current_user, plan_id, now=now)
    if plan.status == "signed_off":
        commit()  # the view of the plan is audited
        flash("This plan has already been signed off.", "info")
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
            **on_form(form, PREFERENCE_FIELDS),
        )
        if outcome.ok:
            signed, _referral = outcome.value
            review = format_date(signed.next_review_on)
            flash(f"The plan is signed off. The first review is due by {review}.", "success")
            return redirect(url_for("peers.plan", plan_id=plan_id, _anchor="after-sign-off"))
        plan = plans.get_plan_for(db.session, current_user, plan_id, now=now)  # rolled back
    return render_and_commit("peers/sign_off.html", form=form, plan=plan)


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
        flash(f"The review is recorded. The next review is due by {review}.", "success")
    else:
        flash(outcome.error.message, "info")
    return redirect(url_for("peers.plan", plan_id=plan_id))

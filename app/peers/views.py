"""Pages for support plans and sign-off, referrals, peers, a person's health data and consent,
the audit trail and the list of conditions.

Each view parses the request, calls a service in ``plans``, ``referrals``, ``profiles`` or
``conditions`` and renders or redirects; the services decide who may do what. Looking at a plan,
a referral, a peer or someone's conditions is audited, so those views commit even on GET: the
page is rendered first and only returned once the audit event is saved.
"""

from __future__ import annotations

from itertools import groupby
from operator import attrgetter

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..auth.models import User
from ..auth.permissions import can_add_condition, can_record_health_data, coordinates_health_data
from ..auth.services import audit_trail_query, require_coordinator
from ..clock import london_date, utcnow
from ..errors import Conflict, Forbidden, NotFound
from ..extensions import db
from ..forms import id_arg, page_arg, show_domain_error
from ..pages import FORM_ERRORS, attempt, commit
from ..postcodes import district
from ..templating import format_date
from . import conditions, plans, profiles, referrals
from . import permissions as peer_permissions
from .conditions import CONSENT_MESSAGE
from .forms import (
    GENDER_HINT,
    GIVE_AND_GET_HINTS,
    GIVE_AND_GET_LABELS,
    LANGUAGES_HINT,
    MANAGEMENT_HINTS,
    MANAGEMENT_LABELS,
    MODE_LABELS,
    SUPPORT_KIND_HINTS,
    SUPPORT_TYPE_LABELS,
    ConditionForm,
    HealthForm,
    NewPeerForm,
    NewPlanForm,
    PeerDetailsForm,
    PlanForm,
    ReferralForm,
    SignOffForm,
    SupportForm,
    join_languages,
    pounds_text,
    split_languages,
)
from .models import GIVE_AND_GET_TYPES, PeerProfile, Referral, SupportPlan

bp = Blueprint("peers", __name__)

PER_PAGE = 50
# Refusals a person can put right on the form; NotFound and Forbidden go to the error page.
# Status code → (words, GOV.UK tag colour).
PLAN_STATUSES = {
    "draft": ("Draft: not signed off yet", "govuk-tag--grey"),
    "signed_off": ("Signed off", "govuk-tag--green"),
    "review_due": ("Review due", "govuk-tag--yellow"),
}
REFERRAL_STATUSES = {
    "waiting": ("Waiting for a peer", "govuk-tag--yellow"),
    "proposed": ("Peer proposed", ""),
    "matched": ("Introduced to a peer", "govuk-tag--green"),
    "closed": ("Closed", "govuk-tag--grey"),
}
AUDIT_ACTIONS = {
    "conditions.recorded": "Recorded health conditions",
    "conditions.viewed": "Looked at health conditions",
    "consent.withdrawn": "Withdrew consent: every condition removed",
    "peer.created": "Added a peer profile",
    "peer.viewed": "Looked at a peer profile",
    "peer.changed": "Changed a peer's details or checks",
    "peer.approved": "Approved a peer",
    "peer.paused": "Paused a peer",
    "peer.resumed": "Resumed a peer",
    "plan.created": "Wrote a draft support plan",
    "plan.viewed": "Looked at a support plan",
    "plan.changed": "Changed a support plan",
    "plan.signed_off": "Signed off a support plan",
    "plan.reviewed": "Recorded a plan review",
    "referral.created": "Made a referral for peer support",
    "referral.viewed": "Looked at a referral",
    "referral.listed": "Saw a referral in the queue",
    "plan.listed": "Saw a support plan in a list",
    "peer.listed": "Saw a peer profile in a list",
    "referral.closed": "Closed a referral",
    "exchange.recorded": "Recorded an exchange of time",
    "exchange.rejected": "Turned down an exchange of time",
    "exchange.withdrawn": "Withdrew an exchange they had recorded",
    "ledger.exchange": "Moved hours for a confirmed exchange",
    "ledger.reversal": "Put back hours to correct an exchange",
    "ledger.donation": "Gave hours to the community chest",
    "ledger.grant": "Granted hours from the community chest",
}
AUDIT_OBJECTS = {
    "member_condition": "Health conditions",
    "health_data_consent": "Consent",
    "peer_profile": "Peer profile",
    "support_plan": "Support plan",
    "referral": "Referral",
    "exchange": "Exchange",
    "ledger_transaction": "Hours moved",
}
# The services name the choices by their codes ("in_person"); on a page, plain words.
PLAIN_FIELD_MESSAGES = {
    "support_types": "Choose at least one kind of support.",
    "modes": "Choose at least one way to meet.",
}
PREFERENCE_FIELDS = {"preferences.languages": "languages", "preferences.peer_gender": "peer_gender"}


@bp.before_request
@login_required
def require_sign_in():
    """Every page here is for signed-in people."""


@bp.app_template_filter("pounds")
def format_pounds(pence: int | None) -> str:
    """1250000 → "£12,500.00"."""
    if pence is None:
        return ""
    sign = "minus " if pence < 0 else ""
    pounds, rest = divmod(abs(int(pence)), 100)
    return f"{sign}£{pounds:,}.{rest:02d}"


@bp.context_processor
def peers_helpers():
    return {
        "audit_actions": AUDIT_ACTIONS,
        "audit_objects": AUDIT_OBJECTS,
        "consent_message": CONSENT_MESSAGE,
        "gender_hint": GENDER_HINT,
        "give_and_get_hints": GIVE_AND_GET_HINTS,
        "give_and_get_labels": GIVE_AND_GET_LABELS,
        "give_and_get_types": GIVE_AND_GET_TYPES,
        "languages_hint": LANGUAGES_HINT,
        "management_hints": MANAGEMENT_HINTS,
        "management_labels": MANAGEMENT_LABELS,
        "mode_labels": MODE_LABELS,
        "plan_statuses": PLAN_STATUSES,
        "postcode_district": lambda postcode: district(postcode) if postcode else "",
        "referral_statuses": REFERRAL_STATUSES,
        "support_kind_hints": SUPPORT_KIND_HINTS,
        "support_type_labels": SUPPORT_TYPE_LABELS,
    }


# --- small helpers ------------------------------------------------------------------------------


def on_form(form, rename: dict[str, str] | None = None) -> dict:
    """How a peers page shows a service's error: on the form's fields (some are named
    differently on the form, like ``budget_pence`` → ``budget``), in plain words."""
    return {
        "form": form,
        "expected": FORM_ERRORS,
        "rename": rename,
        "messages": PLAIN_FIELD_MESSAGES,
    }


def render_and_commit(template: str, **context):
    """Render, then save the audit events the page's reads recorded, then answer."""
    html = render_template(template, **context)
    commit()
    return html


def _id_arg(name: str) -> int | None:
    return id_arg(name, "We could not find that member.")


def _page_number() -> int:
    return page_arg()


def _member_of_my_organisation(member_id: int) -> User:
    person = db.session.get(User, member_id)
    if person is None or not coordinates_health_data(current_user, person.organisation_id):
        raise NotFound("We could not find that member.")
    return person


def _member_choices() -> list[tuple[str, str]]:
    people = db.session.scalars(
        select(User)
        .where(User.organisation_id == current_user.organisation_id, User.active.is_(True))
        .order_by(User.name, User.id)
    )
    return [("", "Choose a person")] + [
        (str(person.id), f"{person.name} ({person.email})" if person.email else person.name)
        for person in people
    ]


def _prepare_member_field(form, person: User | None) -> None:
    form.member_id.choices = _member_choices()
    if person is not None and not form.is_submitted():
        form.member_id.data = str(person.id)


def _with_conditions(form, *names: str) -> None:
    """The taxonomy as choices, and grouped for the checkboxes (one fieldset a group)."""
    taxonomy = conditions.all_conditions(db.session)
    groups = [
        (group, [(c.code, c.name) for c in items])
        for group, items in groupby(taxonomy, key=attrgetter("group"))
    ]
    for name in names:
        form[name].choices = [(c.code, c.name) for c in taxonomy]
        form[name].groups = groups


def _condition_names(member_id: int, relationship_kind: str) -> list[str]:
    rows = conditions.condition_rows(db.session, [member_id], relationship_kind)
    return [c.name for c in rows.get(member_id, [])]


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
    page = db.paginate(statement, page=_page_number(), per_page=PER_PAGE, error_out=False)
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
    member_id = _id_arg("member")
    person = _member_of_my_organisation(member_id) if member_id else None
    form = NewPlanForm()
    _prepare_member_field(form, person)
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
    plan = plans.get_plan_for(db.session, current_user, plan_id, now=now)
    referral_id = db.session.scalar(
        select(Referral.id).where(Referral.plan_id == plan.id).order_by(Referral.id.desc())
    )
    return render_and_commit(
        "peers/plan.html",
        plan=plan,
        status=plans.effective_status(plan, london_date(now)),
        totals=plans.totals(plan),
        delivered=plans.delivered_minutes(db.session, plan),
        referral_id=referral_id,
        peer=profiles.peer_of(db.session, plan.member),
        coordinator=peer_permissions.can_manage_plan(current_user, plan),
    )


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
    _with_conditions(form, "condition_codes")
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


# --- referrals ----------------------------------------------------------------------------------


@bp.get("/referrals")
def referrals_page():
    """The queue: waiting first, longest waiting first. It shows conditions, so each person's
    row is audited, as in the API."""
    require_coordinator(current_user)
    now = utcnow()
    statement = referrals.referrals_query(db.session, current_user)
    page = db.paginate(statement, page=_page_number(), per_page=PER_PAGE, error_out=False)
    member_ids = [r.member_id for r in page.items]
    own = conditions.condition_rows(db.session, member_ids, "own")
    carer = conditions.condition_rows(db.session, member_ids, "carer")
    referrals.record_referrals_listed(db.session, actor=current_user, shown=page.items, now=now)
    rows = []
    for referral in page.items:
        found = (carer if referral.is_carer else own).get(referral.member_id, [])
        rows.append((referral, [c.name for c in found], referrals.days_waiting(referral, now)))
    return render_and_commit("peers/referrals.html", page=page, rows=rows)


@bp.route("/referrals/new", methods=["GET", "POST"])
def referral_new():
    require_coordinator(current_user)
    member_id = _id_arg("member")
    person = _member_of_my_organisation(member_id) if member_id else None
    form = ReferralForm()
    _prepare_member_field(form, person)
    _with_conditions(form, "condition_codes")
    if form.validate_on_submit():
        outcome = attempt(
            lambda: referrals.create_referral(
                db.session,
                actor=current_user,
                request=referrals.ReferralRequest(
                    member_id=int(form.member_id.data),
                    condition_codes=form.condition_codes.data,
                    postcode=form.postcode.data or None,
                    support_types=form.support_types.data,
                    modes=form.modes.data,
                    languages=split_languages(form.languages.data),
                    peer_gender=(form.peer_gender.data or "").strip() or None,
                    is_carer=bool(form.is_carer.data),
                    consent_given=bool(form.health_data_consent.data),
                ),
                now=utcnow(),
            ),
            **on_form(form, PREFERENCE_FIELDS),
        )
        if outcome.ok:
            referral = outcome.value
            flash(f"{referral.member.name} is in the queue for peer support.", "success")
            return redirect(url_for("peers.referral", referral_id=referral.id))
    return render_template("peers/referral_new.html", form=form, person=person)


@bp.get("/referrals/<id:referral_id>")
def referral(referral_id: int):
    now = utcnow()
    referral = referrals.get_referral_for(db.session, current_user, referral_id, now=now)
    kind = "carer" if referral.is_carer else "own"
    return render_and_commit(
        "peers/referral.html",
        referral=referral,
        condition_names=_condition_names(referral.member_id, kind),
        days_waiting=referrals.days_waiting(referral, now),
        coordinator=peer_permissions.can_manage_referral(current_user, referral),
    )


@bp.post("/referrals/<id:referral_id>/close")
def referral_close(referral_id: int):
    require_coordinator(current_user)
    referrals.close_referral(db.session, actor=current_user, referral_id=referral_id, now=utcnow())
    commit()
    flash("The referral is closed.", "success")
    return redirect(url_for("peers.referral", referral_id=referral_id))


# --- peers --------------------------------------------------------------------------------------


def _peer_details(form: PeerDetailsForm) -> profiles.PeerDetails:
    return profiles.PeerDetails(
        support_types=form.support_types.data,
        modes=form.modes.data,
        languages=split_languages(form.languages.data),
        capacity=form.capacity.number,
        travel_km=form.travel_km.number,
        gender=(form.gender.data or "").strip() or None,
        references_checked_on=form.references_checked_on.data,
        dbs_checked_on=form.dbs_checked_on.data,
        training_completed_on=form.training_completed_on.data,
        notes=(form.notes.data or "").strip(),
    )


def _peer_form_data(profile: PeerProfile) -> dict:
    return {
        "support_types": list(profile.support_types or []),
        "modes": list(profile.modes or []),
        "languages": join_languages(profile.languages),
        "capacity": str(profile.capacity),
        "travel_km": str(profile.travel_km),
        "gender": profile.gender or "",
        "references_checked_on": profile.references_checked_on,
        "dbs_checked_on": profile.dbs_checked_on,
        "training_completed_on": profile.training_completed_on,
        "notes": profile.notes or "",
    }


@bp.get("/peers")
def peers_page():
    require_coordinator(current_user)
    statement = profiles.peers_query(current_user).options(joinedload(PeerProfile.member))
    page = db.paginate(statement, page=_page_number(), per_page=PER_PAGE, error_out=False)
    profiles.record_peers_listed(db.session, actor=current_user, shown=page.items, now=utcnow())
    return render_and_commit("peers/peers.html", page=page, needs_dbs=profiles.needs_dbs)


@bp.route("/peers/new", methods=["GET", "POST"])
def peer_new():
    require_coordinator(current_user)
    member_id = _id_arg("member")
    person = _member_of_my_organisation(member_id) if member_id else None
    form = NewPeerForm()
    _prepare_member_field(form, person)
    _with_conditions(form, "condition_codes", "carer_condition_codes")
    if form.validate_on_submit():
        outcome = attempt(
            lambda: profiles.create_peer(
                db.session,
                actor=current_user,
                member_id=int(form.member_id.data),
                details=_peer_details(form),
                condition_codes=form.condition_codes.data,
                carer_condition_codes=form.carer_condition_codes.data,
                consent_given=bool(form.health_data_consent.data),
                approve=bool(form.approve.data),
                now=utcnow(),
            ),
            **on_form(form),
        )
        if outcome.ok:
            profile = outcome.value
            done = (
                "added and approved"
                if profile.approved
                else "added. Approve them when their checks are done"
            )
            flash(f"{profile.member.name} is {done}.", "success")
            return redirect(url_for("peers.peer", peer_id=profile.id))
    if person is not None and not form.is_submitted():
        # Saving replaces the conditions held for them, so start from what is held (audited).
        own = conditions.conditions_of(
            db.session, actor=current_user, person=person, relationship_kind="own", now=utcnow()
        )
        carer = conditions.condition_rows(db.session, [person.id], "carer").get(person.id, [])
        form.condition_codes.data = [c.code for c in own]
        form.carer_condition_codes.data = [c.code for c in carer]
    return render_and_commit("peers/peer_new.html", form=form, person=person)


@bp.get("/peers/<id:peer_id>")
def peer(peer_id: int):
    view = profiles.view_peer(db.session, current_user, peer_id, now=utcnow())
    return render_and_commit(
        "peers/peer.html",
        profile=view,
        own_conditions=[c.name for c in view.own_conditions],
        carer_conditions=[c.name for c in view.carer_conditions],
        coordinator=view.can_manage,
        needs_dbs=view.needs_dbs,
    )


def _peer_edit_page(profile: PeerProfile, form: PeerDetailsForm):
    return render_and_commit("peers/peer_edit.html", form=form, profile=profile)


@bp.route("/peers/<id:peer_id>/edit", methods=["GET", "POST"])
def peer_edit(peer_id: int):
    require_coordinator(current_user)
    now = utcnow()
    profile = profiles.get_peer_for(db.session, current_user, peer_id, now=now)
    form = PeerDetailsForm(data=_peer_form_data(profile))
    if form.validate_on_submit():
        approve = bool(form.approve.data) and not profile.approved

        def save() -> None:
            profiles.update_peer(
                db.session,
                actor=current_user,
                peer_id=peer_id,
                details=_peer_details(form),
                now=now,
            )
            if approve:
                profiles.approve_peer(db.session, actor=current_user, peer_id=peer_id, now=now)

        if not attempt(save, **on_form(form)).ok:
            profile = profiles.get_peer_for(db.session, current_user, peer_id, now=now)
        else:
            flash("Saved and approved." if approve else "The peer's details are saved.", "success")
            return redirect(url_for("peers.peer", peer_id=peer_id))
    return _peer_edit_page(profile, form)


@bp.post("/peers/<id:peer_id>/approve")
def peer_approve(peer_id: int):
    require_coordinator(current_user)
    now = utcnow()
    outcome = attempt(
        lambda: profiles.approve_peer(db.session, actor=current_user, peer_id=peer_id, now=now)
    )
    if isinstance(outcome.error, Conflict):
        flash(outcome.error.message, "info")
    elif outcome.error is not None:
        # What stops the approval is on the edit form, on the fields to put right.
        profile = profiles.get_peer_for(db.session, current_user, peer_id, now=now)
        form = PeerDetailsForm(formdata=None, data={**_peer_form_data(profile), "approve": True})
        show_domain_error(form, outcome.error, messages=PLAIN_FIELD_MESSAGES)
        form.form_errors.insert(
            0,
            f"{profile.member.name} cannot be approved yet. Put right what is shown below, "
            "then save with “Approve them as a peer now” ticked.",
        )
        return _peer_edit_page(profile, form)
    else:
        flash(f"{outcome.value.member.name} is approved as a peer.", "success")
    return redirect(url_for("peers.peer", peer_id=peer_id))


def _set_paused(peer_id: int, paused: bool):
    profile = profiles.set_paused(
        db.session, actor=current_user, peer_id=peer_id, paused=paused, now=utcnow()
    )
    own = profile.member_id == current_user.id
    commit()
    if paused:
        flash(
            "Paused: no one new will be offered to " + ("you." if own else "this peer."), "success"
        )
    else:
        flash("Resumed: " + ("you" if own else "this peer") + " can be offered again.", "success")
    return redirect(url_for("peers.peer", peer_id=peer_id))


@bp.post("/peers/<id:peer_id>/pause")
def peer_pause(peer_id: int):
    return _set_paused(peer_id, True)


@bp.post("/peers/<id:peer_id>/resume")
def peer_resume(peer_id: int):
    return _set_paused(peer_id, False)


# --- a person's health data and consent ---------------------------------------------------------


@bp.route("/members/<id:member_id>/health", methods=["GET", "POST"])
def member_health(member_id: int):
    """The person or their coordinators see the conditions (audited); coordinators record them."""
    if request.method == "POST":
        require_coordinator(current_user)
    now = utcnow()
    person = conditions.get_person_for_health_data(db.session, current_user, member_id)
    form = None
    if can_record_health_data(current_user, person):
        form = HealthForm()
        _with_conditions(form, "condition_codes", "carer_condition_codes")
    elif request.method == "POST":
        raise Forbidden("Only the person's coordinator can record health conditions.")
    if form is not None and form.validate_on_submit():

        def record() -> None:
            for kind, name in (("own", "condition_codes"), ("carer", "carer_condition_codes")):
                conditions.record_conditions(
                    db.session,
                    actor=current_user,
                    person=person,
                    codes=form[name].data,
                    relationship_kind=kind,
                    consent_given=bool(form.health_data_consent.data),
                    now=now,
                    replace=True,
                    field=name,
                )

        if attempt(record, **on_form(form)).ok:
            flash("The conditions are saved.", "success")
            return redirect(url_for("peers.member_health", member_id=member_id))
    own = conditions.conditions_of(
        db.session, actor=current_user, person=person, relationship_kind="own", now=now
    )
    carer = conditions.condition_rows(db.session, [person.id], "carer").get(person.id, [])
    if form is not None and not form.is_submitted():
        form.condition_codes.data = [c.code for c in own]
        form.carer_condition_codes.data = [c.code for c in carer]
    return render_and_commit(
        "peers/health.html",
        form=form,
        person=person,
        own=own,
        carer=carer,
        consent=conditions.live_consent(db.session, person),
        is_self=person.id == current_user.id,
    )


@bp.post("/members/<id:member_id>/health/withdraw")
def member_health_withdraw(member_id: int):
    removed = conditions.withdraw_consent(
        db.session, actor=current_user, member_id=member_id, now=utcnow()
    )
    commit()
    what = "1 condition was" if removed == 1 else f"{removed} conditions were"
    flash(f"Consent is withdrawn. {what} removed from every list at once.", "success")
    return redirect(url_for("peers.member_health", member_id=member_id))


# --- the audit trail and the conditions list ----------------------------------------------------


@bp.get("/audit")
def audit_page():
    member_id = _id_arg("member")
    statement = audit_trail_query(db.session, current_user, member_id)
    person = db.session.get(User, member_id) if member_id else None
    page = db.paginate(statement, page=_page_number(), per_page=PER_PAGE, error_out=False)
    ids = {e.actor_id for e in page.items} | {e.member_id for e in page.items}
    names = dict(
        db.session.execute(select(User.id, User.name).where(User.id.in_(ids - {None}))).all()
    )
    return render_template("peers/audit.html", page=page, person=person, names=names)


@bp.route("/conditions", methods=["GET", "POST"])
def conditions_page():
    form = ConditionForm() if can_add_condition(current_user) else None
    if form is None and request.method == "POST":
        raise Forbidden("Only administrators can add conditions.")
    if form is not None and form.validate_on_submit():
        outcome = attempt(
            lambda: conditions.add_condition(
                db.session,
                actor=current_user,
                code=form.code.data,
                name=form.name.data,
                group=form.group.data,
                now=utcnow(),
            ),
            **on_form(form),
        )
        if outcome.ok:
            flash(f"{outcome.value.name} is added to the list.", "success")
            return redirect(url_for("peers.conditions_page"))
    taxonomy = conditions.all_conditions(db.session)
    groups = [(group, list(items)) for group, items in groupby(taxonomy, key=attrgetter("group"))]
    return render_template("peers/conditions.html", groups=groups, form=form, count=len(taxonomy))

"""Pages for signing in and out, invitations, password reset and managing members."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..clock import utcnow
from ..errors import Conflict, DomainError, Throttled, ValidationFailed
from ..extensions import db
from ..pages import attempt
from ..timebank.models import Account
from . import services
from .forms import (
    ForgotPasswordForm,
    NewMemberForm,
    OrganisationSettingsForm,
    SetPasswordForm,
    SignInForm,
)
from .models import User

bp = Blueprint("auth", __name__)


def _policy() -> services.ThrottlePolicy:
    config = current_app.config
    return services.ThrottlePolicy(
        config["SIGNIN_WINDOW_MINUTES"],
        config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"],
        config["SIGNIN_MAX_FAILURES_PER_ADDRESS"],
    )


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never a user-controlled redirect elsewhere."""
    if (
        target
        and target.startswith("/")
        and target.isprintable()
        and not any(character.isspace() or character == "\\" for character in target)
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not target.startswith("//"):
            return target
    return url_for("main.home")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.authenticate(
                db.session,
                email=form.email.data,
                password=form.password.data,
                address=request.remote_addr or "unknown",
                now=utcnow(),
                policy=_policy(),
            ),
            form=form,
            expected=(Throttled,),
        )
        if not outcome.ok:
            return render_template("auth/sign_in.html", form=form), 429, outcome.error.headers
        user = outcome.value
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        form.email.errors = ["Enter a correct email address and password."]
        status = 200
    return render_template("auth/sign_in.html", form=form), status


@bp.post("/sign-out")
def sign_out():
    logout_user()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


def _set_password_page(purpose: str, token: str, template: str, done_message: str):
    now = utcnow()
    user_token = services.find_user_token(db.session, token, purpose, now)
    form = SetPasswordForm()
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.set_password_with_token(
                db.session, raw_token=token, purpose=purpose, password=form.password.data, now=now
            ),
            form=form,
            expected=(DomainError,),
        )
        if outcome.ok:
            login_user(outcome.value)
            flash(done_message, "success")
            return redirect(url_for("main.home"))
    return render_template(template, form=form, person=user_token.user)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    return _set_password_page(
        "invitation", token, "auth/accept_invitation.html", "Your password is set. Welcome."
    )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _set_password_page(
        "password_reset", token, "auth/reset_password.html", "Your password has been changed."
    )


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():

        def request_reset() -> None:
            services.check_throttle(
                db.session,
                email=form.email.data,
                address=request.remote_addr or "unknown",
                now=utcnow(),
                policy=_policy(),
            )
            services.request_password_reset(
                db.session,
                email=form.email.data,
                now=utcnow(),
                base_url=current_app.config["BASE_URL"],
                hours=current_app.config["PASSWORD_RESET_HOURS"],
            )

        if attempt(request_reset, form=form, expected=(DomainError,)).ok:
            return render_template("auth/reset_sent.html", email=form.email.data)
    return render_template("auth/forgot_password.html", form=form)


@bp.get("/members")
@login_required
def members():
    services.require_coordinator(current_user)
    rows = db.session.execute(
        select(User, Account.balance_minutes)
        .join(Account, Account.user_id == User.id)
        .where(User.organisation_id == current_user.organisation_id)
        .order_by(User.name)
    ).all()
    return render_template("auth/members.html", rows=rows)


@bp.route("/members/new", methods=["GET", "POST"])
@login_required
def member_new():
    services.require_coordinator(current_user)
    form = NewMemberForm()
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.create_member(
                db.session,
                actor=current_user,
                new=services.NewMember(
                    name=form.name.data,
                    email=form.email.data or None,
                    postcode=form.postcode.data or None,
                    role=form.role.data,
                ),
                now=utcnow(),
                base_url=current_app.config["BASE_URL"],
                invitation_days=current_app.config["INVITATION_DAYS"],
            ),
            form=form,
            expected=(DomainError,),
        )
        if outcome.ok:
            user = outcome.value
            if user.email:
                flash(
                    f"{user.name} has been added and an invitation sent to {user.email}.", "success"
                )
            else:
                flash(f"{user.name} has been added. You can record exchanges for them.", "success")
            return redirect(url_for("auth.members"))
    return render_template("auth/member_new.html", form=form)


@bp.post("/members/<id:member_id>/invite")
@login_required
def member_invite(member_id: int):
    """Send the invitation a member added without one (moved in, say) has not had yet."""
    outcome = attempt(
        lambda: services.invite_member(
            db.session,
            actor=current_user,
            member_id=member_id,
            now=utcnow(),
            base_url=current_app.config["BASE_URL"],
            days=current_app.config["INVITATION_DAYS"],
        ),
        expected=(Conflict, ValidationFailed),
        banner=True,
    )
    if outcome.ok:
        flash(f"An invitation is on its way to {outcome.value.email}.", "success")
    return redirect(url_for("auth.members"))


@bp.route("/organisation/settings", methods=["GET", "POST"])
@login_required
def organisation_settings():
    services.require_coordinator(current_user)
    organisation = current_user.organisation
    form = OrganisationSettingsForm(
        data=None
        if request.method == "POST"
        else {
            "min_hours": str(-organisation.min_balance_minutes // 60),
            "max_hours": str(organisation.max_balance_minutes // 60),
            "hourly_rate": f"{organisation.hourly_rate_pence / 100:.2f}",
            "auto_confirm_days": str(organisation.auto_confirm_days or ""),
        }
    )
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.update_organisation_settings(
                db.session,
                actor=current_user,
                organisation_id=organisation.id,
                min_balance_minutes=form.min_minutes,
                max_balance_minutes=form.max_minutes,
                hourly_rate_pence=form.rate_pence,
                auto_confirm_days=form.auto_days,
            ),
            form=form,
            expected=(DomainError,),
        )
        if outcome.ok:
            flash("The settings are saved. Balances have not changed.", "success")
            return redirect(url_for("auth.organisation_settings"))
    return render_template("auth/organisation_settings.html", form=form, organisation=organisation)

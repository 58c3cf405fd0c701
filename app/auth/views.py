"""Pages for signing in and out, invitations, password reset and managing members."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ..clock import london_date, utcnow
from ..errors import Conflict, DomainError, Throttled, ValidationFailed
from ..extensions import db
from ..pages import attempt
from ..templating import format_date
from ..timebank.models import Account
from . import acting, permissions, services
from .acting import ACTING_KEY
from .forms import (
    ActingArrangementForm,
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
            session.pop(ACTING_KEY, None)
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        form.email.errors = [_("Enter a correct email address and password.")]
        status = 200
    return render_template("auth/sign_in.html", form=form), status


@bp.post("/sign-out")
def sign_out():
    session.pop(ACTING_KEY, None)
    if current_user.is_authenticated:
        # Server-side: a copy of this session's cookie stops working too. Acting for a member,
        # it is the coordinator's own session that ends, never the member's.
        user = (
            getattr(current_user, "acting_coordinator", None) or current_user._get_current_object()
        )
        attempt(lambda: services.end_session(db.session, user))
    logout_user()
    flash(_("You have signed out."), "success")
    return redirect(url_for("auth.sign_in"))


@bp.get("/account/tokens")
@login_required
def tokens():
    views = services.tokens_of(
        db.session, current_user, utcnow(), current_app.config["API_TOKEN_DAYS"]
    )
    return render_template("auth/tokens.html", tokens=views)


@bp.post("/account/tokens/<id:token_id>/revoke")
@login_required
def token_revoke(token_id: int):
    attempt(
        lambda: services.revoke_own_token(
            db.session, actor=current_user, token_id=token_id, now=utcnow()
        ),
        expected=(),
    )
    flash(_("The token is revoked: it no longer works."), "success")
    return redirect(url_for("auth.tokens"))


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    user = current_user._get_current_object()
    attempt(lambda: services.end_every_session(db.session, user, utcnow()))
    logout_user()
    flash(_("You are signed out on every device, and every API token is revoked."), "success")
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
        "invitation", token, "auth/accept_invitation.html", _("Your password is set. Welcome.")
    )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _set_password_page(
        "password_reset", token, "auth/reset_password.html", _("Your password has been changed.")
    )


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        outcome = attempt(
            lambda: services.request_password_reset(
                db.session,
                email=form.email.data,
                address=request.remote_addr or "unknown",
                now=utcnow(),
                base_url=current_app.config["BASE_URL"],
                policy=_policy(),
                hours=current_app.config["PASSWORD_RESET_HOURS"],
            ),
            form=form,
            expected=(DomainError,),
        )
        if outcome.ok:
            # The same page, whether or not the address has an account.
            return render_template("auth/reset_sent.html", email=form.email.data)
        if isinstance(outcome.error, Throttled):
            page = render_template("auth/forgot_password.html", form=form)
            return page, 429, outcome.error.headers
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
    return render_template(
        "auth/members.html", rows=rows, can_be_acted_for=permissions.can_be_acted_for
    )


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
                flash(_("The member is added and an invitation is sent to their email."), "success")
            else:
                flash(_("The member is added. You can record exchanges for them."), "success")
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
        flash(_("An invitation is on its way to %(email)s.", email=outcome.value.email), "success")
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
            rename={
                "min_balance_minutes": "min_hours",
                "max_balance_minutes": "max_hours",
                "hourly_rate_pence": "hourly_rate",
            },
            messages={"min_balance_minutes": _("Enter a whole number of hours from 0 to 200.")},
        )
        if outcome.ok:
            flash(_("The settings are saved. Balances have not changed."), "success")
            return redirect(url_for("auth.organisation_settings"))
    return render_template("auth/organisation_settings.html", form=form, organisation=organisation)


# --- acting for a member ----------------------------------------------------------------------


@bp.app_template_global()
def describe_acted(event) -> str:
    return acting.describe_acted(event)


@bp.route("/members/<id:member_id>/acting", methods=["GET", "POST"])
@login_required
def acting_page(member_id: int):
    """A coordinator's page for acting for one member: what they asked, and the button to start."""
    person = acting.member_for_arrangements(db.session, actor=current_user, member_id=member_id)
    form = ActingArrangementForm()
    if form.validate_on_submit():
        outcome = attempt(
            lambda: acting.record_arrangement(
                db.session,
                actor=current_user,
                member_id=person.id,
                asked_on=form.asked_on.data,
                reason=form.reason.data,
                until=form.until.data,
                now=utcnow(),
            ),
            form=form,
            expected=(DomainError,),
        )
        if outcome.ok:
            flash(
                _(
                    "Written down: %(name)s asked you to act for them until %(day)s.",
                    name=person.name,
                    day=format_date(outcome.value.until),
                ),
                "success",
            )
            return redirect(url_for("auth.acting_page", member_id=person.id))
    return render_template(
        "auth/acting.html",
        form=form,
        person=person,
        arrangements=acting.arrangements_of(db.session, person),
        today=london_date(utcnow()),
        is_live=acting.is_live,
    )


@bp.post("/acting/<id:arrangement_id>/start")
@login_required
def acting_start(arrangement_id: int):
    outcome = attempt(
        lambda: acting.start_acting(
            db.session, actor=current_user, arrangement_id=arrangement_id, now=utcnow()
        ),
        banner=True,
    )
    if not outcome.ok:
        return redirect(request.referrer or url_for("auth.members"))
    session[ACTING_KEY] = outcome.value.id
    return redirect(url_for("main.home"))


@bp.post("/acting/stop")
@login_required
def acting_stop():
    if current_user.acting_coordinator is None:
        session.pop(ACTING_KEY, None)
        return redirect(url_for("main.home"))
    member = current_user._get_current_object()
    attempt(lambda: acting.stop_acting(db.session, actor=member, now=utcnow()))
    session.pop(ACTING_KEY, None)
    flash(_("You have stopped acting for %(name)s.", name=member.name), "success")
    return redirect(url_for("auth.acting_page", member_id=member.id))


@bp.post("/acting/<id:arrangement_id>/end")
@login_required
def acting_end(arrangement_id: int):
    outcome = attempt(
        lambda: acting.end_arrangement(
            db.session, actor=current_user, arrangement_id=arrangement_id, now=utcnow()
        ),
        banner=True,
    )
    if outcome.ok:
        arrangement = outcome.value
        if arrangement.member_id == current_user.id:
            flash(
                _("%(name)s can no longer act for you.", name=arrangement.coordinator.name),
                "success",
            )
            return redirect(url_for("auth.acting_for_you"))
        flash(
            _(
                "Nobody can act for %(name)s under that arrangement now.",
                name=arrangement.member.name,
            ),
            "success",
        )
        return redirect(url_for("auth.acting_page", member_id=arrangement.member_id))
    return redirect(request.referrer or url_for("main.home"))


@bp.get("/acting-for-you")
@login_required
def acting_for_you():
    """A member's page: who may act for them, what they did, and a button to stop it."""
    member = current_user
    log = acting.acted_for_log(db.session, member)
    ids = {event.actor_id for event in log} - {None}
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    return render_template(
        "auth/acting_for_you.html",
        arrangements=acting.arrangements_of(db.session, member),
        log=log,
        names=names,
        today=london_date(utcnow()),
        is_live=acting.is_live,
    )

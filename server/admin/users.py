"""Users pages: who signs in, with which role and points; invitations (first one, or after a lost phone).

Admins see and manage everyone. Coordinators see the volunteers of their points and themselves, invite volunteers
for their points, and change those volunteers' points among their own. A user out of reach is a 404.
An invitation link is shown once, right after it is created: only its hash is stored.
"""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from server.admin import bp
from server.admin.user_forms import ROLE_LABELS, InviteForm, UserEditForm
from server.admin.views import form_page, paginate
from server.auth.access import staff_required
from server.auth.session import current_user
from server.domain import DomainError
from server.domain.users import (
    Invitation,
    can_manage,
    can_see,
    create_invitation,
    invite_user,
    update_user,
    visible_users_query,
)
from server.extensions import db
from server.models import Passkey, User
from server.qr import inline_svg
from server.urls import external_url


@bp.get("/users/")
@staff_required
def users():
    actor = current_user()
    query = visible_users_query(actor).options(selectinload(User.points))
    page = paginate(query.order_by(User.active.desc(), User.display_name, User.email, User.id))
    ids = [user.id for user in page.items]
    passkey_counts = dict(
        db.session.execute(
            select(Passkey.user_id, func.count(Passkey.id)).where(Passkey.user_id.in_(ids)).group_by(Passkey.user_id)
        ).all()
    )
    return render_template(
        "admin/users.html",
        page=page,
        passkey_counts=passkey_counts,
        role_labels=ROLE_LABELS,
        manageable={user.id for user in page.items if can_manage(actor, user)},
        form=FlaskForm(),
    )


@bp.route("/users/new", methods=["GET", "POST"])
@staff_required
def user_new():
    actor = current_user()
    form = InviteForm(actor=actor)
    if form.validate_on_submit():
        try:
            invitation = invite_user(actor, form.values())
            db.session.commit()
        except DomainError as refused:
            db.session.rollback()
            field = form.field_named(refused.field)
            (field.errors if field is not None else form.form_errors).append(str(refused))
        except IntegrityError:  # the same e-mail invited at the same moment by someone else
            db.session.rollback()
            current_app.logger.warning("integrity error on %s", request.path, exc_info=True)
            form.email.errors.append(
                _("Someone already has this e-mail address: send them a new invitation from their page instead.")
            )
        else:
            return _invited_page(invitation, new=True)
    status = 400 if form.errors else 200
    return render_template("admin/form.html", form=form, title=_("Invite someone"), back=url_for(".users")), status


@bp.route("/users/<id:user_id>/edit", methods=["GET", "POST"])
@staff_required
def user_edit(user_id: int):
    actor = current_user()
    user = _visible_user(actor, user_id)
    return form_page(
        UserEditForm(actor=actor, user=user),
        lambda values: update_user(actor, user, values),
        title=_("User: %(name)s", name=user.display_name or user.email),
        back=url_for(".users"),
        saved=_("User saved."),
    )


@bp.post("/users/<id:user_id>/invite")
@staff_required
def user_invite(user_id: int):
    actor = current_user()
    user = _visible_user(actor, user_id)
    if not FlaskForm().validate_on_submit():  # CSRF is checked before the view; this is belt and braces
        return redirect(url_for(".users"))
    try:
        invitation = create_invitation(actor, user)
        db.session.commit()
    except DomainError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return redirect(url_for(".users"))
    return _invited_page(invitation, new=False)


def _visible_user(actor: User, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not can_see(actor, user):
        abort(404)  # a coordinator must not even learn that users of other points exist
    return user


def _invited_page(invitation: Invitation, *, new: bool):
    """The link, shown this once; never cached, since it lets its holder create a passkey for the account."""
    url = external_url("auth.invitation", token=invitation.token)
    response = current_app.make_response(
        render_template(
            "admin/user_invited.html",
            user=invitation.user,
            url=url,
            qr=inline_svg(url, _("Invitation QR code")),
            expires_at=invitation.expires_at,
            hours=current_app.config["INVITATION_HOURS"],
            new=new,
            role_labels=ROLE_LABELS,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response

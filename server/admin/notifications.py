"""Push notifications in the admin: who subscribed (per person: members and users), what they were last sent,
removal; and the volunteers assigned to a distribution, who get its reminder. See ``docs/push.md``."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import or_, select, true
from sqlalchemy.orm import contains_eager, selectinload
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from server.admin import bp
from server.admin.forms import managed
from server.admin.views import paginate
from server.audit import record
from server.auth.access import manages_point, require_points, staff_required
from server.auth.session import current_user
from server.domain.users import can_see, visible_users_query
from server.extensions import db
from server.models import Distribution, Household, PushDelivery, PushSubscription, User
from server.models.people import user_points


def _visible(actor: User):
    """A condition on subscriptions joined to their household: those of members of points ``actor`` manages, or of
    users ``actor`` may see; all for an admin (no subquery over every household then)."""
    if actor.role == "admin":
        return true()
    users = visible_users_query(actor).with_only_columns(User.id)
    return or_(PushSubscription.user_id.in_(users), managed(Household.point_id, actor))


def _owner(subscription: PushSubscription) -> str:
    if subscription.household is not None:
        return subscription.household.display_name
    return subscription.user.display_name or subscription.user.email


def may_manage_subscription(actor: User, subscription: PushSubscription) -> bool:
    if subscription.household is not None:
        return manages_point(actor, subscription.household.point_id)
    return can_see(actor, subscription.user)


def last_deliveries(subscription_ids: list[int]) -> dict[int, PushDelivery]:
    """The last delivery (by creation, then id) of each of ``subscription_ids``: one statement, one index probe per
    subscription (``ix_push_deliveries_last``), whatever the deliveries' history."""
    if not subscription_ids:
        return {}
    latest = (
        select(PushDelivery.id)
        .where(PushDelivery.subscription_id == PushSubscription.id)
        .order_by(PushDelivery.created_at.desc(), PushDelivery.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    ids = select(latest).where(PushSubscription.id.in_(subscription_ids))
    return {d.subscription_id: d for d in db.session.scalars(select(PushDelivery).where(PushDelivery.id.in_(ids)))}


@bp.get("/notifications/")
@staff_required
def notifications():
    actor = current_user()
    page = paginate(
        select(PushSubscription)
        .outerjoin(PushSubscription.household)
        .where(_visible(actor))
        .options(
            contains_eager(PushSubscription.household),
            selectinload(PushSubscription.user),
            selectinload(PushSubscription.device),
        )
        # A person's browsers together, in the order of ``ix_push_subscriptions_owner``: a page is an index range,
        # where an order by name would sort every subscription of the network (and join every household) first.
        .order_by(PushSubscription.household_id, PushSubscription.user_id, PushSubscription.id)
    )
    last = last_deliveries([s.id for s in page.items])
    people: dict[str, list[PushSubscription]] = {}
    for subscription in page.items:
        people.setdefault(_owner(subscription), []).append(subscription)
    return render_template("admin/notifications.html", page=page, people=people, last=last, form=FlaskForm())


@bp.post("/notifications/<id:subscription_id>/delete")
@staff_required
def notification_delete(subscription_id: int):
    subscription = db.get_or_404(PushSubscription, subscription_id)
    actor = current_user()
    if not may_manage_subscription(actor, subscription):
        abort(404)
    if FlaskForm().validate_on_submit():
        owner = _owner(subscription)
        record("push.subscription_removed", target=owner, subscription=subscription.id)
        db.session.delete(subscription)
        db.session.commit()
        flash(_("Notifications to %(name)s on that browser are turned off.", name=owner), "success")
    return redirect(url_for(".notifications"))


# Volunteers assigned to a distribution.


class AssignmentForm(FlaskForm):
    volunteers = SelectMultipleField(
        _l("Volunteers assigned"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        description=_l(
            "They see it in the volunteer app and, if they turned notifications on, get a reminder the day before. "
            "Volunteers and coordinators of the point can be chosen."
        ),
        invalid_choice_message=_l("Choose volunteers from the list."),
    )


def assignable(distribution: Distribution) -> list[User]:
    """Active volunteers and coordinators of the distribution's point."""
    at_point = select(user_points.c.user_id).where(user_points.c.point_id == distribution.point_id)
    return list(
        db.session.scalars(
            select(User).where(User.active.is_(True), User.id.in_(at_point)).order_by(User.display_name, User.email)
        )
    )


@bp.route("/distributions/<id:distribution_id>/volunteers", methods=["GET", "POST"])
@staff_required
def distribution_volunteers(distribution_id: int):
    distribution = db.get_or_404(Distribution, distribution_id)
    require_points([distribution.point_id])
    candidates = assignable(distribution)
    form = AssignmentForm()
    form.volunteers.choices = [SelectChoice(str(u.id), u.display_name or u.email) for u in candidates]
    if form.validate_on_submit():
        chosen = set(form.volunteers.data)
        distribution.volunteers = [user for user in candidates if user.id in chosen]
        record("distribution.volunteers", target=f"distribution {distribution.id}", volunteers=sorted(chosen))
        db.session.commit()
        flash(_("Volunteers saved. They are reminded the day before."), "success")
        return redirect(url_for(".distribution_volunteers", distribution_id=distribution.id))
    if not form.is_submitted():
        form.volunteers.data = [user.id for user in distribution.volunteers]
    status = 400 if form.errors else 200
    title = _(
        "Volunteers at %(point)s, %(when)s",
        point=distribution.point.name,
        when=format_datetime(distribution.starts_at, "EEE d MMM y, HH:mm"),
    )
    return render_template("admin/form.html", form=form, title=title, back=url_for(".distributions")), status

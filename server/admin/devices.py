"""Volunteer phones: the list, enrolment (a QR code and a one-time link), revocation. See ``docs/devices.md``.

Admins see and manage every device; coordinators the devices of their points, and enrol only for those.
"""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from server.admin import bp
from server.admin.views import paginate
from server.auth.access import manages_point, staff_required
from server.auth.session import current_user
from server.domain import DomainError
from server.domain.devices import NAME_MAX, create_enrolment, devices_visible_to, may_manage_device, revoke_device
from server.extensions import db
from server.models import Device, Point
from server.qr import inline_svg

QR_SIZE_PX = 264


def at_least_one(message: str):
    """A checkbox group needs one ticked box, not all: checked here, on the server, and shown next to the group.
    (``DataRequired`` would put ``required`` on every checkbox, and the browser would then ask for all of them.)"""

    def check(form: FlaskForm, field) -> None:
        if not field.data:
            raise ValidationError(message)

    return check


class DeviceEnrolForm(FlaskForm):
    name = StringField(
        _l("Name of the phone"),
        [DataRequired(_l("Give the phone a name, such as “Phone 1 of Noisiel”.")), Length(max=NAME_MAX)],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        description=_l("Shown in the list of phones, such as “Phone 1 of Noisiel” or “Marie's phone”."),
    )
    points = SelectMultipleField(
        _l("Points where it will be used"),
        [at_least_one(_l("Tick at least one point; tick them all for a phone used across the whole network."))],
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        invalid_choice_message=_l("Choose points from the list."),
    )


def enrolable_points() -> list[Point]:
    """The active points the signed-in user may enrol phones for."""
    user = current_user()
    points = db.session.scalars(select(Point).where(Point.active.is_(True)).order_by(Point.name)).all()
    return [point for point in points if manages_point(user, point.id)]


@bp.get("/devices/")
@staff_required
def devices():
    """The phones the user may see, active ones first, ``PER_PAGE`` a page (as every admin list)."""
    user = current_user()
    page = paginate(
        devices_visible_to(user)
        .options(selectinload(Device.points), selectinload(Device.last_user))
        .order_by(Device.revoked_at.is_not(None), Device.name, Device.id)
    )
    return render_template(
        "admin/devices.html",
        page=page,
        form=FlaskForm(),
        manageable={device.id for device in page.items if may_manage_device(user, device)},
    )


@bp.route("/devices/enrol", methods=["GET", "POST"])
@staff_required
def device_enrol():
    form = DeviceEnrolForm()
    form.points.choices = [SelectChoice(str(p.id), f"{p.name}, {p.town}") for p in enrolable_points()]
    if not form.points.choices:
        flash(_("There is no active point you can enrol a phone for."), "error")
        return redirect(url_for(".devices"))
    if form.validate_on_submit():
        points = db.session.scalars(select(Point).where(Point.id.in_(form.points.data))).all()
        try:
            enrolment, token = create_enrolment(current_user(), form.name.data, points)
            db.session.commit()
        except DomainError as refused:
            db.session.rollback()
            field = getattr(form, refused.field or "", None)
            (field.errors if field is not None else form.form_errors).append(str(refused))
        else:
            # The token travels in the fragment: browsers never send it to a server, a log or a Referer.
            link = f"{current_app.config['BASE_URL'].rstrip('/')}/app/enrol#{token}"
            minutes = current_app.config["DEVICE_ENROLMENT_MINUTES"]
            response = current_app.make_response(
                render_template(
                    "admin/device_enrol.html",
                    link=link,
                    qr=inline_svg(link, _("Enrolment QR code"), QR_SIZE_PX),
                    name=form.name.data,
                    points=sorted(points, key=lambda p: p.name),
                    minutes=minutes,
                    expires_at=enrolment.expires_at,
                )
            )
            response.headers["Cache-Control"] = "no-store"
            return response
    status = 400 if form.errors else 200
    return render_template("admin/device_enrol.html", form=form), status


@bp.post("/devices/<id:device_id>/revoke")
@staff_required
def device_revoke(device_id: int):
    device = db.get_or_404(Device, device_id)
    user = current_user()
    if not may_manage_device(user, device):
        abort(404)  # a coordinator does not learn that another point's phones exist
    if FlaskForm().validate_on_submit():
        if revoke_device(device, user):
            db.session.commit()
            flash(_("The phone “%(name)s” is revoked. What it sent before is kept.", name=device.name), "success")
        else:
            flash(_("The phone “%(name)s” was already revoked.", name=device.name), "success")
    return redirect(url_for(".devices"))

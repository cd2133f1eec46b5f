"""Producers: the list (searched, paged), a producer's page (their products, links to their cheques and reports),
and the form. Coordinators read them; admins change them (``docs/producers.md``)."""

from flask import render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from stdnum import iban as stdnum_iban

from server.admin import bp
from server.admin.producer_forms import ProducerForm
from server.admin.views import actor, form_page, paginate
from server.auth.access import admin_required, staff_required
from server.domain.producers import create_producer, update_producer
from server.extensions import db
from server.models import Producer, Product
from server.search_text import search_pattern


@bp.get("/producers/")
@staff_required
def producers():
    text = request.args.get("q", "").strip()[:100]
    show = request.args.get("show", "active")
    query = select(Producer)
    if text:
        pattern = search_pattern(text)
        query = query.where(
            or_(
                Producer.name.ilike(pattern, escape="\\"),
                Producer.contact.ilike(pattern, escape="\\"),
                Producer.cheque_payee.ilike(pattern, escape="\\"),
            )
        )
    if show == "inactive":
        query = query.where(Producer.active.is_(False))
    elif show != "all":
        show = "active"
        query = query.where(Producer.active.is_(True))
    page = paginate(query.order_by(Producer.sort_name, Producer.id))
    counts = dict(
        db.session.execute(
            select(Product.producer_id, func.count(Product.id))
            .where(Product.producer_id.in_([p.id for p in page.items]), Product.active.is_(True))
            .group_by(Product.producer_id)
        ).all()
    )
    return render_template("admin/producers.html", page=page, q=text, show=show, product_counts=counts)


@bp.get("/producers/<id:producer_id>")
@staff_required
def producer_detail(producer_id: int):
    producer = db.get_or_404(Producer, producer_id)
    page = paginate(select(Product).where(Product.producer_id == producer.id).order_by(Product.name, Product.id))
    iban_text = stdnum_iban.format(producer.iban) if producer.iban else ""
    return render_template("admin/producer.html", producer=producer, page=page, iban_text=iban_text)


@bp.route("/producers/new", methods=["GET", "POST"])
@admin_required
def producer_new():
    return form_page(
        ProducerForm(),
        lambda values: create_producer(values, actor=actor()),
        title=_("New producer"),
        back=url_for(".producers"),
        saved=_("Producer created."),
    )


@bp.route("/producers/<id:producer_id>/edit", methods=["GET", "POST"])
@admin_required
def producer_edit(producer_id: int):
    producer = db.get_or_404(Producer, producer_id)
    return form_page(
        ProducerForm(obj=producer),
        lambda values: update_producer(producer, values, actor=actor()),
        title=_("Producer: %(name)s", name=producer.name),
        back=url_for(".producer_detail", producer_id=producer.id),
        saved=_("Producer saved."),
    )

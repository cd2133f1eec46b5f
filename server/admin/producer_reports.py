"""Per-producer reports (``server.domain.producer_reports``): a distribution's "bons de commande" and what each
producer is owed, printable and as CSV; a producer's figures over a period, distribution by distribution. Staff read
them for the points they manage (``docs/producers.md``, "Reports")."""

from datetime import date, timedelta
from decimal import Decimal

from flask import render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _

from server.admin import bp
from server.admin.exports import csv_response, euros
from server.admin.forms import managed, network_timezone
from server.admin.log import _distribution
from server.admin.views import actor
from server.auth.access import staff_required
from server.clock import today
from server.domain.orders_close import closes_at, orders_closed
from server.domain.producer_reports import (
    MAX_PERIOD_DAYS,
    DistributionReport,
    ProducerReport,
    distribution_report,
    period_report,
    producers_named,
)
from server.extensions import db
from server.models import Producer

DEFAULT_DAYS = 31


def quantity_text(quantity: int, sold_by: str) -> str:
    """A quantity as people read it: pieces as they are, grams as kilograms ("1,25 kg"), litres with "L"."""
    if sold_by == "kg":
        return f"{format_decimal(Decimal(quantity) / 1000, format='#,##0.###')} kg"
    if sold_by == "litre":
        return f"{format_decimal(quantity)} L"
    return format_decimal(quantity)


def _ordered(report: DistributionReport) -> list[tuple[Producer | None, ProducerReport]]:
    named = producers_named(report.producers)
    found = [(named.get(producer_id), figures) for producer_id, figures in report.producers.items()]
    return sorted(found, key=lambda pair: (pair[0] is None, pair[0].name.lower() if pair[0] else ""))


@bp.get("/distributions/<id:distribution_id>/producers")
@staff_required
def distribution_producers(distribution_id: int):
    distribution = _distribution(distribution_id)
    report = distribution_report(distribution)
    only = request.args.get("producer", type=int)
    sections = [(p, r) for p, r in _ordered(report) if only is None or (p is not None and p.id == only)]
    return render_template(
        "admin/producer_reports.html",
        distribution=distribution,
        report=report,
        sections=sections,
        quantity_text=quantity_text,
        orders_close=closes_at(distribution),
        final=orders_closed(distribution),
    )


@bp.get("/distributions/<id:distribution_id>/producers.csv")
@staff_required
def distribution_producers_csv(distribution_id: int):
    distribution = _distribution(distribution_id)
    report = distribution_report(distribution)
    day = distribution.starts_at.astimezone(network_timezone()).date().isoformat()
    rows = [
        [day, distribution.point.name, distribution.id, producer.name if producer else "", *_figures(row)]
        for producer, figures in _ordered(report)
        for row in figures.rows()
    ]
    header = [_("Date"), _("Point"), _("Distribution"), _("Producer"), *_figures_header()]
    return csv_response(f"producteurs-{day}-{distribution.id}.csv", header, rows)


def _figures(row) -> list:
    return [
        row.code,
        row.name,
        row.sold_by,
        row.ordered,
        row.handed_over,
        row.short,
        row.refused,
        row.waiting,
        row.sold_extra,
        euros(row.ordered_cents),
        euros(row.due_cents),
        row.due_cents,
        euros(row.solidarity_cents),
        row.solidarity_cents,
    ]


def _figures_header() -> list[str]:
    return [
        _("Code"),
        _("Product"),
        _("Sold by"),
        _("Ordered"),
        _("Handed over"),
        _("Not delivered (shortage)"),
        _("Refused or left"),
        _("Not yet collected"),
        _("Sold as extras"),
        _("Ordered (€)"),
        _("Due to the producer (€)"),
        _("Due to the producer (cents)"),
        _("Solidarity share paid by the network (€)"),
        _("Solidarity share (cents)"),
    ]


def _period() -> tuple[date, date]:
    def arg(name: str) -> date | None:
        try:
            return date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            return None

    end = arg("to") or today(network_timezone())
    start = arg("from") or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    return start, min(end, start + timedelta(days=MAX_PERIOD_DAYS - 1))


@bp.get("/producers/<id:producer_id>/report")
@staff_required
def producer_report(producer_id: int):
    producer = db.get_or_404(Producer, producer_id)
    start, end = _period()
    user = actor()
    report = period_report(producer, start, end, network_timezone(), lambda column: managed(column, user))
    return render_template("admin/producer_period.html", producer=producer, report=report, quantity_text=quantity_text)


@bp.get("/producers/<id:producer_id>/report.csv")
@staff_required
def producer_report_csv(producer_id: int):
    producer = db.get_or_404(Producer, producer_id)
    start, end = _period()
    user = actor()
    report = period_report(producer, start, end, network_timezone(), lambda column: managed(column, user))
    tz = network_timezone()
    rows = [
        [
            row.distribution.starts_at.astimezone(tz).date().isoformat(),
            row.distribution.point.name,
            row.distribution.id,
            producer.name,
            *_figures(figures),
        ]
        for row in report.rows
        for figures in row.report.rows()
    ]
    header = [_("Date"), _("Point"), _("Distribution"), _("Producer"), *_figures_header()]
    return csv_response(f"producteur-{producer.id}-{start.isoformat()}-{end.isoformat()}.csv", header, rows)

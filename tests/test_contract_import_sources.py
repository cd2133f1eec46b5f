"""The subscriptions import reads the documented samples as they come (docs/contracts-import.md): Comptoir's own
format, CAMAP's per-member export of a contract with its subscriptions export (shared baskets), and an Open Food
Network orders report, into a dairy contract of the demo network's Noisiel point."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import server.auth  # noqa: F401  (before server.audit, which the domain imports: server.audit ↔ server.auth cycle)
from server.clock import utcnow
from server.domain.contract_import import SubscriptionsPlan, apply_subscriptions_import, parse_subscriptions_csv
from server.domain.contracts import create_contract
from server.extensions import db
from server.models import Contract, Household, Point, Producer, Subscription

DOCS = Path(__file__).resolve().parent.parent / "docs"
DAIRY = "Ferme laitière du Petit Morin (Coulommiers)"


@pytest.fixture
def demo(app):
    from server.demo.loader import load_demo

    with app.test_request_context(headers={"Accept-Language": "en"}):
        load_demo()
        db.session.commit()
        yield


def _dairy_contract(name: str = "Laitages — saison d'hiver", weeks: int = 0) -> Contract:
    """A dairy contract at Noisiel for three weeks from ``weeks`` on (seasons apart: one product, one contract)."""
    point = db.session.scalar(select(Point).where(Point.town == "Noisiel"))
    producer = db.session.scalar(select(Producer).where(Producer.name == DAIRY))
    contract = create_contract(
        point,
        {
            "name": name,
            "producer_id": producer.id,
            "starts_on": utcnow().date() + timedelta(weeks=weeks),
            "ends_on": utcnow().date() + timedelta(weeks=weeks + 3, days=-1),
        },
    )
    db.session.commit()
    return contract


def _emails() -> dict[int, str]:
    return {h.id: h.email for h in db.session.scalars(select(Household).where(Household.id < 80))}


def _read(contract: Contract, name: str, export: str | None = None):
    data = (DOCS / name).read_bytes()
    return parse_subscriptions_csv(data, contract, export=(DOCS / export).read_bytes() if export else None)


def _plan(contract: Contract, name: str, export: str | None = None) -> SubscriptionsPlan:
    result = _read(contract, name, export)
    assert isinstance(result, SubscriptionsPlan), [(e.line, e.column, e.reason, e.value) for e in result]
    return result


def _said(contract: Contract) -> dict[str, tuple]:
    emails = _emails()
    db.session.expire_all()
    return {
        emails[s.household_id]: (
            {q.contract_product.product.code: q.quantity for q in s.quantities},
            emails.get(s.partner_id),
            s.status,
        )
        for s in db.session.scalars(select(Subscription).where(Subscription.contract_id == contract.id))
    }


def test_the_samples_import_into_the_demo_network(demo):
    own = _dairy_contract()
    summary, done = apply_subscriptions_import(own, _plan(own, "contracts-sample.csv"), filename="contracts-sample.csv")
    db.session.commit()
    assert (summary.created, summary.products_added, summary.lines) == (5, 2, 6)
    assert done.touched > 0
    assert _said(own)["nathalie.robin@example.org"] == ({"BRIE": 1}, "sylvie.robin@example.org", "active")
    assert _said(own)["sophie.marchand@example.org"] == ({"YAOURTS": 1}, None, "waiting")
    assert {p.product.code: p.unit_price_cents for p in own.products} == {"YAOURTS": 340, "BRIE": 720}

    # CAMAP: the contract's per-member export, with the subscriptions export for the shared baskets; the contract
    # is found in the export by its producer (vendorName), its name in Comptoir being another
    camap = _dairy_contract("Laitages CAMAP", weeks=3)
    plan = _plan(camap, "contracts-camap-member-sample.csv", "contracts-camap-subscriptions-sample.csv")
    assert plan.partners_from_export == 1
    summary, _done = apply_subscriptions_import(camap, plan)
    db.session.commit()
    said = _said(camap)
    assert said["elif.demir@example.org"] == ({"YAOURTS": 2, "BRIE": 1}, None, "active")
    assert said["monique.moreau@example.org"] == ({"YAOURTS": 1}, None, "active")  # "MOREAU Monique / Paul"
    assert said["nathalie.robin@example.org"] == ({"BRIE": 1}, "sylvie.robin@example.org", "active")
    assert len(said) == 5 and summary.lines == 7
    # the same two files again: nothing changes
    summary, done = apply_subscriptions_import(
        camap, _plan(camap, "contracts-camap-member-sample.csv", "contracts-camap-subscriptions-sample.csv")
    )
    assert (summary.created, summary.updated, summary.unchanged, done.touched) == (0, 0, 5, 0)

    # Open Food Network: an order cycle's customer totals of the producer, TOTAL rows skipped, by e-mail
    ofn = _dairy_contract("Laitages OFN", weeks=6)
    plan = _plan(ofn, "contracts-ofn-sample.csv")
    assert [(s.line, s.reason) for s in plan.skipped] == [(4, "total_row"), (6, "total_row"), (8, "total_row")]
    apply_subscriptions_import(ofn, plan)
    db.session.commit()
    assert _said(ofn) == {
        "sophie.marchand@example.org": ({"YAOURTS": 2, "BRIE": 1}, None, "active"),
        "sophie.carpentier@example.org": ({"YAOURTS": 1}, None, "active"),
        "linh.liu@example.org": ({"BRIE": 2}, None, "active"),
    }
    # OFN's "Item (€)" is a line total: the contract takes the products' catalogue prices
    assert {p.product.code: p.unit_price_cents for p in ofn.products} == {"YAOURTS": 340, "BRIE": 720}


def test_the_camap_export_must_name_this_contract_and_its_members_lines(demo):
    contract = _dairy_contract()
    lines = (DOCS / "contracts-camap-member-sample.csv").read_bytes()
    export = (DOCS / "contracts-camap-subscriptions-sample.csv").read_text()
    # a subscriber the per-member export has no line for
    extra = (
        '"316";"1011";"N\'DIAYE Grâce";"grace.ndiaye@example.org";"";"";"Ferme laitière du Petit Morin (Coulommiers)";'
        '"21";"Laitages - saison hiver 2026";"2026-11-03";"2027-02-16";"0";"0";"0";"oui"\n'
    )
    result = parse_subscriptions_csv(lines, contract, export=(export + extra).encode())
    assert not isinstance(result, SubscriptionsPlan), result.subscriptions
    assert [(e.line, e.reason) for e in result] == [(9, "no_lines")]
    assert "subscriptions export" in result[0].column
    # a second catalogue of the same producer: the contract's name must say which
    other = export.replace('Laitages - saison hiver 2026";"2026-11-03', 'Fromages";"2026-11-03', 1)
    result = parse_subscriptions_csv(lines, contract, export=other.encode())
    assert [e.reason for e in result] == ["several_catalogues"]
    # named as CAMAP names its catalogue, the contract is found by name
    contract.name = "Laitages - saison hiver 2026"
    plan = parse_subscriptions_csv(lines, contract, export=other.encode())
    assert isinstance(plan, SubscriptionsPlan) and plan.partners_from_export == 1
    # an export with nothing of this contract: neither its name nor its producer
    contract.name = "Autre"
    elsewhere = export.replace(DAIRY, "Autre ferme")
    result = parse_subscriptions_csv(lines, contract, export=elsewhere.encode())
    assert [e.reason for e in result] == ["no_contract_rows"]

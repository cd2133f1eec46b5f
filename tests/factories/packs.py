"""The world of the distribution pack's tests (tests/test_packs.py): ``make_network`` and what a pack shows of it."""

from dataclasses import dataclass

from server.extensions import db
from server.models import Distribution, Household, Point, Product, User
from tests.factories.network import Network, make_network
from tests.factories.primitives import account, member_of, order, tickets


@dataclass(frozen=True)
class PacksWorld:
    network: Network
    north: int  # the network's point (Maison de quartier du Luzard)
    south: int
    admin: int
    volunteer: int  # of north
    stranger: int  # a volunteer of south
    orders: dict[str, int]  # member name → order id in the planned distribution


def packs_world() -> PacksWorld:
    """make_network's households, with orders for Alice, Bruno (tarif solidaire) and Dina (suspended) in the planned
    distribution, Chloé only in the closed one; phone numbers and a note; Bruno's prepaid and allowance accounts,
    Chloé's empty prepaid one; tickets for Alice and Bruno, Bruno's re-issued (serial 0 revoked); the admin, Victor
    (volunteer of the network's point, north) and Sami (volunteer of a second point, south). Committed."""
    net = make_network()
    north_point = db.session.get(Distribution, net.distribution).point
    south = Point(name="École Sud", town="Torcy")
    users = [
        User(email="admin@example.org", role="admin"),
        member_of(north_point, "volunteer", "vol@example.org", "Victor"),
        member_of(south, "volunteer", "sud@example.org", "Sami"),
    ]
    db.session.add_all([south, *users])
    alice, bruno, chloe, dina = (db.session.get(Household, h) for h in (net.alice, net.bruno, net.chloe, net.dina))
    alice.phone, bruno.phone = "06 11 22 33 44", "07 55 66 77 88"
    bruno.notes = "Préfère être appelé le soir"
    db.session.commit()
    planned, closed = (db.session.get(Distribution, d) for d in (net.distribution, net.closed_distribution))
    p = {code: db.session.get(Product, product) for code, product in net.products.items()}
    orders = {}
    for name, at, household, lines in [
        ("alice", planned, alice, [(p["LEG-M"], 1), (p["OEUFS-6"], 2)]),
        ("bruno", planned, bruno, [(p["PAIN-500"], 3), (p["LEG-S"], 1)]),
        ("dina", planned, dina, [(p["LEG-S"], 1)]),
        ("chloe_closed", closed, chloe, [(p["LEG-S"], 1)]),
    ]:
        orders[name] = order(at, household, lines)
        db.session.add(orders[name])  # before the next one loads the distribution's orders (and autoflushes)
    db.session.add_all(
        [
            account(bruno, "prepaid", (2000, "Versement"), (-500, "Distribution du 3 mars")),
            account(bruno, "allowance", (3000, "Allocation de mars")),
            account(chloe, "prepaid"),
        ]
    )
    tickets([alice, bruno, bruno])  # a lost card: Bruno's serial 0 is revoked
    db.session.commit()
    return PacksWorld(
        net,
        north_point.id,
        south.id,
        *(user.id for user in users),
        {name: o.id for name, o in orders.items()},
    )

"""A point's season contracts imported from CSV (docs/contracts-import.md, "A season's contracts"): one row per
contract product, terms agreeing across a contract's rows, every problem reported, the same file twice changing
nothing, on both databases."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

import server.auth  # noqa: F401  (before server.audit, which the domain imports: server.audit ↔ server.auth cycle)
from server.domain import DomainError
from server.domain.contract_orders import local_day
from server.domain.season_import import MESSAGES, SeasonPlan, SeasonProblem, apply_season_import, parse_season_csv
from server.extensions import db
from server.models import Contract, Distribution, Point, Product, User
from tests.factories.contracts import ContractsWorld, contracts_world


@pytest.fixture
def world(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield contracts_world()


def _season(world: ContractsWorld) -> tuple[str, str]:
    first = local_day(db.session.get(Distribution, world.distributions[0]))
    return first.isoformat(), (first + timedelta(weeks=10)).strftime("%d/%m/%Y")


def _file(world: ContractsWorld, vegetables_price: str = "15,00") -> str:
    start, end = _season(world)
    return (
        "contrat;producteur;début;fin;fréquence;paiement;chèques;absences;produit;prix_par_livraison\r\n"
        f"Légumes été;Ferme des Quatre Vents;{start};{end};chaque semaine;à la livraison;;2;LEG;{vegetables_price}\r\n"
        f"Œufs;Les Poules de Lognes;{start};{end};une semaine sur deux;chèques;4;1;OEUFS-6;2,70\r\n"
        f"Œufs;Les Poules de Lognes;{start};{end};une semaine sur deux;chèques;4;1;PAIN;3,50\r\n"
    )


def _contracts() -> dict[str, tuple]:
    db.session.expire_all()
    return {
        c.name: (
            c.producer.name,
            c.frequency,
            c.payment,
            c.cheque_count,
            c.absence_cap,
            {p.product.code: p.unit_price_cents for p in c.products},
        )
        for c in db.session.scalars(select(Contract))
    }


def test_a_file_creates_the_points_contracts_and_again_changes_nothing(world):
    point = db.session.get(Point, world.point)
    plan = parse_season_csv(_file(world).encode(), point)
    assert isinstance(plan, SeasonPlan), [(e.line, e.column, e.reason) for e in plan]
    summary, _done = apply_season_import(point, plan, filename="saison.csv")
    db.session.commit()
    assert (summary.created, summary.updated, summary.unchanged, summary.products) == (2, 0, 0, 3)
    assert _contracts() == {
        "Légumes été": ("Ferme des Quatre Vents", "every", "per_delivery", 0, 2, {"LEG": 1500}),
        "Œufs": ("Les Poules de Lognes", "fortnightly", "cheques", 4, 1, {"OEUFS-6": 270, "PAIN": 350}),
    }
    summary, done = apply_season_import(point, parse_season_csv(_file(world).encode(), point))
    assert (summary.created, summary.updated, summary.unchanged, summary.products, done.touched) == (0, 0, 2, 0, 0)
    summary, _done = apply_season_import(point, parse_season_csv(_file(world, "16").encode(), point))
    db.session.commit()
    assert (summary.updated, summary.products) == (1, 1)
    assert _contracts()["Légumes été"][-1] == {"LEG": 1600}


def test_every_problem_is_reported_and_nothing_is_imported(world):
    point = db.session.get(Point, world.point)
    start, end = _season(world)
    text = (
        "contrat;producteur;début;fin;fréquence;paiement;chèques;produit;prix_par_livraison\n"
        f"A;Ferme des Quatre Vents;{start};{end};;;;LEG;15\n"  # 2: fine
        f"B;Inconnue;{start};{end};;;;LEG;15\n"  # 3
        f"C;Ferme des Quatre Vents;demain;{end};;;;LEG;15\n"  # 4
        f"D;Ferme des Quatre Vents;{end[6:]}-01-01;2000-01-01;;;;LEG;15\n"  # 5: ends before it starts
        f"E;Ferme des Quatre Vents;{start};{end};dates choisies;;;LEG;15\n"  # 6
        f"F;Ferme des Quatre Vents;{start};{end};;par carte;;LEG;15\n"  # 7
        f"G;Ferme des Quatre Vents;{start};{end};;chèques;;LEG;15\n"  # 8: in how many cheques?
        f"A;Ferme des Quatre Vents;{start};{end};une semaine sur deux;;;PAIN;3\n"  # 9: other terms than line 2
        f"A;Ferme des Quatre Vents;{start};{end};;;;LEG;16\n"  # 10: LEG again
        f"H;Ferme des Quatre Vents;{start};{end};;;;OEUFS-6;2\n"  # 11: the hens' eggs
        f";Ferme des Quatre Vents;{start};{end};;;;LEG;\n"  # 12
    )
    result = parse_season_csv(text.encode(), point)
    assert isinstance(result, list)
    assert [(e.line, e.column, e.reason) for e in result] == [
        (3, "producteur", "unknown_producer"),
        (4, "début", "bad_date"),
        (5, "fin", "ends_before_start"),
        (6, "fréquence", "bad_frequency"),
        (7, "paiement", "bad_payment"),
        (8, "paiement", "no_cheque_count"),
        (9, "contrat", "conflicting_terms"),
        (10, "produit", "duplicate_line"),
        (11, "produit", "other_producer"),
        (12, "contrat", "missing_value"),
        (12, "prix_par_livraison", "missing_value"),
    ]
    assert all(e.message for e in result)
    assert db.session.scalar(select(func.count(Contract.id))) == 0


def test_a_missing_column_and_every_reason_has_words(world):
    point = db.session.get(Point, world.point)
    result = parse_season_csv(b"contrat;produit\nA;LEG\n", point)
    assert [e.reason for e in result] == ["missing_column"] * 4
    for reason in MESSAGES:
        assert SeasonProblem(
            1,
            "",
            "",
            reason,
            {"first": 2, "max": 9, "column": "c", "french": "f", "count": 2, "producer": "P", "names": "N"},
        ).message


def test_only_the_points_coordinator_imports(world):
    point = db.session.get(Point, world.point)
    theirs = User(
        email="t@example.org", role="coordinator", display_name="T", points=[db.session.get(Point, world.other_point)]
    )
    db.session.add(theirs)
    db.session.commit()
    plan = parse_season_csv(_file(world).encode(), point)
    with pytest.raises(DomainError):
        apply_season_import(point, plan, actor=theirs)
    assert db.session.get(Product, world.basket) is not None

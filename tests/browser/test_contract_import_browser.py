"""A contract's subscriptions imported in Chromium at 1280×800: the admin opens the import from the contract's page,
uploads a file with a wrong row and sees it listed with nothing imported, fixes it, uploads CAMAP's two exports and
sees the subscribers, the shared basket and what the generation did. Screens in French, every word read."""

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from server.domain.contract_orders import local_day
from server.domain.contracts import create_contract
from server.extensions import db
from server.models import Distribution, Point
from tests.factories.contracts import contracts_world
from tests.helpers import make_sign_in_token

SHOTS = Path("/tmp/shots/contract-import")
ADMIN = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def backend() -> str:
    """The page reads the same rows on both databases (the import is tested on both in tests/test_contract_import*)."""
    return "sqlite"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def no_slips(page) -> None:
    text = page.locator("body").inner_text()
    for slip in ("None", "null", "undefined", "Subscriptions", "Orders:", "Traceback"):
        assert slip not in text, (slip, text)


def test_an_admin_imports_a_contracts_subscriptions(app, browser, live_server, tmp_path):
    with app.app_context():
        world = contracts_world()
        starts_on = local_day(db.session.get(Distribution, world.distributions[0]))
        contract = create_contract(
            db.session.get(Point, world.point),
            {
                "name": "Légumes été",
                "producer_id": world.farmer,
                "starts_on": starts_on,
                "ends_on": starts_on + timedelta(weeks=8),
            },
        )
        db.session.commit()
        contract_id = contract.id
    wrong = tmp_path / "abonnements.csv"
    wrong.write_text(
        "Nom;productName;prix TTC;Quantité\n"
        "MARTIN H0;Panier de légumes 1 pièce;15;1\n"
        "INCONNU Paul;Panier de légumes;15;1\n"
    )
    lines = tmp_path / "camap-par-adherent.csv"
    lines.write_text(
        "Nom;productName;prix TTC;Quantité;frais;total;Payé\n"
        '"MARTIN H0";"Panier de légumes 1 pièce";"15";"1";"0";"15";"true"\n'
        '"DIALLO H1";"Panier de légumes 1 pièce";"15";"2";"0";"30";"true"\n'
    )
    export = tmp_path / "souscriptions.csv"
    export.write_text(
        "subscriptionId;userId;userName;userEmail;userPhone;user2Name;vendorName;catalogId;catalogName\n"
        '"1";"10";"MARTIN H0";"";"";"NGUYEN H2";"Ferme des Quatre Vents";"4";"Légumes - été 2026"\n'
        '"2";"11";"DIALLO H1";"";"";"";"Ferme des Quatre Vents";"4";"Légumes - été 2026"\n'
    )

    context = browser.new_context(**ADMIN, base_url=live_server, locale="fr-FR")
    admin = context.new_page()
    admin.goto(f"/auth/link/{make_sign_in_token(app, 'admin@example.org')}")
    admin.get_by_role("button").first.click()
    admin.wait_for_url("**/admin/**")
    admin.goto(f"/admin/contracts/{contract_id}")
    admin.get_by_role("button", name="Importer des abonnements (CSV)").click()
    expect(admin.get_by_role("heading", name="Importer des abonnements")).to_be_visible()
    admin.get_by_label("Fichier des abonnements (CSV)").set_input_files(str(wrong))
    admin.get_by_role("button", name="Vérifier et importer").click()
    expect(admin.get_by_role("heading", name="Rien n'a été importé : 1 problème à corriger")).to_be_visible()
    expect(admin.locator("tr[data-reason=unknown_member]")).to_contain_text("INCONNU Paul")
    no_slips(admin)
    shot(admin, "errors")

    admin.get_by_label("Fichier des abonnements (CSV)").set_input_files(str(lines))
    admin.get_by_label("Export des souscriptions de CAMAP (facultatif)").set_input_files(str(export))
    admin.get_by_role("button", name="Vérifier et importer").click()
    admin.wait_for_url(f"**/admin/contracts/{contract_id}")
    expect(admin.get_by_text("Abonnements importés. Créés : 2. Modifiés : 0. Inchangés : 0.")).to_be_visible()
    expect(admin.get_by_text("Produits ajoutés au contrat : 1. Nouveaux prix par livraison : 0.")).to_be_visible()
    # H0 shares with H2 (the export's user2Name): 3 of the 6 deliveries each; H1 takes 2 baskets every week
    expect(admin.get_by_text("Commandes : 12 créées, 0 modifiées, 0 supprimées")).to_be_visible()
    expect(admin.locator("article", has_text="H0 Martin")).to_contain_text("panier partagé avec H2 Nguyen")
    no_slips(admin)
    shot(admin, "imported")
    context.close()

"""A coordinator imports an Open Food Network report into the demo network in Chromium at 1280×800, in French: the
lines are imported, the report's TOTAL rows are said skipped by line, and a CAMAP file naming two members who share
a name is refused on that line. The demo is loaded for a fixed day and the clock moved to it."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.demo.loader import load_demo_network
from server.extensions import db
from server.models import Distribution, Point
from tests.browser.demo_admin import TODAY, coordinator_signed_in, demo_morning

DOCS = Path(__file__).resolve().parents[2] / "docs"
SHOTS = Path(os.environ.get("COMPTOIR_SHOTS", "/tmp/shots/orders-import"))


@pytest.fixture
def backend() -> str:
    return "sqlite"


def test_a_coordinator_imports_an_ofn_report_and_is_told_of_its_skipped_totals(app, browser, live_server, tmp_path):
    with demo_morning():
        with app.app_context():
            load_demo_network(TODAY)
            db.session.commit()
            distribution = db.session.scalar(
                select(Distribution)
                .join(Distribution.point)
                .where(Point.town == "Noisiel", Distribution.status == "planned")
                .order_by(Distribution.starts_at)
            )
            url = f"/admin/distributions/{distribution.id}/orders/import"
            point = distribution.point_id
        page = coordinator_signed_in(app, browser, live_server, point)
        SHOTS.mkdir(parents=True, exist_ok=True)

        page.goto(url)
        page.get_by_text("Format du fichier").click()
        page.screenshot(path=str(SHOTS / "import-form.png"), full_page=True)

        twins = tmp_path / "camap.csv"
        twins.write_text('userName;productName;Quantité\n"MÉNARD Julie";"Panier de légumes M 1 pièce";"1"\n')
        page.get_by_label("Fichier CSV").set_input_files(str(twins))
        page.get_by_role("button", name="Vérifier et importer").click()
        expect(page.locator("tr[data-reason]")).to_have_count(1)
        # a coordinator of Noisiel does not see the Torcy members: the name is unknown to them, not ambiguous
        expect(page.locator("tr[data-reason]")).to_contain_text("Aucun adhérent actif de vos lieux ne porte ce nom.")
        page.screenshot(path=str(SHOTS / "import-refused.png"), full_page=True)

        page.get_by_label("Fichier CSV").set_input_files(str(DOCS / "orders-ofn-sample.csv"))
        page.get_by_role("button", name="Vérifier et importer").click()
        main = page.locator("main")
        expect(main).to_contain_text("Commandes importées. Créées :")
        expect(main).to_contain_text(
            "4 lignes sans commande (des totaux ou titres de l'export) ont été ignorées : lignes 4, 8, 11, 14."
        )
        page.screenshot(path=str(SHOTS / "import-done.png"), full_page=True)
        page.context.close()

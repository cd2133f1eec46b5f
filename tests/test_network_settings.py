"""The network settings page: an admin sets the name, the tier at the counter and the prepaid floor (audited, in
words); bad input is refused next to its field and changes nothing; the audit log says it in a sentence."""

import pytest

from server.extensions import db
from server.models import NetworkSettings
from tests.helpers import submit_form

URL = "/admin/settings/"


def settings(app) -> tuple[str, bool, int]:
    with app.app_context():
        current = NetworkSettings.current()
        db.session.commit()
        return current.name, current.show_tier_at_counter, current.prepaid_floor_cents


def test_an_admin_sets_the_prepaid_floor_and_the_tier_at_the_counter(app, admin_client):
    admin_client.get("/admin/?lang=fr")
    page = admin_client.get(URL).get_data(as_text=True)
    assert "Réglages du réseau" in page and "en dessous de zéro" in page
    data = {"name": "AMAP du Val Maubuée", "show_tier_at_counter": "y", "prepaid_floor_cents": "10"}
    response = submit_form(admin_client, URL, data, follow_redirects=True)
    assert response.status_code == 200 and "Réglages du réseau enregistrés." in response.get_data(as_text=True)
    assert settings(app) == ("AMAP du Val Maubuée", True, 1000)
    audit = admin_client.get("/admin/audit/").get_data(as_text=True)
    assert "a modifié les réglages du réseau" in audit and "10,00" in audit


@pytest.mark.parametrize(
    ("value", "message"),
    [("-5", "montant en euros"), ("2000", "entre 0 et 1 000 euros"), ("dix", "montant en euros")],
)
def test_a_bad_floor_is_refused_next_to_its_field(app, admin_client, value, message):
    admin_client.get("/admin/?lang=fr")
    before = settings(app)
    response = submit_form(admin_client, URL, {"name": "AMAP", "prepaid_floor_cents": value})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert settings(app) == before

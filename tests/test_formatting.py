"""French elision and 24-hour times, as the admin pages show them."""

from datetime import UTC, datetime

import pytest

from server import create_app
from server.formatting import elide, local_datetime


@pytest.fixture(scope="module")
def plain_app():
    return create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.mark.parametrize(
    ("text", "french"),
    [
        ("Ticket de Inès Abadie", "Ticket d'Inès Abadie"),
        ("mois de octobre", "mois d'octobre"),
        ("Historique de Ozoir-la-Ferrière", "Historique d'Ozoir-la-Ferrière"),
        ("Code de Hugo", "Code d'Hugo"),
        ("Commande de Haddad", "Commande de Haddad"),  # an aspirated h: no elision
        ("Commande de Martin", "Commande de Martin"),
        ("De Alice", "D'Alice"),
        ("Avec de l'eau", "Avec de l'eau"),
    ],
)
def test_french_elides_de_before_a_vowel_or_a_mute_h(plain_app, text, french):
    with plain_app.test_request_context("/?lang=fr", headers={"Accept-Language": "fr"}):
        assert elide(text) == french
    with plain_app.test_request_context("/?lang=en", headers={"Accept-Language": "en"}):
        assert elide(text) == text  # English is left alone


def test_times_are_on_24_hours_in_english_too(plain_app):
    evening = datetime(2026, 10, 4, 17, 5, tzinfo=UTC)  # 19:05 in Paris
    with plain_app.test_request_context("/?lang=en", headers={"Accept-Language": "en"}):
        assert local_datetime(evening, "short").endswith("19:05")
        assert local_datetime(evening).endswith("19:05:00")
        assert "PM" not in local_datetime(evening, "short")
    with plain_app.test_request_context("/?lang=fr", headers={"Accept-Language": "fr"}):
        assert local_datetime(evening, "short") == "04/10/2026 19:05"

import pytest

from server.money_input import format_cents_plain, parse_cents


@pytest.mark.parametrize(
    ("text", "cents"),
    [("12,50", 1250), ("12.5", 1250), ("0", 0), ("15 €", 1500), ("1 234,05", 123405), (" 3,1 ", 310)],
)
def test_parse_cents(text, cents):
    assert parse_cents(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "-1", "1,234", "12,5,0", "1e3", "12.345", "99999999"])
def test_parse_cents_refuses(text):
    with pytest.raises(ValueError):
        parse_cents(text)


def test_format_round_trip():
    for cents in (0, 5, 99, 100, 1250, 123456):
        assert parse_cents(format_cents_plain(cents)) == cents

"""The one pricing rule: what a member of a tier pays, in integer cents."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.pricing import line_due_cents, order_due_cents, solidarity_share_cents


@pytest.mark.parametrize(
    ("quantity", "unit", "share", "due"),
    [
        (1, 1500, 100, 1500),  # tarif plein
        (1, 1500, 70, 1050),  # tarif solidaire
        (1, 1500, 40, 600),  # tarif très solidaire
        (3, 333, 70, 699),  # 699.3 rounds down
        (1, 5, 70, 4),  # 3.5 rounds half up
        (1, 1, 50, 1),  # 0.5 rounds half up
        (2, 0, 70, 0),
        (0, 1500, 70, 0),
        (1, 1999, 0, 0),
    ],
)
def test_line_due(quantity, unit, share, due):
    assert line_due_cents(quantity, unit, share) == due


@pytest.mark.parametrize("share", [-1, 101, 1000])
def test_share_out_of_range_is_refused(share):
    with pytest.raises(ValueError):
        line_due_cents(1, 100, share)


def test_negative_amounts_are_refused():
    with pytest.raises(ValueError):
        line_due_cents(-1, 100, 100)
    with pytest.raises(ValueError):
        line_due_cents(1, -100, 100)


lines_strategy = st.lists(st.tuples(st.integers(0, 50), st.integers(0, 100_000)), max_size=20)


@given(lines_strategy, st.integers(0, 100))
def test_due_plus_share_is_full_price(lines, share):
    full = sum(q * p for q, p in lines)
    due = order_due_cents(lines, share)
    assert 0 <= due <= full
    assert due + solidarity_share_cents(lines, share) == full


@given(lines_strategy)
def test_full_tier_pays_full_price(lines):
    assert order_due_cents(lines, 100) == sum(q * p for q, p in lines)


@given(lines_strategy, st.integers(0, 99))
def test_a_lower_share_never_pays_more(lines, share):
    assert order_due_cents(lines, share) <= order_due_cents(lines, share + 1)

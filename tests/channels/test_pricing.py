"""price_for_quantity: the MOQ guard and the wholesale tier a quantity falls into."""

from __future__ import annotations

from decimal import Decimal

import pytest

from channels.errors import BadRequest
from channels.model import PriceTier
from channels.pricing import price_for_quantity

SEED_004_TIERS = (PriceTier(3, Decimal("23")), PriceTier(50, Decimal("22")),
                  PriceTier(500, Decimal("21")))


@pytest.mark.parametrize(("quantity", "expected"), [
    (3, "23"), (49, "23"), (50, "22"), (499, "22"), (500, "21"), (10000, "21"),
])
def test_seed_004_tier_boundaries(quantity: int, expected: str) -> None:
    assert price_for_quantity(SEED_004_TIERS, 3, quantity) == Decimal(expected)


def test_below_moq_names_the_moq() -> None:
    with pytest.raises(BadRequest) as caught:
        price_for_quantity(SEED_004_TIERS, 3, 2)
    assert caught.value.message == (
        "quantity 2 is below this product's minimum order quantity of 3")


@pytest.mark.parametrize("quantity", [0, -5])
def test_quantity_must_be_positive(quantity: int) -> None:
    with pytest.raises(BadRequest, match="at least 1"):
        price_for_quantity(SEED_004_TIERS, None, quantity)


def test_no_tiers_is_the_unit_price() -> None:
    assert price_for_quantity((), 1, 7, Decimal("29.9")) == Decimal("29.9")


def test_first_tier_is_the_minimum_without_an_moq() -> None:
    with pytest.raises(BadRequest, match="minimum order quantity of 3"):
        price_for_quantity(SEED_004_TIERS, None, 1)


def test_unsorted_tiers_still_pick_the_right_one() -> None:
    assert price_for_quantity(tuple(reversed(SEED_004_TIERS)), 3, 60) == Decimal("22")

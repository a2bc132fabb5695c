"""The sandbox's Weidian catalog: 62 items from a fixed seed, the same on every start.

Item 1872265566 is the recorded ``vdian.item.get`` fixture (tests/fixtures/weidian), item
1872265599 a colour x size item whose black XL is sold out; the rest are
generated shop items: Chinese names, images on si.geilicdn.com, 0–20 SKUs whose titles use
all three spellings the adapter understands (``原味``, ``红色 XL``, ``颜色:红色;尺码:XL``),
and some sold out. Fields beyond what ``vdian.item.get`` returns (category, sales, listing
time, list price) feed the standard-model aggregator's search.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

SHANGHAI = timezone(timedelta(hours=8))
CENT = Decimal("0.01")


@dataclass(frozen=True)
class WeidianSku:
    id: str
    title: str
    price: Decimal
    stock: int
    merchant_code: str


@dataclass(frozen=True)
class WeidianShop:
    id: str
    name: str
    province: str
    city: str


@dataclass(frozen=True)
class WeidianItem:
    itemid: str
    item_name: str
    price: Decimal
    stock: int
    merchant_code: str
    imgs: tuple[str, ...]
    skus: tuple[WeidianSku, ...]
    shop: WeidianShop
    category_id: str
    category_name: str
    sales: int
    listed_at: datetime
    original_price: Decimal | None = None
    description_html: str | None = None


SHOPS = (
    WeidianShop("1600123401", "老街手作零食铺", "广东", "潮州"),
    WeidianShop("1600123402", "小鹿家原创女装", "浙江", "杭州"),
    WeidianShop("1600123403", "拾光银饰工作室", "云南", "大理"),
    WeidianShop("1600123404", "山间茶事", "福建", "武夷山"),
    WeidianShop("1600123405", "木子家居杂货", "江苏", "苏州"),
)

# category id, name, shop, name stems, how SKU titles are spelled, option dimensions
Dimension = tuple[str, tuple[str, ...]]
_CATEGORIES: tuple[tuple[str, str, WeidianShop, tuple[str, ...], str, tuple[Dimension, ...]],
                   ...] = (
    ("50002766", "零食/坚果/特产", SHOPS[0],
     ("手工牛轧糖", "潮汕牛肉丸", "古法红糖姜茶", "芝麻花生酥", "蛋黄酥", "凤梨酥", "手撕肉脯"),
     "plain", (("口味", ("原味", "抹茶", "蔓越莓", "咸蛋黄", "黑糖", "海苔")),
               ("重量", ("250g", "500g", "礼盒装")))),
    ("16", "女装/女士精品", SHOPS[1],
     ("法式碎花连衣裙", "宽松针织开衫", "高腰阔腿牛仔裤", "复古衬衫", "羊毛呢大衣", "百褶半身裙"),
     "spaced", (("颜色", ("黑色", "白色", "杏色", "雾霾蓝", "酒红")),
                ("尺码", ("S", "M", "L", "XL")))),
    ("50013864", "饰品/流行首饰", SHOPS[2],
     ("纯银手镯", "淡水珍珠耳钉", "925银项链", "手工编织红绳", "复古戒指"),
     "named", (("材质", ("S925银", "镀金", "珍珠")), ("尺寸", ("小号", "中号", "大号")))),
    ("50008141", "茶/酒/冲饮", SHOPS[3],
     ("武夷山大红袍", "正山小种红茶", "明前龙井", "老白茶饼", "桂花乌龙"),
     "plain", (("规格", ("50g罐装", "100g罐装", "250g礼盒", "500g散装")),)),
    ("50008163", "家居日用", SHOPS[4],
     ("日式陶瓷餐具", "纯棉四件套", "香薰蜡烛", "竹编收纳篮", "手工木勺"),
     "named", (("颜色", ("米白", "灰色", "原木色")), ("规格", ("单件", "两件套", "四件套")))),
)

_ADJECTIVES = ("新款", "爆款", "限量", "经典", "手工", "原创", "包邮", "现货")


def _nougat_fixture() -> WeidianItem:
    """The recorded tests/fixtures/weidian/vdian_item_get.json item, field for field."""
    return WeidianItem(
        itemid="1872265566", item_name="Homemade Nougat 牛轧糖", price=Decimal("35.00"),
        stock=20, merchant_code="NG-01",
        imgs=("https://si.geilicdn.com/example_800_800.jpg",),
        skus=(WeidianSku("1404259316", "原味", Decimal("35.00"), 10, "NG-01-A"),
              WeidianSku("1404259317", "抹茶", Decimal("38.00"), 10, "NG-01-B")),
        shop=SHOPS[0], category_id="50002766", category_name="零食/坚果/特产", sales=1280,
        listed_at=datetime(2024, 3, 1, 10, 0, tzinfo=SHANGHAI),
        original_price=Decimal("42.00"),
        description_html="<p>传统手工牛轧糖，每日现做。</p>",
    )


def _sku_titles(style: str, dims: tuple[Dimension, ...], rng: random.Random) -> list[str]:
    """Every combination of the dimensions' values, spelled the way ``style`` says."""
    if style == "plain" and len(dims) > 1 and rng.random() < 0.5:
        dims = dims[:1]  # one flavour per SKU, no weight
    combos = itertools.product(*(values for _, values in dims))
    if style == "plain":
        return ["".join(combo) for combo in combos]
    if style == "spaced":
        return [" ".join(combo) for combo in combos]
    names = [name for name, _ in dims]
    return [";".join(f"{n}:{v}" for n, v in zip(names, combo, strict=True)) for combo in combos]


def _image(shop: WeidianShop, rng: random.Random) -> str:
    digest = "".join(rng.choice("0123456789abcdef") for _ in range(28))
    return f"https://si.geilicdn.com/pcitem{shop.id}-{digest}_800_800.jpg"


def _generate(count: int, seed: int = 20240601) -> list[WeidianItem]:
    rng = random.Random(seed)
    items = []
    start = datetime(2023, 1, 5, 9, 30, tzinfo=SHANGHAI)
    for n in range(count):
        category_id, category_name, shop, stems, style, dims = _CATEGORIES[n % len(_CATEGORIES)]
        stem = stems[(n // len(_CATEGORIES)) % len(stems)]
        item_name = f"{rng.choice(_ADJECTIVES)}{stem}"
        if rng.random() < 0.3:
            item_name += f" {rng.choice(('送礼佳品', '店主推荐', '回购率高', '第二件半价'))}"
        itemid = str(2300000000 + n * 7919 + rng.randrange(1000))
        base = (Decimal(rng.randrange(990, 39900)) / 100).quantize(CENT)
        sold_out = n % 7 == 3
        titles = _sku_titles(style, dims, rng)
        rng.shuffle(titles)
        sku_count = 0 if n % 9 == 4 else min(len(titles), rng.randrange(1, 21))
        skus = tuple(
            WeidianSku(
                id=str(int(itemid) * 10 + k),
                title=title,
                price=(base + Decimal(rng.randrange(0, 3000)) / 100).quantize(CENT),
                stock=0 if sold_out else rng.choice((0, 3, 12, 50, 99, 200)),
                merchant_code=f"WD{n:03d}-{k:02d}",
            )
            for k, title in enumerate(titles[:sku_count])
        )
        price = min((s.price for s in skus), default=base)
        stock = sum(s.stock for s in skus) if skus else (0 if sold_out else rng.randrange(1, 500))
        imgs = tuple(_image(shop, rng) for _ in range(rng.randrange(1, 6)))
        original = (price * Decimal("1.2")).quantize(CENT) if rng.random() < 0.5 else None
        items.append(WeidianItem(
            itemid=itemid, item_name=item_name, price=price, stock=stock,
            merchant_code=f"WD{n:03d}", imgs=imgs, skus=skus, shop=shop,
            category_id=category_id, category_name=category_name,
            sales=rng.randrange(0, 5000),
            listed_at=start + timedelta(days=n * 5, minutes=rng.randrange(0, 1440)),
            original_price=original,
            description_html=f"<p>{item_name}</p><img src=\"{imgs[0]}\"/>",
        ))
    return items


def _black_xl_sold_out() -> WeidianItem:
    """A hand-made item for variant selection: colour x size where black XL is sold out."""
    skus = tuple(
        WeidianSku(str(18722655990 + k), f"颜色:{colour};尺码:{size}", Decimal("129.00"), stock,
                   f"BX-{k}")
        for k, (colour, size, stock) in enumerate((("黑色", "L", 5), ("黑色", "XL", 0),
                                                   ("白色", "L", 8), ("白色", "XL", 3))))
    return WeidianItem(
        itemid="1872265599", item_name="黑色XL售罄测试 纯棉卫衣", price=Decimal("129.00"),
        stock=16, merchant_code="BX", imgs=("https://si.geilicdn.com/bx_800_800.jpg",),
        skus=skus, shop=SHOPS[1], category_id="16", category_name="女装/女士精品", sales=7,
        listed_at=datetime(2024, 5, 1, 10, 0, tzinfo=SHANGHAI))


ITEMS: dict[str, WeidianItem] = {
    item.itemid: item for item in (_nougat_fixture(), _black_xl_sold_out(), *_generate(60))
}

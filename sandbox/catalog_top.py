"""The bundled TOP catalog: items, Tmall catalog products (SPUs) and item categories.

Items are stored in the shape a real ``taobao.item.seller.get`` returns with
``simplify=true`` (non-simplified field names, plain lists); the emulator wraps lists and
filters ``fields`` on the way out. Everything is generated from a fixed seed, so ids,
prices and times are the same on every run, and the three seed documents' examples are
included verbatim:

* seed 000: item ``680123456789`` (the English T-shirt of the ``item_get_response`` example);
* seed 001: catalog product ``3433222`` (惠普笔记本, 200.07), linked from Tmall item
  ``600000000007``;
* seed 002: item ``1489161932`` ("Google test item") with the doc's odd values kept (its
  ``props_name`` and SKU ``properties_name`` do not match its ``props``/``properties``).

Items ``600000000001`` … ``600000000010`` (``TRICKY_ITEM_IDS``) exercise the corners a
client must handle: ``#cln#``/``#scln#`` escapes, negative custom property ids, all SKUs
out of stock, 60 SKUs, aliases, orphan property images, gaps in image positions.
"""

from __future__ import annotations

import random
import string
from datetime import datetime, timedelta
from typing import Any

Item = dict[str, Any]

_SEED = 20260520
_TIME = "%Y-%m-%d %H:%M:%S"

PID_BRAND = 20000
PID_COLOR = 1627207
PID_SIZE = 20509
PID_MATERIAL = 20021
PID_MODEL = 1753146
PID_STORAGE = 12304035
PID_PACKAGE = 5919063
PID_PHONE_MODEL = 122216431
PID_BED_SIZE = 122508275
PID_VOLUME = 148242406

# ---------------------------------------------------------------------------------------
# Categories (``taobao.itemcats.get`` shape). Names of each node; a path joins them with " > ".

_CATEGORIES: list[tuple[int, int, str, bool]] = [
    (16, 0, "女装/女士精品", True),
    (50000436, 16, "T恤", False),
    (162103, 16, "毛衣", False),
    (50010850, 16, "连衣裙", False),
    (162104, 16, "衬衫", False),
    (30, 0, "男装", True),
    (50011123, 30, "衬衫", False),
    (50000557, 30, "卫衣", False),
    (50015260, 0, "Women's Clothing", True),
    (50015261, 50015260, "T-shirt", False),
    (50008090, 0, "3C数码配件", True),
    (50008091, 50008090, "手机保护套/壳", False),
    (50005050, 50008090, "数据线", False),
    (50012164, 50008090, "耳机/耳麦", False),
    (1512, 0, "手机", False),
    (1801, 0, "美容护肤/美体/精油", True),
    (50011977, 1801, "面霜", False),
    (50011978, 1801, "精华", False),
    (50011980, 1801, "面膜", False),
    (50008163, 0, "床上用品", True),
    (50001865, 50008163, "床品套件/四件套", False),
    (50008165, 50008163, "枕头/枕芯", False),
    (50016349, 0, "居家日用", True),
    (50012286, 50016349, "日用品", False),
    (50023724, 0, "其他", True),
    (132443, 50023724, "测试类目", False),
]

ITEM_CATS: dict[int, dict[str, Any]] = {}
for _order, (_cid, _parent, _name, _is_parent) in enumerate(_CATEGORIES):
    ITEM_CATS[_cid] = {
        "cid": _cid,
        "parent_cid": _parent,
        "name": _name,
        "is_parent": _is_parent,
        "status": "normal",
        "sort_order": _order,
    }
# ``udsaleprop`` = 1: sellers may define custom sale properties (negative ids) in this leaf.
ITEM_CATS[1512]["features"] = [{"attr_key": "udsaleprop", "attr_value": "1"}]
ITEM_CATS[50012286]["features"] = [{"attr_key": "udsaleprop", "attr_value": "1"}]


# ---------------------------------------------------------------------------------------
# Vocabulary for generated items.

_COLORS = [
    (28320, "白色"), (28341, "黑色"), (28326, "红色"), (28338, "蓝色"), (28335, "绿色"),
    (28324, "黄色"), (28332, "浅灰色"), (3232480, "粉红色"), (28327, "酒红色"),
    (3232483, "深绿色"), (28331, "卡其色"), (28334, "紫色"), (3232481, "杏色"), (28330, "橙色"),
]
_SIZES = [(28313, "S"), (28314, "M"), (28315, "L"), (28316, "XL"), (28317, "XXL"), (28318, "XXXL")]
_MEN_SIZES = [
    (3267943, "165/84A(S)"), (3267944, "170/88A(M)"), (3271531, "175/92A(L)"),
    (3267945, "180/96A(XL)"), (3267946, "185/100A(XXL)"), (3267947, "190/104A(XXXL)"),
]
_STORAGE = [(3861306, "8GB+128GB"), (3861307, "8GB+256GB"), (3861308, "12GB+256GB"),
            (3861309, "12GB+512GB"), (3861310, "16GB+1TB")]
_PACKAGES = [(6536025, "官方标配"), (6536026, "套餐一"), (6536027, "套餐二")]
_PHONE_MODELS = [(3001, "iPhone 15"), (3002, "iPhone 15 Pro"), (3003, "iPhone 15 Pro Max"),
                 (3004, "iPhone 16"), (3005, "iPhone 16 Pro"), (3006, "华为Mate 60"),
                 (3007, "小米14")]
_BED_SIZES = [(4001, "1.2m床"), (4002, "1.5m床"), (4003, "1.8m床"), (4004, "2.0m床")]
_VOLUMES = [(5001, "30ml"), (5002, "50ml"), (5003, "100ml"), (5004, "5片装"), (5005, "10片装")]
_MATERIALS = [(3323086, "棉"), (3267192, "聚酯纤维"), (20213, "桑蚕丝"), (3267653, "羊毛"),
              (43627, "莫代尔"), (28397, "硅胶"), (28399, "TPU")]

_BRANDS: dict[str, list[tuple[int, str]]] = {
    "apparel": [(3228373, "优衣库"), (29534, "ONLY"), (30111, "太平鸟"), (3773325, "森马"),
                (10246, "海澜之家"), (115181, "VERO MODA")],
    "phone": [(30111001, "Apple/苹果"), (81156, "Huawei/华为"), (11813, "Xiaomi/小米"),
              (3311, "OPPO"), (3322, "vivo")],
    "accessory": [(40001, "绿联"), (40002, "倍思"), (40003, "Anker/安克"), (40004, "品胜")],
    "beauty": [(50001, "兰蔻"), (50002, "雅诗兰黛"), (50003, "珀莱雅"), (50004, "自然堂"),
               (50005, "百雀羚")],
    "home": [(60001, "罗莱"), (60002, "水星家纺"), (60003, "富安娜"), (60004, "网易严选")],
}

# cid → (family, title stems, price range in yuan)
_LEAVES: dict[int, tuple[str, list[str], tuple[int, int]]] = {
    50000436: ("apparel", ["纯棉短袖T恤女", "宽松圆领印花T恤", "夏季新款冰丝T恤", "重磅纯色打底衫"],
               (29, 199)),
    162103: ("apparel", ["秋冬加厚毛衣女", "慵懒风针织开衫", "高领羊毛打底毛衣"], (89, 599)),
    50010850: ("apparel", ["法式碎花连衣裙", "收腰显瘦长裙", "真丝吊带连衣裙"], (129, 899)),
    162104: ("apparel", ["雪纺长袖衬衫女", "职业白衬衫", "复古格子衬衣"], (69, 359)),
    50011123: ("men", ["男士商务免烫衬衫", "纯棉牛津纺衬衫男", "休闲长袖衬衣男"], (79, 459)),
    50000557: ("men", ["男士连帽卫衣", "美式复古圆领卫衣", "加绒加厚套头卫衣男"], (99, 399)),
    50008091: ("case", ["全包防摔手机壳", "液态硅胶手机套", "磁吸透明保护壳"], (9, 99)),
    50005050: ("cable", ["快充数据线", "Type-C编织充电线", "三合一充电线"], (9, 69)),
    50012164: ("cable", ["真无线蓝牙耳机", "降噪头戴式耳机", "运动挂耳式耳机"], (59, 1299)),
    1512: ("phone", ["5G智能手机", "全网通旗舰手机", "拍照游戏手机"], (999, 8999)),
    50011977: ("beauty", ["补水保湿面霜", "抗皱紧致面霜", "修护舒缓乳霜"], (79, 1599)),
    50011978: ("beauty", ["小黑瓶精华液", "烟酰胺美白精华", "玻尿酸原液"], (99, 1299)),
    50011980: ("beauty", ["补水保湿面膜", "清洁泥膜", "睡眠免洗面膜"], (39, 299)),
    50001865: ("bedding", ["纯棉四件套", "水洗棉床上用品", "天丝床单被套"], (129, 1299)),
    50008165: ("bedding", ["记忆棉枕头", "乳胶枕芯", "护颈荞麦枕"], (39, 399)),
    50012286: ("household", ["加厚垃圾袋", "抽纸整箱", "收纳盒"], (9, 99)),
}

_TITLE_PREFIXES = ["2026新款", "2025秋冬", "官方正品", "爆款", "限时特惠", "", "", "ins风",
                   "春夏新品"]
_LOCATIONS = [("广东", "广州"), ("广东", "深圳"), ("浙江", "杭州"), ("浙江", "义乌"),
              ("江苏", "苏州"), ("上海", "上海"), ("福建", "泉州"), ("北京", "北京"),
              ("山东", "青岛"), ("湖北", "武汉")]
_TAOBAO_NICKS = ["小雨的衣橱", "数码潮人店", "美妆小铺", "家居生活馆", "潮牌集合店",
                 "宝贝工厂店", "tb_seller_2025", "优品汇", "原创设计工作室"]

TMALL_SHARE = 3  # every third generated item is a Tmall item
GENERATED_ITEMS = 240
MAX_SKUS = 60


def _fmt(t: datetime) -> str:
    return t.strftime(_TIME)


def _money(yuan: float) -> str:
    return f"{yuan:.2f}"


def _names(pairs: list[tuple[int, int, str, str]]) -> tuple[str, str]:
    """``(props, props_name)`` from ``(pid, vid, pid_name, vid_name)`` tuples."""
    props = ";".join(f"{p}:{v}" for p, v, _, _ in pairs)
    names = ";".join(f"{p}:{v}:{pn}:{vn}" for p, v, pn, vn in pairs)
    return props, names


class _Generator:
    def __init__(self) -> None:
        self.rng = random.Random(_SEED)
        self.used_iids: set[int] = set()
        self.next_sku_id = 4_400_000_000_000
        self.next_product_id = 700_100_001

    def iid(self) -> int:
        while True:
            candidate = self.rng.randint(600_100_000_000, 799_999_999_999)
            if candidate not in self.used_iids:
                self.used_iids.add(candidate)
                return candidate

    def sku_id(self) -> int:
        self.next_sku_id += self.rng.randint(1, 9_999)
        return self.next_sku_id

    def img_url(self, seller_id: int) -> str:
        token = "".join(self.rng.choices(string.ascii_letters + string.digits, k=22))
        shard = self.rng.randint(1, 4)
        return (f"https://img.alicdn.com/bao/uploaded/i{shard}/{seller_id}/"
                f"O1CN01{token}_!!{seller_id}.jpg")

    def moment(self, start: datetime, end: datetime) -> datetime:
        span = int((end - start).total_seconds())
        return start + timedelta(seconds=self.rng.randint(0, span))

    # -- pieces ------------------------------------------------------------------------

    def item_imgs(self, seller_id: int, count: int) -> list[dict[str, Any]]:
        imgs = [{"id": 0 if pos == 0 else self.rng.randint(10**9, 10**10 - 1),
                 "position": pos, "url": self.img_url(seller_id)} for pos in range(count)]
        # Stored out of order on purpose: clients must sort by ``position``.
        self.rng.shuffle(imgs)
        return imgs

    def sale_axes(self, family: str) -> list[tuple[int, str, list[tuple[int, str]]]]:
        """The sale properties (pid, name, chosen values) of one item."""
        r = self.rng
        colors = r.sample(_COLORS, r.randint(1, 10))
        if family == "apparel":
            return [(PID_COLOR, "颜色分类", colors), (PID_SIZE, "尺码", _SIZES[: r.randint(2, 6)])]
        if family == "men":
            return [(PID_COLOR, "颜色", colors),
                    (PID_SIZE, "尺码", _MEN_SIZES[r.randint(0, 1): r.randint(3, 6)])]
        if family == "phone":
            return [(PID_COLOR, "机身颜色", colors[: r.randint(2, 10)]),
                    (PID_STORAGE, "存储容量", r.sample(_STORAGE, r.randint(1, 3))),
                    (PID_PACKAGE, "套餐类型", _PACKAGES[: r.randint(1, 2)])]
        if family == "case":
            return [(PID_COLOR, "颜色分类", colors[:5]),
                    (PID_PHONE_MODEL, "适用手机型号", r.sample(_PHONE_MODELS, r.randint(2, 7)))]
        if family == "cable":
            return [(PID_COLOR, "颜色分类", colors[:4])]
        if family == "beauty":
            return [(PID_VOLUME, "净含量", r.sample(_VOLUMES, r.randint(1, 3)))]
        if family == "bedding":
            return [(PID_COLOR, "颜色分类", colors[:8]), (PID_BED_SIZE, "适用床尺寸", _BED_SIZES)]
        return [(PID_COLOR, "颜色分类", colors[:3])]

    def skus(
        self, axes: list[tuple[int, str, list[tuple[int, str]]]], base: float,
        outer_id: str | None, created: datetime, modified: datetime,
    ) -> list[dict[str, Any]]:
        r = self.rng
        if not axes:
            return []
        combos: list[list[tuple[int, int, str, str]]] = [[]]
        for pid, pname, values in axes:
            combos = [[*c, (pid, vid, pname, vname)] for c in combos for vid, vname in values]
        combos = combos[:MAX_SKUS]
        barcode_base = r.randint(6_900_000_000_000, 6_999_999_999_000) if r.random() < 0.3 else 0
        out: list[dict[str, Any]] = []
        for n, combo in enumerate(combos):
            props, names = _names(combo)
            # Some axes (storage, package) change the price; the rest do not.
            bump = sum(idx * base * 0.15 for idx, (pid, _, _, _) in enumerate(combo)
                       if pid in (PID_STORAGE, PID_PACKAGE, PID_VOLUME, PID_BED_SIZE))
            quantity = 0 if r.random() < 0.15 else r.randint(1, 500)
            sku: dict[str, Any] = {
                "sku_id": self.sku_id(),
                "properties": props,
                "properties_name": names,
                "quantity": quantity,
                "price": _money(round(base + bump + (n % 3) * 0.5 * (bump > 0), 1)),
                "with_hold_quantity": r.randint(0, 5) if quantity else 0,
                "created": _fmt(created),
                "modified": _fmt(self.moment(created, modified)),
            }
            if outer_id:
                sku["outer_id"] = f"{outer_id}-{n + 1:02d}"
            if barcode_base:
                sku["barcode"] = str(barcode_base + n)
            out.append(sku)
        return out

    # -- items and products ------------------------------------------------------------

    def item(self, index: int) -> tuple[Item, bool]:
        r = self.rng
        cid = list(_LEAVES)[index % len(_LEAVES)]
        family, stems, (low, high) = _LEAVES[cid]
        brand_family = {"men": "apparel", "case": "accessory", "cable": "accessory",
                        "bedding": "home", "household": "home"}.get(family, family)
        brand_vid, brand = r.choice(_BRANDS[brand_family])
        tmall = index % TMALL_SHARE == 0
        seller_id = r.randint(10**8, 4 * 10**9)
        nick = f"{brand.split('/')[-1]}官方旗舰店" if tmall else r.choice(_TAOBAO_NICKS)
        title = f"{r.choice(_TITLE_PREFIXES)}{brand.split('/')[-1]} {r.choice(stems)}"
        if family in ("apparel", "men"):
            title += r.choice(["", " 宽松百搭", " 显瘦", " 修身", " 大码"])
        num_iid = self.iid()
        base = float(r.randint(low, high)) + r.choice([0.0, 0.9, 0.99, 0.5])

        list_time = self.moment(datetime(2025, 1, 1), datetime(2026, 10, 31))
        modified = self.moment(list_time, datetime(2026, 11, 20, 23, 59, 59))
        created = list_time - timedelta(days=r.randint(0, 60))
        outer_id = f"{''.join(r.choices(string.ascii_uppercase, k=2))}{r.randint(100, 9999)}" \
            if r.random() < 0.7 else None

        axes = [] if r.random() < 0.15 else self.sale_axes(family)
        key_props = [(PID_BRAND, brand_vid, "品牌", brand)]
        if family in ("apparel", "men", "bedding", "case"):
            mat_vid, mat = r.choice(_MATERIALS)
            key_props.append((PID_MATERIAL, mat_vid, "材质", mat))
        model_vid = r.randint(10**6, 10**8)
        model = f"{''.join(r.choices(string.ascii_uppercase, k=2))}{r.randint(10, 999)}"
        key_props.append((PID_MODEL, model_vid, "型号", model))
        sale_values = [(pid, vid, pname, vname) for pid, pname, vals in axes for vid, vname in vals]
        props, props_name = _names(key_props + sale_values)

        skus = self.skus(axes, base, outer_id, created, modified)
        price = min((float(s["price"]) for s in skus), default=base)
        num = sum(s["quantity"] for s in skus) if skus else r.randint(0, 999)
        imgs = self.item_imgs(seller_id, r.randint(1, 5))
        pic_url = next(img["url"] for img in imgs if img["position"] == 0)
        state, city = r.choice(_LOCATIONS)
        item: Item = {
            "num_iid": num_iid,
            "title": title,
            "nick": nick,
            "type": "fixed",
            "cid": cid,
            "seller_cids": f",{r.randint(1000000, 9999999)},",
            "props": props,
            "props_name": props_name,
            "pic_url": pic_url,
            "num": num,
            "price": _money(price),
            "approve_status": "instock" if r.random() < 0.1 else "onsale",
            "stuff_status": "new" if r.random() < 0.95 else "second",
            "list_time": _fmt(list_time),
            "delist_time": _fmt(list_time + timedelta(days=7)),
            "created": _fmt(created),
            "modified": _fmt(modified),
            "sold_quantity": r.choice([0, r.randint(1, 99), r.randint(100, 50_000)]),
            "location": {"state": state, "city": city},
            "freight_payer": r.choice(["seller", "buyer"]),
            "post_fee": _money(r.choice([0, 6, 10])),
            "express_fee": _money(r.choice([0, 8, 12])),
            "ems_fee": _money(r.choice([0, 20, 25])),
            "has_discount": r.random() < 0.3,
            "has_invoice": tmall,
            "has_warranty": tmall or family == "phone",
            "has_showcase": r.random() < 0.2,
            "is_virtual": False,
            "detail_url": (f"https://detail.tmall.com/item.htm?id={num_iid}" if tmall
                           else f"https://item.taobao.com/item.htm?id={num_iid}"),
            "desc": self.desc(title, imgs, seller_id),
            "item_imgs": imgs,
        }
        if outer_id:
            item["outer_id"] = outer_id
        if r.random() < 0.3:
            item["promotion_price"] = _money(round(price * r.choice([0.6, 0.75, 0.85, 0.9]), 1))
        if r.random() < 0.3:
            item["postage_id"] = r.randint(10**9, 2 * 10**10)
        if skus:
            item["skus"] = skus
        colors = next((vals for pid, _, vals in axes if pid == PID_COLOR), [])
        if colors and r.random() < 0.7:
            item["prop_imgs"] = [
                {"id": r.randint(10**9, 10**10), "position": pos,
                 "properties": f"{PID_COLOR}:{vid}", "url": self.img_url(seller_id)}
                for pos, (vid, _) in enumerate(colors)
            ]
        if colors and r.random() < 0.25:
            vid, name = colors[0]
            item["property_alias"] = f"{PID_COLOR}:{vid}:{r.choice(['奶', '雾霾', '经典'])}{name}"
        if r.random() < 0.2:
            video_id = r.randint(10**11, 10**12)
            item["videos"] = [{"id": r.randint(10**6, 10**8), "video_id": video_id,
                               "url": f"https://cloud.video.taobao.com/play/u/{seller_id}/p/1/e/6/"
                                      f"t/1/{video_id}.mp4"}]
        if tmall:
            product = self.product(item, key_props, sale_values)
            item["product_id"] = product["product_id"]
            # "商品卖点信息，天猫商家使用字段" (seed 002): Tmall items carry a selling point.
            item["sell_point"] = product["sell_pt"]
        return item, tmall

    def desc(self, title: str, imgs: list[dict[str, Any]], seller_id: int) -> str:
        pics = "".join(f'<img src="{self.img_url(seller_id)}" align="absmiddle"/>'
                       for _ in range(self.rng.randint(1, 4)))
        return (f"<p><strong>{title}</strong></p><p>品质保证，七天无理由退换。</p>"
                f"<p>{pics}</p>")

    def product(
        self, item: Item, key_props: list[tuple[int, int, str, str]],
        sale_values: list[tuple[int, int, str, str]],
    ) -> dict[str, Any]:
        r = self.rng
        product_id = self.next_product_id
        self.next_product_id += r.randint(1, 999)
        keys = [kp for kp in key_props if kp[0] in (PID_BRAND, PID_MODEL)]
        binds = [kp for kp in key_props if kp[0] not in (PID_BRAND, PID_MODEL)]
        brand = keys[0][3]
        model = keys[-1][3]
        cat = ITEM_CATS[item["cid"]]
        pic = item["pic_url"]
        product: dict[str, Any] = {
            "product_id": product_id,
            "outer_id": f"P{product_id}",
            "tsc": "".join(r.choices(string.ascii_lowercase, k=6)),
            "cid": item["cid"],
            "cat_name": cat["name"],
            "props": ";".join(f"{p}:{v}" for p, v, _, _ in keys),
            "props_str": ";".join(f"{pn}:{vn}" for _, _, pn, vn in keys),
            "name": f"{brand} {model} {cat['name']}",
            "binds": ";".join(f"{p}:{v}" for p, v, _, _ in binds),
            "binds_str": ";".join(f"{pn}:{vn}" for _, _, pn, vn in binds),
            "sale_props": ";".join(f"{p}:{v}" for p, v, _, _ in sale_values),
            "sale_props_str": ";".join(f"{pn}:{vn}" for _, _, pn, vn in sale_values),
            "price": _money(float(item["price"]) * 1.2),
            "desc": f"{brand} {model} 官方产品资料",
            "pic_url": pic,
            "created": item["created"],
            "modified": item["modified"],
            "status": 0,
            "sell_pt": r.choice(["明星同款", "官方正品", "年度爆款", "新品上市"]),
            "product_imgs": [{"id": r.randint(10**5, 10**7), "product_id": product_id,
                              "url": pic, "position": 1}],
            "product_prop_imgs": [
                {"id": r.randint(10**5, 10**7), "product_id": product_id,
                 "props": f"{p}:{v}", "url": pic, "position": pos + 1}
                for pos, (p, v, _, _) in enumerate(sv for sv in sale_values if sv[0] == PID_COLOR)
            ],
        }
        for key in ("binds", "binds_str", "sale_props", "sale_props_str", "product_prop_imgs"):
            if not product[key]:
                del product[key]
        CATALOG_PRODUCTS[product_id] = product
        return product


# ---------------------------------------------------------------------------------------
# The seed documents' examples, verbatim where the seed gives a concrete value.

SEED_000_ITEM_ID = 680123456789
SEED_001_PRODUCT_ID = 3433222
SEED_002_ITEM_ID = 1489161932
#: The seed 000 example answered with this request id; the emulator reuses it for that item.
SEED_REQUEST_IDS: dict[int, str] = {SEED_000_ITEM_ID: "2026052015301000123"}


def _seed_000_item() -> Item:
    white, black = "1627207:28320", "1627207:28341"
    size_l, size_xl = "20509:28315", "20509:28316"
    return {
        "num_iid": SEED_000_ITEM_ID,
        "title": "2026 Summer New Casual Cotton Short Sleeve T-shirt",
        "nick": "Official Flagship Store",
        "type": "fixed",
        "cid": 50015261,
        "props": f"20000:3228999;{white};{black};{size_l};{size_xl}",
        "props_name": (f"20000:3228999:Brand:Official;{white}:Color:White;{black}:Color:Black;"
                       f"{size_l}:Size:L;{size_xl}:Size:XL"),
        "pic_url": "https://img.taobao.com/xxx.jpg",
        "num": 520,
        "price": "89.00",
        "promotion_price": "59.00",
        "approve_status": "onsale",
        "stuff_status": "new",
        "list_time": "2026-04-01 10:00:00",
        "delist_time": "2026-04-08 10:00:00",
        "created": "2026-03-28 09:12:45",
        "modified": "2026-05-20 15:30:10",
        "sold_quantity": 12580,
        "location": {"state": "Guangdong", "city": "Guangzhou"},
        "freight_payer": "seller",
        "post_fee": "0.00",
        "express_fee": "0.00",
        "ems_fee": "0.00",
        "detail_url": f"https://item.taobao.com/item.htm?id={SEED_000_ITEM_ID}",
        "desc": ("<p>2026 Summer New Casual Cotton Short Sleeve T-shirt</p>"
                 '<p><img src="https://img.taobao.com/xxx.jpg"/></p>'),
        "item_imgs": [
            {"id": 1000000002, "position": 1, "url": "https://img.taobao.com/xxx_2.jpg"},
            {"id": 0, "position": 0, "url": "https://img.taobao.com/xxx.jpg"},
        ],
        "prop_imgs": [
            {"id": 1000000101, "position": 0, "properties": white,
             "url": "https://img.taobao.com/xxx_white.jpg"},
            {"id": 1000000102, "position": 1, "properties": black,
             "url": "https://img.taobao.com/xxx_black.jpg"},
        ],
        "skus": [
            {"sku_id": 123456789001, "properties": f"{white};{size_l}",
             "properties_name": f"{white}:Color:White;{size_l}:Size:L",
             "quantity": 120, "price": "59.00", "with_hold_quantity": 0,
             "created": "2026-03-28 09:12:45", "modified": "2026-05-20 15:30:10"},
            {"sku_id": 123456789002, "properties": f"{black};{size_xl}",
             "properties_name": f"{black}:Color:Black;{size_xl}:Size:XL",
             "quantity": 95, "price": "59.00", "with_hold_quantity": 0,
             "created": "2026-03-28 09:12:45", "modified": "2026-05-20 15:30:10"},
        ],
    }


def _seed_002_item() -> Item:
    img = "http://img03.taobao.net/bao/uploaded/i3/T1HXdXXgPSt0JxZ2.8_070458.jpg"
    return {
        "iid": "13232",
        "detail_url": "http://item.taobao.com/item.htm?id=4947813209",
        "num_iid": SEED_002_ITEM_ID,
        "title": "Google test item",
        "nick": "tbtest561",
        "type": "fixed",
        "cid": 132443,
        "props": "135255:344454",
        "desc": "这是一个好商品",
        "pic_url": img,
        "num": 8888,
        "list_time": "2009-10-22 14:22:06",
        "delist_time": "2000-01-01 00:00:00",
        "modified": "2009-10-22 14:22:06",
        "stuff_status": "new",
        "location": {"state": "浙江", "city": "杭州"},
        "price": "5.00",
        "post_fee": "5.00",
        "express_fee": "5.00",
        "ems_fee": "5.00",
        "approve_status": "onsale",
        "postage_id": 32,
        "product_id": 85883030,
        "auction_point": 15,
        "item_imgs": [{"id": 1645920, "url": img, "position": 1}],
        "prop_imgs": [{"id": 1646146, "url": img, "properties": "1627207:28326", "position": 1}],
        "skus": [{
            "sku_id": 123,
            "properties": "1243:1215;5626:5125",
            "properties_name": "20000:3275069:品牌:盈讯;1753146:3485013:型号:F908;"
                               "-1234:-5678:自定义属性1:属性值1",
            "quantity": 3,
            "price": "200.07",
            "outer_id": "12345",
            "barcode": "6903244981002",
            "with_hold_quantity": 100,
        }],
        "outer_id": "34143554352",
        "is_virtual": True,
        "is_taobao": True,
        "is_timing": True,
        "props_name": ("20000:3275069:品牌:盈讯;1753146:3485013:型号:F908;"
                       "30606:112030:上市时间:2008年"),
        "is_fenxiao": 0,
        "template_id": "123456",
        "global_stock_type": "1",
        "global_stock_country": "美国",
        "global_stock_delivery_place": "1",
        "global_stock_tax_free_promise": False,
        "barcode": "6903244981002",
        "sub_stock": 1,
        "with_hold_quantity": 12,
        "sell_point": "2013新款 时尚 前卫",
        "support_charge_free": False,
        "white_bg_image": "/i3/T1HXdXXgPSt0JxZ2.8_070458.jpg",
        "charge_free_list": "3,6,12",
        "videos": [{"id": 123456, "video_id": 123456,
                    "url": "http://js.tudouui.com/bin/taobaoisv/TaoBaoPlayer.swf"}],
        "mpic_video": {"num_iid": 1497217011, "video_id": 9527,
                       "video_pic": "http://img02.taobaocdn.com/bao/uploaded/T14rGfFqJfXXXXXXXX.jpg",
                       "video_status": 0, "video_duaration": 9},
        "item_wireless_imgs": [{"url": img, "position": 1, "id": 1645920}],
        "vertical_imgs": [{"url": img, "position": 1, "id": 1645920}],
        "item_rectangle_imgs": [{"url": img, "position": 1}],
    }


def _seed_products() -> list[dict[str, Any]]:
    nokia = {
        "product_id": SEED_001_PRODUCT_ID,
        "outer_id": "123456",
        "tsc": "hkjki",
        "cid": 50012286,
        "cat_name": "日用品",
        # The seed prints the placeholder "pid:vid;pid:vid"; its request example gives the
        # real key props of 品牌:诺基亚;型号:N73, used here so ``cid``+``props`` finds it.
        "props": "10005:10027;10006:29729",
        "props_str": "品牌:诺基亚;型号:N73",
        "name": "惠普笔记本",
        "binds": "20021:3323086;30606:112030",
        "binds_str": "品牌:诺基亚;型号:N73",
        "sale_props": "1627207:3232483;1627207:28326",
        "sale_props_str": "品牌:诺基亚;型号:N73",
        "price": "200.07",
        "desc": "这是一款产品",
        "pic_url": "http://host/image_path",
        "created": "2000-01-01 00:00:00",
        "modified": "2000-01-01 00:00:00",
        "status": 1,
        "vertical_market": 3,
        "property_alias": "1627207:3232483:深深绿色",
        "customer_props": "20000:优衣库",
        "sell_pt": "明星同款",
        "product_imgs": [{"id": 9684, "product_id": 96899, "url": "http://host/image_path",
                          "position": 2355}],
        "product_prop_imgs": [{"id": 674443, "product_id": 96899, "props": "1627207:28326",
                               "url": "http://host/image_path", "position": 2355}],
        "cspu_feature": "cspu:0/cspu:1",
    }
    # Seed 002's item points at product 85883030; the seed gives no values for it.
    seed_002_product = {
        "product_id": 85883030,
        "outer_id": "85883030",
        "tsc": "tbtest",
        "cid": 132443,
        "cat_name": "测试类目",
        "props": "135255:344454",
        "props_str": "品牌:盈讯",
        "name": "盈讯 F908",
        "price": "5.00",
        "desc": "测试产品",
        "pic_url": "http://img03.taobao.net/bao/uploaded/i3/T1HXdXXgPSt0JxZ2.8_070458.jpg",
        "created": "2009-10-22 14:22:06",
        "modified": "2009-10-22 14:22:06",
        "status": 0,
    }
    return [nokia, seed_002_product]


def _tricky_items(gen: _Generator) -> list[tuple[Item, bool]]:
    """Ten hand-made items, ``600000000001`` … ``600000000010``, one corner case each."""
    base = {
        "type": "fixed", "approve_status": "onsale", "stuff_status": "new",
        "location": {"state": "浙江", "city": "杭州"}, "freight_payer": "seller",
        "post_fee": "0.00", "express_fee": "0.00", "ems_fee": "0.00",
        "list_time": "2026-02-01 09:00:00", "delist_time": "2026-02-08 09:00:00",
        "created": "2026-01-20 09:00:00", "sold_quantity": 42,
    }
    stamp = "2026-01-20 09:00:00"

    def item(num_iid: int, title: str, cid: int, modified: str, **extra: Any) -> Item:
        url = gen.img_url(2200000001)
        fields: Item = {"num_iid": num_iid, "title": title, "nick": "sandbox测试店", "cid": cid,
                        **base, "modified": modified, "pic_url": url,
                        "detail_url": f"https://item.taobao.com/item.htm?id={num_iid}",
                        "desc": f"<p>{title}</p>",
                        "item_imgs": [{"id": 0, "position": 0, "url": url}]}
        fields.update(extra)
        if "skus" in fields:
            fields["num"] = sum(s["quantity"] for s in fields["skus"])
            cheapest = min(fields["skus"], key=lambda s: float(s["price"]))
            fields.setdefault("price", cheapest["price"])
        return fields

    def sku(sku_id: int, pairs: list[tuple[int, int, str, str]], qty: int, price: str,
            **extra: Any) -> dict[str, Any]:
        props, names = _names(pairs)
        return {"sku_id": sku_id, "properties": props, "properties_name": names,
                "quantity": qty, "price": price, "created": stamp, "modified": stamp, **extra}

    out: list[tuple[Item, bool]] = []

    # 1: ':' and ';' inside names arrive escaped as #cln# / #scln# (props_name and SKUs).
    model = (PID_MODEL, 90001, "型号", "X1#cln#Pro")
    kit_a = (PID_PACKAGE, 90011, "套餐类型", "主机#scln#充电器")
    kit_b = (PID_PACKAGE, 90012, "套餐类型", "主机#scln#充电器#scln#耳机")
    props, props_name = _names([model, kit_a, kit_b])
    out.append((item(600000000001, "转义测试 X1:Pro 套装", 50012164, "2026-03-01 10:00:00",
                     props=props, props_name=props_name,
                     skus=[sku(600000000001001, [kit_a], 10, "199.00"),
                           sku(600000000001002, [kit_b], 5, "259.00")]), False))

    # 2: seller-defined (custom) sale properties carry negative pids and vids.
    c1 = (-1, -1001, "自定义规格", "单件装")
    c2 = (-1, -1002, "自定义规格", "两件装(送收纳袋)")
    props, props_name = _names([(PID_BRAND, 60004, "品牌", "网易严选"), c1, c2])
    out.append((item(600000000002, "自定义属性测试 收纳盒", 50012286, "2026-03-02 10:00:00",
                     props=props, props_name=props_name,
                     skus=[sku(600000000002001, [c1], 30, "19.90"),
                           sku(600000000002002, [c2], 0, "35.80")]), False))

    # 3: every SKU sold out; the item stays on sale with num 0.
    w, b = (PID_COLOR, 28320, "颜色分类", "白色"), (PID_COLOR, 28341, "颜色分类", "黑色")
    props, props_name = _names([w, b])
    out.append((item(600000000003, "全部售罄测试 纯棉T恤", 50000436, "2026-03-03 10:00:00",
                     props=props, props_name=props_name,
                     skus=[sku(600000000003001, [w], 0, "59.00"),
                           sku(600000000003002, [b], 0, "59.00")]), False))

    # 4: 60 SKUs (10 colours x 6 sizes), aliases on two colours, an orphan property image.
    colors = [(PID_COLOR, vid, "颜色分类", name) for vid, name in _COLORS[:10]]
    sizes = [(PID_SIZE, vid, "尺码", name) for vid, name in _SIZES]
    skus4 = [sku(600000000004000 + n, [c, s], (n * 7) % 13, "99.00")
             for n, (c, s) in enumerate((c, s) for c in colors for s in sizes)]
    props, props_name = _names(colors + sizes)
    prop_imgs = [{"id": 40000 + pos, "position": pos, "properties": f"{PID_COLOR}:{c[1]}",
                  "url": gen.img_url(2200000001)} for pos, c in enumerate(colors)]
    prop_imgs.append({"id": 40099, "position": 10, "properties": f"{PID_COLOR}:28330",
                      "url": gen.img_url(2200000001)})
    out.append((item(600000000004, "六十个SKU测试 百搭T恤", 50000436, "2026-03-04 10:00:00",
                     props=props, props_name=props_name, skus=skus4, prop_imgs=prop_imgs,
                     property_alias="1627207:28320:奶油白;1627207:28341:曜石黑;20509:28316:加大码"),
                False))

    # 5: no SKUs, no promotion, a municipality with only ``state``.
    out.append((item(600000000005, "无SKU测试 抽纸整箱", 50012286, "2026-03-05 10:00:00",
                     props="20000:60004", props_name="20000:60004:品牌:网易严选", num=300,
                     price="39.90", location={"state": "上海"}), False))

    # 6: SKU prices spread from 9.90 to 1999.00; sizes with '/' and parentheses; barcodes.
    s1 = (PID_SIZE, 3267945, "尺码", "180/96A(XL)")
    s2 = (PID_SIZE, 3267946, "尺码", "185/100A(XXL)")
    s3 = (PID_STORAGE, 3861310, "存储容量", "16GB+1TB")
    props, props_name = _names([s1, s2, s3])
    out.append((item(600000000006, "价格区间测试 组合商品", 50000557, "2026-03-06 10:00:00",
                     props=props, props_name=props_name, promotion_price="8.90",
                     skus=[sku(600000000006001, [s1], 3, "9.90", barcode="6901234567892"),
                           sku(600000000006002, [s2], 8, "129.00", outer_id="ZH-02"),
                           sku(600000000006003, [s3], 1, "1999.00")]), False))

    # 7: a Tmall item linked to seed 001's catalog product 3433222.
    out.append((item(600000000007, "诺基亚 N73 天猫测试商品", 50012286, "2026-03-07 10:00:00",
                     nick="诺基亚官方旗舰店", props="10005:10027;10006:29729",
                     props_name="10005:10027:品牌:诺基亚;10006:29729:型号:N73", num=66,
                     price="200.07", product_id=SEED_001_PRODUCT_ID, has_invoice=True,
                     detail_url="https://detail.tmall.com/item.htm?id=600000000007"), True))

    # 8: a one-cent SKU and a SKU with six-digit stock.
    c = (PID_COLOR, 28326, "颜色分类", "红色")
    d = (PID_COLOR, 28338, "颜色分类", "蓝色")
    props, props_name = _names([c, d])
    out.append((item(600000000008, "极值测试 一分钱秒杀", 50005050, "2026-03-08 10:00:00",
                     props=props, props_name=props_name,
                     skus=[sku(600000000008001, [c], 1, "0.01"),
                           sku(600000000008002, [d], 999999, "19.90")]), False))

    # 9: image positions with gaps, stored out of order.
    urls = [gen.img_url(2200000001) for _ in range(4)]
    out.append((item(600000000009, "图片顺序测试 面膜", 50011980, "2026-03-09 10:00:00",
                     props="20000:50003", props_name="20000:50003:品牌:珀莱雅", num=10,
                     price="49.00", pic_url=urls[0],
                     item_imgs=[{"id": 9003, "position": 4, "url": urls[3]},
                                {"id": 0, "position": 0, "url": urls[0]},
                                {"id": 9002, "position": 3, "url": urls[2]},
                                {"id": 9001, "position": 1, "url": urls[1]}]), False))

    # 10: a single SKU on a custom property only, with a video.
    one = (-2, -2001, "规格", "标准款")
    props, props_name = _names([one])
    out.append((item(600000000010, "单SKU视频测试 记忆棉枕", 50008165, "2026-03-10 10:00:00",
                     props=props, props_name=props_name,
                     skus=[sku(600000000010001, [one], 12, "89.00", outer_id="ZT-1")],
                     videos=[{"id": 100010, "video_id": 300000000010,
                              "url": "https://cloud.video.taobao.com/play/u/1/p/1/e/6/t/1/"
                                     "300000000010.mp4"}]), False))
    return out


TRICKY_ITEM_IDS: tuple[int, ...] = tuple(600000000001 + n for n in range(10))

TOP_ITEMS: dict[int, Item] = {}
CATALOG_PRODUCTS: dict[int, dict[str, Any]] = {}
_TMALL_IDS: set[int] = set()


def _build() -> None:
    gen = _Generator()
    for product in _seed_products():
        CATALOG_PRODUCTS[product["product_id"]] = product
    entries = [(_seed_000_item(), False), (_seed_002_item(), False), *_tricky_items(gen)]
    entries += [gen.item(n) for n in range(GENERATED_ITEMS)]
    for item, tmall in entries:
        TOP_ITEMS[item["num_iid"]] = item
        if tmall:
            _TMALL_IDS.add(item["num_iid"])


_build()


def _shared_spu_items() -> tuple[int, ...]:
    """Tmall items that share catalog products, as shops selling one SPU do: four generated
    Tmall items, each with four copies under other shops and new ids (the originals are
    left as they are). Returns the 20 ids, five per SPU."""
    originals = [n for n in sorted(_TMALL_IDS)
                 if n not in TRICKY_ITEM_IDS and TOP_ITEMS[n].get("product_id")][:4]
    ids: list[int] = []
    for k, original in enumerate(originals):
        ids.append(original)
        for j in range(1, 5):
            num_iid = 600_000_000_100 + 10 * k + j
            copy = {**TOP_ITEMS[original], "num_iid": num_iid,
                    "title": f"{TOP_ITEMS[original]['title']} 分店{j}",
                    "nick": f"{TOP_ITEMS[original].get('nick', '天猫')}分店{j}",
                    "detail_url": f"https://detail.tmall.com/item.htm?id={num_iid}"}
            TOP_ITEMS[num_iid] = copy
            _TMALL_IDS.add(num_iid)
            ids.append(num_iid)
    return tuple(ids)


#: Twenty Tmall items over four catalog products (five items each).
SHARED_SPU_ITEM_IDS: tuple[int, ...] = _shared_spu_items()


def is_tmall(num_iid: int) -> bool:
    """Whether the item is sold on Tmall (kept out of the item JSON, as on the real gateway)."""
    return num_iid in _TMALL_IDS


def find_product(cid: int, props: str) -> dict[str, Any] | None:
    """The catalog product of leaf category ``cid`` whose key props equal ``props``."""
    wanted = {p for p in props.split(";") if p}
    for product in CATALOG_PRODUCTS.values():
        if product["cid"] == cid and set(product["props"].split(";")) == wanted:
            return product
    return None

"""The sandbox's 1688 catalog: offers in AOP ``productInfo`` shape (camelCase), keyed by offer id.

Both 1688 upstreams of the sandbox serve it: ``alibaba.product.get`` answers an offer as it is,
the seed-004 aggregator converts it to its snake_case shape. Deterministic (a fixed seed), so
tests and benchmarks see the same catalog every run. It holds:

* seed 004's offer ``584240750353`` exactly as the seed prints it (tiers 3→23, 50→22, 500→21,
  MOQ 3, quoteType 2, the variant ``8ee78ffbdcb30c53861739e60be04325``, ``processing``);
* seed 003's offer ``554456348334`` (display 29.9, promotion 24.9, a ``b266e0…`` variant with
  stock 100); the promotion price rides on ``skuInfos[].promotionPrice`` as in the fenxiao
  ``queryProductDetail`` SKU model (§2.6), since ProductInfo has no promotion field;
* generated offers covering every quoteType (0: no SKUs, tiers only; 1: per-SKU prices;
  2: SKUs on shared tiers), MOQs from 1 to 1000, consign prices, ``processing``, videos,
  batch selling (``batchNumber``/``sellunit``) and non-published statuses.

Prices are JSON numbers (floats rounded to the fen), as the gateway sends them.
"""

from __future__ import annotations

import random
from typing import Any

SEED_004_OFFER: dict[str, Any] = {
    "productID": 584240750353,
    "productType": "wholesale",
    "categoryID": 1043766,
    "attributes": [
        {
            "attributeID": 2176,
            "attributeName": "品牌",
            "value": "忆江南",
            "isCustom": False
        },
        {
            "attributeID": 7869,
            "attributeName": "是否进口",
            "value": "否",
            "isCustom": False
        },
        {
            "attributeID": 159484581,
            "attributeName": "原产国/地区",
            "value": "澳大利亚",
            "isCustom": False
        }
    ],
    "status": "published",
    "subject": "susui素水品牌304真空镀铜500ml透明盖高档保温杯高档随手保温杯",
    "description": "susui素水品牌304真空镀铜500ml透明盖高档保温杯高档随手保温杯",
    "language": "chinese",
    "periodOfValidity": 3650,
    "bizType": 1,
    "pictureAuth": False,
    "image": {
        "images": [
            "img/ibank/2015/681/907/20397091861984794539.jpg",
            "img/ibank/2015/781/907/20397091871984794539.jpg",
            "img/ibank/2015/981/907/20397091891984794539.jpg",
            "img/ibank/2015/131/099/20369901311984794539.jpg",
            "img/ibank/2015/371/099/20369901731984794539.jpg",
            "img/ibank/2015/141/099/20369901411984794539.jpg",
            "img/ibank/2015/551/099/20369901551984794539.jpg"
        ]
    },
    "skuInfos": [
        {
            "attributes": [
                {
                    "attributeID": 3216,
                    "attributeValue": "清新蓝",
                    "skuImageUrl": "img/ibank/2015/131/099/20369901311984794539.jpg",
                    "attributeDisplayName": "颜色",
                    "attributeName": "颜色"
                },
                {
                    "attributeID": 2340,
                    "attributeValue": "500ml",
                    "attributeDisplayName": "容量",
                    "attributeName": "容量"
                }
            ],
            "cargoNumber": "",
            "amountOnSale": 1000,
            "skuCode": "3941927601960",
            "skuId": 3941927601960,
            "specId": "8ee78ffbdcb30c53861739e60be04325",
            "consignPrice": 23
        }
    ],
    "saleInfo": {
        "supportOnlineTrade": True,
        "mixWholeSale": False,
        "saleType": "normal",
        "priceAuth": False,
        "priceRanges": [
            {
                "startQuantity": 3,
                "price": 23
            },
            {
                "startQuantity": 50,
                "price": 22
            },
            {
                "startQuantity": 500,
                "price": 21
            }
        ],
        "amountOnSale": 4047,
        "minOrderQuantity": 3,
        "quoteType": 2,
        "consignPrice": 23
    },
    "shippingInfo": {
        "freightTemplateID": 0
    },
    "extendInfos": [
        {
            "key": "is_support_step_pay",
            "value": "false"
        },
        {
            "key": "is_support_mix",
            "value": "false"
        },
        {
            "key": "is_alipay_supported",
            "value": "true"
        }
    ],
    "qualityLevel": 6,
    "productCargoNumber": "透明盖保温杯",
    "processing": {
        "attributeList": [
            {
                "key": "production_capacity",
                "name": "生产产能",
                "value": "10",
                "valueName": "双"
            },
            {
                "key": "order_mode",
                "name": "加工方式",
                "value": "2201",
                "valueName": "来样加工"
            },
            {
                "key": "order_mode",
                "name": "加工方式",
                "value": "2202",
                "valueName": "来图加工"
            },
            {
                "key": "order_mode",
                "name": "加工方式",
                "value": "2204",
                "valueName": "贴牌加工"
            },
            {
                "key": "order_mode",
                "name": "加工方式",
                "value": "2305",
                "valueName": "加印logo"
            },
            {
                "key": "order_mode",
                "name": "加工方式",
                "value": "2306",
                "valueName": "包装物料"
            },
            {
                "key": "order_mode",
                "name": "加工方式",
                "value": "9999",
                "valueName": "其他加工"
            },
            {
                "key": "production_grade",
                "name": "生产档次",
                "value": "v2",
                "valueName": "中等"
            },
            {
                "key": "production_grade",
                "name": "生产档次",
                "value": "v1",
                "valueName": "高级"
            },
            {
                "key": "production_grade",
                "name": "生产档次",
                "value": "v4",
                "valueName": "大众"
            }
        ],
        "imageList": [
            {
                "imageId": 15307542938,
                "imageName": "b2de9c82d158ccbf256dd55512d8bc"
            }
        ],
        "relationCategoryList": [
            {
                "categoryID": "54>127484008>201158704",
                "categoryName": "服饰配件、饰品>手套/袖套>婚庆手套"
            }
        ],
        "relationOffer": {
            "stockOffers": [
                631375849349
            ]
        },
        "tradeAttributes": {
            "referPriceList": [
                {
                    "key": "2306",
                    "referPrice": {
                        "amount": 10,
                        "maxPrice": 1000.0,
                        "price": 100.0,
                        "propList": [
                            {
                                "key": 30,
                                "value": "包装物料"
                            }
                        ]
                    }
                },
                {
                    "key": "2305",
                    "referPrice": {
                        "amount": 10,
                        "maxPrice": 1000.0,
                        "price": 100.0,
                        "propList": [
                            {
                                "key": 30,
                                "value": "加印logo"
                            }
                        ]
                    }
                },
                {
                    "key": "2204",
                    "referPrice": {
                        "amount": 10,
                        "maxPrice": 1000.0,
                        "price": 100.0,
                        "propList": [
                            {
                                "key": 30,
                                "value": "贴牌加工"
                            }
                        ]
                    }
                },
                {
                    "key": "2202",
                    "referPrice": {
                        "amount": 10,
                        "maxPrice": 1000.0,
                        "price": 100.0,
                        "propList": [
                            {
                                "key": 30,
                                "value": "来图加工"
                            }
                        ]
                    }
                },
                {
                    "key": "2201",
                    "referPrice": {
                        "amount": 1000,
                        "maxPrice": 10000.0,
                        "price": 1000.0,
                        "propList": [
                            {
                                "key": 30,
                                "value": "来样加工"
                            }
                        ]
                    }
                },
                {
                    "key": "9999",
                    "referPrice": {
                        "amount": 10,
                        "maxPrice": 1000.0,
                        "price": 100.0,
                        "propList": [
                            {
                                "key": 30,
                                "value": "其他加工"
                            }
                        ]
                    }
                }
            ],
            "reserveRangeList": [
                {
                    "beginAmount": 2000,
                    "date": 2000
                }
            ],
            "samplePrice": 100.0,
            "sampleTime": 100,
            "unitName": "件"
        }
    },
    "createTime": "20181216141253000+0800",
    "lastUpdateTime": "20181218124625000+0800",
    "expireTime": "20281215124625000+0800"
}

SEED_004_ENVELOPE_DATES: dict[str, Any] = {
    "expireTime": "20281215124625000+0800",
    "bizGroupInfos": [
        {
            "support": False,
            "description": "零售通",
            "code": "is_retail_offer"
        },
        {
            "support": False,
            "description": "微供商品",
            "code": "is_micro_supply"
        },
        {
            "support": False,
            "description": "1688企业内部商城",
            "code": "is_emall_offer"
        },
        {
            "support": False,
            "description": "1688代销产品",
            "code": "is_consign_market_offer"
        },
        {
            "support": False,
            "description": "代发业务产品",
            "code": "has_linked_to_supplier"
        }
    ],
    "createTime": "20181216141253000+0800",
    "approvedTime": "20181218124625000+0800",
    "lastUpdateTime": "20181218124625000+0800",
    "lastRepostTime": "20181218124625000+0800"
}


SEED_003_OFFER: dict[str, Any] = {
    "productID": 554456348334,
    "productType": "wholesale",
    "categoryID": 127380009,
    "categoryName": "手机壳/保护套",
    "subject": "适用苹果15手机壳液态硅胶全包防摔iPhone14promax保护套简约纯色",
    # The cross-border detail's own translation (ProductDetailModel ``subjectTrans``).
    "subjectTrans": "Liquid silicone full-cover shockproof case for iPhone 15 / 14 Pro Max, "
                    "minimalist solid colour",
    "description": "<p>液态硅胶 全包防摔 简约纯色</p>",
    "status": "published",
    "language": "CHINESE",
    "attributes": [
        {"attributeID": 2176, "attributeName": "品牌", "value": "酷乐派", "isCustom": False},
        {"attributeID": 1398, "attributeName": "材质", "value": "液态硅胶", "isCustom": False},
    ],
    "image": {"images": ["img/ibank/O1CN01a3Kq2b1PXoXK0qYq8_!!2207398466733-0-cib.jpg",
                         "img/ibank/O1CN01r9Vm6y1PXoXHm1lMX_!!2207398466733-0-cib.jpg"]},
    "skuInfos": [
        {"attributes": [{"attributeID": 3216, "attributeValue": "黑色",
                         "skuImageUrl":
                             "img/ibank/O1CN01Bk7m4C1PXoXJ9wGgW_!!2207398466733-0-cib.jpg",
                         "attributeDisplayName": "颜色", "attributeName": "颜色"},
                        {"attributeID": 1627207, "attributeValue": "iPhone 15",
                         "attributeDisplayName": "适用型号", "attributeName": "适用型号"}],
         "amountOnSale": 100, "price": 29.9, "promotionPrice": 24.9, "retailPrice": 39.9,
         "consignPrice": 31.9, "skuId": 4812395577101,
         "specId": "b266e0a3c41f5d7e9b2a6c8d0e1f3a57", "cargoNumber": "KLP-15-BK"},
        {"attributes": [{"attributeID": 3216, "attributeValue": "远峰蓝",
                         "skuImageUrl":
                             "img/ibank/O1CN01c8Hd3Q1PXoXLpYzt2_!!2207398466733-0-cib.jpg",
                         "attributeDisplayName": "颜色", "attributeName": "颜色"},
                        {"attributeID": 1627207, "attributeValue": "iPhone 15",
                         "attributeDisplayName": "适用型号", "attributeName": "适用型号"}],
         "amountOnSale": 60, "price": 29.9, "promotionPrice": 24.9, "retailPrice": 39.9,
         "consignPrice": 31.9, "skuId": 4812395577102,
         "specId": "c7d2f0b19e4a6385d1c0b7e2f9a84d16", "cargoNumber": "KLP-15-BL"},
        {"attributes": [{"attributeID": 3216, "attributeValue": "黑色",
                         "attributeDisplayName": "颜色", "attributeName": "颜色"},
                        {"attributeID": 1627207, "attributeValue": "iPhone 14 Pro Max",
                         "attributeDisplayName": "适用型号", "attributeName": "适用型号"}],
         "amountOnSale": 0, "price": 32.9, "retailPrice": 42.9, "consignPrice": 34.9,
         "skuId": 4812395577103, "specId": "0f5e9b7d2c1a48e6b3d7a9c5e1f20b84",
         "cargoNumber": "KLP-14PM-BK"},
    ],
    "saleInfo": {"supportOnlineTrade": True, "mixWholeSale": True, "priceAuth": False,
                 "priceRanges": [], "amountOnSale": 160, "unit": "个", "minOrderQuantity": 2,
                 "quoteType": 1, "consignPrice": 31.9, "retailprice": 39.9},
    "shippingInfo": {"freightTemplateID": 16044127, "unitWeight": 0.05,
                     "sendGoodsAddressText": "广东省 深圳市"},
    "supplierLoginId": "kulepai2019",
    "qualityLevel": 4,
    "bookedCount": "3271",
    "mainVedio": "https://cloud.video.taobao.com/play/u/2207398466733/p/1/e/6/t/1/412098532781.mp4",
    "createTime": "20230905101530000+0800",
    "lastUpdateTime": "20240311083012000+0800",
}

_CATEGORIES: list[tuple[int, str, str, list[str], list[tuple[str, list[str]]]]] = [
    (1043766, "保温杯", "{brand}304不锈钢保温杯大容量{n}ml便携男女学生水杯",
     ["真空保温", "可定制logo"], [("颜色", ["黑色", "白色", "樱花粉", "雾霾蓝"]),
                                   ("容量", ["350ml", "500ml", "750ml"])]),
    (127380009, "手机壳/保护套", "{brand}适用iPhone{n}手机壳磨砂全包防摔保护套",
     ["TPU", "硅胶"], [("颜色", ["黑色", "透明", "紫色"]),
                       ("适用型号", ["iPhone 13", "iPhone 14", "iPhone 15"])]),
    (1031910, "T恤", "{brand}纯棉短袖T恤男女同款{n}g重磅宽松打底衫外贸批发",
     ["纯棉", "夏季"], [("颜色", ["白色", "黑色", "灰色", "杏色"]),
                        ("尺码", ["M", "L", "XL", "2XL"])]),
    (124160003, "收纳盒", "{brand}桌面收纳盒塑料抽屉式{n}层化妆品整理盒",
     ["PP塑料", "家用"], [("颜色", ["白色", "透明"]), ("规格", ["小号", "中号", "大号"])]),
    (1046817, "数据线", "{brand}快充数据线{n}W适用华为苹果type-c编织充电线",
     ["编织", "快充"], [("接口", ["Type-C", "Lightning", "Micro USB"]),
                        ("长度", ["1米", "1.5米", "2米"])]),
    (121704011, "帆布包", "{brand}ins帆布包女大容量单肩包学生{n}款文艺托特包",
     ["帆布", "ins"], [("颜色", ["米白", "黑色", "卡其"])]),
    (1032766, "拖鞋", "{brand}EVA浴室拖鞋夏季家用防滑{n}款情侣凉拖",
     ["EVA", "防滑"], [("颜色", ["蓝色", "粉色", "灰色"]),
                       ("尺码", ["36-37", "38-39", "40-41", "42-43"])]),
    (201237501, "宠物玩具", "{brand}宠物狗狗玩具耐咬磨牙{n}件套发声球",
     ["耐咬", "发声"], [("款式", ["球形", "骨头", "绳结"])]),
]
#: English subjects of the generated offers that carry ``subjectTrans``, by category.
_SUBJECT_TRANS = {
    1043766: "304 stainless steel vacuum flask, large capacity, portable water bottle",
    127380009: "Matte full-cover shockproof phone case for iPhone",
    1031910: "Heavyweight cotton short-sleeve T-shirt, unisex, loose fit, wholesale",
    124160003: "Plastic desktop drawer organiser for cosmetics",
    1046817: "Braided fast-charging Type-C data cable for Huawei and Apple",
    121704011: "Large canvas tote shoulder bag for women and students",
    1032766: "Non-slip EVA bathroom slippers for summer, couples' sandals",
    201237501: "Chew-resistant squeaky dog toy set",
}
_BRANDS = ["", "素然", "优品汇", "佳居乐", "初心", "万家福", "匠造", "暖阳"]
_PLACES = ["浙江省 义乌市", "广东省 深圳市", "广东省 广州市", "浙江省 杭州市", "江苏省 苏州市",
           "福建省 泉州市", "河北省 保定市", "山东省 临沂市", "上海市", "广东东莞"]
_SELLERS = ["yiwu_xiaoshangpin", "shenzhen_jiayi", "gzbaihuo88", "hzyoupin", "szjingzao",
            "qzxieye2018", "bdxiangbao", "lyriyong", "shwanjia", "dgchangjia"]
_MOQS = [1, 1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000]
_STATUSES = {17: "expired", 29: "auditing", 41: "member deleted", 53: "auto expired"}


def _yuan(value: float) -> float:
    return round(value, 2)


def _date(rng: random.Random, year: int) -> str:
    return (f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            f"{rng.randint(0, 23):02d}{rng.randint(0, 59):02d}{rng.randint(0, 59):02d}000+0800")


def _image(rng: random.Random) -> str:
    path = (f"img/ibank/{rng.randint(2016, 2024)}/{rng.randint(100, 999)}/{rng.randint(100, 999)}/"
            f"{rng.randint(10**10, 10**11 - 1)}_{rng.randint(10**8, 10**9 - 1)}.jpg")
    # Most ProductInfo image paths are relative; a few sellers' come back absolute.
    return path if rng.random() < 0.9 else "https://cbu01.alicdn.com/" + path


def _video(rng: random.Random) -> str:
    return (f"https://cloud.video.taobao.com/play/u/{rng.randint(10**9, 10**10)}"
            f"/p/1/e/6/t/1/{rng.randint(10**11, 10**12)}.mp4")


def _tiers(rng: random.Random, moq: int, base: float) -> list[dict[str, Any]]:
    starts = [moq]
    for _ in range(rng.randint(0, 2)):
        starts.append(starts[-1] * rng.choice([5, 10]))
    price = base
    tiers = []
    for start in starts:
        tiers.append({"startQuantity": start, "price": _yuan(price)})
        price = max(0.1, price * rng.uniform(0.85, 0.97))
    return tiers


def _processing(rng: random.Random) -> dict[str, Any]:
    modes = rng.sample([("2201", "来样加工"), ("2202", "来图加工"), ("2204", "贴牌加工"),
                        ("2305", "加印logo"), ("2306", "包装物料")], k=rng.randint(1, 3))
    return {
        "attributeList": [{"key": "order_mode", "name": "加工方式", "value": code,
                           "valueName": name} for code, name in modes],
        "tradeAttributes": {
            "referPriceList": [{"key": code, "referPrice": {
                "amount": rng.choice([100, 500, 1000]), "price": float(rng.choice([2, 5, 10])),
                "maxPrice": float(rng.choice([20, 50, 100])),
                "propList": [{"key": 30, "value": name}]}} for code, name in modes],
            "samplePrice": float(rng.choice([50, 100, 200])),
            "sampleTime": rng.choice([3, 7, 15]),
            "unitName": "件",
        },
    }


def _generated_offer(rng: random.Random, index: int, offer_id: int) -> dict[str, Any]:
    category_id, category_name, pattern, keywords, dimensions = rng.choice(_CATEGORIES)
    quote_type = index % 3
    moq = rng.choice(_MOQS)
    base = _yuan(rng.uniform(1.5, 120.0))
    subject = pattern.format(brand=rng.choice(_BRANDS), n=rng.choice([6, 12, 15, 20, 65, 500]))
    sale: dict[str, Any] = {
        "supportOnlineTrade": True, "mixWholeSale": rng.random() < 0.5, "priceAuth": False,
        "unit": rng.choice(["件", "个", "只", "双", "条"]), "minOrderQuantity": moq,
        "quoteType": quote_type, "saleType": "normal",
    }
    if quote_type != 1 or rng.random() < 0.5:
        sale["priceRanges"] = _tiers(rng, moq, base)
    if rng.random() < 0.6:
        sale["consignPrice"] = _yuan(base * 1.12)
    if rng.random() < 0.3:
        sale["retailprice"] = _yuan(base * 1.8)
    if index % 10 == 7:
        sale["batchNumber"], sale["sellunit"] = 12, "手"
    skus: list[dict[str, Any]] = []
    if quote_type in (1, 2):
        chosen = [(name, values[: rng.randint(1, len(values))]) for name, values in dimensions]
        # A swatch belongs to a value of the first dimension (its colour), not to one SKU.
        swatches = {value: _image(rng) for value in chosen[0][1] if rng.random() < 0.7}
        combos: list[list[tuple[str, str]]] = [[]]
        for name, values in chosen:
            combos = [[*combo, (name, value)] for combo in combos for value in values]
        for number, combo in enumerate(combos):
            sku_price = _yuan(base * rng.uniform(0.9, 1.3))
            sku: dict[str, Any] = {
                "attributes": [
                    {"attributeID": 3216 if name == "颜色" else 450 + position,
                     "attributeValue": value, "attributeDisplayName": name, "attributeName": name,
                     **({"skuImageUrl": swatches[value]} if position == 0 and value in swatches
                        else {})}
                    for position, (name, value) in enumerate(combo)],
                "amountOnSale": rng.choice([0, 5, 80, 300, 1200, 9999]),
                "skuId": offer_id // 1000 * 10000 + number,
                "specId": f"{rng.getrandbits(128):032x}",
                "cargoNumber": f"{category_id % 1000}-{number:03d}",
            }
            if quote_type == 1:
                sku["price"] = sku_price
                sku["retailPrice"] = _yuan(sku_price * 1.6)
            if "consignPrice" in sale:
                sku["consignPrice"] = _yuan((sku_price if quote_type == 1 else base) * 1.12)
            skus.append(sku)
    stock = sum(sku["amountOnSale"] for sku in skus) if skus else rng.choice([0, 50, 2000, 88888])
    sale["amountOnSale"] = stock
    offer: dict[str, Any] = {
        "productID": offer_id,
        "productType": "wholesale" if index % 23 else "sourcing",
        "categoryID": category_id,
        "categoryName": category_name,
        "subject": subject,
        "description": f"<p>{subject}</p><p><img src=\"https://cbu01.alicdn.com/"
                       f"{_image(rng).removeprefix('https://cbu01.alicdn.com/')}\"/></p>",
        "status": _STATUSES.get(index, "published"),
        "language": "CHINESE",
        "attributes": [{"attributeID": 2176, "attributeName": "品牌",
                        "value": rng.choice(_BRANDS) or "其他", "isCustom": False}]
        + [{"attributeID": 100 + n, "attributeName": "特点", "value": keyword, "isCustom": True}
           for n, keyword in enumerate(keywords)],
        "image": {"images": [_image(rng) for _ in range(rng.randint(1, 6))]},
        "saleInfo": sale,
        "shippingInfo": {"freightTemplateID": rng.choice([0, 1, rng.randint(10**6, 10**8)]),
                         "unitWeight": _yuan(rng.uniform(0.02, 3.0)),
                         "sendGoodsAddressText": rng.choice(_PLACES)},
        "supplierLoginId": rng.choice(_SELLERS),
        "qualityLevel": rng.randint(0, 5),
        "bookedCount": str(rng.randint(0, 50000)),
        "createTime": _date(rng, rng.randint(2018, 2022)),
        "lastUpdateTime": _date(rng, rng.randint(2023, 2025)),
    }
    if skus:
        offer["skuInfos"] = skus
    if index % 10 == 4:   # a few offers carry 1688's own translated subject (subjectTrans)
        offer["subjectTrans"] = _SUBJECT_TRANS[category_id]
    if index % 7 == 3:
        offer["processing"] = _processing(rng)
    if index % 4 == 1:
        offer["mainVedio"] = _video(rng)
    if index % 8 == 5:
        offer["detailVedio"] = _video(rng)
    _documented_extras(offer, index)
    return offer


#: The five ``bizGroupInfos`` codes seed 004 prints, with its descriptions.
_BIZ_GROUPS = [("is_retail_offer", "零售通"), ("is_micro_supply", "微供商品"),
               ("is_emall_offer", "1688企业内部商城"), ("is_consign_market_offer", "1688代销产品"),
               ("has_linked_to_supplier", "代发业务产品")]


def _documented_extras(offer: dict[str, Any], index: int) -> None:
    """ProductInfo fields of §2.6 / seed 004 beside prices and SKUs, derived from the
    offer's index (no random draws, so the rest of the catalog stays as it was):
    ``referencePrice`` (a range, one price, the label 面议, or absent), ``bizGroupInfos``,
    ``productCargoNumber``, ``shippingInfo.handlingTime``, ``skuCode`` and ``valueID``."""
    sale = offer["saleInfo"]
    prices = [t["price"] for t in sale.get("priceRanges") or ()]
    prices += [s["price"] for s in offer.get("skuInfos") or () if "price" in s]
    if prices and index % 4 == 0:
        offer["referencePrice"] = f"{min(prices):.2f}~{max(prices) * 1.1:.2f}"
    elif prices and index % 4 == 1:
        offer["referencePrice"] = f"{min(prices):.2f}"
    elif index % 4 == 2:
        offer["referencePrice"] = "面议"  # price on request: a label, not a price
    offer["bizGroupInfos"] = [{"support": (index + n) % 3 == 0, "description": description,
                               "code": code} for n, (code, description) in enumerate(_BIZ_GROUPS)]
    if index % 3 != 2:
        offer["productCargoNumber"] = f"HH-{offer['productID'] % 100000:05d}"
    offer["shippingInfo"]["handlingTime"] = 1 + index % 7
    for n, attribute in enumerate(offer["attributes"]):
        if not attribute.get("isCustom"):
            attribute["valueID"] = 3_000_000 + (offer["productID"] + n) % 1_000_000
    for sku in offer.get("skuInfos") or ():
        sku["skuCode"] = str(sku["skuId"])


def _build(count: int = 120) -> dict[int, dict[str, Any]]:
    rng = random.Random(1688)
    offers: dict[int, dict[str, Any]] = {
        # The seed prints some dates and bizGroupInfos beside product_info; ProductInfo has
        # them too (§2.6), so the offer carries them and the aggregator view lifts them out.
        584240750353: {**SEED_004_OFFER, **{k: v for k, v in SEED_004_ENVELOPE_DATES.items()
                                            if k not in SEED_004_OFFER}},
        554456348334: SEED_003_OFFER,
    }
    index = 0
    while len(offers) < count + 2:
        offer_id = rng.randint(520_000_000_000, 799_999_999_999)
        if offer_id not in offers:
            offers[offer_id] = _generated_offer(rng, index, offer_id)
            index += 1
    return offers


#: Every offer of the sandbox, by offer id.
OFFERS: dict[int, dict[str, Any]] = _build()

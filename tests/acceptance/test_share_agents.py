"""One agent link per buying agent, wrapping sandbox catalog items (used by
``test_affiliate.py``)."""

from __future__ import annotations

from urllib.parse import quote

T = "680123456789"
TM = "600000000007"
ENC = quote(f"https://item.taobao.com/item.htm?id={T}", safe="")

AGENT_LINKS = {
    "superbuy": (f"https://www.superbuy.com/en/page/buy?url={ENC}", f"taobao_{T}"),
    "wegobuy": (f"https://www.wegobuy.com/en/page/buy?url={ENC}", f"taobao_{T}"),
    "allchinabuy": (f"https://www.allchinabuy.com/en/page/buy/?url={ENC}", f"taobao_{T}"),
    "pandabuy": (f"https://www.pandabuy.com/product?url={ENC}", f"taobao_{T}"),
    "kakobuy": (f"https://www.kakobuy.com/item/details?url={ENC}", f"taobao_{T}"),
    "sugargoo": ("https://www.sugargoo.com/#/home/productDetail?productLink="
                 + quote(f"https://detail.tmall.com/item.htm?id={TM}", safe=""), f"tmall_{TM}"),
    "cssbuy": (f"https://www.cssbuy.com/item-{T}.html", f"taobao_{T}"),
    "cnfans": (f"https://cnfans.com/product/?shop_type=taobao&id={T}", f"taobao_{T}"),
    "mulebuy": (f"https://mulebuy.com/product/?shop_type=taobao&id={T}", f"taobao_{T}"),
    "orientdig": (f"https://orientdig.com/product/?shop_type=taobao&id={T}", f"taobao_{T}"),
    "hoobuy": (f"https://hoobuy.com/product/1/{T}", f"taobao_{T}"),
    "acbuy": (f"https://www.acbuy.com/product?id={T}&source=TB", f"taobao_{T}"),
}

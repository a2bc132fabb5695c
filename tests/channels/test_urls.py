"""The product-link parser: every supported form, and links that must be refused."""

from __future__ import annotations

import pytest

from channels.model import Channel
from channels.urls import UnsupportedUrl, parse_product_url

SUPPORTED = [
    ("https://item.taobao.com/item.htm?id=680123456789", Channel.TAOBAO, "680123456789"),
    ("http://item.taobao.com/item.htm?spm=a1z10.1-c.w4004.1&id=680123456789&ns=1",
     Channel.TAOBAO, "680123456789"),
    ("https://m.intl.taobao.com/detail/detail.html?id=680123456789", Channel.TAOBAO,
     "680123456789"),
    ("https://h5.m.taobao.com/awp/core/detail.htm?id=680123456789&from=share",
     Channel.TAOBAO, "680123456789"),
    ("https://world.taobao.com/item/680123456789.htm", Channel.TAOBAO, "680123456789"),
    ("https://world.taobao.com/item/680123456789.htm#detail", Channel.TAOBAO,
     "680123456789"),
    ("https://detail.tmall.com/item.htm?id=600000000007", Channel.TMALL, "600000000007"),
    ("https://detail.m.tmall.com/item.htm?id=600000000007", Channel.TMALL, "600000000007"),
    ("https://chaoshi.detail.tmall.com/item.htm?id=600000000007&skuId=1", Channel.TMALL,
     "600000000007"),
    ("HTTPS://DETAIL.TMALL.COM/item.htm?id=600000000007", Channel.TMALL, "600000000007"),
    ("https://detail.1688.com/offer/584240750353.html", Channel.ALIBABA_1688, "584240750353"),
    ("https://detail.1688.com/offer/584240750353.html?spm=a2615.7691456", Channel.ALIBABA_1688,
     "584240750353"),
    ("https://m.1688.com/offer/584240750353.html", Channel.ALIBABA_1688, "584240750353"),
    ("https://detail.m.1688.com/page/index.html?offerId=584240750353", Channel.ALIBABA_1688,
     "584240750353"),
    ("https://weidian.com/item.html?itemID=1872265566", Channel.WEIDIAN, "1872265566"),
    ("https://shop1600123401.v.weidian.com/item.html?itemID=1872265566", Channel.WEIDIAN,
     "1872265566"),
    ("https://item.taobao.com:443/item.htm?id=1", Channel.TAOBAO, "1"),
    ("  https://item.taobao.com/item.htm?id=0042  ", Channel.TAOBAO, "42"),
]


@pytest.mark.parametrize(("url", "channel", "source_id"), SUPPORTED)
def test_every_documented_form_parses(url: str, channel: Channel, source_id: str) -> None:
    parsed = parse_product_url(url)
    assert (parsed.channel, parsed.source_id) == (channel, source_id)
    assert parsed.id == f"{channel.value}_{source_id}"
    # The canonical link parses back to the same product.
    again = parse_product_url(parsed.canonical_url)
    assert (again.channel, again.source_id) == (channel, source_id)


def test_canonical_urls() -> None:
    assert parse_product_url("https://m.1688.com/offer/5.html").canonical_url == \
        "https://detail.1688.com/offer/5.html"
    assert parse_product_url("https://detail.m.tmall.com/item.htm?id=7").canonical_url == \
        "https://detail.tmall.com/item.htm?id=7"
    assert parse_product_url("https://world.taobao.com/item/9.htm").canonical_url == \
        "https://item.taobao.com/item.htm?id=9"
    assert parse_product_url("https://shop1.v.weidian.com/item.html?itemID=3").canonical_url \
        == "https://weidian.com/item.html?itemID=3"


HOSTILE = [
    "https://evil.example/item.htm?id=1",
    "https://item.taobao.com.evil.example/item.htm?id=1",
    "https://evil.example/item.taobao.com/item.htm?id=1",
    "https://eviltaobao.com/item.htm?id=1",
    "https://item.taobao.com@evil.example/item.htm?id=1",
    "https://user:pass@item.taobao.com/item.htm?id=1",
    "https://evil.example\\@item.taobao.com/item.htm?id=1",
    "https://evil.example\\item.taobao.com/item.htm?id=1",
    "https://item.taobao.com\\.evil.example/item.htm?id=1",
    "https://item.taobao.com:8080/item.htm?id=1",
    "http://item.taobao.com:443/item.htm?id=1",
    "https://item.taobao.com./item.htm?id=1",
    "https://xn--tem-taobao-pgc.com/item.htm?id=1",
    "https://іtem.taobao.com/item.htm?id=1",          # Cyrillic і
    "https://item.taobao.com/item.htm?id=１２３",       # full-width digits
    "ftp://item.taobao.com/item.htm?id=1",
    "javascript:alert(1)//item.taobao.com/item.htm?id=1",
    "//item.taobao.com/item.htm?id=1",
    "item.taobao.com/item.htm?id=1",
    "https://item.taobao.com/item.htm",
    "https://item.taobao.com/item.htm?id=",
    "https://item.taobao.com/item.htm?id=12a",
    "https://item.taobao.com/item.htm?id=1&id=2",
    "https://item.taobao.com/item.htm?id=" + "9" * 21,
    "https://item.taobao.com/other.htm?id=1",
    "https://item.taobao.com/../item.htm?id=1",
    "https://item.taobao.com//item.htm?id=1",
    "https://detail.1688.com/offer/abc.html",
    "https://detail.1688.com/offer/1.html/x",
    "https://x.v.weidian.com/item.html?itemID=1",
    "https://shop1.v.weidian.com.evil.example/item.html?itemID=1",
    "https://weidian.com/item.html?id=1",
    "https://item.taobao.com/item.htm?id=1\nHost: evil",
    "https://item.taobao.com/item.htm?id=1 &x=1",
    "https://detail.tmall.hk/hk/item.htm?id=1",
    "https://item.taobao.com/item.htm?" + "a=1&" * 600 + "id=1",
    "https://item.taobao.com/item.htm?id=1&pad=" + "x" * 2100,
    "",
    "not a url",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_and_foreign_links_are_refused(url: str) -> None:
    with pytest.raises(UnsupportedUrl) as caught:
        parse_product_url(url)
    assert caught.value.code == "UNSUPPORTED_URL"
    assert len(caught.value.message) < 600  # a 2 kB input is not echoed back whole

"""``productByText``'s parsing: agent links (one per host), share texts, 淘口令, and the
guarded short-link follower. The only network traffic is a loopback server standing in
for ``m.tb.cn``; every refusal is asserted on the follower's own record of connections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import quote

import pytest

from channels.agent_links import AGENTS, parse_agent_url
from channels.model import Channel
from channels.share_links import LinkResolver, offline_product, tokens_in
from channels.short_links import ShortLinkFollower, address_refusal, static_resolver
from channels.urls import UnsupportedUrl

ITEM = "https://item.taobao.com/item.htm?id=680123456789"
ENC = quote(ITEM, safe="")

AGENT_LINKS = {
    "superbuy": (f"https://www.superbuy.com/en/page/buy?nTag=Home-search&url={ENC}",
                 Channel.TAOBAO, "680123456789"),
    "wegobuy": (f"https://www.wegobuy.com/en/page/buy?url={ENC}", Channel.TAOBAO,
                "680123456789"),
    "allchinabuy": (f"https://www.allchinabuy.com/en/page/buy/?url={ENC}", Channel.TAOBAO,
                    "680123456789"),
    "pandabuy": (f"https://www.pandabuy.com/product?url={ENC}&inviteCode=X",
                 Channel.TAOBAO, "680123456789"),
    "kakobuy": (f"https://www.kakobuy.com/item/details?url={ENC}", Channel.TAOBAO,
                "680123456789"),
    "sugargoo": ("https://www.sugargoo.com/#/home/productDetail?productLink="
                 + quote("https://detail.tmall.com/item.htm?id=600000000007", safe=""),
                 Channel.TMALL, "600000000007"),
    "cssbuy": ("https://www.cssbuy.com/item-680123456789.html", Channel.TAOBAO,
               "680123456789"),
    "cnfans": ("https://cnfans.com/product/?shop_type=weidian&id=7231231231",
               Channel.WEIDIAN, "7231231231"),
    "mulebuy": ("https://mulebuy.com/product/?shop_type=taobao&id=680123456789",
                Channel.TAOBAO, "680123456789"),
    "orientdig": ("https://orientdig.com/product/?shop_type=ali_1688&id=554456348334",
                  Channel.ALIBABA_1688, "554456348334"),
    "hoobuy": ("https://hoobuy.com/product/1/680123456789", Channel.TAOBAO, "680123456789"),
    "acbuy": ("https://www.acbuy.com/product?id=680123456789&source=TB", Channel.TAOBAO,
              "680123456789"),
}


def test_every_agent_has_a_test() -> None:
    assert {a.name for a in AGENTS} == set(AGENT_LINKS)


@pytest.mark.parametrize("agent", sorted(AGENT_LINKS))
def test_agent_link(agent: str) -> None:
    url, channel, source_id = AGENT_LINKS[agent]
    found = parse_agent_url(url)
    assert found is not None and (found.channel, found.source_id) == (channel, source_id)


@pytest.mark.parametrize("url", [
    f"https://superbuy.com.evil.example/en/page/buy?url={ENC}",   # lookalike host
    f"https://www.superbuy.com/en/page/buy?url={quote('https://evil.example/item.htm?id=1')}",
    "https://www.cssbuy.com/item-abc.html",
    "https://cnfans.com/product/?shop_type=jd&id=123",
    f"https://user@www.pandabuy.com/product?url={ENC}",
])
def test_not_an_agent_product(url: str) -> None:
    assert parse_agent_url(url) is None


def test_cssbuy_1688_and_weidian_shapes() -> None:
    a = parse_agent_url("https://www.cssbuy.com/item-1688-554456348334.html")
    b = parse_agent_url("https://www.cssbuy.com/item-micro-7231231231.html")
    assert a is not None and a.channel is Channel.ALIBABA_1688
    assert b is not None and b.channel is Channel.WEIDIAN


SHARE = ("【淘宝】2026夏季新款T恤 https://m.tb.cn/h.5Xy2AbC?tk=AbCd1234 CZ0001 "
         "「2026夏季新款T恤」点击链接直接打开 或者 復制这段描述￥AbCd1234￥后到淘♂寳♀")


def test_tokens_in_a_share_text() -> None:
    assert tokens_in(SHARE) == ["AbCd1234"]
    assert tokens_in("(hello) [12345678] 价格(unknown1)") == ["unknown1"]


def test_a_share_text_with_a_product_link_is_offline() -> None:
    found = offline_product(f"看看这个 {ITEM}，很好")
    assert found is not None and found.source_id == "680123456789"
    found = offline_product("id taobao_680123456789 please")
    assert found is not None and found.channel is Channel.TAOBAO


class Converter:
    def __init__(self) -> None:
        self.asked: list[str] = []

    async def convert_token(self, password: str) -> str:
        self.asked.append(password)
        return "680123456789"


async def test_tpwd_through_the_converter_and_cached() -> None:
    converter = Converter()
    resolver = LinkResolver(converter=converter, follower=ShortLinkFollower(
        connector=_never_connect))
    for _ in range(2):
        found = await resolver.resolve(SHARE)
        assert (found.channel, found.source_id) == (Channel.TAOBAO, "680123456789")
    assert converter.asked == ["￥AbCd1234￥"]


async def test_unsupported_text_asks_nobody() -> None:
    converter = Converter()
    follower = ShortLinkFollower(connector=_never_connect)
    resolver = LinkResolver(converter=converter, follower=follower)
    for text in ("hello world", "https://evil.example/h.abc", "https://item.jd.com/1.html"):
        with pytest.raises(UnsupportedUrl):
            await resolver.resolve(text)
    assert converter.asked == [] and follower.attempts == []


async def _never_connect(address: str, port: int, host: str, tls: bool) -> object:
    raise AssertionError(f"connected to {address}:{port} ({host})")


# -- the redirect follower against a loopback stand-in for m.tb.cn ---------------------

@pytest.fixture
async def short_host() -> AsyncIterator[int]:
    """A loopback HTTP server answering 302s by path."""
    targets = {
        "/h.item": "https://item.taobao.com/item.htm?id=680123456789",
        "/h.hop": "http://m.tb.cn/h.item",
        "/h.evil": "https://evil.example/item.htm?id=1",
        "/h.private": "http://10.0.0.1/item.htm?id=1",
        "/h.metadata": "http://169.254.169.254/latest/meta-data/",
        "/h.loopback": "http://127.0.0.1/h.item",
        "/h.loop": "http://m.tb.cn/h.loop",
        "/h.private-short": "http://e.tb.cn/h.item",
    }

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        path = head.split(b" ", 2)[1].decode()
        location = targets.get(path)
        status = "302 Found" if location else "200 OK"
        extra = f"Location: {location}\r\n" if location else ""
        writer.write(f"HTTP/1.1 {status}\r\n{extra}Content-Length: 5\r\n\r\nhello".encode())
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


def follower_for(port: int, **options: object) -> ShortLinkFollower:
    table: dict[str, tuple[str, int | None]] = {
        "m.tb.cn": ("127.0.0.1", port), "e.tb.cn": ("10.0.0.1", None),
        "s.click.taobao.com": ("169.254.169.254", None)}
    return ShortLinkFollower(resolver=static_resolver(table), allow_loopback=True,
                             **options)  # type: ignore[arg-type]


async def test_a_short_link_redirects_to_its_product(short_host: int) -> None:
    follower = follower_for(short_host)
    found = await follower.follow("http://m.tb.cn/h.hop")
    assert (found.channel, found.source_id) == (Channel.TAOBAO, "680123456789")
    # Two hops to the stand-in; none to the marketplace page itself.
    assert [a[2] for a in follower.attempts] == ["m.tb.cn", "m.tb.cn"]


@pytest.mark.parametrize("path", ["/h.evil", "/h.private", "/h.metadata", "/h.loopback"])
async def test_a_redirect_off_the_marketplaces_is_refused_unconnected(
        short_host: int, path: str) -> None:
    follower = follower_for(short_host)
    with pytest.raises(UnsupportedUrl):
        await follower.follow(f"http://m.tb.cn{path}")
    assert follower.attempts == [("127.0.0.1", short_host, "m.tb.cn")]


async def test_a_loop_is_refused(short_host: int) -> None:
    follower = follower_for(short_host)
    with pytest.raises(UnsupportedUrl, match="loop"):
        await follower.follow("http://m.tb.cn/h.loop")
    assert len(follower.attempts) == 1


async def test_an_allowed_host_on_a_private_address_is_never_connected(
        short_host: int) -> None:
    follower = follower_for(short_host)
    with pytest.raises(UnsupportedUrl, match="private"):
        await follower.follow("http://m.tb.cn/h.private-short")   # e.tb.cn → 10.0.0.1
    assert [a[2] for a in follower.attempts] == ["m.tb.cn"]
    with pytest.raises(UnsupportedUrl, match="link-local"):
        await follower.follow("https://s.click.taobao.com/t?e=1")  # → 169.254.169.254
    assert [a[2] for a in follower.attempts] == ["m.tb.cn"]


async def test_the_default_refuses_loopback_without_connecting() -> None:
    follower = ShortLinkFollower(resolver=static_resolver({"m.tb.cn": ("127.0.0.1", None)}),
                                 connector=_never_connect)  # type: ignore[arg-type]
    with pytest.raises(UnsupportedUrl, match="loopback"):
        await follower.follow("https://m.tb.cn/h.item")
    assert follower.attempts == []


async def test_the_deadline(short_host: int) -> None:
    async def slow(address: str, port: int, host: str, tls: bool) -> object:
        await asyncio.sleep(5)
        raise AssertionError("unreachable")

    follower = ShortLinkFollower(resolver=static_resolver({"m.tb.cn": ("127.0.0.1", 9)}),
                                 allow_loopback=True, connector=slow,  # type: ignore[arg-type]
                                 deadline_s=0.2)
    with pytest.raises(UnsupportedUrl, match=r"0\.2 s"):
        await follower.follow("http://m.tb.cn/h.item")


@pytest.mark.parametrize("address,why", [
    ("10.0.0.1", "private"), ("192.168.1.1", "private"), ("172.16.0.1", "private"),
    ("169.254.169.254", "link-local"), ("127.0.0.1", "loopback"), ("::1", "loopback"),
    ("100.64.0.1", "private"), ("0.0.0.0", "private"), ("224.0.0.1", "non-public"),
    ("fe80::1", "link-local"),
    ("::ffff:10.0.0.1", "private"),
])
def test_address_refusals(address: str, why: str) -> None:
    refusal = address_refusal(address, allow_loopback=False)
    assert refusal is not None and why in refusal
    assert address_refusal("140.205.94.189", allow_loopback=False) is None

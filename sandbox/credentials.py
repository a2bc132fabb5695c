"""The credentials the bundled sandbox accepts, and the settings that point the server at it.

They are not secrets: they only open the sandbox. The sandbox checks them exactly as the
real gateways check theirs, so the server's real signing code runs end to end.
"""

from __future__ import annotations

TOP_APP_KEY = "12345678"
TOP_APP_SECRET = "sandbox-top-secret"
TOP_SESSION = "sandbox-top-session"
#: The affiliate (淘宝客) adzone the sandbox's TOP app owns: PID mm_1234_5678_<this>.
TBK_ADZONE_ID = "109876543210"

AOP_APP_KEY = "1234567"
AOP_APP_SECRET = "sandbox-1688-secret"
AOP_ACCESS_TOKEN = "sandbox-1688-access-token"

AGGREGATOR_1688_TOKEN = "sandbox-1688-aggregator-token"
AGGREGATOR_1688_SHOP_ID = "sandbox-shop"

WEIDIAN_ACCESS_TOKEN = "sandbox-weidian-token"

STANDARD_TOKEN = "sandbox-standard-token"

# Paths under the sandbox's origin where each upstream lives.
TOP_PATH = "/router/rest"
AOP_PATH = "/openapi"
AGGREGATOR_1688_PATH = "/aggregator/1688/product/detail"
WEIDIAN_PATH = "/vdian/api"
STANDARD_PATH = "/standard"


def environment(origin: str) -> dict[str, str]:
    """The ``PRODUCTGRAPH_*`` variables that point every channel at a sandbox served at
    ``origin`` (``http://127.0.0.1:8001``), with the credentials it accepts: Taobao/Tmall
    (TOP), 1688 (the open platform) and Weidian. Search is left out: a server configured
    this way has no searcher, as one with the real gateways' credentials has none."""
    return {
        "PRODUCTGRAPH_TAOBAO_APP_KEY": TOP_APP_KEY,
        "PRODUCTGRAPH_TAOBAO_APP_SECRET": TOP_APP_SECRET,
        "PRODUCTGRAPH_TAOBAO_SESSION": TOP_SESSION,
        "PRODUCTGRAPH_TAOBAO_GATEWAY_URL": origin + TOP_PATH,
        "PRODUCTGRAPH_TAOBAO_ADZONE_ID": TBK_ADZONE_ID,
        "PRODUCTGRAPH_1688_APP_KEY": AOP_APP_KEY,
        "PRODUCTGRAPH_1688_APP_SECRET": AOP_APP_SECRET,
        "PRODUCTGRAPH_1688_ACCESS_TOKEN": AOP_ACCESS_TOKEN,
        "PRODUCTGRAPH_1688_GATEWAY_URL": origin + AOP_PATH,
        "PRODUCTGRAPH_WEIDIAN_ACCESS_TOKEN": WEIDIAN_ACCESS_TOKEN,
        "PRODUCTGRAPH_WEIDIAN_GATEWAY_URL": origin + WEIDIAN_PATH,
    }

"""The credentials the bundled sandbox accepts, and that the server uses against it.

They are not secrets: they only open the sandbox. The sandbox checks them exactly as the
real gateways check theirs, so the server's real signing code runs end to end.
"""

TOP_APP_KEY = "12345678"
TOP_APP_SECRET = "sandbox-top-secret"
TOP_SESSION = "sandbox-top-session"

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

"""The 1688 error tables: every AOP gateway code, business failures, every aggregator code
and HTTP status."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from channels.alibaba import (
    Alibaba1688AggregatorAdapter,
    aggregator_error,
    aop_business_error,
    aop_gateway_error,
)
from channels.errors import (
    ChannelError,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    UpstreamError,
    UpstreamTimeout,
)
from channels.model import Channel
from channels.policy import UpstreamPolicy

FIXTURES = Path(__file__).parents[1] / "fixtures" / "1688"
SECRET = "s3cr3t-app-secret"
TOKEN = "tok-abc-123"


@pytest.mark.parametrize(("status", "code", "cls", "retryable"), [
    (400, "gw.SignatureInvalid", Unauthenticated, False),
    (400, "gw.SignatureMissing", Unauthenticated, False),
    (400, "gw.AppKeyNotFound", Unauthenticated, False),
    (400, "gw.AppKeyMissing", Unauthenticated, False),
    (401, "401", Unauthenticated, False),
    (400, "gw.APIACLDecline", PermissionDenied, False),
    (400, "gw.QosAppFrequencyLimit", RateLimited, True),
    (400, "gw.NoUsageLeftError", RateLimited, False),
    (400, "gw.ParamMissing", UpstreamError, False),
    (400, "gw.APIUnsupported", UpstreamError, False),
    (502, "", UpstreamError, True),
    (503, "", UpstreamError, True),
    (400, "gw.SomethingNew", UpstreamError, False),
])
def test_gateway_codes(status: int, code: str, cls: type[ChannelError], retryable: bool) -> None:
    body = {"error_code": code, "error_message": "x", "request_id": "rid-1"} if code else None
    error = aop_gateway_error(status, body, offer_id="42")
    assert type(error) is cls
    assert error.retryable is retryable
    assert error.channel is Channel.ALIBABA_1688
    assert error.upstream_code == (code or str(status))
    assert error.request_id == ("rid-1" if code else None)
    assert "42" in error.message


def test_401_without_a_body_is_unauthenticated() -> None:
    assert isinstance(aop_gateway_error(401, None, offer_id="1"), Unauthenticated)


@pytest.mark.parametrize(("fixture", "cls"), [
    ("aop_gw_error_401.json", Unauthenticated), ("aop_gw_error_acl.json", PermissionDenied),
    ("aop_gw_error_sign.json", Unauthenticated),
])
def test_recorded_gateway_bodies(fixture: str, cls: type[ChannelError]) -> None:
    body = json.loads((FIXTURES / fixture).read_text())
    status = 401 if body["error_code"] == "401" else 400
    error = aop_gateway_error(status, body, offer_id="1")
    assert isinstance(error, cls)
    assert error.request_id == body["request_id"]


def test_upstream_message_never_carries_a_secret() -> None:
    body = {"error_code": "gw.SignatureInvalid",
            "error_message": f"sign mismatch for secret={SECRET} token={TOKEN}"}
    error = aop_gateway_error(400, body, offer_id="1", secrets=(SECRET, TOKEN))
    for text in (error.message, repr(error), str(error.extensions())):
        assert SECRET not in text and TOKEN not in text


@pytest.mark.parametrize(("body", "cls"), [
    ({"success": False, "message": "该商品不存在"}, NotFound),
    ({"success": "false", "errorCode": "x", "errorMsg": "no such product"}, NotFound),
    ({"success": False, "message": "没有该商品的查询权限"}, PermissionDenied),
    ({"success": False, "message": "系统繁忙"}, UpstreamError),
])
def test_business_failures(body: dict[str, object], cls: type[ChannelError]) -> None:
    error = aop_business_error(body, offer_id="7")
    assert type(error) is cls and error.retryable is False
    assert error.channel is Channel.ALIBABA_1688


@pytest.mark.parametrize(("code", "msg", "cls", "retryable"), [
    (100, "请求参数错误", UpstreamError, False),
    (101, "请求超时，请重试", UpstreamTimeout, True),
    (103, "旺旺账号不存在", NotFound, False),
    (200, "系统错误，请联系客服", UpstreamError, True),
    (203, "暂不支持当前接口", UpstreamError, False),
    (204, "请求异常：无该接口权限，请前往官网开通正式接口。", PermissionDenied, False),
    (204, "请求异常：API 调用次数不足，请前往网站兑换次数。", RateLimited, False),
    (302, "未授权店铺", Unauthenticated, False),
    (999, "?", UpstreamError, False),
])
def test_aggregator_codes(code: int, msg: str, cls: type[ChannelError], retryable: bool) -> None:
    error = aggregator_error(code, msg, offer_id="584240750353", secrets=(TOKEN,))
    assert type(error) is cls
    assert error.retryable is retryable
    assert error.upstream_code == str(code)
    assert error.channel is Channel.ALIBABA_1688
    assert "584240750353" in error.message


@pytest.mark.parametrize(("status", "cls", "retryable", "message"), [
    (401, Unauthenticated, False, "refused the token (offer 1, HTTP 401)"),
    (403, Unauthenticated, False, "refused the token (offer 1, HTTP 403)"),
    (429, RateLimited, True, "is rate limiting this token (offer 1)"),
    (502, UpstreamError, True, "failed with HTTP 502 (offer 1)"),
])
async def test_aggregator_http_statuses_by_table(
    status: int, cls: type[ChannelError], retryable: bool, message: str,
) -> None:
    adapter = Alibaba1688AggregatorAdapter(
        url="http://aggregator/get", token=TOKEN, policy=UpstreamPolicy(max_retries=0),
        transport=httpx.MockTransport(lambda request: httpx.Response(status, text="no")))
    try:
        error = (await adapter.fetch(Channel.ALIBABA_1688, ["1"], frozenset()))["1"]
    finally:
        await adapter.aclose()
    assert type(error) is cls
    assert isinstance(error, ChannelError) and error.retryable is retryable
    assert error.message == f"the 1688 aggregator {message}"
    assert (error.http_status, error.upstream_code) == (status, str(status))

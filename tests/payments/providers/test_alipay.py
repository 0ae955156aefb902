"""The Alipay adapter: page-pay URLs signed RSA2 with the app's key, notifications verified with Alipay's key, and
refund/query/close/capture through the SDK against a local fake gateway (tests/payments/providers/conftest.py)."""

import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.utils import timezone

from payments.providers import CheckoutRequest, EventKind, NotificationRejected, ProviderDeclined, ProviderUnavailable
from tests.payments.providers.conftest import APP_ID, notification, signed_string


def _request(**fields) -> CheckoutRequest:
    return CheckoutRequest(**{
        "reference": "P0123456789abcdef", "amount": Decimal("25.00"), "currency": "CNY",
        "description": "挂号费 Registration fee — 张医生", "return_url": "https://hospital.example/payments/return/",
        "notify_url": "https://hospital.example/api/v1/payments/notifications/alipay",
        "expires_at": datetime(2026, 11, 23, 5, 15, tzinfo=UTC), **fields})


def _reason(alipay, body: bytes) -> str:
    with pytest.raises(NotificationRejected) as caught:
        alipay.notification_verify(headers={"Content-Type": "application/x-www-form-urlencoded"}, body=body)
    return caught.value.reason


def _verify(alipay, body: bytes):
    return alipay.notification_verify(headers={"Content-Type": "application/x-www-form-urlencoded"}, body=body)


# --- checkout ----------------------------------------------------------------------------------------------------

def test_checkout_is_a_page_pay_url_signed_with_the_apps_key(alipay, gateway, keys):
    session = alipay.checkout_create(_request())

    url = urlsplit(session.redirect_url)
    params = dict(parse_qsl(url.query))
    biz = json.loads(params["biz_content"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == gateway.url
    assert (params["method"], params["app_id"], params["sign_type"]) == ("alipay.trade.page.pay", APP_ID, "RSA2")
    assert (params["notify_url"], params["return_url"]) == ("https://hospital.example/api/v1/payments/notifications/alipay",
                                                            "https://hospital.example/payments/return/")
    assert biz == {"subject": "挂号费 Registration fee — 张医生", "out_trade_no": "P0123456789abcdef",
                   "total_amount": "25.00", "product_code": "FAST_INSTANT_TRADE_PAY",
                   "time_expire": "2026-11-23 13:15:00"}  # Beijing time
    assert keys["app"].verifies(signed_string(params, request=True), params["sign"])
    assert not keys["other"].verifies(signed_string(params, request=True), params["sign"])
    assert (session.provider, session.provider_reference) == ("alipay", "P0123456789abcdef")


def test_checkout_on_a_phone_uses_wap_pay(alipay):
    params = dict(parse_qsl(urlsplit(alipay.checkout_create(_request(mobile=True)).redirect_url).query))

    assert params["method"] == "alipay.trade.wap.pay"
    assert json.loads(params["biz_content"])["product_code"] == "QUICK_WAP_PAY"


def test_pre_authorisation_is_refused(alipay):
    assert alipay.supports_preauth is False
    with pytest.raises(ProviderDeclined):
        alipay.checkout_create(_request(capture=False))


# --- notifications -----------------------------------------------------------------------------------------------

def test_genuine_trade_success_notification_is_a_capture(alipay, keys):
    event = _verify(alipay, notification(keys["alipay"]))

    assert (event.provider, event.kind, event.reference, event.provider_reference, event.amount) == (
        "alipay", EventKind.CAPTURE, "P0123456789abcdef", "P0123456789abcdef", Decimal("25.00"))
    assert event.occurred_at == datetime(2026, 11, 23, 5, 4, 59, tzinfo=UTC)
    assert event.raw["trade_no"] == "2026112322001404000000000001"


def test_trade_finished_after_trade_success_is_the_same_event(alipay, keys):
    success = _verify(alipay, notification(keys["alipay"]))
    finished = _verify(alipay, notification(keys["alipay"], trade_status="TRADE_FINISHED",
                                            notify_id="another-notify-id", notify_time="2027-02-23 00:00:00"))

    assert success.event_id == finished.event_id and finished.kind == EventKind.CAPTURE


def test_trade_closed_is_a_cancel(alipay, keys):
    event = _verify(alipay, notification(keys["alipay"], trade_status="TRADE_CLOSED", gmt_close="2026-11-23 13:20:00"))

    assert (event.kind, event.amount) == (EventKind.CANCEL, Decimal("0.00"))


def test_refund_notification_is_a_refund_with_our_refund_reference(alipay, keys):
    event = _verify(alipay, notification(keys["alipay"], refund_fee="10.00", send_back_fee="10.00", out_biz_no="R42",
                                         gmt_refund="2026-11-23 14:00:00"))

    assert (event.kind, event.amount, event.refund_reference, event.event_id) == (
        EventKind.REFUND, Decimal("10.00"), "R42", "P0123456789abcdef:refund:R42")


def test_tampered_notification_is_rejected(alipay, keys):
    body = notification(keys["alipay"]).replace(b"total_amount=25.00", b"total_amount=0.01")

    assert _reason(alipay, body) == "bad_signature"


def test_notification_signed_by_another_key_is_rejected(alipay, keys):
    assert _reason(alipay, notification(keys["other"])) == "bad_signature"


def test_notification_signed_by_the_apps_own_key_is_rejected(alipay, keys):
    assert _reason(alipay, notification(keys["app"])) == "bad_signature"


def test_genuinely_signed_notification_for_another_app_is_rejected(alipay, keys):
    assert _reason(alipay, notification(keys["alipay"], app_id="2021999999999999")) == "bad_signature"


def test_notification_with_another_sign_type_is_rejected(alipay, keys):
    body = notification(keys["alipay"]).replace(b"sign_type=RSA2", b"sign_type=RSA")

    assert _reason(alipay, body) == "bad_signature"


@pytest.mark.parametrize("body", [b"", b"no-equals-sign", b"\xff\xfe=1", b"app_id=1&app_id=2&sign=x"],
                         ids=["empty", "not a form", "not utf-8", "repeated field"])
def test_unreadable_notification_is_malformed(alipay, body):
    assert _reason(alipay, body) == "malformed"


def test_unsigned_notification_is_malformed(alipay, keys):
    body = b"&".join(part for part in notification(keys["alipay"]).split(b"&") if not part.startswith(b"sign="))

    assert _reason(alipay, body) == "malformed"


def test_genuine_notification_with_a_status_we_do_not_act_on_is_malformed(alipay, keys):
    assert _reason(alipay, notification(keys["alipay"], trade_status="WAIT_BUYER_PAY")) == "malformed"


def test_genuine_notification_with_a_bad_amount_is_malformed(alipay, keys):
    assert _reason(alipay, notification(keys["alipay"], total_amount="lots")) == "malformed"


def test_ack_is_the_plain_text_alipay_expects(alipay):
    assert alipay.notification_ack() == (200, b"success", "text/plain")


# --- calls through the SDK, against the fake gateway --------------------------------------------------------------

def test_refund_calls_alipay_trade_refund_and_returns_the_refund_event(alipay, gateway):
    gateway.answers["alipay.trade.refund"] = {"code": "10000", "msg": "Success", "trade_no": "2026112322001404000000000001",
                                              "out_trade_no": "P0123456789abcdef", "refund_fee": "10.00",
                                              "fund_change": "Y", "gmt_refund_pay": "2026-11-23 14:00:00"}

    event = alipay.refund(provider_reference="P0123456789abcdef", amount=Decimal("10.00"), refund_reference="R42",
                          reason="Appointment cancelled")

    [asked] = gateway.requests
    assert asked["app_signature_ok"] and asked["params"]["method"] == "alipay.trade.refund"
    assert asked["biz"] == {"refund_amount": "10.00", "out_trade_no": "P0123456789abcdef", "out_request_no": "R42",
                            "refund_reason": "Appointment cancelled"}
    assert (event.kind, event.amount, event.refund_reference) == (EventKind.REFUND, Decimal("10.00"), "R42")
    assert event.event_id == "P0123456789abcdef:refund:R42"  # the same id as the refund's notification


def test_refund_alipay_refuses_is_declined_with_its_reason(alipay, gateway):
    gateway.answers["alipay.trade.refund"] = {"code": "40004", "msg": "Business Failed",
                                              "sub_code": "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "sub_msg": "退款金额超限"}

    with pytest.raises(ProviderDeclined) as caught:
        alipay.refund(provider_reference="P0123456789abcdef", amount=Decimal("99.00"), refund_reference="R43", reason="x")

    assert "退款金额超限" in str(caught.value.message)


def test_answer_not_signed_by_alipay_is_treated_as_no_answer(alipay, gateway):
    gateway.answers["alipay.trade.refund"] = {"code": "10000", "msg": "Success", "refund_fee": "10.00"}
    gateway.sign_with = "other"

    with pytest.raises(ProviderUnavailable):
        alipay.refund(provider_reference="P0123456789abcdef", amount=Decimal("10.00"), refund_reference="R44", reason="x")


def test_gateway_not_reachable_is_provider_unavailable(alipay_settings):
    from payments.providers import provider_get

    alipay_settings.ALIPAY_GATEWAY = "http://127.0.0.1:9/gateway.do"
    with pytest.raises(ProviderUnavailable):
        provider_get("alipay").query(reference="P1", provider_reference="P1")


def test_query_of_a_paid_trade_lists_its_capture(alipay, gateway):
    gateway.answers["alipay.trade.query"] = {"code": "10000", "msg": "Success", "trade_no": "2026112322001404000000000001",
                                             "out_trade_no": "P0123456789abcdef", "trade_status": "TRADE_SUCCESS",
                                             "total_amount": "25.00", "send_pay_date": "2026-11-23 13:04:59"}

    status = alipay.query(reference="P0123456789abcdef", provider_reference="P0123456789abcdef")

    [event] = status.events
    assert (event.kind, event.amount, event.event_id) == (EventKind.CAPTURE, Decimal("25.00"), "P0123456789abcdef:capture")
    assert gateway.requests[0]["biz"] == {"out_trade_no": "P0123456789abcdef"}


@pytest.mark.parametrize("answer", [
    {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST", "sub_msg": "交易不存在"},
    {"code": "10000", "msg": "Success", "trade_status": "WAIT_BUYER_PAY", "total_amount": "25.00"},
], ids=["never opened", "waiting for the payer"])
def test_query_of_an_unpaid_trade_has_no_events(alipay, gateway, answer):
    gateway.answers["alipay.trade.query"] = answer

    assert alipay.query(reference="P1", provider_reference="P1").events == ()


def test_query_of_a_trade_closed_unpaid_is_a_cancel(alipay, gateway):
    gateway.answers["alipay.trade.query"] = {"code": "10000", "msg": "Success", "trade_status": "TRADE_CLOSED",
                                             "total_amount": "25.00"}

    assert [e.kind for e in alipay.query(reference="P1", provider_reference="P1").events] == [EventKind.CANCEL]


def test_capture_confirms_a_payment_of_that_amount_and_refuses_another(alipay, gateway):
    gateway.answers["alipay.trade.query"] = {"code": "10000", "msg": "Success", "trade_status": "TRADE_SUCCESS",
                                             "total_amount": "25.00", "send_pay_date": "2026-11-23 13:04:59"}

    assert alipay.capture(provider_reference="P1", amount=Decimal("25.00")).kind == EventKind.CAPTURE
    with pytest.raises(ProviderDeclined):
        alipay.capture(provider_reference="P1", amount=Decimal("20.00"))


def test_cancel_closes_the_trade(alipay, gateway):
    gateway.answers["alipay.trade.close"] = {"code": "10000", "msg": "Success", "out_trade_no": "P1"}

    event = alipay.cancel(provider_reference="P1")

    assert (event.kind, event.event_id) == (EventKind.CANCEL, "P1:cancel")
    assert gateway.requests[0]["params"]["method"] == "alipay.trade.close"


def test_cancel_of_a_paid_trade_is_refused(alipay, gateway):
    gateway.answers["alipay.trade.close"] = {"code": "40004", "msg": "Business Failed",
                                             "sub_code": "ACQ.TRADE_STATUS_ERROR", "sub_msg": "交易状态不合法"}

    with pytest.raises(ProviderDeclined):
        alipay.cancel(provider_reference="P1")


def _bill_zip() -> bytes:
    detail = "\n".join([
        "#支付宝业务明细查询", "#账号：[20880000000000000156]",
        "#起始日期：[2026年11月23日 00:00:00]   终止日期：[2026年11月24日 00:00:00]",
        "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,"
        "商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,"
        "卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注",
        "2026112322001404000000000001\t,P1\t,交易,挂号费,2026-11-23 13:04:50,2026-11-23 13:04:59,,,,,buyer,25.00,25.00,"
        "0.00,0.00,0.00,0.00,0.00,,0.00,0.00,,-0.15,0.00,",
        "2026112322001404000000000001\t,P1\t,退款,挂号费,2026-11-23 14:00:00,2026-11-23 14:00:00,,,,,buyer,-10.00,-10.00,"
        "0.00,0.00,0.00,0.00,0.00,,0.00,0.00,R42\t,0.06,0.00,",
        "#-----------------------------------------业务明细列表结束------------------------------------",
        "#交易合计：1笔，商家实收共25.00元，商家优惠共0.00元",
    ])
    summary = "#支付宝业务汇总查询\n门店编号,门店名称,交易订单总笔数\n,,1\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("20880000000000000156_20261123_业务明细.csv", detail.encode("gbk"))
        archive.writestr("20880000000000000156_20261123_业务明细(汇总).csv", summary.encode("gbk"))
    return buffer.getvalue()


def test_statement_reads_the_days_bill(alipay, gateway):
    gateway.files["/bill.zip"] = _bill_zip()
    gateway.answers["alipay.data.dataservice.bill.downloadurl.query"] = {
        "code": "10000", "msg": "Success", "bill_download_url": gateway.url.replace("/gateway.do", "/bill.zip")}

    events = alipay.statement(day=date(2026, 11, 23))

    assert [(e.kind, e.reference, e.amount, e.refund_reference) for e in events] == [
        (EventKind.CAPTURE, "P1", Decimal("25.00"), ""), (EventKind.REFUND, "P1", Decimal("10.00"), "R42")]
    assert gateway.requests[0]["biz"] == {"bill_type": "trade", "bill_date": "2026-11-23"}


def test_time_expire_is_beijing_time_whatever_the_hospital_zone(alipay, settings):
    settings.TIME_ZONE = "UTC"
    expires = timezone.now().replace(microsecond=0) + timedelta(minutes=15)

    params = dict(parse_qsl(urlsplit(alipay.checkout_create(_request(expires_at=expires)).redirect_url).query))

    assert json.loads(params["biz_content"])["time_expire"] == (expires + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")

"""Alipay (支付宝) behind the provider interface, through python-alipay-sdk (import `alipay`), RSA2 signatures.

- Checkout: a signed alipay.trade.page.pay URL (desktop) or alipay.trade.wap.pay (phones). No network call.
- Notifications: a form POST signed with Alipay's private key; verified with Alipay's public key, and app_id must be
  ours. TRADE_SUCCESS / TRADE_FINISHED → capture, TRADE_CLOSED → cancel, a refund notice → refund.
- Calls: refund (alipay.trade.refund), cancel (alipay.trade.close), query (alipay.trade.query), capture (a query:
  page-pay takes the money when the payer pays), statement (the day's bill, alipay.data.dataservice.bill.downloadurl.query).

Event ids are built from out_trade_no (our reference, which is also the provider_reference) and, for refunds, our
refund reference (out_request_no / out_biz_no): a notification re-sent by Alipay, TRADE_FINISHED after
TRADE_SUCCESS, and a call's own answer about the same thing all carry one id, so the ledger applies it once.
"""

import csv
import io
import json
import logging
import socket
import zipfile
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from urllib.error import URLError
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import httpx
from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _

from payments.providers.base import CheckoutRequest, CheckoutSession, EventKind, ProviderEvent, ProviderStatus
from payments.providers.errors import NotificationRejected, ProviderDeclined, ProviderUnavailable

logger = logging.getLogger(__name__)
# Alipay states every time in Beijing time, whatever the hospital's TIME_ZONE.
BEIJING = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SUCCESS = "10000"
PAID = ("TRADE_SUCCESS", "TRADE_FINISHED")
CLOSED = "TRADE_CLOSED"
# What goes wrong on the way to Alipay and back: the outcome is unknown, so the caller must not guess.
NETWORK_ERRORS = (URLError, TimeoutError, socket.timeout, ConnectionError, OSError)


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=BEIJING)


def _money(text: str) -> Decimal:
    amount = Decimal(text)
    if not amount.is_finite() or amount < 0:
        raise InvalidOperation(text)
    return amount.quantize(Decimal("0.01"))


class AlipayProvider:
    name = "alipay"
    supports_preauth = False  # Alipay's pre-authorisation is a separate product (fund auth), not offered here

    def __init__(self, *, app_id: str | None = None, app_private_key: str | None = None,
                 alipay_public_key: str | None = None, sandbox: bool | None = None, gateway: str | None = None,
                 timeout: float = 15) -> None:
        self.app_id = app_id or settings.ALIPAY_APP_ID
        private_key = app_private_key or settings.ALIPAY_APP_PRIVATE_KEY
        public_key = alipay_public_key or settings.ALIPAY_PUBLIC_KEY
        if not (self.app_id and private_key and public_key):
            raise ImproperlyConfigured("Alipay needs ALIPAY_APP_ID, ALIPAY_APP_PRIVATE_KEY and ALIPAY_PUBLIC_KEY.")
        self.client = AliPay(appid=self.app_id, app_notify_url=None, app_private_key_string=private_key,
                             alipay_public_key_string=public_key, sign_type="RSA2",
                             debug=settings.ALIPAY_SANDBOX if sandbox is None else sandbox,
                             config=AliPayConfig(timeout=timeout))
        gateway = gateway or settings.ALIPAY_GATEWAY
        if gateway:
            self.client._gateway = gateway  # the SDK has no public setting for it (a proxy; the tests' fake gateway)

    @property
    def gateway(self) -> str:
        return self.client._gateway

    # --- checkout ------------------------------------------------------------------------------------------

    def checkout_create(self, request: CheckoutRequest) -> CheckoutSession:
        if not request.capture:
            raise ProviderDeclined(_("Alipay cannot hold an amount for later here; pay the amount now instead."))
        if request.currency != "CNY":
            raise ProviderDeclined(_("Alipay takes payments in CNY only."))
        fields = {
            "subject": request.description[:256], "out_trade_no": request.reference,
            "total_amount": f"{Decimal(request.amount):.2f}", "return_url": request.return_url,
            "notify_url": request.notify_url,
            "time_expire": request.expires_at.astimezone(BEIJING).strftime(TIME_FORMAT),
        }
        if request.mobile:
            query = self.client.api_alipay_trade_wap_pay(quit_url=request.return_url, **fields)
        else:
            query = self.client.api_alipay_trade_page_pay(**fields)
        return CheckoutSession(provider=self.name, provider_reference=request.reference,
                               redirect_url=f"{self.gateway}?{query}")

    # --- notifications -------------------------------------------------------------------------------------

    def notification_verify(self, *, headers: Mapping[str, str], body: bytes) -> ProviderEvent:
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            raise NotificationRejected(NotificationRejected.MALFORMED, _("The notification is not a readable form.")) from None
        data = dict(pairs)
        if len(data) != len(pairs):
            raise NotificationRejected(NotificationRejected.MALFORMED, _("The notification repeats a field."))
        signature = data.pop("sign", "")
        if not signature:
            raise NotificationRejected(NotificationRejected.MALFORMED, _("The notification is not signed."))
        try:
            genuine = self.client.verify(dict(data), signature)
        except (AliPayException, ValueError, TypeError):  # another sign_type, a signature that is not base64
            genuine = False
        if not genuine:
            raise NotificationRejected(NotificationRejected.BAD_SIGNATURE,
                                       _("The notification's signature does not verify with Alipay's public key."))
        if data.get("app_id") != self.app_id:
            raise NotificationRejected(NotificationRejected.BAD_SIGNATURE, _("The notification is for another Alipay app."))
        try:
            return self._event_from_notification(data)
        except (KeyError, InvalidOperation, ValueError) as exc:
            raise NotificationRejected(NotificationRejected.MALFORMED,
                                       _("The notification's fields are not valid: %(why)s") % {"why": exc}) from None

    def _event_from_notification(self, data: dict) -> ProviderEvent:
        out_trade_no, status = data["out_trade_no"], data.get("trade_status", "")
        refund_reference = data.get("out_biz_no", "")
        when = _time(data.get("notify_time")) or timezone.now()
        if data.get("refund_fee") and refund_reference:
            # refund_fee is the trade's refunded total; send_back_fee, when given, is this refund's own amount.
            amount = _money(data.get("send_back_fee") or data["refund_fee"])
            return self._event(EventKind.REFUND, out_trade_no, amount, _time(data.get("gmt_refund")) or when, data,
                               refund_reference=refund_reference)
        if status in PAID:
            return self._event(EventKind.CAPTURE, out_trade_no, _money(data["total_amount"]),
                               _time(data.get("gmt_payment")) or when, data)
        if status == CLOSED:
            return self._event(EventKind.CANCEL, out_trade_no, Decimal("0.00"), _time(data.get("gmt_close")) or when, data,
                               detail="TRADE_CLOSED")
        raise ValueError(f"trade_status {status!r} is not one this portal acts on")

    def _event(self, kind: EventKind, out_trade_no: str, amount: Decimal, occurred_at: datetime, raw: Mapping, *,
               refund_reference: str = "", detail: str = "") -> ProviderEvent:
        suffix = f"refund:{refund_reference}" if kind == EventKind.REFUND else str(kind)
        return ProviderEvent(provider=self.name, event_id=f"{out_trade_no}:{suffix}", kind=kind, reference=out_trade_no,
                             provider_reference=out_trade_no, amount=amount, currency="CNY", occurred_at=occurred_at,
                             refund_reference=refund_reference, detail=detail, raw=dict(raw))

    def notification_ack(self) -> tuple[int, bytes, str]:
        return 200, b"success", "text/plain"

    # --- server-side calls -----------------------------------------------------------------------------------

    def _api(self, call, *args, **kwargs) -> dict:
        """One SDK call. Unknown outcome (network, timeout, an answer that does not verify) → ProviderUnavailable;
        Alipay's refusal → the answer, with its code, for the caller to judge."""
        try:
            return call(*args, **kwargs)
        except AliPayValidationError:
            logger.warning("Alipay answer did not verify with Alipay's public key")
            raise ProviderUnavailable() from None
        except AliPayException as exc:  # an error_response, or an unsigned answer
            logger.warning("Alipay refused: %s", exc)
            raise ProviderDeclined(_("Alipay refused the request.")) from None
        except (json.JSONDecodeError, *NETWORK_ERRORS) as exc:
            logger.warning("Alipay not reachable: %s", exc)
            raise ProviderUnavailable() from None

    @staticmethod
    def _refused(answer: dict) -> ProviderDeclined:
        return ProviderDeclined(_("Alipay refused: %(reason)s") % {
            "reason": answer.get("sub_msg") or answer.get("msg") or answer.get("code")})

    def refund(self, *, provider_reference: str, amount: Decimal, refund_reference: str, reason: str) -> ProviderEvent:
        answer = self._api(self.client.api_alipay_trade_refund, refund_amount=f"{Decimal(amount):.2f}",
                           out_trade_no=provider_reference, out_request_no=refund_reference, refund_reason=reason[:256])
        if answer.get("code") != SUCCESS:
            raise self._refused(answer)
        return self._event(EventKind.REFUND, provider_reference, Decimal(amount).quantize(Decimal("0.01")),
                           _time(answer.get("gmt_refund_pay")) or timezone.now(), answer,
                           refund_reference=refund_reference, detail=reason)

    def cancel(self, *, provider_reference: str) -> ProviderEvent:
        answer = self._api(self.client.api_alipay_trade_close, out_trade_no=provider_reference)
        if answer.get("code") != SUCCESS and answer.get("sub_code") != "ACQ.TRADE_NOT_EXIST":
            raise self._refused(answer)
        # TRADE_NOT_EXIST: the payer never opened the page; the trade will never exist once the checkout expires.
        return self._event(EventKind.CANCEL, provider_reference, Decimal("0.00"), timezone.now(), answer,
                           detail="TRADE_CLOSED")

    def query(self, *, reference: str, provider_reference: str) -> ProviderStatus:
        answer = self._api(self.client.api_alipay_trade_query, out_trade_no=provider_reference)
        events: list[ProviderEvent] = []
        if answer.get("code") == SUCCESS:
            status = answer.get("trade_status")
            paid_at = _time(answer.get("send_pay_date"))
            if status in PAID or (status == CLOSED and paid_at):
                # Paid (a closed trade with a payment date was refunded in full; refunds are known from their own
                # answers and notifications, since the trade query does not list their references).
                events.append(self._event(EventKind.CAPTURE, provider_reference, _money(answer["total_amount"]),
                                          paid_at or timezone.now(), answer))
            elif status == CLOSED:
                events.append(self._event(EventKind.CANCEL, provider_reference, Decimal("0.00"), timezone.now(), answer,
                                          detail="TRADE_CLOSED"))
        elif answer.get("sub_code") != "ACQ.TRADE_NOT_EXIST":  # not existing = the payer never got to pay
            raise self._refused(answer)
        return ProviderStatus(reference=reference, provider_reference=provider_reference, events=tuple(events))

    def capture(self, *, provider_reference: str, amount: Decimal) -> ProviderEvent:
        """Page-pay takes the money when the payer pays: "capture" confirms that the trade was paid, in full."""
        status = self.query(reference=provider_reference, provider_reference=provider_reference)
        for event in status.events:
            if event.kind == EventKind.CAPTURE and event.amount == Decimal(amount):
                return event
        raise ProviderDeclined(_("Alipay has no payment of this amount to capture."))

    def statement(self, *, day: date) -> list[ProviderEvent]:
        """The day's trade bill: captures (业务类型 交易) and refunds (退款) from Alipay's CSV (GBK, in a zip)."""
        answer = self._api(self.client.server_api, "alipay.data.dataservice.bill.downloadurl.query",
                           {"bill_type": "trade", "bill_date": day.isoformat()})
        if answer.get("code") != SUCCESS:
            raise self._refused(answer)
        url = answer.get("bill_download_url", "")
        if not url.startswith(("https://", "http://")):
            raise ProviderUnavailable()
        try:
            response = httpx.get(url, timeout=self.client._config.timeout)
            response.raise_for_status()
            archive = zipfile.ZipFile(io.BytesIO(response.content))
        except (zipfile.BadZipFile, httpx.HTTPError) as exc:
            logger.warning("Alipay bill not downloadable: %s", exc)
            raise ProviderUnavailable() from None
        return [event for name in archive.namelist() if "汇总" not in name  # the summary file repeats the totals
                for event in self._bill_events(archive.read(name).decode("gbk"))]

    def _bill_events(self, text: str) -> list[ProviderEvent]:
        rows = [row for row in csv.reader(io.StringIO(text)) if row and not row[0].startswith("#")]
        if not rows:
            return []
        header = [name.strip() for name in rows[0]]

        def column(row: list[str], prefix: str) -> str:
            for index, name in enumerate(header):
                if name.startswith(prefix) and index < len(row):
                    return row[index].strip()
            return ""

        events = []
        for row in rows[1:]:
            kind_text, out_trade_no = column(row, "业务类型"), column(row, "商户订单号")
            if not out_trade_no or kind_text not in ("交易", "退款"):
                continue
            when = _time(column(row, "完成时间")) or _time(column(row, "创建时间")) or timezone.now()
            amount = abs(_money(column(row, "订单金额").lstrip("-") or "0"))
            if kind_text == "交易":
                events.append(self._event(EventKind.CAPTURE, out_trade_no, amount, when, {"row": row}))
            else:
                events.append(self._event(EventKind.REFUND, out_trade_no, amount, when, {"row": row},
                                          refund_reference=column(row, "退款批次号")))
        return events

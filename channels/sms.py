"""SMS: a provider interface, the sandbox provider that writes to the outbox, the configured choice, and the
signature on inbound messages (a member's reply such as T, posted to the app by the gateway).

`SMS_PROVIDER` names the provider. Unset, it is `sandbox` when the sandbox is on and nothing otherwise,
so production refuses to send (ChannelNotConfigured) until a real provider is registered and configured.

A provider sends one verification code (`send`), sends marketing messages in bulk (`send_many`, each under the
caller's reference), and reports what became of them (`delivery_reports`).
"""
import hashlib
import hmac
import time
from typing import Protocol

from flask import current_app
from sqlalchemy import insert, select

from channels.wechat import ChannelNotConfigured
from domain.errors import DomainError
from domain.phone import normalise_mobile
from models import SandboxOutbox

SANDBOX = "sandbox"
DELIVERED, FAILED = "delivered", "failed"
INBOUND_FIELDS = ("mobile", "text", "merchant_id", "timestamp", "nonce")
INBOUND_MAX_AGE = 300  # seconds either way
REPORT_CHUNK = 5000


class SmsProvider(Protocol):
    def send(self, session, mobile: str, text: str, *, merchant_id: int | None = None) -> None:
        """Deliver `text` to `mobile` or raise. `session` is the caller's unit of work."""

    def send_many(self, session, merchant_id: int, messages: list[tuple[str, str, str]]) -> None:
        """Hand marketing messages (reference, mobile, text) to the gateway, or raise. References are the caller's
        own (unique) keys, by which `delivery_reports` answers."""

    def delivery_reports(self, session, references: list[str]) -> dict[str, str]:
        """{reference: "delivered" | "failed"} for the references the gateway has a final word on."""


class SandboxSmsProvider:
    """Keeps each message in the sandbox outbox (kind 'sms'), committed with the request or job that sent it.
    A marketing message is delivered or not by its reference alone (the same answer every time), for
    `delivery_share` percent of references: the seed says 60-70% of marketing SMS arrive."""

    def __init__(self, delivery_share=65):
        self.delivery_share = delivery_share

    def send(self, session, mobile, text, *, merchant_id=None):
        session.add(SandboxOutbox(kind="sms", recipient=mobile, payload={"text": text, "merchant_id": merchant_id}))
        session.flush()

    def send_many(self, session, merchant_id, messages):
        rows = [{"kind": "sms", "recipient": mobile, "payload": {"text": text, "merchant_id": merchant_id,
                                                                  "reference": reference, "marketing": True}}
                for reference, mobile, text in messages]
        if rows:
            session.execute(insert(SandboxOutbox), rows)

    def delivery_reports(self, session, references):
        references = list(dict.fromkeys(references))
        reference = SandboxOutbox.payload["reference"].as_string()
        held = set()
        for start in range(0, len(references), REPORT_CHUNK):
            held.update(session.scalars(select(reference).where(
                SandboxOutbox.kind == "sms", reference.in_(references[start:start + REPORT_CHUNK]))))
        return {ref: DELIVERED if self.delivered(ref) else FAILED for ref in references if ref in held}

    def delivered(self, reference):
        return int(hashlib.sha256(reference.encode()).hexdigest(), 16) % 100 < self.delivery_share


# name -> factory(app config) returning an SmsProvider. A real gateway registers itself here.
PROVIDERS = {SANDBOX: lambda config: SandboxSmsProvider(config.get("SANDBOX_SMS_DELIVERY_SHARE", 65))}


def register_provider(name, factory):
    PROVIDERS[name] = factory


def provider():
    """The configured provider; ChannelNotConfigured if there is none (never a silent no-op)."""
    config = current_app.config
    name = config.get("SMS_PROVIDER") or (SANDBOX if config.get("SANDBOX_ENABLED") else "")
    if not name:
        raise ChannelNotConfigured("短信服务未配置，暂时无法发送验证码")
    if name == SANDBOX and not config.get("SANDBOX_ENABLED"):
        raise ChannelNotConfigured("短信沙箱未开启，且未配置真实短信服务商")
    factory = PROVIDERS.get(name)
    if factory is None:
        raise ChannelNotConfigured(f"未知的短信服务商：{name}")
    return factory(config)


# --- inbound messages (replies) -----------------------------------------------------------------------------------

class InboundRefused(DomainError):
    """An inbound SMS whose signature is missing, wrong or stale: nothing of it may be believed."""

    code = "sms_inbound_refused"
    http_status = 403


def inbound_secret(config):
    """The key of inbound signatures: SMS_INBOUND_SECRET, or one derived from SECRET_KEY."""
    secret = config.get("SMS_INBOUND_SECRET")
    if secret:
        return secret
    return hmac.new(str(config["SECRET_KEY"]).encode(), b"sms-inbound", hashlib.sha256).hexdigest()


def inbound_signature(config, mobile, text, merchant_id, timestamp, nonce):
    """Hex HMAC-SHA256 over "mobile\\ntext\\nmerchant_id\\ntimestamp\\nnonce"."""
    message = "\n".join(str(part) for part in (mobile, text, merchant_id, timestamp, nonce))
    return hmac.new(inbound_secret(config).encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_inbound(config, form, now=None):
    """(mobile, text, merchant_id) of a signed inbound SMS, else InboundRefused. `form` maps the fields mobile,
    text, merchant_id, timestamp, nonce and signature (a request's form); the timestamp must be within 5 minutes."""
    values = [form.get(name) for name in INBOUND_FIELDS]
    signature = form.get("signature") or ""
    if any(value is None for value in values) or not signature:
        raise InboundRefused("短信回调缺少字段")
    mobile, text, merchant_id, timestamp, _nonce = values
    expected = inbound_signature(config, *values)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise InboundRefused("短信回调签名错误")
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
        merchant = int(merchant_id)
    except ValueError:
        raise InboundRefused("短信回调字段格式错误") from None
    if age > INBOUND_MAX_AGE:
        raise InboundRefused("短信回调已过期")
    try:
        mobile = normalise_mobile(mobile)
    except DomainError:
        raise InboundRefused("短信回调的手机号无效") from None
    return mobile, text, merchant

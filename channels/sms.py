"""SMS: a provider interface, the sandbox provider that writes to the outbox, and the configured choice.

`SMS_PROVIDER` names the provider. Unset, it is `sandbox` when the sandbox is on and nothing otherwise,
so production refuses to send (ChannelNotConfigured) until a real provider is registered and configured.
"""
from typing import Protocol

from flask import current_app

from channels.wechat import ChannelNotConfigured
from models import SandboxOutbox

SANDBOX = "sandbox"


class SmsProvider(Protocol):
    def send(self, session, mobile: str, text: str, *, merchant_id: int | None = None) -> None:
        """Deliver `text` to `mobile` or raise. `session` is the caller's unit of work."""


class SandboxSmsProvider:
    """Keeps each message in the sandbox outbox (kind 'sms'), committed with the request that sent it."""

    def send(self, session, mobile, text, *, merchant_id=None):
        session.add(SandboxOutbox(kind="sms", recipient=mobile, payload={"text": text, "merchant_id": merchant_id}))
        session.flush()


# name -> factory(app config) returning an SmsProvider. A real gateway registers itself here.
PROVIDERS = {SANDBOX: lambda config: SandboxSmsProvider()}


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

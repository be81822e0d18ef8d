"""A merchant's messaging settings (群发设置): the SMS signature (【店名】), its own sensitive words, and whether SMS
stands in for WeChat when a member cannot be reached there."""
from domain.errors import DomainError
from domain.outreach import clean_own_words
from models import Merchant, MessagingSettings
from services.merchant import audit
from services.shared.tenancy import scoped

SIGNATURE_MAX = 12


def get(session, merchant_id):
    """The merchant's settings; defaults (not stored) until it saves them."""
    row = session.scalars(scoped(MessagingSettings, merchant_id)).one_or_none()
    return row or MessagingSettings(merchant_id=merchant_id, sms_signature="", own_words=[], sms_fallback=True)


def signature_of(session, merchant_id):
    """The signature's text: the merchant's own, else its name cut to fit."""
    own = get(session, merchant_id).sms_signature
    return own or session.get(Merchant, merchant_id).name[:SIGNATURE_MAX]


MAX_CAMPAIGN_MESSAGES = 14


def save(session, actor, *, sms_signature, own_words_text, sms_fallback, campaign_messages_per_week=None):
    """`campaign_messages_per_week`: the cap across campaigns (services/campaigns/telling.py); None keeps it."""
    signature = "".join((sms_signature or "").split()).strip("【】[]")
    if len(signature) > SIGNATURE_MAX:
        raise DomainError(f"短信签名不能超过 {SIGNATURE_MAX} 个字")
    if any(ord(ch) < 32 for ch in signature) or any(ch in signature for ch in "【】"):
        raise DomainError("短信签名包含不允许的字符")
    words = clean_own_words(own_words_text)
    cap = _weekly_cap(campaign_messages_per_week)
    row = session.scalars(scoped(MessagingSettings, actor.merchant_id)).one_or_none()
    before = None if row is None else {"sms_signature": row.sms_signature, "own_words": list(row.own_words),
                                       "sms_fallback": row.sms_fallback}
    if row is None:
        row = MessagingSettings(merchant_id=actor.merchant_id)
        session.add(row)
    row.sms_signature, row.own_words, row.sms_fallback = signature, words, bool(sms_fallback)
    if cap is not None:
        row.campaign_messages_per_week = cap
    session.flush()
    audit.record(session, actor, "messaging.settings", "messaging_settings", row.id, before=before,
                 after={"sms_signature": signature, "own_words": words, "sms_fallback": bool(sms_fallback),
                        "campaign_messages_per_week": row.campaign_messages_per_week})
    return row


def _weekly_cap(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not str(value).strip().isdigit() or len(str(value).strip()) > 3 \
            or int(value) > MAX_CAMPAIGN_MESSAGES:
        raise DomainError(f"每位会员每周最多收到的营销活动消息须在 0 到 {MAX_CAMPAIGN_MESSAGES} 条之间")
    return int(value)

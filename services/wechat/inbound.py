"""Each callback WeChat delivers takes effect once, however often (and however concurrently) it arrives.

WeChat retries a callback up to three times. The WechatInbound row, unique per (merchant, dedupe key),
is inserted first, in the same transaction as the handler's effects: a duplicate fails on the unique
index (a concurrent one after waiting for the first delivery to commit), rolls back to its savepoint
and answers with the stored reply. First deliveries, the common case, pay for no extra lookup.
"""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import WechatInbound


def dedupe_key(message):
    """MsgId for messages; FromUserName + CreateTime + Event for events (they carry no MsgId), and the mass job's
    MsgID for MASSSENDJOBFINISH (two jobs may finish in the same second, from the same sender)."""
    if message.type == "event" and message.event == "masssendjobfinish":
        return f"ev:mass:{message.id}"[:160]
    if message.type == "event":
        return f"ev:{message.source}:{message.time}:{message.event}"[:160]
    if message.id:
        return f"msg:{message.id}"
    return f"msg:{message.source}:{message.time}:{message.type}"[:160]


def stored_reply(session, merchant_id, key):
    return session.scalar(select(WechatInbound.reply_xml)
                          .where(WechatInbound.merchant_id == merchant_id, WechatInbound.dedupe_key == key))


def receive(session, merchant_id, message, handle):
    """The reply XML ('' for none): `handle()` runs only for the first delivery of this message."""
    key = dedupe_key(message)
    event = (getattr(message, "event", None) or "")[:40] or None
    inbound = WechatInbound(merchant_id=merchant_id, dedupe_key=key, msg_type=message.type[:20], event=event,
                            openid=(message.source or "")[:128], reply_xml="")
    try:
        with session.begin_nested():
            session.add(inbound)
            session.flush()
    except IntegrityError:
        # A retry: the first delivery committed already, or committed while we waited on the index.
        return stored_reply(session, merchant_id, key) or ""
    inbound.reply_xml = handle() or ""
    session.flush()
    return inbound.reply_xml

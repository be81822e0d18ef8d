"""Keyword auto-replies of the official account: the merchant's list, and which reply a text gets."""
from sqlalchemy import select

from domain.errors import Conflict, DomainError
from models import KeywordReply
from models.wechat import KEYWORD_MATCHES
from services.merchant import audit
from services.shared.tenancy import scoped
from services.shared.text import required_text

FIELDS = ("keyword", "match", "reply_text", "position", "active")


def list_keywords(session, merchant_id):
    return session.scalars(scoped(KeywordReply, merchant_id)
                           .order_by(KeywordReply.position, KeywordReply.id)).all()


def reply_for(session, merchant_id, text):
    """Exact matches first, then 'contains', each by position; None when nothing matches."""
    text = (text or "").strip()
    if not text:
        return None
    folded = text.casefold()
    rows = session.execute(select(KeywordReply.keyword, KeywordReply.match, KeywordReply.reply_text)
                           .where(KeywordReply.merchant_id == merchant_id, KeywordReply.active.is_(True))
                           .order_by(KeywordReply.position, KeywordReply.id)).all()
    for row in rows:
        if row.match == "exact" and row.keyword.casefold() == folded:
            return row.reply_text
    for row in rows:
        if row.match == "contains" and row.keyword.casefold() in folded:
            return row.reply_text
    return None


def save_keyword(session, actor, row, *, keyword, match, reply_text, position=0, active=True):
    """Create (row=None) or update a keyword reply of the actor's merchant."""
    keyword = required_text(keyword, "关键词", 60)
    reply_text = required_text(reply_text, "回复内容", 600)
    if match not in KEYWORD_MATCHES:
        raise DomainError("未知的匹配方式")
    if not 0 <= int(position or 0) <= 9999:
        raise DomainError("排序须在 0 到 9999 之间")
    clash = scoped(KeywordReply, actor.merchant_id).where(KeywordReply.keyword == keyword,
                                                          KeywordReply.match == match)
    if row is not None:
        clash = clash.where(KeywordReply.id != row.id)
    if session.scalars(clash).first():
        raise Conflict("已有相同的关键词和匹配方式")
    creating = row is None
    before = {} if creating else audit.snapshot(row, FIELDS)
    if creating:
        row = KeywordReply(merchant_id=actor.merchant_id)
        session.add(row)
    row.keyword, row.match, row.reply_text = keyword, match, reply_text
    row.position, row.active = int(position or 0), bool(active)
    session.flush()
    after = audit.snapshot(row, FIELDS)
    action = "wechat.keyword.create" if creating else "wechat.keyword.update"
    audit.record(session, actor, action, "keyword_reply", row.id, *((None, after) if creating
                                                                     else audit.changed_only(before, after)))
    return row


def delete_keyword(session, actor, row):
    audit.record(session, actor, "wechat.keyword.delete", "keyword_reply", row.id,
                 before=audit.snapshot(row, FIELDS))
    session.delete(row)
    session.flush()

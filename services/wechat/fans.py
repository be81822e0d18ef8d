"""WeChat followers (fans) of a merchant's official account: follow, unfollow, scans, profile.

A fan row is unique per (merchant, app_id, openid). Events write it with one upsert (INSERT ... ON
CONFLICT DO UPDATE), so events racing for a new openid leave one row, in a single round trip. An
event older than the fan's last change of heart does not undo it (WeChat may deliver a retried
follow after the unfollow that came later).
"""
from sqlalchemy import bindparam, func, select, text

from domain.clock import now_utc
from models import Fan, MemberIdentity
from models.base import UTCDateTime
from services.shared.tenancy import scoped

SCENE_QR_CODE = "ADD_SCENE_QR_CODE"


def find(session, merchant, openid, lock=False):
    query = scoped(Fan, merchant.id).where(Fan.app_id == (merchant.wechat_app_id or ""), Fan.openid == openid)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def _member_of(merchant, openid):
    """The member this openid belongs to, if the fan has claimed the card already (a subquery)."""
    return (select(MemberIdentity.member_id)
            .where(MemberIdentity.merchant_id == merchant.id, MemberIdentity.kind == "wechat_openid",
                   MemberIdentity.app_id == (merchant.wechat_app_id or ""), MemberIdentity.value == openid,
                   MemberIdentity.active.is_(True)).limit(1).scalar_subquery())


# One statement per event, in the syntax PostgreSQL and SQLite share. Written as text because
# SQLAlchemy does not cache the compiled form of its dialect-specific upsert constructs, and this runs
# on every callback. `fans.` in the WHERE is the row already there; `excluded.` the one proposed.
_UPSERT = """
INSERT INTO fans (merchant_id, app_id, openid, member_id, created_at, subscribed, subscribed_at,
                  unsubscribed_at, qr_scene, subscribe_scene)
VALUES (:merchant_id, :app_id, :openid,
        (SELECT member_id FROM member_identities
          WHERE merchant_id = :identity_merchant_id AND kind = 'wechat_openid' AND app_id = :identity_app_id
            AND value = :identity_openid AND active = :yes LIMIT 1),
        :now, :subscribed, :subscribed_at, :unsubscribed_at, :qr_scene, :subscribe_scene)
ON CONFLICT (merchant_id, app_id, openid) DO UPDATE SET {changes} WHERE {condition}
"""
_STATEMENTS = {
    "subscribe": _UPSERT.format(
        changes="subscribed = excluded.subscribed, subscribed_at = excluded.subscribed_at, "
                "qr_scene = COALESCE(excluded.qr_scene, fans.qr_scene), "
                "subscribe_scene = COALESCE(excluded.subscribe_scene, fans.subscribe_scene)",
        condition="fans.unsubscribed_at IS NULL OR fans.unsubscribed_at <= excluded.subscribed_at"),
    "unsubscribe": _UPSERT.format(
        changes="subscribed = excluded.subscribed, unsubscribed_at = excluded.unsubscribed_at",
        condition="fans.subscribed_at IS NULL OR fans.subscribed_at <= excluded.unsubscribed_at"),
    "scan": _UPSERT.format(changes="qr_scene = COALESCE(excluded.qr_scene, fans.qr_scene)", condition="1 = 1"),
}
_TYPES = [bindparam(name, type_=UTCDateTime()) for name in ("now", "subscribed_at", "unsubscribed_at")]


def _upsert(session, merchant, openid, kind, subscribed, subscribed_at=None, unsubscribed_at=None, qr_scene=None,
            subscribe_scene=None):
    key = {"merchant_id": merchant.id, "app_id": merchant.wechat_app_id or "", "openid": openid}
    values = {"yes": True, "now": now_utc(), "subscribed": subscribed, "subscribed_at": subscribed_at,
              "unsubscribed_at": unsubscribed_at, "qr_scene": qr_scene, "subscribe_scene": subscribe_scene}
    identity = {f"identity_{name}": value for name, value in key.items()}  # psycopg types each use apart
    session.execute(text(_STATEMENTS[kind]).bindparams(*_TYPES), {**key, **identity, **values})


def record_subscribe(session, merchant, openid, at=None, qr_scene=None):
    """Follow (again), through a parametric QR code when qr_scene is given."""
    qr_scene = (qr_scene or "")[:128] or None
    _upsert(session, merchant, openid, "subscribe", True, subscribed_at=at or now_utc(), qr_scene=qr_scene,
            subscribe_scene=SCENE_QR_CODE if qr_scene else None)


def record_unsubscribe(session, merchant, openid, at=None):
    _upsert(session, merchant, openid, "unsubscribe", False, unsubscribed_at=at or now_utc())


def record_scan(session, merchant, openid, scene, at=None):
    """A follower scanned a parametric QR code: remember the latest scene."""
    scene = (scene or "")[:128] or None
    _upsert(session, merchant, openid, "scan", True, subscribed_at=at or now_utc(), qr_scene=scene)


def update_profile(session, merchant, openid, info):
    """What the API's user/info says about a fan (unionid, nickname, how they found the account)."""
    fan = find(session, merchant, openid, lock=True)
    if fan is None:
        return None
    fan.unionid = info.get("unionid") or fan.unionid or None
    fan.nickname = info.get("nickname") or fan.nickname or None
    if info.get("subscribe_scene") and not fan.subscribe_scene:
        fan.subscribe_scene = str(info["subscribe_scene"])[:64]
    if fan.member_id is None:
        fan.member_id = session.scalar(select(_member_of(merchant, openid)))
    session.flush()
    return fan


def count_subscribed(session, merchant_id):
    return session.scalar(select(func.count()).select_from(Fan)
                          .where(Fan.merchant_id == merchant_id, Fan.subscribed.is_(True)))

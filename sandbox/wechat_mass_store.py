"""The sandbox's WeChat mass messages: WeChat's limits enforced, and what it accepted kept (no Flask).

- 1..10,000 openids a call (40130), each a non-empty string of at most 128 characters (40003);
- at most `per_minute` calls a minute per app (45011), previews aside;
- one clientmsgid is accepted once per app, ever (45065, answered with the first call's msg_id);
- 4 mass messages per follower per natural month (Asia/Shanghai, WeChat's clock): a 5th is kept as dropped
  (delivered False), as WeChat silently drops it;
- previews: 100 a day per app (45028), counted neither a minute nor a month.
Recipients are written with one set-based statement and counted with one grouped query per call, on the index
(app_id, openid, month). Calls of one app are serialised by a transaction-level advisory lock on PostgreSQL.
"""
from datetime import timedelta

from sqlalchemy import String, any_, bindparam, cast, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY

from domain.clock import local_midnight_utc, local_today, now_utc, to_local
from models import SandboxMassMessage, SandboxMassRecipient, SandboxMedia, SandboxUser
from sandbox.wechat_state import ApiError

MAX_OPENIDS = 10000
MONTHLY_LIMIT = 4
PREVIEWS_A_DAY = 100
WECHAT_TIMEZONE = "Asia/Shanghai"
MEDIA_OF_TYPE = {"mpnews": "news", "image": "image"}  # message type -> the kind of media it names


def month_of(moment):
    return to_local(moment, WECHAT_TIMEZONE).strftime("%Y-%m")


def valid_openid(value):
    return isinstance(value, str) and 0 < len(value) <= 128


# --- the three ways to send ----------------------------------------------------------------------------------

def send(session, app_id, data, per_minute):
    """message/mass/send: to a list of openids. Returns the SandboxMassMessage (its id is the msg_id)."""
    openids = _openid_list(data.get("touser"))
    client_msg_id = _client_msg_id(data)
    check_message(session, app_id, data)
    now = _serialised(session, app_id, client_msg_id, per_minute)
    month = month_of(now)
    received = _received_this_month(session, app_id, month, openids)
    message = _message(session, app_id, data, now, client_msg_id=client_msg_id, total=len(openids))
    delivered = [received.get(openid, 0) < MONTHLY_LIMIT for openid in openids]
    _insert_recipients(session, message.id, app_id, month, openids, delivered)
    message.sent = sum(delivered)
    message.errors = len(openids) - message.sent  # dropped over the month's 4: WeChat's ErrorCount
    session.flush()
    return message


def send_to_all(session, app_id, data, per_minute):
    """message/mass/sendall: to every follower. No recipient rows: the phone shows it to each of the app's users."""
    if not isinstance(data.get("filter", {}), dict):
        raise ApiError(47001)
    client_msg_id = _client_msg_id(data)
    check_message(session, app_id, data)
    now = _serialised(session, app_id, client_msg_id, per_minute)
    followers = session.scalar(select(func.count()).select_from(SandboxUser).where(
        SandboxUser.channel == "wechat", SandboxUser.app_id == app_id))
    message = _message(session, app_id, data, now, client_msg_id=client_msg_id, total=followers)
    message.sent = followers
    session.flush()
    return message


def preview(session, app_id, data):
    """message/mass/preview: to one openid, 100 a day per app, counted neither a minute nor a month."""
    openid = data.get("touser")
    if not valid_openid(openid):
        raise ApiError(40003)
    check_message(session, app_id, data)
    _lock(session, app_id)
    now = now_utc()
    day_start = local_midnight_utc(local_today(WECHAT_TIMEZONE, now), WECHAT_TIMEZONE)
    previews = session.scalar(select(func.count()).select_from(SandboxMassMessage).where(
        SandboxMassMessage.app_id == app_id, SandboxMassMessage.preview.is_(True),
        SandboxMassMessage.created_at >= day_start))
    if previews >= PREVIEWS_A_DAY:
        raise ApiError(45028)
    message = _message(session, app_id, data, now, preview=True, total=1)
    message.sent = 1
    _insert_recipients(session, message.id, app_id, month_of(now), [openid], [True])
    session.flush()
    return message


# --- checks ----------------------------------------------------------------------------------------------------

def check_message(session, app_id, data):
    """text with some content, or mpnews / image naming a media of this app (40007)."""
    kind = data.get("msgtype")
    if kind not in ("text", *MEDIA_OF_TYPE):
        raise ApiError(40008)
    body = data.get(kind)
    if not isinstance(body, dict):
        raise ApiError(47001)
    if kind == "text":
        if not isinstance(body.get("content"), str) or not body["content"].strip():
            raise ApiError(44004)
        return
    media_id = body.get("media_id")
    if not isinstance(media_id, str) or session.scalar(select(SandboxMedia.id).where(
            SandboxMedia.app_id == app_id, SandboxMedia.media_id == media_id,
            SandboxMedia.kind == MEDIA_OF_TYPE[kind])) is None:
        raise ApiError(40007)


def _openid_list(value):
    if not isinstance(value, list):
        raise ApiError(47001)
    if not 1 <= len(value) <= MAX_OPENIDS:
        raise ApiError(40130)
    if not all(valid_openid(openid) for openid in value):
        raise ApiError(40003)
    return list(dict.fromkeys(value))  # one message per follower, however often the list names them


def _client_msg_id(data):
    value = data.get("clientmsgid")
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise ApiError(47001)
    return value


def _serialised(session, app_id, client_msg_id, per_minute):
    """Take the app's lock, then refuse a replayed clientmsgid (45065) and a call over the minute's quota (45011).
    Returns the moment of the call."""
    _lock(session, app_id)
    if client_msg_id is not None:
        first = session.scalar(select(SandboxMassMessage.id).where(SandboxMassMessage.app_id == app_id,
                                                                   SandboxMassMessage.client_msg_id == client_msg_id))
        if first is not None:
            raise ApiError(45065, msg_id=first)
    now = now_utc()
    if per_minute:
        calls = session.scalar(select(func.count()).select_from(SandboxMassMessage).where(
            SandboxMassMessage.app_id == app_id, SandboxMassMessage.preview.is_(False),
            SandboxMassMessage.created_at > now - timedelta(minutes=1)))
        if calls >= per_minute:
            raise ApiError(45011)
    return now


def _postgresql(session):
    return session.get_bind().dialect.name == "postgresql"


def _lock(session, app_id):
    if _postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"sandbox-mass:{app_id}"})


def _received_this_month(session, app_id, month, openids):
    """{openid: mass messages delivered to it this month}, previews aside: one grouped query on the openid index.

    On PostgreSQL the openids go as one array, `openid = ANY(:openids)`, planned for its values each time: with
    the values known the array is hashed, so even the plan of a table the planner has no statistics for yet
    reads the app's month once. A prepared statement's generic plan (psycopg prepares a statement run five
    times) would compare each row with the whole array instead: a minute a call at 10,000 openids."""
    previews = select(SandboxMassMessage.id).where(SandboxMassMessage.app_id == app_id,
                                                   SandboxMassMessage.preview.is_(True))
    if _postgresql(session):
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        listed = SandboxMassRecipient.openid == any_(cast(bindparam("openids", openids, type_=ARRAY(String)),
                                                          ARRAY(String)))
    else:
        listed = SandboxMassRecipient.openid.in_(openids)
    return dict(session.execute(
        select(SandboxMassRecipient.openid, func.count())
        .where(SandboxMassRecipient.app_id == app_id, listed, SandboxMassRecipient.month == month,
               SandboxMassRecipient.delivered.is_(True), SandboxMassRecipient.message_id.not_in(previews))
        .group_by(SandboxMassRecipient.openid)).all())


def _insert_recipients(session, message_id, app_id, month, openids, delivered):
    """One statement: INSERT ... SELECT FROM unnest(openids, delivered) on PostgreSQL (a few times faster than an
    executemany of 10,000 rows), a bulk insert elsewhere."""
    if _postgresql(session):
        session.execute(text(
            "INSERT INTO sandbox_mass_recipients (message_id, app_id, openid, month, delivered)"
            " SELECT :message_id, :app_id, listed.openid, :month, listed.delivered"
            " FROM unnest(CAST(:openids AS varchar[]), CAST(:delivered AS boolean[])) AS listed(openid, delivered)"),
            {"message_id": message_id, "app_id": app_id, "month": month, "openids": openids,
             "delivered": delivered})
        return
    session.execute(insert(SandboxMassRecipient), [
        {"message_id": message_id, "app_id": app_id, "openid": openid, "month": month, "delivered": is_delivered}
        for openid, is_delivered in zip(openids, delivered)])


def _message(session, app_id, data, now, client_msg_id=None, preview=False, total=0):
    payload = {key: value for key, value in data.items() if key != "touser"}
    message = SandboxMassMessage(app_id=app_id, client_msg_id=client_msg_id, payload=payload, preview=preview,
                                 total=total, sent=0, errors=0, created_at=now)
    session.add(message)
    session.flush()
    return message


# --- MASSSENDJOBFINISH -------------------------------------------------------------------------------------------

def claim_unreported(session, app_id):
    """The app's sent (not preview) messages whose result was not pushed yet, marked reported in one conditional
    update, so the phone's button and the timer never push one twice. [(msg_id, total, sent, errors)]"""
    return session.execute(
        update(SandboxMassMessage)
        .where(SandboxMassMessage.app_id == app_id, SandboxMassMessage.preview.is_(False),
               SandboxMassMessage.reported_at.is_(None))
        .values(reported_at=now_utc())
        .returning(SandboxMassMessage.id, SandboxMassMessage.total, SandboxMassMessage.sent,
                   SandboxMassMessage.errors)).all()

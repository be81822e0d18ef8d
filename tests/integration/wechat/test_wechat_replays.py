"""A captured signed callback URL with another body is refused for the signature's window; the same URL with the
same body (WeChat's own retry) is still answered, and takes effect once. In the database without Redis, in Redis
with it."""
import pytest
import requests
from sqlalchemy import func, select

from models import Fan, WechatCallbackNonce
from sandbox import wechat_events as events
from tests.integration.wechat.test_wechat_callback import TOKEN, plain, shop  # noqa: F401 - the shop fixture


def _post(base, query, xml):
    return requests.post(events.callback_url(base, "cafe", query), data=xml.encode(), timeout=5)


def _fans(db):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Fan))


@pytest.mark.parametrize("with_redis", [False, True])
def test_is_a_signed_url_replayed_with_another_body_refused(app, shop, live_server, db, with_redis, request):  # noqa: F811
    if with_redis:
        app.config["REDIS_URL"] = request.getfixturevalue("redis_url")
    try:
        query = events.signed_query(TOKEN)
        first = events.event_xml(plain(shop), "oFirstFollower000000000000001", "subscribe")
        other = events.event_xml(plain(shop), "oReplayedBody000000000000001", "subscribe")
        assert _post(live_server, query, first).status_code == 200
        assert _post(live_server, query, first).status_code == 200  # WeChat's retry: the same body
        assert _post(live_server, query, other).status_code == 403  # the captured URL, another body
        assert _post(live_server, events.signed_query(TOKEN), other).status_code == 200  # its own signature
    finally:
        app.config["REDIS_URL"] = ""
    assert _fans(db) == 2
    remembered = db.session.scalar(select(func.count()).select_from(WechatCallbackNonce))
    assert remembered == (0 if with_redis else 2)

"""Small helpers for web tests: back office and member H5."""
from sqlalchemy import func, select

from extensions import db
from services.members import members
from tests.web.member_h5.test_h5_support import sign_in


def text_of(response):
    return response.get_data(as_text=True)


def count(model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def fresh(obj):
    """Reload a row from the database (after a request committed or rolled back)."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def wechat_member(make, shop, openid, **fields):
    """A member of `shop` bound to a WeChat openid and committed, so a test phone can sign in as them."""
    person = make.member(shop, **fields)
    members.bind_identity(db.session, person, "wechat_openid", openid, shop.wechat_app_id)
    db.session.commit()
    return person


def wechat_phone(client, shop, openid):
    """The test client, signed in through WeChat as the member with this openid."""
    sign_in(client, shop, "wechat", openid)
    return client

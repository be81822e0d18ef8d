"""The "top up and get more" nudge on the order page after a purchase: off, once per member, every payment."""
import pytest

from domain.clock import now_utc
from services.orders import orders
from tests.web.member_h5 import test_h5_support
from tests.web.helpers import fresh, text_of, wechat_member, wechat_phone
from tests.web.member_h5.test_h5_topup import enable, tier

shop = test_h5_support.shop  # the fixture
owner = test_h5_support.shop_owner  # the fixture
OPENID = "o-nudge-member-00000000000000001"


@pytest.fixture()
def member(make, shop):
    return wechat_member(make, shop, OPENID, mobile="13700000011")


@pytest.fixture()
def phone(client, shop, member):
    return wechat_phone(client, shop, OPENID)


ITEMS = {"coupon": {"template_id": 0, "quantity": 1}, "topup": {"principal": 990, "bonus": 0}}


def bought(db, shop, member, key, kind="coupon", state="fulfilled"):
    """A paid purchase (not a top-up): the nudge's trigger. Fulfilment itself is tested with each kind."""
    order = orders.create(db.session, shop, member.id, kind=kind, channel="wechat", amount=990, description="买券",
                          items=ITEMS[kind], key=key)
    order.state, order.paid_at = state, now_utc()
    db.session.commit()
    return order


def nudged(phone, shop, order):
    return "topup-nudge" in text_of(phone.get(f"/h5/{shop.slug}/orders/{order.id}"))


def test_is_there_no_nudge_when_the_merchant_turned_it_off(db, shop, owner, member, phone):
    enable(db, owner, nudge_mode="off")
    tier(db, owner)
    assert not nudged(phone, shop, bought(db, shop, member, "n-off"))


def test_is_a_member_nudged_only_once_when_the_merchant_says_once(db, shop, owner, member, phone):
    enable(db, owner, nudge_mode="once")
    tier(db, owner, pay_amount=100000, bonus=20000)
    first = bought(db, shop, member, "n-once-1")
    page = text_of(phone.get(f"/h5/{shop.slug}/orders/{first.id}"))
    assert "topup-nudge" in page and "充 1000 送 200" in page
    assert fresh(member).topup_nudged_at is not None
    assert not nudged(phone, shop, first)
    assert not nudged(phone, shop, bought(db, shop, member, "n-once-2"))


def test_is_a_member_nudged_after_every_payment_when_the_merchant_says_so(db, shop, owner, member, phone):
    enable(db, owner, nudge_mode="every")
    tier(db, owner)
    assert nudged(phone, shop, bought(db, shop, member, "n-every-1"))
    assert nudged(phone, shop, bought(db, shop, member, "n-every-2"))


def test_is_a_member_who_already_topped_up_never_nudged(db, shop, owner, member, phone):
    enable(db, owner, nudge_mode="every")
    tier(db, owner)
    member.total_topup = 10000
    db.session.commit()
    assert not nudged(phone, shop, bought(db, shop, member, "n-topped"))


def test_is_there_no_nudge_on_an_unpaid_order_or_a_top_up(db, shop, owner, member, phone):
    enable(db, owner, nudge_mode="every")
    tier(db, owner)
    assert not nudged(phone, shop, bought(db, shop, member, "n-unpaid", state="created"))
    assert not nudged(phone, shop, bought(db, shop, member, "n-topup", kind="topup"))
    assert fresh(member).topup_nudged_at is None


def test_does_the_best_tier_come_first(db, shop, owner, member, phone):
    enable(db, owner, nudge_mode="every")
    tier(db, owner, pay_amount=10000, bonus=500)
    tier(db, owner, pay_amount=50000, bonus=10000, sort=1)
    page = text_of(phone.get(f"/h5/{shop.slug}/orders/{bought(db, shop, member, 'n-best').id}"))
    assert page.index("充 500 送 100") < page.index("充 100 送 5")

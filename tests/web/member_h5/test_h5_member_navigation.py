"""The member centre's icon grid with counts and the bottom tabbar, the 我的 page, 消费记录 with balance spends outside
the till, one QR refresh interval and one way of writing an expiry (issue 21, items 1, 8, 10)."""
import re
from datetime import datetime, timezone

from services.wallet import journal as wallet
from tests.web.helpers import text_of
from tests.web.member_h5 import test_h5_support
from tests.web.member_h5.test_h5_cards import count_card, member, owner, phone  # noqa: F401  (fixtures)
from tests.web.member_h5.test_h5_coupons import give, template

shop = test_h5_support.shop  # the fixture


def tile_count(page, tile_id):
    found = re.search(rf'id="{tile_id}">.*?<p class="h5-grid__count">([^<]*)</p>', page, re.S)
    return found.group(1) if found else None


def test_does_the_centre_show_the_grid_with_what_the_member_holds(db, shop, owner, member, phone):
    coupon = template(db, owner)
    give(db, shop, coupon, member, "nav-1")
    give(db, shop, coupon, member, "nav-2")
    count_card(db, shop, owner, member)
    page = text_of(phone.get(f"/h5/{shop.slug}/member"))
    assert 'id="centre-grid"' in page
    assert tile_count(page, "tile-coupons") == "2 张" and tile_count(page, "tile-cards") == "1 张"
    assert tile_count(page, "tile-gift-cards") == "0 张" and tile_count(page, "tile-benefit-cards") == "0 张"
    assert "积分明细" not in page and "等级与权益" not in page  # the rows that repeated the tiles above


def test_does_every_main_member_page_have_the_tabbar_with_its_tab_on(shop, phone):
    for path, current in (("member", "会员卡"), ("coupons/", "卡券"), ("member/me", "我的")):
        page = text_of(phone.get(f"/h5/{shop.slug}/{path}"))
        assert 'id="h5-tabbar"' in page and 'class="h5 h5_with-tabbar' in page, path
        on = re.search(r'weui-bar__item_on".*?<p class="weui-tabbar__label">([^<]*)</p>', page, re.S)
        assert on and on.group(1) == current, path
    labels = re.findall(r'<p class="weui-tabbar__label">([^<]*)</p>', text_of(phone.get(f"/h5/{shop.slug}/member")))
    assert labels == ["会员卡", "卡券", "充值", "我的"]  # no cards for sale here: the third tab is 充值


def test_are_balance_spends_outside_the_till_in_the_spending_records(db, shop, member, phone):
    purse = wallet.member_wallet(db.session, shop.id, member.id)
    wallet.credit(db.session, shop.id, purse.id, 10000, 0, key="nav:credit", note="充值")
    wallet.debit(db.session, shop.id, purse.id, 6820, key="nav:debit", note="门店消费")
    db.session.commit()
    page = text_of(phone.get(f"/h5/{shop.slug}/checkouts"))
    assert 'id="checkout-list-empty"' not in page
    assert 'data-kind="balance-spend"' in page and "门店消费" in page and "¥68.20" in page


def test_does_the_card_page_say_the_refresh_interval_the_script_uses(db, shop, owner, member, phone):
    card = count_card(db, shop, owner, member)
    page = text_of(phone.get(f"/h5/{shop.slug}/cards/{card.id}"))
    every = int(re.search(r'data-box="card-qr" data-every-ms="(\d+)"', page).group(1)) // 1000
    assert f"卡码每 {every} 秒自动刷新" in page
    centre = text_of(phone.get(f"/h5/{shop.slug}/member"))
    assert f"会员码每 {every} 秒自动刷新" in centre and f'data-every-ms="{every * 1000}"' in centre


def test_is_an_end_at_local_midnight_shown_as_the_last_valid_day_in_the_list_and_on_the_page(db, shop, owner, member,
                                                                                              phone):
    card = count_card(db, shop, owner, member)
    card.ends_at = datetime(2027, 6, 3, 16, 0, tzinfo=timezone.utc)  # 2027-06-04 00:00 in Shanghai, exclusive
    db.session.commit()
    listed = text_of(phone.get(f"/h5/{shop.slug}/cards/"))
    shown = text_of(phone.get(f"/h5/{shop.slug}/cards/{card.id}"))
    assert "有效期至 2027-06-03" in listed and "2027-06-04" not in listed
    assert "2027-06-03" in shown and "2027-06-04" not in shown

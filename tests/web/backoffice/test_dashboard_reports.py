"""Back office: the dashboard's figures of today beside yesterday's and its 30-day trends, from the rollups."""
import re
from datetime import timedelta

from domain import roles
from domain.clock import now_utc
from extensions import db
from services.till import checkout
from tests.web.helpers import text_of


def test_does_the_dashboard_show_today_beside_yesterday_and_the_trend(as_owner, make, merchant, owner):
    store = make.store(merchant, "人民广场店")
    for key, amount, when in (("a", 12000, now_utc()), ("b", 3000, now_utc() - timedelta(days=1))):
        checkout.pay(db.session, merchant, owner, store_id=store.id, member_id=None, amount=amount, tender="cash",
                     choice=None, seed=key, key=key, now=when)
    db.session.commit()
    page = as_owner.get("/backoffice/")
    text = text_of(page)
    assert "今日实收" in text and "¥120.00" in text and "昨日 ¥30.00" in text
    assert b'id="trend-sales"' in page.data and b"report_chart.js" in page.data


def test_does_a_cashier_see_the_dashboard_without_the_money_figures(sign_in_as, client):
    sign_in_as(roles.CASHIER)
    page = client.get("/backoffice/")
    assert page.status_code == 200 and "今日实收" not in text_of(page)


def test_are_todays_points_coupons_top_ups_and_new_members_counted(as_owner, make, merchant, owner):
    from services.points import ledger as points
    from services.wallet import journal as wallet

    store = make.store(merchant, "人民广场店")
    member = make.member(merchant)
    points.earn(db.session, merchant, member.id, 250, key="dash-earn", reason="测试", store_id=store.id)
    purse = wallet.member_wallet(db.session, merchant.id, member.id)
    wallet.credit(db.session, merchant.id, purse.id, 5000, key="dash-topup", store_id=store.id)
    db.session.commit()
    page = as_owner.get("/backoffice/").get_data(as_text=True)

    def tile(key):
        return re.search(rf'id="today-{key}">[^<]*<strong>([^<]*)</strong>', page).group(1)

    assert tile("points_issued") == "250" and tile("new_members") == "1" and tile("coupons_used") == "0"
    assert tile("topups") == "¥0.00"  # a journal credit without a paid order or counter top-up is not a top-up

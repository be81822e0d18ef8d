"""Back office: the stored value report page (储值报表), its period and store filter, the balance at a closed day's
end, the exports, and who may read it."""
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from domain import roles
from domain.clock import local_today, now_utc
from domain.orders import Expected
from extensions import db
from models import WalletTransaction
from services.orders import settlement
from services.till import checkout
from services.wallet import counter_topup, stored_value
from tests.web.helpers import text_of


@pytest.fixture()
def money(make, merchant, owner):
    """Two days ago: ¥300 in cash at 人民广场店's counter, ¥120 online by WeChat Pay, and a payment by balance at
    徐家汇店 (its amount after the member's level discount is what it spent)."""
    one, two = make.store(merchant, "人民广场店"), make.store(merchant, "徐家汇店")
    member = make.member(merchant)
    stored_value.enable(db.session, owner)
    settings = stored_value.settings_of(db.session, merchant.id)
    settings.allow_custom_amount, settings.custom_min, settings.custom_max = True, 1000, 500000
    counter_topup.take_by_hand(db.session, merchant, owner, store_id=one.id, member_id=member.id, tender="cash",
                               key="counter-1", custom_amount=30000)
    order = stored_value.create_topup_order(db.session, merchant, member.id, channel="wechat", key="online-1",
                                            custom_amount=12000)
    settlement.record_payment(db.session, merchant, order, amount=12000, currency="CNY", app_id="app",
                              merchant_no="", channel_trade_no="T1", payer="openid",
                              expected=Expected(12000, "CNY", "app", ""))
    paid = checkout.pay(db.session, merchant, owner, store_id=two.id, member_id=member.id, amount=5000,
                        tender="balance", choice=None, seed="s", key="pay-1")
    db.session.execute(update(WalletTransaction).values(created_at=now_utc() - timedelta(days=2)))
    db.session.commit()
    return dict(one=one, two=two, spent=paid.balance_paid, day=local_today(merchant.timezone) - timedelta(days=2))


def _yuan(fen):
    return f"{fen / 100:,.2f}"


def test_does_the_page_show_top_ups_spending_and_the_balance_per_store(as_owner, money):
    page = as_owner.get("/backoffice/reports/stored-value")
    assert page.status_code == 200
    text = text_of(page)
    assert "人民广场店" in text and "徐家汇店" in text and "线上/未指定门店" in text
    assert "420.00" in text and "线上 ¥120.00 / 门店 ¥300.00" in text  # the top-ups
    assert "门店现金" in text and "线上微信支付" in text  # the ways of paying
    assert _yuan(money["spent"]) in text
    assert f"¥{_yuan(42000 - money['spent'])}" in text  # the balance at yesterday's end, and now
    assert 'id="stored-value-chart"' in text and 'id="stored-value-balance-chart"' in text
    assert "/backoffice/reports/prepaid?day=" in text  # the day report beside it

    only_one = text_of(as_owner.get(f"/backoffice/reports/stored-value?store={money['one'].id}"))
    assert "300.00" in only_one and "420.00" not in only_one and "线上 ¥0.00 / 门店 ¥300.00" in only_one


def test_do_the_exports_carry_each_day_and_a_total_with_the_closing_balance(as_owner, money):
    day = money["day"]
    csv = as_owner.get(f"/backoffice/reports/stored-value?format=csv&start={(day - timedelta(days=1)).isoformat()}")
    assert csv.mimetype == "text/csv" and csv.data.startswith(b"\xef\xbb\xbf")
    lines = csv.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("日期,充值笔数,充值金额,线上充值,门店充值") and len(lines) == 1 + 4 + 1
    assert lines[2].startswith(f"{day.isoformat()},2,420.00,120.00,300.00,120.00,0.00,300.00")
    assert lines[1].endswith(",0.00,0.00,0.00") and lines[-2].endswith(",,,")  # no balance yet; today's not closed
    spent = f"{money['spent'] / 100:.2f}"
    assert lines[-1].startswith("合计,2,420.00") and f",1,{spent}," in lines[-1]

    response = as_owner.get("/backoffice/reports/stored-value?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    response.close()
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("日期", "充值笔数", "充值金额")
    assert rows[-1][:2] == ("合计", 2) and Decimal(str(rows[-1][2])) == Decimal("420.00")
    assert sum(Decimal(str(v)) for v in rows[-1][-3:]) == Decimal(42000 - money["spent"]) / 100


def test_are_unreadable_dates_refused_with_a_message_and_another_merchants_store_not_found(as_owner, make):
    for query, message in (("start=2026-13-01", "开始日期格式不正确"), ("start=2026-05-02&end=2026-05-01", "不能晚于"),
                           ("start=2020-01-01&end=2026-01-01", "最长 366 天")):
        response = as_owner.get(f"/backoffice/reports/stored-value?{query}")
        assert response.status_code == 400 and message in text_of(response), query
    assert as_owner.get("/backoffice/reports/stored-value?end=%00").status_code == 400
    other = make.merchant(slug="elsewhere")
    store = make.store(other)
    db.session.commit()
    assert as_owner.get(f"/backoffice/reports/stored-value?store={store.id}").status_code == 404
    assert as_owner.get(f"/backoffice/reports/stored-value?store={store.id}&format=csv").status_code == 404
    assert as_owner.get("/backoffice/reports/stored-value?format=pdf").status_code == 404


def test_does_an_empty_merchant_see_zeros(as_owner):
    text = text_of(as_owner.get("/backoffice/reports/stored-value"))
    assert "这段时间没有储值变动" in text and "¥0.00" in text


def test_is_a_cashier_refused_the_stored_value_report(sign_in_as, client):
    sign_in_as(roles.CASHIER)
    assert client.get("/backoffice/reports/stored-value").status_code == 403
    assert client.get("/backoffice/reports/stored-value?format=csv").status_code == 403

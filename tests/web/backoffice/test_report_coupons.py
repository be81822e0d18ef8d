"""Back office: the coupons report page (优惠券报表), its store filter, exports per day and per template, refusals."""
import io
from datetime import timedelta
from decimal import Decimal

from openpyxl import load_workbook

from domain import roles
from domain.clock import local_today, now_utc
from extensions import db
from services.coupons import issue as coupon_issue, templates as coupon_templates, till_codes
from tests.web.helpers import text_of


def _coupons(merchant, owner, make):
    one, two = make.store(merchant, "人民广场店"), make.store(merchant, "徐家汇店")
    member = make.member(merchant)
    db.session.flush()
    latte = coupon_templates.save_template(db.session, owner, None, kind="gift", title="拿铁兑换券", gift_item="拿铁",
                                           validity_mode="relative", valid_days=30)
    cash = coupon_templates.save_template(db.session, owner, None, kind="cash", title="十元代金券", amount_off=1000,
                                          validity_mode="relative", valid_days=30)
    codes = [coupon_issue.claim(db.session, merchant, latte.id, member.id, channel=channel, key=f"k{n}", notify=False)
             for n, channel in enumerate(("h5", "poster_qr", "staff"))]
    coupon_issue.claim(db.session, merchant, cash.id, member.id, channel="bulk", key="bulk", notify=False)
    till_codes.verify_id(db.session, owner, codes[0].id, store_id=one.id, method="manual", key="v1",
                         amount_received=4500)
    till_codes.verify_id(db.session, owner, codes[1].id, store_id=two.id, method="manual", key="v2",
                         amount_received=1200)
    db.session.commit()
    return dict(one=one, two=two, latte=latte, cash=cash)


def test_does_the_page_show_codes_per_template_channel_and_store(as_owner, make, merchant, owner):
    shop = _coupons(merchant, owner, make)
    page = as_owner.get("/backoffice/reports/coupons")
    assert page.status_code == 200
    text = text_of(page)
    assert "拿铁兑换券" in text and "十元代金券" in text
    assert "会员中心" in text and "海报二维码" in text and "批量发放" in text  # channels by name
    assert "57.00" in text  # the money both uses took
    assert text.count('class="bo-report-chart report-chart') == 2

    only_two = text_of(as_owner.get(f"/backoffice/reports/coupons?store={shop['two'].id}"))
    assert "12.00" in only_two and "57.00" not in only_two and 'id="store-note"' in only_two


def test_do_the_exports_carry_each_day_or_each_template_and_a_total(as_owner, make, merchant, owner):
    _coupons(merchant, owner, make)
    today = local_today(merchant.timezone)
    start = (today - timedelta(days=2)).isoformat()
    csv = as_owner.get(f"/backoffice/reports/coupons?format=csv&start={start}")
    assert csv.mimetype == "text/csv" and csv.data.startswith(b"\xef\xbb\xbf")
    lines = csv.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("日期/券,发放,领取,转赠,核销") and len(lines) == 1 + 3 + 1
    assert lines[3].startswith(f"{today.isoformat()},2,2,0,2,0,2,57.00") and lines[-1].startswith("合计,2,2")

    per_template = as_owner.get("/backoffice/reports/coupons?format=csv&view=templates").get_data().decode("utf-8-sig")
    rows = per_template.splitlines()
    assert rows[1].startswith("拿铁兑换券,1,2,0,2,0,2,57.00") and rows[2].startswith("十元代金券,1,0")

    response = as_owner.get("/backoffice/reports/coupons?format=xlsx&view=templates")
    sheet = load_workbook(io.BytesIO(response.data)).active
    response.close()
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[-1][:3] == ("合计", 2, 2) and Decimal(str(rows[-1][7])) == Decimal("57.00")


def test_are_unreadable_dates_refused_and_another_merchants_store_not_found(as_owner, make):
    for query, message in (("start=2026-13-01", "开始日期格式不正确"), ("start=2026-05-02&end=2026-05-01", "不能晚于"),
                           ("start=2020-01-01&end=2026-01-01", "最长 366 天"), ("end=99999-01-01", "结束日期格式不正确")):
        response = as_owner.get(f"/backoffice/reports/coupons?{query}")
        assert response.status_code == 400 and message in text_of(response), query
    assert as_owner.get("/backoffice/reports/coupons?end=%00").status_code == 400
    assert as_owner.get("/backoffice/reports/coupons?format=pdf").status_code == 404
    other = make.merchant(slug="elsewhere")
    store = make.store(other)
    db.session.commit()
    assert as_owner.get(f"/backoffice/reports/coupons?store={store.id}").status_code == 404
    assert as_owner.get(f"/backoffice/reports/coupons?store={store.id}&format=csv").status_code == 404


def test_does_another_merchants_coupon_never_show(as_owner, make, merchant, owner):
    other = make.merchant(slug="elsewhere")
    other_owner, other_member = make.staff(other, role="owner"), make.member(other)
    db.session.flush()
    theirs = coupon_templates.save_template(db.session, other_owner, None, kind="cash", title="别家的券",
                                            amount_off=100, validity_mode="relative", valid_days=3)
    coupon_issue.claim(db.session, other, theirs.id, other_member.id, channel="h5", key="x", notify=False,
                       now=now_utc() - timedelta(days=1))
    db.session.commit()
    page = text_of(as_owner.get("/backoffice/reports/coupons"))
    assert "别家的券" not in page and 'id="coupons-by-template"' not in page


def test_is_a_cashier_refused_the_coupons_report(sign_in_as, client):
    sign_in_as(roles.CASHIER)
    assert client.get("/backoffice/reports/coupons").status_code == 403
    assert client.get("/backoffice/reports/coupons?format=csv").status_code == 403

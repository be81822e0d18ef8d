"""Back office: 同步到支付宝商家券 on a coupon template's page, and the template's state in Alipay."""
from sqlalchemy import select

from extensions import db
from models import AlipayVoucherActivity, AlipayVoucherDeposit, MemberIdentity, SandboxAlipayVoucherActivity
from sandbox.alipay_keys import provision_merchant
from services.coupons import templates as coupon_templates
from tests.web.helpers import count, text_of


def make_template(owner, **values):
    values = {"kind": "cash", "title": "十元券", "amount_off": 1000, "min_spend": 5000, "validity_mode": "relative",
              "valid_days": 30, **values}
    template = coupon_templates.save_template(db.session, owner, None, **values)
    db.session.commit()
    return template


def test_can_an_owner_sync_a_cash_coupon_to_alipay_and_see_it_synced(as_owner, merchant, owner):
    provision_merchant(db.session, merchant)
    template = make_template(owner)
    page = text_of(as_owner.get(f"/backoffice/coupons/{template.id}/edit"))
    assert "支付宝商家券" in page and "未同步" in page and "同步到支付宝商家券" in page

    response = as_owner.post(f"/backoffice/coupons/{template.id}/alipay-voucher")
    assert response.status_code == 302 and response.headers["Location"].endswith("#alipay-voucher")
    activity = db.session.scalars(select(AlipayVoucherActivity)).one()
    assert activity.state == "active" and count(SandboxAlipayVoucherActivity) == 1
    page = text_of(as_owner.get(f"/backoffice/coupons/{template.id}/edit"))
    assert "已同步" in page and activity.activity_id in page and 'id="alipay-voucher-sync"' not in page


def test_is_a_gift_coupon_not_offered_to_alipay_and_refused_when_posted(as_owner, merchant, owner):
    provision_merchant(db.session, merchant)
    template = make_template(owner, kind="gift", amount_off=None, min_spend=None, gift_item="拿铁一杯")
    page = text_of(as_owner.get(f"/backoffice/coupons/{template.id}/edit"))
    assert "只支持代金券和折扣券" in page and 'id="alipay-voucher-sync"' not in page
    response = as_owner.post(f"/backoffice/coupons/{template.id}/alipay-voucher", follow_redirects=True)
    assert "不能同步到支付宝" in text_of(response)
    assert count(AlipayVoucherActivity) == 0


def test_does_a_merchant_without_an_alipay_app_see_why_the_sync_failed(as_owner, owner):
    template = make_template(owner)
    response = as_owner.post(f"/backoffice/coupons/{template.id}/alipay-voucher", follow_redirects=True)
    assert "同步到支付宝失败" in text_of(response) and "尚未配置支付宝应用" in text_of(response)
    assert db.session.scalars(select(AlipayVoucherActivity.state)).one() == "failed"


def test_is_another_merchants_coupon_not_found(as_owner, make):
    other = make.merchant(slug="other")
    template = make_template(make.staff(other, role="owner"))
    assert as_owner.post(f"/backoffice/coupons/{template.id}/alipay-voucher").status_code == 404
    assert count(AlipayVoucherActivity) == 0


def test_may_a_cashier_not_sync_a_coupon(sign_in_as, client, owner):
    template = make_template(owner)
    sign_in_as("cashier")
    assert client.post(f"/backoffice/coupons/{template.id}/alipay-voucher").status_code == 403


def test_can_an_owner_stop_the_alipay_voucher_and_new_codes_stay_out_of_alipay(as_owner, merchant, owner, make):
    from services.coupons import issue as coupon_issue

    provision_merchant(db.session, merchant)
    template = make_template(owner)
    as_owner.post(f"/backoffice/coupons/{template.id}/alipay-voucher")
    page = text_of(as_owner.get(f"/backoffice/coupons/{template.id}/edit"))
    assert 'id="alipay-voucher-stop"' in page
    response = as_owner.post(f"/backoffice/coupons/{template.id}/alipay-voucher/stop", follow_redirects=True)
    assert "支付宝商家券已停止" in text_of(response)
    assert db.session.scalars(select(SandboxAlipayVoucherActivity.status)).one() == "STOPPED"
    page = text_of(as_owner.get(f"/backoffice/coupons/{template.id}/edit"))
    assert "已停止" in page and 'id="alipay-voucher-sync"' not in page and 'id="alipay-voucher-stop"' not in page
    again = as_owner.post(f"/backoffice/coupons/{template.id}/alipay-voucher", follow_redirects=True)
    assert "不能再次同步" in text_of(again)
    member = make.member(merchant)
    db.session.add(MemberIdentity(merchant_id=merchant.id, member_id=member.id, kind="alipay_user_id",
                                  value="2088000000009999"))
    coupon_issue.claim(db.session, merchant, template.id, member.id, channel="h5", key="after-stop")
    db.session.commit()
    assert count(AlipayVoucherDeposit) == 0


def test_is_stopping_a_coupon_not_synced_refused(as_owner, owner):
    template = make_template(owner)
    response = as_owner.post(f"/backoffice/coupons/{template.id}/alipay-voucher/stop", follow_redirects=True)
    assert "尚未同步到支付宝" in text_of(response)

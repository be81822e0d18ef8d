"""Back-office pages that used to confuse a merchant (issue 21): 营销规则 opening on an empty tab, 批量发券 choosing a
paid coupon by itself, a negative store balance with no word of explanation, an expiry shown as the next midnight."""
from datetime import UTC, datetime

from services.coupons import templates as coupon_templates
from services.wallet import journal as wallet
from tests.web.helpers import text_of
from web.template_helpers import last_valid_day


def test_do_reward_rules_open_on_the_first_tab_that_has_rules(as_owner):
    created = as_owner.post("/backoffice/reward-rules/new", data={
        "kind": "registration", "name": "开卡送积分", "points": "100", "min_paid": "", "active": "y"})
    assert created.status_code == 302
    page = text_of(as_owner.get("/backoffice/reward-rules"))
    assert "开卡送积分" in page
    assert 'href="/backoffice/reward-rules?tab=registration" aria-current="page"' in page
    assert '<span class="bo-tab-count">1</span>' in page


def test_does_an_empty_rules_tab_offer_to_create_the_first_rule(as_owner):
    page = text_of(as_owner.get("/backoffice/reward-rules?tab=follow"))
    assert "还没有关注礼规则" in page and "新增第一条关注礼规则" in page
    assert "/backoffice/reward-rules/new?kind=follow" in page


def test_does_the_bulk_issue_form_start_with_no_coupon_chosen(as_owner, db, owner):
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满100减20", amount_off=2000,
                                              min_spend=10000, validity_mode="relative", valid_days=30)
    db.session.commit()
    page = text_of(as_owner.get("/backoffice/coupons/bulk/new"))
    assert '<option selected value="">请选择优惠券</option>' in page
    assert f'<option value="{template.id}">满100减20</option>' in page
    refused = text_of(as_owner.post("/backoffice/coupons/bulk/new", data={"template_id": "", "level_id": 0, "tag_id": 0}))
    assert "请选择优惠券" in refused and "符合条件的会员" not in refused


def test_is_a_negative_store_balance_explained(as_owner, make, db, merchant):
    here, there = make.store(merchant, "人民广场店"), make.store(merchant, "陆家嘴店")
    purse = wallet.member_wallet(db.session, merchant.id, make.member(merchant).id)
    wallet.credit(db.session, merchant.id, purse.id, 10000, 0, key="topup:there", store_id=there.id)
    wallet.debit(db.session, merchant.id, purse.id, 8000, key="spend:here", store_id=here.id)
    db.session.commit()
    page = text_of(as_owner.get("/backoffice/reports/prepaid"))
    assert "-80.00" in page and 'id="negative-balance-note"' in page
    assert "负数表示会员在这家门店花掉的储值多于在这里充值的部分" in page


def test_is_a_positive_report_left_without_the_note(as_owner, make, db, merchant):
    store = make.store(merchant, "人民广场店")
    purse = wallet.member_wallet(db.session, merchant.id, make.member(merchant).id)
    wallet.credit(db.session, merchant.id, purse.id, 10000, 0, key="topup:here", store_id=store.id)
    db.session.commit()
    assert 'id="negative-balance-note"' not in text_of(as_owner.get("/backoffice/reports/prepaid"))


def test_is_an_expiry_at_midnight_shown_as_the_last_valid_day(app):
    with app.app_context():
        # 2027-06-04 00:00 in Shanghai: the card is valid through 2027-06-03.
        assert last_valid_day(datetime(2027, 6, 3, 16, 0, tzinfo=UTC)) == "2027-06-03"
        assert last_valid_day(datetime(2027, 6, 4, 7, 30, tzinfo=UTC)) == "2027-06-04"
        assert last_valid_day(None) == ""

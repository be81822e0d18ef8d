"""Back office: 开卡礼 / 关注礼 / 升级礼 rules next to 支付后营销 (tabs, a form per kind, grant counts, the live
preview sentence), and the rewards a payment gave on the checkout detail page."""
import re

from extensions import db
from models import Level
from models.rewards import RewardGrant, RewardRule
from services.till import checkout, settings as checkout_settings
from services.coupons import templates as coupon_templates
from services.rewards import gifts as gift_rules
from tests.web.helpers import count, text_of
from tests.web.backoffice.test_reward_rules_backoffice import coupon  # noqa: F401  (fixture: 「满100减20」)


def gold_of(merchant):
    return db.session.query(Level).filter_by(merchant_id=merchant.id, name="金卡").one()


def test_does_each_trigger_have_its_tab_and_a_new_rule_start_as_that_kind(as_owner):
    page = text_of(as_owner.get("/backoffice/reward-rules?tab=level_up"))
    for label in ("支付后营销", "开卡礼", "关注礼", "升级礼"):
        assert label in page
    assert "/backoffice/reward-rules/new?kind=level_up" in page
    form = text_of(as_owner.get("/backoffice/reward-rules/new?kind=level_up"))
    assert '<option selected value="level_up">' in form
    assert "会员首次升级到所选等级时" in form and 'data-kinds="level_up"' in form
    assert "js/reward_rule_form.js" in form


def test_can_an_owner_add_an_upgrade_gift_with_a_coupon_and_see_it_under_its_tab(as_owner, merchant, coupon):
    gold = gold_of(merchant)
    response = as_owner.post("/backoffice/reward-rules/new", data={
        "kind": "level_up", "name": "金卡升级礼", "level_id": str(gold.id), "points": "200",
        "coupon_0": str(coupon.id), "count_0": "1", "min_paid": "", "active": "y"})
    assert response.status_code == 302 and response.location.endswith("tab=level_up")
    rule = db.session.query(RewardRule).one()
    assert (rule.kind, rule.level_id, rule.min_paid, rule.all_stores) == ("level_up", gold.id, 0, True)
    listed = text_of(as_owner.get("/backoffice/reward-rules?tab=level_up"))
    assert "金卡升级礼" in listed and "首次升级到「金卡」" in listed
    assert "金卡升级礼" not in text_of(as_owner.get("/backoffice/reward-rules?tab=payment"))
    edit = text_of(as_owner.get(f"/backoffice/reward-rules/{rule.id}/edit"))
    assert "会员首次升级到「金卡」时，获得 200 积分和 1 张「满100减20」（每个等级仅一次）" in edit


def test_is_an_upgrade_gift_without_a_level_refused(as_owner):
    response = as_owner.post("/backoffice/reward-rules/new", data={"kind": "level_up", "name": "升级礼",
                                                                   "points": "10", "active": "y"})
    assert response.status_code == 400 and "请选择会员等级" in text_of(response)
    assert count(RewardRule) == 0


def test_does_a_registration_rule_ignore_stores_levels_and_minimum(as_owner, merchant, make):
    store = make.store(merchant)
    db.session.commit()
    response = as_owner.post("/backoffice/reward-rules/new", data={
        "kind": "registration", "name": "开卡礼", "points": "100", "growth": "5", "min_paid": "30",
        "store_ids": str(store.id), "active": "y"})
    assert response.status_code == 302
    rule = db.session.query(RewardRule).one()
    assert (rule.all_stores, rule.min_paid, rule.stores, rule.rewards["growth"]) == (True, 0, [], 5)


def test_does_the_preview_follow_the_fields_as_they_change(as_owner, coupon):
    answer = as_owner.get("/backoffice/reward-rules/preview", query_string={
        "kind": "post_payment", "all_stores": "y", "min_paid": "50", "points": "100", "coupon_0": str(coupon.id),
        "count_0": "1"})
    assert answer.status_code == 200
    assert answer.get_json()["text"] == "会员在任意门店单笔实付满 ¥50 后，获得 100 积分和 1 张「满100减20」"
    garbled = as_owner.get("/backoffice/reward-rules/preview", query_string={
        "kind": "nonsense", "min_paid": "abc", "points": "-x", "coupon_0": "999999", "level_ids": "x"})
    assert garbled.status_code == 200 and "请设置奖励" in garbled.get_json()["text"]


def test_does_the_preview_name_only_this_merchants_rows(as_owner, make):
    other = make.merchant()
    foreign = coupon_templates.save_template(db.session, make.staff(other, role="owner"), None, kind="cash",
                                             title="别家券",
                                             amount_off=100, min_spend=0, validity_mode="relative", valid_days=30)
    db.session.commit()
    text = as_owner.get("/backoffice/reward-rules/preview", query_string={
        "kind": "registration", "coupon_0": str(foreign.id)}).get_json()["text"]
    assert "别家券" not in text


def test_is_a_cashier_refused_the_preview(sign_in_as, client):
    sign_in_as("cashier")
    assert client.get("/backoffice/reward-rules/preview?kind=follow").status_code in (302, 403)


def test_does_the_list_count_each_rules_grants(as_owner, merchant, make):
    db.session.add(gift_rules.points_rule(merchant.id, "registration", "开卡礼", 100))
    db.session.commit()
    for _ in range(2):
        gift_rules.registration(db.session, merchant, make.member(merchant))
    db.session.commit()
    page = text_of(as_owner.get("/backoffice/reward-rules?tab=registration"))
    assert re.search(r'<td class="bo-num grant-count"[^>]*>2</td>', page)


def test_does_the_checkout_page_show_what_the_payment_gave(as_owner, merchant, owner, make):
    store, member = make.store(merchant), make.member(merchant)
    checkout_settings.settings_of(db.session, merchant.id).earn_per_yuan = 0
    db.session.add(RewardRule(merchant_id=merchant.id, kind="post_payment", name="满50送积分", min_paid=5000,
                              rewards={"points": 20}))
    db.session.add(RewardRule(merchant_id=merchant.id, kind="receipt_coupon", name="小票券", min_paid=0,
                              rewards={"points": 0, "coupons": []}, for_non_members=True))
    db.session.commit()
    made = checkout.pay(db.session, merchant, owner, store_id=store.id, member_id=member.id, amount=6000,
                        tender="cash", choice=None, seed="s", key="gift-page-1")
    db.session.commit()
    page = text_of(as_owner.get(f"/backoffice/checkouts/{made.id}"))
    assert "本单奖励" in page and "满50送积分" in page and "20 积分" in page
    assert 'data-state="granted"' in page and "已发放" in page
    assert 'data-state="pending_claim"' in page and "待领取" in page
    assert count(RewardGrant) == 2

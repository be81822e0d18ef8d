"""Back office 招募设置: the invite switch, the guide rebinding switch and the referral reward table, saved audited
with a sentence of what they do; bad input refused with nothing saved; the member page's 推荐人 and invitees."""
import re

import pytest

from domain import roles
from extensions import db
from models import AuditLog, RecruitSettings
from services.coupons import templates as coupon_templates
from services.members import members
from services.recruitment import referral_settings, sources
from services.recruitment.attribution import Touch
from services.recruitment import referrals
from tests.web.helpers import count, text_of

URL = "/backoffice/recruitment/settings"


def good(template=None, **changes):
    data = {"invite_enabled": "y", "join_1_points": "100", "join_1_coupon": str(template.id) if template else "",
            "join_2_points": "20", "join_2_coupon": "", "join_3_points": "", "join_3_coupon": "",
            "first_payment_1_points": "50", "first_payment_1_coupon": "", "first_payment_2_points": "",
            "first_payment_2_coupon": "", "first_payment_3_points": "", "first_payment_3_coupon": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def coupon(owner, title="满50减10", **values):
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title=title, amount_off=1000,
                                              validity_mode="relative", valid_days=30, **values)
    db.session.commit()
    return template


def stored(merchant):
    db.session.expire_all()
    return db.session.get(RecruitSettings, merchant.id)


def test_does_the_page_start_with_invites_on_and_no_rewards(as_owner, merchant):
    page = text_of(as_owner.get(URL))
    assert "邀请有礼已开启，但尚未设置奖励" in page
    switch = re.search(r'<input[^>]*id="invite_enabled"[^>]*>', page).group(0)
    assert "checked" in switch
    assert "一级积分" in page and "三级优惠券" in page
    assert stored(merchant) is None  # nothing written by looking


def test_can_an_owner_save_the_reward_table_and_read_it_back_in_words(as_owner, merchant, owner):
    template = coupon(owner)
    response = as_owner.post(URL, data=good(template, rebind_guide_on_scan="y"))
    assert response.status_code == 302, text_of(response)
    row = stored(merchant)
    assert row.invite_enabled and row.rebind_guide_on_scan
    assert row.referral_rewards["join"][0] == {"points": 100, "coupon_template_id": template.id}
    assert row.referral_rewards["first_payment"][0]["points"] == 50
    page = text_of(as_owner.get(URL))
    assert "好友通过会员的邀请链接开卡后，直接邀请人得 100 积分 + 满50减10；二级邀请人得 20 积分。" in page
    assert "被邀请的好友首次消费（到店或线上支付）后，直接邀请人得 50 积分。" in page
    entries = db.session.query(AuditLog).filter(AuditLog.action == "recruitment.settings").all()
    assert len(entries) == 1 and entries[0].after["rebind_guide_on_scan"] is True
    log = text_of(as_owner.get("/backoffice/audit"))
    assert "修改招募设置" in log


def test_does_saving_the_same_settings_again_add_no_audit_entry(as_owner, owner):
    assert as_owner.post(URL, data=good()).status_code == 302
    assert as_owner.post(URL, data=good()).status_code == 302
    assert count(AuditLog, AuditLog.action == "recruitment.settings") == 1


def test_does_switching_invites_off_say_so(as_owner, merchant):
    response = as_owner.post(URL, data=good(invite_enabled=None))
    assert response.status_code == 302
    assert stored(merchant).invite_enabled is False
    assert "邀请有礼已关闭" in text_of(as_owner.get(URL))


@pytest.mark.parametrize("change, message", [
    ({"join_1_points": "-5"}, "积分须在 0 到 1000000 之间"),
    ({"join_2_points": "99999999999999999999"}, "积分须在 0 到 1000000 之间"),
    ({"first_payment_3_points": "1000001"}, "积分须在 0 到 1000000 之间"),
    ({"join_1_points": "abc"}, "积分"),
    ({"join_1_points": "1\x002"}, "不允许的控制字符"),
    ({"join_1_coupon": "999999"}, "不是有效的选择"),
    ({"join_1_coupon": "99999999999999999999"}, "不是有效的选择"),
])
def test_is_bad_input_refused_with_nothing_saved(as_owner, merchant, change, message):
    response = as_owner.post(URL, data=good(**change))
    assert response.status_code == 400
    assert message in text_of(response)
    assert stored(merchant) is None


def test_is_another_merchants_coupon_refused(as_owner, make, merchant):
    elsewhere = make.merchant(name="别家")
    their_owner = make.staff(elsewhere, role=roles.OWNER)
    theirs = coupon(their_owner, title="别家的券")
    response = as_owner.post(URL, data=good(theirs))
    assert response.status_code == 400 and "不是有效的选择" in text_of(response)
    assert "别家的券" not in text_of(as_owner.get(URL))
    assert stored(merchant) is None


def test_is_a_stopped_coupon_shown_as_stopped_and_refused_on_saving(as_owner, merchant, owner):
    template = coupon(owner, title="旧券")
    assert as_owner.post(URL, data=good(template)).status_code == 302
    template.active = False
    db.session.commit()
    page = text_of(as_owner.get(URL))
    assert "旧券（已停止发放）" in page
    response = as_owner.post(URL, data=good(template, join_2_points="30"))
    assert response.status_code == 400 and "已停止发放，请另选" in text_of(response)
    assert stored(merchant).referral_rewards["join"][1]["points"] == 20


def test_does_the_preview_follow_the_input(as_owner, owner):
    template = coupon(owner, title="首单券")
    preview = as_owner.get(URL + "/preview", query_string={"invite_enabled": "y", "join_1_points": "-3",
                                                           "first_payment_1_coupon": str(template.id)})
    assert preview.get_json()["text"].startswith("被邀请的好友首次消费（到店或线上支付）后，直接邀请人得首单券")
    off = as_owner.get(URL + "/preview", query_string={"join_1_points": "10"})
    assert off.get_json()["text"].startswith("邀请有礼已关闭")


@pytest.mark.parametrize("role, allowed", [(roles.OPERATOR, True), (roles.ADMIN, True), (roles.CASHIER, False),
                                           (roles.GUIDE, False), (roles.CUSTOMER_SERVICE, False)])
def test_may_only_managers_and_operators_change_the_settings(sign_in_as, client, merchant, role, allowed):
    sign_in_as(role)
    response = client.post(URL, data=good())
    assert response.status_code == (302 if allowed else 403)
    assert (stored(merchant) is not None) == allowed


def test_does_the_member_page_show_the_referrer_and_the_invited_friends(as_owner, make, merchant, owner):
    referral_settings.save(db.session, owner, invite_enabled=True, rebind_guide_on_scan=False,
                           rewards={"join": [{"points": 30, "coupon_template_id": None}]})
    inviter = make.member(merchant, mobile="13900000401", name="老会员")
    friend = make.member(merchant, mobile="13900000402")
    referrals.after_join(db.session, merchant, friend, Touch.of(sources.for_member(db.session, inviter)))
    selfish = make.member(merchant, mobile="13900000403")
    referrals.after_join(db.session, merchant, selfish, Touch.of(sources.for_member(db.session, selfish)))
    db.session.commit()

    friend_page = text_of(as_owner.get(f"/backoffice/members/{friend.id}"))
    assert f'href="/backoffice/members/{inviter.id}"' in friend_page and "老会员" in friend_page
    inviter_page = text_of(as_owner.get(f"/backoffice/members/{inviter.id}"))
    assert f'/backoffice/members/{inviter.id}/invitees">1 人' in inviter_page
    selfish_page = text_of(as_owner.get(f"/backoffice/members/{selfish.id}"))
    assert "邀请未计入：不能邀请自己" in selfish_page

    invitees = text_of(as_owner.get(f"/backoffice/members/{inviter.id}/invitees"))
    assert "13900000402" in invitees and "30 积分" in invitees and "未消费" in invitees
    refused = text_of(as_owner.get(f"/backoffice/members/{selfish.id}/invitees"))
    assert "不能邀请自己" in refused and "未计入推荐" in refused


def test_is_another_merchants_member_invitees_page_not_found(as_owner, make):
    elsewhere = make.merchant(name="别家")
    outsider = make.member(elsewhere)
    db.session.commit()
    assert as_owner.get(f"/backoffice/members/{outsider.id}/invitees").status_code == 404
    assert as_owner.get("/backoffice/members/99999999999/invitees").status_code == 404


def test_does_a_guide_see_only_their_own_members_invitees(sign_in_as, client, make, merchant):
    guide = sign_in_as(roles.GUIDE)
    mine = make.member(merchant, guide_id=guide.id)
    other = make.member(merchant)
    db.session.commit()
    assert client.get(f"/backoffice/members/{mine.id}/invitees").status_code == 200
    assert client.get(f"/backoffice/members/{other.id}/invitees").status_code == 404
    assert members.get_visible_member  # the same rule as the member page

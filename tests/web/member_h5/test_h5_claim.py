"""Claiming the member card: phone + SMS code, required industry fields, one member per phone, one gift."""
from sqlalchemy import func, select

from models import Fan, Member, MemberIdentity, PointsTransaction, SandboxOutbox
from models.rewards import RewardGrant
from services.rewards import gifts as gift_rules
from services.members import fields as member_fields, join as member_join, members
from tests.integration.helpers import run_concurrently
from tests.web.member_h5 import test_h5_support
from tests.web.helpers import count, text_of
from tests.web.member_h5.test_h5_support import (
    ALIPAY_UA, alipay_login, alipay_user, claim_card, latest_sms_code, sign_in, wechat_login, wechat_user)

shop = test_h5_support.shop  # the fixture


def _owner(make, merchant):
    from domain import roles

    return make.staff(merchant, role=roles.OWNER)


def test_does_claiming_from_wechat_then_alipay_with_the_same_phone_make_one_member_with_two_identities(
        app, db, shop):
    in_wechat, in_alipay = app.test_client(), app.test_client()
    wechat_login(in_wechat, shop, wechat_user(db, shop))
    first = claim_card(in_wechat, db, shop, "13900000001", name="小王")
    assert first.status_code == 302 and first.headers["Location"].endswith("/member")
    alipay_login(in_alipay, shop, alipay_user(db, shop))
    # The resend wait is per phone; a minute later the same phone asks again from Alipay.
    _age_codes(db, "13900000001")
    second = claim_card(in_alipay, db, shop, "13900000001", ua=ALIPAY_UA)
    assert second.status_code == 302, text_of(second)
    db.session.expire_all()
    assert count(Member, Member.merchant_id == shop.id) == 1
    member = members.find_by_mobile(db.session, shop.id, "13900000001")
    kinds = sorted(i.kind for i in member.identities)
    assert kinds == ["alipay_user_id", "wechat_openid", "wechat_unionid"]
    assert member.name == "小王"


def test_is_the_registration_gift_granted_once_per_member(app, db, shop):
    in_wechat, in_alipay = app.test_client(), app.test_client()
    wechat_login(in_wechat, shop, wechat_user(db, shop))
    claim_card(in_wechat, db, shop, "13900000002")
    alipay_login(in_alipay, shop, alipay_user(db, shop))
    _age_codes(db, "13900000002")
    claim_card(in_alipay, db, shop, "13900000002", ua=ALIPAY_UA)
    member = members.find_by_mobile(db.session, shop.id, "13900000002")
    gifts = db.session.scalars(select(PointsTransaction).where(
        PointsTransaction.member_id == member.id, PointsTransaction.note == "开卡礼")).all()
    assert [g.amount for g in gifts] == [100]
    assert member.points_balance == 100


def test_is_a_registration_rule_made_after_the_first_claim_not_given_when_the_other_app_is_bound(app, db, shop):
    in_wechat, in_alipay = app.test_client(), app.test_client()
    wechat_login(in_wechat, shop, wechat_user(db, shop))
    claim_card(in_wechat, db, shop, "13900000017")
    db.session.add(gift_rules.points_rule(shop.id, "registration", "新开卡礼", 50))
    db.session.commit()
    alipay_login(in_alipay, shop, alipay_user(db, shop))
    _age_codes(db, "13900000017")
    assert claim_card(in_alipay, db, shop, "13900000017", ua=ALIPAY_UA).status_code == 302
    db.session.expire_all()
    member = members.find_by_mobile(db.session, shop.id, "13900000017")
    assert sorted(i.kind for i in member.identities) == ["alipay_user_id", "wechat_openid", "wechat_unionid"]
    assert member.points_balance == 100  # the first claim's gift only
    assert count(RewardGrant, RewardGrant.member_id == member.id) == 1


def test_does_a_member_made_at_the_till_get_the_registration_gift_on_claiming_the_card(make, client, db, shop):
    existing = make.member(shop, mobile="13900000018")
    db.session.commit()
    wechat_login(client, shop, wechat_user(db, shop))
    assert claim_card(client, db, shop, "13900000018").status_code == 302
    db.session.expire_all()
    assert db.session.get(Member, existing.id).points_balance == 100


def test_does_the_member_centre_show_the_qr_code_and_the_registration_points(client, db, shop):
    wechat_login(client, shop, wechat_user(db, shop))
    claim_card(client, db, shop, "13900000003")
    page = text_of(client.get(f"/h5/{shop.slug}/member"))
    assert "<svg" in page and 'id="member-qr"' in page
    assert 'id="points-balance">100<' in page
    assert "普通" in page  # the base level


def test_are_the_merchants_required_industry_fields_enforced(make, client, db, shop):
    owner = _owner(make, shop)
    member_fields.save_field(db.session, owner, None, key="plate", label="车牌号", field_type="text", required=True)
    member_fields.save_field(db.session, owner, None, key="size", label="尺码", field_type="select",
                             options_text="S,M,L", required=True)
    db.session.commit()
    wechat_login(client, shop, wechat_user(db, shop))
    page = text_of(client.get(f"/h5/{shop.slug}/claim"))
    assert "车牌号" in page and "尺码" in page
    refused = claim_card(client, db, shop, "13900000004")
    assert refused.status_code == 400
    assert "请填写车牌号" in text_of(refused) and "请填写尺码" in text_of(refused)
    assert count(Member, Member.merchant_id == shop.id) == 0
    # The code was not spent by the refusal: the same code works once the fields are filled in.
    code = latest_sms_code(db, "13900000004")
    accepted = client.post(f"/h5/{shop.slug}/claim", data={
        "action": "claim", "mobile": "13900000004", "code": code, "gender": "female", "f_plate": "沪A12345",
        "f_size": "M", "birthday": "1990-02-03"})
    assert accepted.status_code == 302, text_of(accepted)
    member = members.find_by_mobile(db.session, shop.id, "13900000004")
    assert member.custom_fields == {"plate": "沪A12345", "size": "M"}
    assert member.gender == "female" and member.birthday.isoformat() == "1990-02-03"


def test_is_a_wrong_sms_code_refused_and_no_member_created(client, db, shop):
    wechat_login(client, shop, wechat_user(db, shop))
    client.post(f"/h5/{shop.slug}/claim", data={"action": "send_code", "mobile": "13900000005"})
    right = latest_sms_code(db, "13900000005")
    wrong = "000000" if right != "000000" else "111111"
    response = client.post(f"/h5/{shop.slug}/claim", data={"action": "claim", "mobile": "13900000005", "code": wrong})
    assert response.status_code == 400
    assert "验证码不正确，还可尝试 4 次" in text_of(response)
    assert count(Member, Member.merchant_id == shop.id) == 0


def test_is_a_code_for_another_phone_refused(client, db, shop):
    wechat_login(client, shop, wechat_user(db, shop))
    client.post(f"/h5/{shop.slug}/claim", data={"action": "send_code", "mobile": "13900000006"})
    code = latest_sms_code(db, "13900000006")
    response = client.post(f"/h5/{shop.slug}/claim", data={"action": "claim", "mobile": "13900000007", "code": code})
    assert response.status_code == 400
    assert count(Member, Member.merchant_id == shop.id) == 0


def test_is_an_account_already_bound_to_another_phone_refused_with_a_clear_message(client, db, shop):
    person = wechat_user(db, shop)
    wechat_login(client, shop, person)
    claim_card(client, db, shop, "13900000008")
    # The same WeChat user, signed in again but the page still open on the claim form (e.g. a second tab).
    login = member_join.ChannelLogin(shop.id, "wechat", shop.wechat_app_id, person.user_key)
    try:
        member_join.join(db.session, shop, login, mobile="13900000009", profile=member_join.Profile())
    except Exception as exc:  # noqa: BLE001
        assert "已绑定手机号 139****0008" in str(exc)
    else:
        raise AssertionError("binding a second phone should be refused")
    db.session.rollback()
    assert count(Member, Member.merchant_id == shop.id) == 1


def test_is_an_identity_owned_by_another_member_refused(make, db, shop):
    someone = make.member(shop, mobile="13900000010")
    members.bind_identity(db.session, someone, "alipay_user_id", "2088000000000001")
    db.session.commit()
    login = member_join.ChannelLogin(shop.id, "alipay", "", "2088000000000001")
    # The login is bound already, so it is that member; claiming another phone is refused.
    try:
        member_join.join(db.session, shop, login, mobile="13900000011", profile=member_join.Profile())
    except Exception as exc:  # noqa: BLE001
        assert "已绑定" in str(exc)
    else:
        raise AssertionError("expected IdentityTaken")


def test_is_the_fan_row_linked_to_the_member_on_claim(client, db, shop):
    person = wechat_user(db, shop)
    db.session.add(Fan(merchant_id=shop.id, app_id=shop.wechat_app_id, openid=person.user_key, subscribed=True))
    db.session.commit()
    wechat_login(client, shop, person)
    claim_card(client, db, shop, "13900000012")
    db.session.expire_all()
    fan = db.session.scalars(select(Fan).where(Fan.openid == person.user_key)).one()
    assert fan.member_id == members.find_by_mobile(db.session, shop.id, "13900000012").id


def test_does_an_existing_member_from_the_till_keep_their_profile_and_get_the_login_bound(make, client, db, shop):
    existing = make.member(shop, mobile="13900000013", name="老会员")
    db.session.commit()
    wechat_login(client, shop, wechat_user(db, shop))
    response = claim_card(client, db, shop, "13900000013", name="新名字")
    assert response.status_code == 302
    db.session.expire_all()
    member = db.session.get(Member, existing.id)
    assert member.name == "老会员"
    assert any(i.kind == "wechat_openid" for i in member.identities)


def test_do_concurrent_claims_of_one_phone_make_one_member(app, db, shop):
    logins = [member_join.ChannelLogin(shop.id, "wechat", shop.wechat_app_id, f"o-concurrent-{i}")
              for i in range(2)] + [member_join.ChannelLogin(shop.id, "alipay", "", f"208800000000000{i}")
                                    for i in range(2)]
    from models import Merchant

    def claim(session, index):
        merchant = session.get(Merchant, shop.id)
        return member_join.join(session, merchant, logins[index], mobile="13900000014",
                                profile=member_join.Profile(name=f"并发{index}")).id

    results, errors = run_concurrently(app, len(logins), claim)
    assert not errors, [e.message for e in errors]
    assert len(set(results)) == 1
    db.session.expire_all()
    assert count(Member, Member.merchant_id == shop.id) == 1
    assert count(MemberIdentity, MemberIdentity.member_id == results[0],
                 MemberIdentity.kind.in_(("wechat_openid", "alipay_user_id"))) == 4
    assert db.session.get(Member, results[0]).points_balance == 100


def test_does_a_double_submit_of_the_claim_form_end_on_the_member_centre(client, db, shop):
    wechat_login(client, shop, wechat_user(db, shop))
    client.post(f"/h5/{shop.slug}/claim", data={"action": "send_code", "mobile": "13900000015"})
    data = {"action": "claim", "mobile": "13900000015", "code": latest_sms_code(db, "13900000015")}
    assert client.post(f"/h5/{shop.slug}/claim", data=data).status_code == 302
    again = client.post(f"/h5/{shop.slug}/claim", data=data)
    assert again.status_code == 302 and again.headers["Location"].endswith("/member")
    assert count(Member, Member.merchant_id == shop.id) == 1


def test_does_asking_for_a_code_send_an_sms_to_the_sandbox_outbox(client, db, shop):
    sign_in(client, shop, "wechat", "o-sms-user")
    response = client.post(f"/h5/{shop.slug}/claim", data={"action": "send_code", "mobile": "139 0000 0016"})
    assert response.status_code == 200
    assert "验证码已发送" in text_of(response)
    assert 'data-wait="60"' in text_of(response) or 'data-wait="59"' in text_of(response)
    texts = db.session.scalars(select(SandboxOutbox.payload).where(SandboxOutbox.kind == "sms",
                                                                   SandboxOutbox.recipient == "13900000016")).all()
    assert len(texts) == 1 and "测试咖啡" in texts[0]["text"]
    too_soon = client.post(f"/h5/{shop.slug}/claim", data={"action": "send_code", "mobile": "13900000016"})
    assert too_soon.status_code == 429 and "秒后再获取" in text_of(too_soon)


def test_is_the_claim_page_for_a_bound_login_the_member_centre(client, db, shop):
    wechat_login(client, shop, wechat_user(db, shop))
    claim_card(client, db, shop, "13900000017")
    response = client.get(f"/h5/{shop.slug}/claim")
    assert response.status_code == 302 and response.headers["Location"].endswith("/member")


def _age_codes(db, mobile):
    """Move the phone's codes a minute into the past (as if the person waited before asking again)."""
    from datetime import timedelta

    from models import SmsCode

    for row in db.session.scalars(select(SmsCode).where(SmsCode.mobile == mobile)).all():
        row.created_at = row.created_at - timedelta(seconds=61)
    db.session.commit()


def _count_members(db, merchant_id):
    return db.session.scalar(select(func.count(Member.id)).where(Member.merchant_id == merchant_id))


def test_with_csrf_on_is_a_post_without_the_forms_token_refused(app, client, db, shop):
    import re

    sign_in(client, shop, "wechat", "o-csrf-user")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post(f"/h5/{shop.slug}/claim", data={"action": "send_code", "mobile": "13900000020"})
        assert refused.status_code == 400 and "页面已过期" in text_of(refused)
        page = text_of(client.get(f"/h5/{shop.slug}/claim"))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        sent = client.post(f"/h5/{shop.slug}/claim", data={"action": "send_code", "mobile": "13900000020",
                                                          "csrf_token": token})
        assert sent.status_code == 200 and "验证码已发送" in text_of(sent)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

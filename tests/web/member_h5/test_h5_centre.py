"""The member centre: refreshing QR code, points, balance, level progress, profile; one merchant's data only."""
from datetime import timedelta

import pytest

from domain.clock import now_utc
from models import Member
from services.members import fields as member_fields, qr as member_qr, members
from services.points import ledger as points
from services.wallet import journal as wallet
from services.members.qr import MemberQrExpired, MemberQrInvalid
from tests.web.member_h5 import test_h5_support
from tests.web.helpers import fresh, text_of
from tests.web.member_h5.test_h5_support import provision, sign_in

shop = test_h5_support.shop  # the fixture
OPENID = "o-centre-member-000000000000001"


@pytest.fixture()
def member(make, db, shop):
    person = make.member(shop, mobile="13500000001", name="李雷")
    members.bind_identity(db.session, person, "wechat_openid", OPENID, shop.wechat_app_id)
    db.session.commit()
    return person


@pytest.fixture()
def phone(client, shop, member):
    """The test client signed in as the member through WeChat."""
    sign_in(client, shop, "wechat", OPENID)
    return client


def test_does_the_member_qr_token_resolve_to_the_member_within_60_seconds(db, shop, member):
    issued = now_utc()
    token = member_qr.issue(member, now=issued)
    assert member_qr.resolve(db.session, shop.id, token, now=issued + timedelta(seconds=60)).id == member.id


def test_does_the_member_qr_expire_after_60_seconds(db, shop, member):
    issued = now_utc()
    token = member_qr.issue(member, now=issued)
    with pytest.raises(MemberQrExpired):
        member_qr.resolve(db.session, shop.id, token, now=issued + timedelta(seconds=61))


def test_is_a_forged_or_altered_member_qr_refused(db, shop, member):
    token = member_qr.issue(member)
    payload, signature = token.rsplit(".", 1)
    for bad in ("", "garbage", payload + ".AAAA", payload[:-2] + "xx." + signature, token + "x"):
        with pytest.raises(MemberQrInvalid):
            member_qr.resolve(db.session, shop.id, bad)


def test_is_a_member_qr_of_another_merchant_refused(make, db, shop, member):
    other = make.merchant(name="别家")
    db.session.commit()
    with pytest.raises(MemberQrInvalid):
        member_qr.resolve(db.session, other.id, member_qr.issue(member))


def test_is_a_qr_issued_in_the_future_refused(db, shop, member):
    token = member_qr.issue(member, now=now_utc() + timedelta(minutes=5))
    with pytest.raises(MemberQrInvalid):
        member_qr.resolve(db.session, shop.id, token)


def test_is_a_disabled_members_qr_refused(db, shop, member):
    token = member_qr.issue(member)
    member.status = "disabled"
    db.session.commit()
    with pytest.raises(MemberQrInvalid):
        member_qr.resolve(db.session, shop.id, token)


def test_does_the_centre_show_the_card_and_a_qr_that_refreshes(phone, db, shop, member):
    page = text_of(phone.get(f"/h5/{shop.slug}/member"))
    assert "李雷" in page
    assert "135****0001" in page and "普通" in page
    assert 'data-url="/h5/{}/member/qr.json"'.format(shop.slug) in page
    assert 'refreshing_qr.js" data-box="member-qr" data-every-ms="30000"' in page
    refreshed = phone.get(f"/h5/{shop.slug}/member/qr.json")
    assert refreshed.status_code == 200 and refreshed.is_json
    assert refreshed.json["svg"].startswith("<svg") and refreshed.json["expires_in"] == 60
    assert refreshed.headers["Cache-Control"] == "no-store"


def test_without_a_login_is_the_qr_refresh_a_401(client, shop):
    response = client.get(f"/h5/{shop.slug}/member/qr.json")
    assert response.status_code == 401 and response.is_json


def test_does_a_login_without_a_card_go_to_the_claim_page(client, shop):
    sign_in(client, shop, "wechat", "o-not-a-member")
    assert client.get(f"/h5/{shop.slug}/member").headers["Location"].endswith("/claim")
    assert client.get(f"/h5/{shop.slug}/member/qr.json").status_code == 403


def test_does_the_points_page_show_history_and_lots_expiring_soon(phone, db, shop, member):
    shop.points_expiry_mode, shop.points_expiry_days = "days", 30
    points.earn(db.session, shop, member.id, 120, key="o:1", reason="午餐消费")
    points.spend(db.session, shop, member.id, 20, key="o:2", reason="兑换咖啡")
    db.session.commit()
    page = text_of(phone.get(f"/h5/{shop.slug}/member/points"))
    assert 'id="points-balance">100<' in page
    assert "午餐消费" in page and "+120" in page and "兑换咖啡" in page and "-20" in page
    assert 'id="expiring-lots"' in page and "100 积分" in page


def test_does_the_balance_page_show_principal_bonus_and_the_journal(phone, db, shop, member):
    purse = wallet.member_wallet(db.session, shop.id, member.id)
    wallet.credit(db.session, shop.id, purse.id, 10000, 2000, key="t:1", note="充100送20")
    wallet.debit(db.session, shop.id, purse.id, 3000, key="d:1", note="门店消费")
    db.session.commit()
    page = text_of(phone.get(f"/h5/{shop.slug}/member/balance"))
    assert 'id="wallet-balance">¥90.00<' in page
    assert "本金 ¥75.00 · 赠送 ¥15.00" in page
    assert "充100送20" in page and "+¥120.00" in page and "门店消费" in page and "-¥30.00" in page


def test_does_the_level_page_show_benefits_and_progress_to_the_next_level(phone, db, shop, member):
    member.total_spend, member.visit_count = 40000, 4
    db.session.commit()
    page = text_of(phone.get(f"/h5/{shop.slug}/member/level"))
    assert "当前等级" in page and "普通" in page
    assert "距离银卡" in page
    assert "累计消费 ¥400.00 / ¥1000.00" in page and "还差 ¥600.00" in page
    assert "到店 4 / 10 次" in page and "还差 6 次" in page
    assert "折扣：9.5 折" in page and "积分：1.2 倍" in page  # 银卡's benefits in the ladder


def test_at_the_top_level_is_there_no_next_level(phone, db, shop, member):
    member.total_spend = 600000
    from services.members import levels

    levels.apply_upgrade(db.session, member)
    db.session.commit()
    page = text_of(phone.get(f"/h5/{shop.slug}/member/level"))
    assert "您已是最高等级" in page and "8.8 折" in page


def test_can_the_member_edit_their_profile_and_industry_fields(make, phone, db, shop, member):
    from domain import roles

    owner = make.staff(shop, role=roles.OWNER)
    member_fields.save_field(db.session, owner, None, key="taste", label="口味", field_type="select",
                             options_text="美式,拿铁", required=True)
    member.custom_fields = {"legacy": "kept"}
    db.session.commit()
    form = text_of(phone.get(f"/h5/{shop.slug}/member/profile"))
    assert "口味" in form and 'value="李雷"' in form
    refused = phone.post(f"/h5/{shop.slug}/member/profile", data={"name": "韩梅梅", "gender": "female"})
    assert refused.status_code == 400 and "请填写口味" in text_of(refused)
    saved = phone.post(f"/h5/{shop.slug}/member/profile", data={
        "name": "韩梅梅", "gender": "female", "birthday": "1992-05-06", "f_taste": "拿铁"})
    assert saved.status_code == 302
    updated = fresh(member)
    assert (updated.name, updated.gender, updated.birthday.isoformat()) == ("韩梅梅", "female", "1992-05-06")
    assert updated.birthday_month == 5
    assert updated.custom_fields == {"legacy": "kept", "taste": "拿铁"}
    assert updated.mobile == "13500000001"


def test_is_a_future_birthday_refused(phone, shop, member):
    future = (now_utc() + timedelta(days=3)).date().isoformat()
    response = phone.post(f"/h5/{shop.slug}/member/profile", data={"name": "x", "gender": "male", "birthday": future})
    assert response.status_code == 400 and "生日不正确" in text_of(response)


def test_can_a_session_for_merchant_a_see_nothing_of_merchant_b(make, db, phone, shop, member):
    other = provision(db, make.merchant(name="别家店"))
    stranger = make.member(other, mobile="13500000009", name="别家会员")
    # Even the same openid value bound at B does not make A's login a login at B.
    members.bind_identity(db.session, stranger, "wechat_openid", OPENID, shop.wechat_app_id)
    db.session.commit()
    for path in ("member", "member/points", "member/balance", "member/level", "member/profile", "claim"):
        response = phone.get(f"/h5/{other.slug}/{path}")
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith(f"/h5/{other.slug}/"), path
        assert "别家会员" not in text_of(response)
    assert phone.get(f"/h5/{other.slug}/member/qr.json").status_code == 401
    posted = phone.post(f"/h5/{other.slug}/member/profile", data={"name": "篡改", "gender": "male"})
    assert posted.status_code == 302
    assert fresh(stranger).name == "别家会员"
    # A's own pages still show A's member.
    assert "135****0001" in text_of(phone.get(f"/h5/{shop.slug}/member"))


def test_is_a_login_forged_for_another_merchants_id_ignored(client, make, db, shop, member):
    other = provision(db, make.merchant(name="别家店"))
    with client.session_transaction() as session:
        session["h5_login"] = {"m": other.id, "c": "wechat", "a": shop.wechat_app_id, "u": OPENID, "n": None}
    assert client.get(f"/h5/{shop.slug}/member").status_code == 302
    assert db.session.get(Member, member.id) is not None


def test_does_a_disabled_member_see_that_the_card_is_disabled(phone, db, shop, member):
    member.status = "disabled"
    db.session.commit()
    response = phone.get(f"/h5/{shop.slug}/member")
    assert response.status_code == 403 and "会员卡已停用" in text_of(response)
    assert phone.get(f"/h5/{shop.slug}/member/qr.json").status_code == 403
    assert phone.get(f"/h5/{shop.slug}/claim").headers["Location"].endswith("/member")


def test_does_the_member_centre_lead_to_the_shops_and_the_orders(phone, shop):
    page = text_of(phone.get(f"/h5/{shop.slug}/member"))
    for target in ("/shop", "/gift-cards/shop", "/orders", "/topup"):
        assert f'href="/h5/{shop.slug}{target}"' in page

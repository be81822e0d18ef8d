"""会员详情 on the staff page (seed 004 5.2 移动POS会员查询): reached from the member found on the 会员 tab, it shows
identity, level, balance (principal and bonus), points with the soonest expiry, holdings counts and the last 20
records; a guide sees only their own members, a verifier none; another merchant's member is 404."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from domain import roles
from domain.clock import now_utc
from models import PointsLot
from services.members import members as member_service
from services.points import ledger
from services.till import checkout
from tests.web.helpers import text_of
from tests.web.staff_h5.test_staff_h5 import staff_login

PHONE = "13912345360"


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant(name="详情咖啡")
    east = make.store(merchant, "东门店")
    owner = make.staff(merchant, role=roles.OWNER, username="boss")
    cashier = make.staff(merchant, role=roles.CASHIER, username="east", stores_=[east])
    verifier = make.staff(merchant, role=roles.VERIFIER, username="checker", stores_=[east])
    guide = make.staff(merchant, role=roles.GUIDE, username="guide", stores_=[east])
    member = make.member(merchant, mobile=PHONE, name="王小明")
    member_service.bind_identity(db.session, member, "card_no", "8800360001")
    make.wallet(merchant, member, principal=10000, bonus=1500)
    soon = ledger.earn(db.session, merchant, member.id, 40, key="seed:soon")
    db.session.scalars(select(PointsLot).where(PointsLot.transaction_id == soon.id)).one().expires_at = (
        now_utc() + timedelta(days=3))  # the merchant's expiry rule, as if it were set to three days
    for n in range(24):
        ledger.adjust(db.session, merchant, member.id, 1, key=f"seed:adj{n}", reason=f"补录{n}", operator=owner)
    checkout.pay(db.session, merchant, owner, store_id=east.id, member_id=member.id, amount=2000, tender="cash",
                 choice=None, seed="s", key="detail-pay")
    other = make.merchant(name="隔壁")
    stranger = make.member(other, mobile="13700000360")
    db.session.commit()
    return dict(merchant=merchant, east=east, owner=owner, cashier=cashier, verifier=verifier, guide=guide,
                member=member, stranger=stranger)


def detail(client, member):
    return client.get(f"/staff/members/{member.id}/detail")


def test_does_a_cashier_see_identity_level_assets_and_the_last_twenty_records(client, shop):
    staff_login(client, shop["cashier"])
    found = client.post("/staff/members", data={"code": PHONE})
    assert f'/staff/members/{shop["member"].id}/detail' in found.get_data(as_text=True)
    response = detail(client, shop["member"])
    assert response.status_code == 200
    body = text_of(response)
    for expected in ("王小明", "实体卡号", "8800360001", "当前等级", "¥115.00", "本金 ¥100.00，赠送 ¥15.00",
                     "40 积分将于", "可用优惠券", "消费 ¥20.00（现金）", "东门店", "最近记录（20）"):
        assert expected in body, expected
    assert response.get_data(as_text=True).count('data-kind="') == 20
    assert "补录0" not in body  # older than the last twenty


def test_does_a_guide_see_only_their_own_members(client, db, shop):
    staff_login(client, shop["guide"])
    assert detail(client, shop["member"]).status_code == 404
    shop["member"].guide_id = shop["guide"].id
    db.session.commit()
    assert detail(client, shop["member"]).status_code == 200


def test_is_a_verifier_told_they_may_not(client, shop):
    staff_login(client, shop["verifier"])
    response = detail(client, shop["member"])
    assert response.status_code == 403 and "不能查看会员详情" in text_of(response)


def test_is_another_merchants_member_or_a_huge_id_not_found(client, shop):
    staff_login(client, shop["cashier"])
    assert detail(client, shop["stranger"]).status_code == 404
    assert client.get("/staff/members/99999999999999999999/detail").status_code == 404

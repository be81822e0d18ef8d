"""Back office: the member detail page."""
from domain import roles
from services.members import levels as level_service, fields as member_fields, members as member_service
from services.points import ledger as points_service
from tests.web.helpers import text_of


def test_does_the_detail_page_show_profile_points_wallet_levels_and_audit(as_owner, make, db, merchant, owner, store):
    member_fields.save_field(db.session, owner, None, key="taste", label="口味偏好", field_type="select",
                             options_text="美式,拿铁")
    member_fields.save_field(db.session, owner, None, key="smoker", label="吸烟", field_type="boolean")
    member = make.member(merchant, mobile="13800138000", name="张伟", custom_fields={"taste": "拿铁", "smoker": "1"},
                         home_store_id=store.id, actor=owner)
    member.total_spend = 40000
    member_service.bind_identity(db.session, member, "card_no", "8800000001")
    points_service.earn(db.session, merchant, member.id, 300, key="t:earn", reason="消费积分")
    points_service.adjust(db.session, merchant, member.id, -20, key="t:adj", reason="兑换礼品", operator=owner,
                          store_id=store.id)
    make.wallet(merchant, member, principal=10000, bonus=1000)
    gold = [lv for lv in level_service.list_levels(db.session, merchant.id) if lv.name == "金卡"][0]
    level_service.set_level_manually(db.session, owner, member, gold.id, "老客户关怀")
    db.session.commit()

    response = as_owner.get(f"/backoffice/members/{member.id}")
    assert response.status_code == 200
    body = text_of(response)
    for expected in ("13800138000", "张伟", "人民广场店", "口味偏好", "拿铁", "吸烟", "是",  # profile
                     "实体卡号", "8800000001",  # identities
                     "永久有效", "消费积分", "兑换礼品", "-20", "+300", "280",  # points
                     "¥100.00", "¥10.00", "¥110.00", "充值",  # wallet and journal
                     "金卡", "手动调整", "老客户关怀", "已是最高等级",  # levels
                     "操作记录", "调整会员等级", "新增会员"):  # audit
        assert expected in body, expected


def test_does_the_page_show_how_far_the_next_level_is(as_owner, make, db, merchant):
    member = make.member(merchant)
    member.total_spend, member.visit_count = 40000, 4
    db.session.commit()
    body = text_of(as_owner.get(f"/backoffice/members/{member.id}"))
    assert "距离 银卡 还差" in body and "¥600.00" in body and "6 次" in body


def test_does_a_cashier_see_a_masked_mobile_and_no_actions_or_audit(sign_in_as, client, make, db, merchant):
    member = make.member(merchant, mobile="13800138000")
    db.session.commit()
    sign_in_as(roles.CASHIER)
    body = text_of(client.get(f"/backoffice/members/{member.id}"))
    assert "138****8000" in body and "13800138000" not in body
    for hidden in ("调整积分", "调整等级", "编辑资料", "冻结储值", "绑定实体卡", "操作记录"):
        assert hidden not in body


def test_is_another_guides_customer_hidden_from_a_guide(sign_in_as, client, make, db, merchant):
    member = make.member(merchant)
    db.session.commit()
    sign_in_as(roles.GUIDE)
    assert client.get(f"/backoffice/members/{member.id}").status_code == 404


def test_is_an_unknown_member_id_a_404(as_owner):
    assert as_owner.get("/backoffice/members/999999").status_code == 404

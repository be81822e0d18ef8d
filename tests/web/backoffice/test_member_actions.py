"""Back office: adjusting points, setting a level, freezing the wallet, binding a physical card."""
import re

import pytest

from domain import roles
from models import AuditLog, LevelChange, MemberIdentity, PointsTransaction, WalletTransaction
from services.members import levels as level_service, members as member_service
from services.points import ledger as points_service
from services.wallet import journal as wallet_service
from tests.web.helpers import count, fresh, text_of


def hidden(body, name):
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', body).group(1)


@pytest.fixture()
def member(make, db, merchant):
    person = make.member(merchant, mobile="13800138000", name="张伟")
    points_service.earn(db.session, merchant, person.id, 100, key="t:earn")
    make.wallet(merchant, person, principal=5000)
    db.session.commit()
    return person


# --- points ---------------------------------------------------------------------------------------

def test_can_an_operator_add_points_with_a_reason(sign_in_as, client, member, store):
    operator = sign_in_as(roles.OPERATOR)
    form = text_of(client.get(f"/backoffice/members/{member.id}/points"))
    key = hidden(form, "idempotency_key")
    assert key.startswith("points-adjust:")
    response = client.post(f"/backoffice/members/{member.id}/points", data={
        "direction": "add", "points": "50", "reason": "活动奖励", "store_id": str(store.id), "idempotency_key": key})
    assert response.status_code == 302 and response.location.endswith(f"/backoffice/members/{member.id}")
    assert fresh(member).points_balance == 150
    txn = fresh_txn(key)
    assert (txn.kind, txn.amount, txn.note) == ("adjust", 50, "活动奖励")
    assert (txn.operator_id, txn.store_id) == (operator.id, store.id)
    assert "积分已调整 +50，调整后积分 150" in text_of(client.get(response.location))


def test_can_a_manager_deduct_points(as_owner, member):
    response = as_owner.post(f"/backoffice/members/{member.id}/points", data={
        "direction": "deduct", "points": "30", "reason": "兑换礼品", "idempotency_key": "points-adjust:k1"})
    assert response.status_code == 302
    assert fresh(member).points_balance == 70


def test_does_a_double_submit_with_the_same_key_apply_once(as_owner, member):
    data = {"direction": "add", "points": "40", "reason": "补录积分", "idempotency_key": "points-adjust:twice"}
    first = as_owner.post(f"/backoffice/members/{member.id}/points", data=data)
    second = as_owner.post(f"/backoffice/members/{member.id}/points", data=data)
    assert first.status_code == second.status_code == 302
    assert fresh(member).points_balance == 140
    assert count(PointsTransaction, PointsTransaction.kind == "adjust") == 1
    assert "积分已调整 +40，调整后积分 140" in text_of(as_owner.get(second.location))


def test_is_deducting_more_than_the_member_has_refused_clearly(as_owner, member):
    response = as_owner.post(f"/backoffice/members/{member.id}/points", data={
        "direction": "deduct", "points": "101", "reason": "兑换", "idempotency_key": "points-adjust:too-much"})
    assert response.status_code == 400
    assert "积分不足：可用 100，需要 101" in text_of(response)
    assert fresh(member).points_balance == 100
    assert count(PointsTransaction, PointsTransaction.kind == "adjust") == 0


@pytest.mark.parametrize("data, message", [
    ({"points": "abc"}, "不是有效的整数"),
    ({"points": "0"}, "积分须为 1 到 100000000 之间的整数"),
    ({"points": "-5"}, "积分须为 1 到 100000000 之间的整数"),
    ({"points": "100000001"}, "积分须为 1 到 100000000 之间的整数"),
    ({"reason": ""}, "请填写调整原因"),
    ({"reason": "因" * 201}, "调整原因不能超过 200 字"),
    ({"idempotency_key": ""}, "页面已过期，请刷新后重试"),
    ({"store_id": "abc"}, "选择无效"),
])
def test_is_a_bad_points_adjustment_refused_with_a_clear_message(as_owner, member, data, message):
    posted = {"direction": "add", "points": "10", "reason": "测试", "idempotency_key": "points-adjust:bad"}
    posted.update(data)
    response = as_owner.post(f"/backoffice/members/{member.id}/points", data=posted)
    assert response.status_code == 400
    assert message in text_of(response)
    assert fresh(member).points_balance == 100


def test_is_reusing_a_key_for_a_different_adjustment_refused(as_owner, member):
    url = f"/backoffice/members/{member.id}/points"
    as_owner.post(url, data={"direction": "add", "points": "10", "reason": "一", "idempotency_key": "points-adjust:x"})
    response = as_owner.post(url, data={"direction": "add", "points": "20", "reason": "二",
                                        "idempotency_key": "points-adjust:x"})
    assert response.status_code == 400
    assert "该幂等键已用于另一笔不同的操作" in text_of(response)
    assert fresh(member).points_balance == 110


# --- level ----------------------------------------------------------------------------------------

def test_can_a_manager_set_a_level_by_hand(as_owner, db, merchant, member, owner):
    gold = level_named(db, merchant, "金卡")
    assert "金卡" in text_of(as_owner.get(f"/backoffice/members/{member.id}/level"))
    response = as_owner.post(f"/backoffice/members/{member.id}/level", data={"level_id": str(gold.id), "note": "大客户"})
    assert response.status_code == 302
    assert fresh(member).level_id == gold.id
    change = db.session.query(LevelChange).filter_by(member_id=member.id, reason="manual").one()
    assert (change.note, change.operator_id) == ("大客户", owner.id)
    assert count(AuditLog, AuditLog.action == "member.set_level") == 1


@pytest.mark.parametrize("note, level_name, message", [
    ("", "金卡", "请填写调整原因"), ("因" * 201, "金卡", "调整原因不能超过 200 字"), ("测试", "普通", "会员已是该等级"),
])
def test_is_a_bad_level_change_refused(as_owner, db, merchant, member, note, level_name, message):
    level = level_named(db, merchant, level_name)
    response = as_owner.post(f"/backoffice/members/{member.id}/level", data={"level_id": str(level.id), "note": note})
    assert response.status_code == 400
    assert message in text_of(response)
    assert fresh(member).level.name == "普通"
    assert count(LevelChange, LevelChange.reason == "manual") == 0


# --- wallet ---------------------------------------------------------------------------------------

def freeze_form(client, member):
    body = text_of(client.get(f"/backoffice/members/{member.id}"))
    return {name: hidden(body, name) for name in ("wallet_id", "frozen", "key")}


def test_can_a_manager_freeze_and_unfreeze_a_wallet(as_owner, db, merchant, member):
    data = freeze_form(as_owner, member)
    assert data["frozen"] == "1"
    response = as_owner.post(f"/backoffice/members/{member.id}/wallet/freeze", data={**data, "reason": "挂失"})
    assert response.status_code == 302
    purse = wallet_service.member_wallet(db.session, merchant.id, member.id)
    db.session.refresh(purse)
    assert purse.frozen is True
    assert "储值账户已冻结" in text_of(as_owner.get(response.location))
    entry = db.session.query(AuditLog).filter_by(action="wallet.freeze", target_id=str(member.id)).one()
    assert entry.after["note"] == "挂失"

    data = freeze_form(as_owner, member)
    assert data["frozen"] == "0"
    assert as_owner.post(f"/backoffice/members/{member.id}/wallet/freeze",
                         data={**data, "reason": "找回"}).status_code == 302
    db.session.refresh(purse)
    assert purse.frozen is False
    assert count(AuditLog, AuditLog.action == "wallet.unfreeze") == 1
    kinds = [t.kind for t in wallet_service.journal_of(db.session, merchant.id, purse.id)]
    assert kinds[:2] == ["unfreeze", "freeze"]


def test_does_a_double_freeze_submit_apply_once(as_owner, db, merchant, member):
    data = {**freeze_form(as_owner, member), "reason": "挂失"}
    first = as_owner.post(f"/backoffice/members/{member.id}/wallet/freeze", data=data)
    second = as_owner.post(f"/backoffice/members/{member.id}/wallet/freeze", data=data)
    assert first.status_code == second.status_code == 302
    assert count(WalletTransaction, WalletTransaction.kind == "freeze") == 1
    assert count(AuditLog, AuditLog.action == "wallet.freeze") == 1


def test_is_a_freeze_without_a_reason_refused(as_owner, db, merchant, member):
    data = freeze_form(as_owner, member)
    response = as_owner.post(f"/backoffice/members/{member.id}/wallet/freeze", data={**data, "reason": ""})
    assert response.status_code == 400
    assert "请填写冻结或解冻的原因" in text_of(response)
    assert count(WalletTransaction, WalletTransaction.kind == "freeze") == 0


def test_is_freezing_a_frozen_wallet_with_a_new_key_refused(as_owner, db, merchant, member):
    data = freeze_form(as_owner, member)
    as_owner.post(f"/backoffice/members/{member.id}/wallet/freeze", data={**data, "reason": "挂失"})
    again = {**data, "key": "wallet-freeze:another", "reason": "再冻结"}
    response = as_owner.post(f"/backoffice/members/{member.id}/wallet/freeze", data=again)
    assert response.status_code == 400
    assert "储值账户已是冻结状态" in text_of(response)
    assert count(AuditLog, AuditLog.action == "wallet.freeze") == 1


def test_is_another_members_wallet_id_a_404(as_owner, make, db, merchant, member):
    other = make.member(merchant)
    other_wallet = wallet_service.member_wallet(db.session, merchant.id, other.id)
    db.session.commit()
    response = as_owner.post(f"/backoffice/members/{member.id}/wallet/freeze", data={
        "wallet_id": str(other_wallet.id), "frozen": "1", "key": "wallet-freeze:x", "reason": "挂失"})
    assert response.status_code == 404
    db.session.refresh(other_wallet)
    assert other_wallet.frozen is False


# --- physical card --------------------------------------------------------------------------------

def test_can_staff_bind_a_physical_card(sign_in_as, client, db, member):
    sign_in_as(roles.CUSTOMER_SERVICE)
    response = client.post(f"/backoffice/members/{member.id}/card", data={"card_no": " 8800AB01 "})
    assert response.status_code == 302
    assert member_service.find_by_identity(db.session, member.merchant_id, "card_no", "8800AB01").id == member.id
    assert "实体卡已绑定" in text_of(client.get(response.location))


@pytest.mark.parametrize("card_no, message", [
    ("", "请填写实体卡号"), ("88-00", "卡号只能包含字母和数字"), ("8" * 33, "卡号不能超过 32 位"),
])
def test_is_a_bad_card_number_refused(as_owner, member, card_no, message):
    response = as_owner.post(f"/backoffice/members/{member.id}/card", data={"card_no": card_no})
    assert response.status_code == 400
    assert message in text_of(response)
    assert count(MemberIdentity) == 0


def test_is_a_card_of_another_member_refused_clearly(as_owner, make, db, merchant, member):
    other = make.member(merchant)
    member_service.bind_identity(db.session, other, "card_no", "8800000001")
    db.session.commit()
    response = as_owner.post(f"/backoffice/members/{member.id}/card", data={"card_no": "8800000001"})
    assert response.status_code == 400
    assert "该身份已绑定到其他会员" in text_of(response)
    assert count(MemberIdentity, MemberIdentity.member_id == member.id) == 0


def level_named(db, merchant, name):
    return [lv for lv in level_service.list_levels(db.session, merchant.id) if lv.name == name][0]


def fresh_txn(key):
    from extensions import db

    db.session.expire_all()
    return db.session.query(PointsTransaction).filter_by(idempotency_key=key).one()


def test_is_a_level_id_that_is_not_a_number_refused(as_owner, member):
    response = as_owner.post(f"/backoffice/members/{member.id}/level", data={"level_id": "abc", "note": "测试"})
    assert response.status_code == 400
    assert "选择无效" in text_of(response)

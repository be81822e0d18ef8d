"""Back office: merchant settings, channel credentials and member industry fields."""
import pytest

from models import AuditLog, MemberFieldDef
from services.members import fields as member_fields
from tests.web.backoffice.keys import rsa_private_pem, rsa_public_pem
from tests.web.helpers import count, fresh, text_of


def test_can_an_owner_change_name_timezone_and_points_expiry(as_owner, merchant):
    body = text_of(as_owner.get("/backoffice/settings"))
    assert "测试咖啡" in body and "获得后 N 天内有效" in body and "Asia/Tokyo" in body
    response = as_owner.post("/backoffice/settings", data={
        "name": "新咖啡", "timezone": "Asia/Tokyo", "points_expiry_mode": "days", "points_expiry_days": "365"})
    assert response.status_code == 302
    merchant = fresh(merchant)
    assert (merchant.name, merchant.timezone, merchant.points_expiry_mode, merchant.points_expiry_days) == (
        "新咖啡", "Asia/Tokyo", "days", 365)
    assert count(AuditLog, AuditLog.action == "merchant.settings") == 1


@pytest.mark.parametrize("data, message", [
    ({"points_expiry_mode": "days", "points_expiry_days": ""}, "按天数过期时请填写有效天数"),
    ({"points_expiry_mode": "days", "points_expiry_days": "4000"}, "有效天数须在 1 到 3650 之间"),
    ({"name": "名" * 101}, "商户名称不能超过 100 个字"),
    ({"name": ""}, "请填写商户名称"),
    ({"timezone": "Mars/Olympus"}, "不是有效的选择"),
])
def test_are_bad_settings_refused_with_a_clear_message(as_owner, merchant, data, message):
    posted = {"name": "新咖啡", "timezone": "Asia/Shanghai", "points_expiry_mode": "never"}
    posted.update(data)
    response = as_owner.post("/backoffice/settings", data=posted)
    assert response.status_code == 400
    assert message in text_of(response)
    assert fresh(merchant).name == "测试咖啡"


def test_are_secrets_stored_but_never_shown_again(as_owner, db, merchant):
    merchant.wechat_app_id = "wx-kept"
    db.session.commit()
    private_key, public_key = rsa_private_pem(), rsa_public_pem()
    secret_part = private_key.splitlines()[5]
    response = as_owner.post("/backoffice/settings/credentials", data={
        "alipay_app_id": "2021000000000001", "alipay_private_key": private_key, "alipay_public_key": public_key})
    assert response.status_code == 302
    merchant = fresh(merchant)
    assert (merchant.alipay_app_id, merchant.alipay_private_key) == ("2021000000000001", private_key.strip())
    assert merchant.wechat_app_id == "wx-kept", "WeChat credentials are not touched from this form"
    body = text_of(as_owner.get("/backoffice/settings"))
    assert secret_part not in body
    assert 'placeholder="已设置"' in body and "2021000000000001" in body and public_key.splitlines()[1] in body
    # A blank secret keeps the stored one.
    as_owner.post("/backoffice/settings/credentials", data={"alipay_app_id": "2021000000000002",
                                                            "alipay_private_key": ""})
    merchant = fresh(merchant)
    assert (merchant.alipay_app_id, merchant.alipay_private_key) == ("2021000000000002", private_key.strip())
    entries = db.session.query(AuditLog).filter_by(action="merchant.credentials").all()
    assert entries and all(secret_part not in str((e.before, e.after)) for e in entries)


def test_is_an_over_long_credential_refused(as_owner, merchant):
    response = as_owner.post("/backoffice/settings/credentials", data={"alipay_app_id": "s" * 65})
    assert response.status_code == 400
    assert "不能超过 64 个字符" in text_of(response)
    assert fresh(merchant).alipay_app_id is None


def test_can_an_owner_add_and_edit_a_member_field(as_owner, db, merchant):
    assert as_owner.get("/backoffice/settings/fields/new").status_code == 200
    response = as_owner.post("/backoffice/settings/fields/new", data={
        "key": "plate_no", "label": "车牌号", "field_type": "text", "position": "3", "required": "y", "active": "y"})
    assert response.status_code == 302
    field = db.session.query(MemberFieldDef).filter_by(merchant_id=merchant.id, key="plate_no").one()
    assert (field.label, field.field_type, field.required, field.position, field.active) == (
        "车牌号", "text", True, 3, True)
    assert "车牌号" in text_of(as_owner.get("/backoffice/settings"))

    assert "plate_no" in text_of(as_owner.get(f"/backoffice/settings/fields/{field.id}/edit"))
    response = as_owner.post(f"/backoffice/settings/fields/{field.id}/edit", data={
        "key": "ignored", "label": "车型", "field_type": "select", "options_text": "轿车，SUV", "position": "1"})
    assert response.status_code == 302
    field = fresh(field)
    assert (field.key, field.label, field.options, field.required, field.active) == (
        "plate_no", "车型", ["轿车", "SUV"], False, False)
    assert member_fields.active_fields(db.session, merchant.id) == []


@pytest.mark.parametrize("data, message", [
    ({"key": "Plate No"}, "字段标识须以小写字母开头"),
    ({"key": "k" * 41}, "字段标识不能超过 40 个字符"),
    ({"label": "名" * 41}, "字段名称不能超过 40 个字"),
    ({"field_type": "select", "options_text": ""}, "单选字段须填写选项"),
    ({"field_type": "colour"}, "不是有效的选择"),
    ({"position": "x"}, "不是有效的整数"),
])
def test_is_a_bad_member_field_refused(as_owner, merchant, data, message):
    posted = {"key": "plate_no", "label": "车牌号", "field_type": "text", "active": "y"}
    posted.update(data)
    response = as_owner.post("/backoffice/settings/fields/new", data=posted)
    assert response.status_code == 400
    assert message in text_of(response)
    assert count(MemberFieldDef, MemberFieldDef.merchant_id == merchant.id) == 0


def test_is_a_duplicate_field_key_refused(as_owner, db, owner, merchant):
    member_fields.save_field(db.session, owner, None, key="plate_no", label="车牌号", field_type="text")
    db.session.commit()
    response = as_owner.post("/backoffice/settings/fields/new", data={
        "key": "plate_no", "label": "另一个", "field_type": "text", "active": "y"})
    assert response.status_code == 400
    assert "字段标识已存在" in text_of(response)
    assert count(MemberFieldDef, MemberFieldDef.merchant_id == merchant.id) == 1

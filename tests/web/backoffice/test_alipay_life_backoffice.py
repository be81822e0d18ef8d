"""Back office: the Alipay life account (生活号) settings: on/off and the notices' template ids."""
import pytest

from domain import roles
from models import AuditLog
from models.alipay_life import AlipayLifeSettings
from sandbox.alipay_keys import provision_merchant
from tests.web.helpers import count, text_of

FORM = {"enabled": "y", "notify_points": "y", "tpl_points_changed": "LIFE-POINTS", "notify_balance": "y",
        "tpl_balance_changed": "LIFE_BALANCE-1", "tpl_coupon_received": "", "notify_level": "y",
        "tpl_level_up": "LIFE-LEVEL"}


def settings_of(db, merchant):
    db.session.expire_all()
    return db.session.query(AlipayLifeSettings).filter_by(merchant_id=merchant.id).one_or_none()


@pytest.fixture()
def alipay_merchant(merchant, db):
    provision_merchant(db.session, merchant)
    db.session.commit()
    return merchant


def test_can_the_owner_turn_the_life_account_on_with_template_ids(as_owner, alipay_merchant, db):
    page = text_of(as_owner.get("/backoffice/alipay-life"))
    assert "支付宝生活号" in page and "积分变动模板 ID" in page and "会员升级模板 ID" in page
    response = as_owner.post("/backoffice/alipay-life", data=FORM)
    assert response.status_code == 302
    row = settings_of(db, alipay_merchant)
    assert row.enabled and row.notify_points and row.notify_balance and not row.notify_coupon and row.notify_level
    assert row.template_ids == {"points_changed": "LIFE-POINTS", "balance_changed": "LIFE_BALANCE-1",
                                "level_up": "LIFE-LEVEL"}
    assert count(AuditLog, AuditLog.action == "alipay_life.settings") == 1
    assert "LIFE-POINTS" in text_of(as_owner.get("/backoffice/alipay-life"))


def test_is_a_bad_template_id_refused_in_chinese_and_nothing_saved(as_owner, alipay_merchant, db):
    response = as_owner.post("/backoffice/alipay-life", data={**FORM, "tpl_points_changed": "坏 ID<script>"})
    assert response.status_code == 400 and "模板 ID 只含字母" in text_of(response)
    response = as_owner.post("/backoffice/alipay-life", data={**FORM, "tpl_points_changed": "x" * 65})
    assert response.status_code == 400
    row = settings_of(db, alipay_merchant)
    assert row is None or not row.enabled


def test_is_turning_it_on_without_an_alipay_app_refused(as_owner, merchant, db):
    response = as_owner.post("/backoffice/alipay-life", data=FORM)
    assert response.status_code == 400 and "请先配置支付宝应用" in text_of(response)
    row = settings_of(db, merchant)
    assert row is None or not row.enabled


@pytest.mark.parametrize("role", [roles.OPERATOR, roles.CASHIER])
def test_may_only_owners_and_admins_open_the_life_account_settings(sign_in_as, client, role):
    sign_in_as(role)
    assert client.get("/backoffice/alipay-life").status_code == 403
    assert client.post("/backoffice/alipay-life", data=FORM).status_code == 403

"""Back office: 储值折上折 rules — create, edit, delete, refuse bad input, and the rate the checkout will use."""
from datetime import date

import pytest

from domain import roles
from extensions import db
from models import AuditLog, BalanceDiscountRule
from services.wallet import balance_discount
from tests.web.helpers import count, text_of


def test_can_an_owner_write_the_table_and_see_it_in_words(as_owner, merchant):
    assert as_owner.post("/backoffice/balance-discounts/new", data={"min_balance": "100", "discount": "8",
                                                                    "active": "y"}).status_code == 302
    assert as_owner.post("/backoffice/balance-discounts/new", data={"min_balance": "500", "discount": "7",
                                                                    "active": "y"}).status_code == 302
    page = text_of(as_owner.get("/backoffice/balance-discounts"))
    assert "余额满 ¥100 享 8 折" in page and "余额满 ¥500 享 7 折" in page
    assert balance_discount.rate_today(db.session, merchant, 60000) == 70
    assert balance_discount.rate_today(db.session, merchant, 9999) is None
    assert count(AuditLog) >= 2


def test_can_a_rule_be_edited_into_a_special_period_and_deleted(as_owner, merchant):
    as_owner.post("/backoffice/balance-discounts/new", data={"min_balance": "100", "discount": "8", "active": "y"})
    rule = db.session.query(BalanceDiscountRule).one()
    response = as_owner.post(f"/backoffice/balance-discounts/{rule.id}/edit", data={
        "min_balance": "100", "discount": "7.5", "starts_on": "2031-01-01", "ends_on": "2031-01-03", "active": "y"})
    assert response.status_code == 302
    db.session.refresh(rule)
    assert (rule.discount_percent, rule.starts_on) == (75, date(2031, 1, 1))
    assert as_owner.post(f"/backoffice/balance-discounts/{rule.id}/delete").status_code == 302
    assert count(BalanceDiscountRule) == 0


@pytest.mark.parametrize("data, message", [
    ({"min_balance": "", "discount": "8"}, "请填写余额门槛"),
    ({"min_balance": "abc", "discount": "8"}, "金额"),
    ({"min_balance": "100", "discount": "10"}, "折扣须在 0.1 到 9.9 折之间"),
    ({"min_balance": "100", "discount": "8", "starts_on": "2031-01-05", "ends_on": "2031-01-01"}, "结束日期"),
    ({"min_balance": "100", "discount": "8", "starts_on": "2031-01-05"}, "同时设置"),
])
def test_is_bad_input_refused_with_nothing_saved(as_owner, data, message):
    response = as_owner.post("/backoffice/balance-discounts/new", data=data)
    assert response.status_code == 400 and message in text_of(response)
    assert count(BalanceDiscountRule) == 0


def test_is_a_cashier_refused_the_rules(sign_in_as, client, merchant):
    sign_in_as(roles.CASHIER)
    assert client.get("/backoffice/balance-discounts").status_code == 403
    assert client.post("/backoffice/balance-discounts/new", data={"min_balance": "1", "discount": "8"}).status_code == 403

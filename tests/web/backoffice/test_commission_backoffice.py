"""Back office: 提成规则 (percentages typed like 1.5 kept as basis points, yuan kept as fen, audited, clear errors on
bad input with nothing saved) and 提成明细 (a month's summary, one staff member's entries, CSV and XLSX); only owners
and admins see either, and another merchant's staff id answers 404."""
import io
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from domain import roles
from domain.clock import local_today
from extensions import db
from models import AuditLog
from models.commission import CommissionEntry, CommissionRule
from tests.web.helpers import count, text_of

FORM = {"enabled": "y", "per_new_member": "5.5", "topup_percent": "1.5", "card_sale_percent": "3",
        "guided_spend_percent": "0.75", "guided_spend_days": "90"}


def saved_rule(merchant):
    db.session.expire_all()
    return db.session.get(CommissionRule, merchant.id)


def test_does_the_rule_form_keep_yuan_as_fen_and_percent_as_basis_points(as_owner, merchant):
    response = as_owner.post("/backoffice/commission/rules", data=FORM)
    assert response.status_code == 302
    rule = saved_rule(merchant)
    assert (rule.enabled, rule.per_new_member, rule.topup_bp, rule.card_sale_bp) == (True, 550, 150, 300)
    assert (rule.guided_spend_bp, rule.guided_spend_days) == (75, 90)
    page = text_of(as_owner.get("/backoffice/commission/rules"))
    assert 'value="1.5"' in page and 'value="0.75"' in page and 'value="5.50"' in page
    assert "店员每拉新一位会员得 ¥5.50" in page and "90 天内" in page
    assert count(AuditLog, AuditLog.action == "commission.rule") == 1


def test_is_a_change_audited_as_a_sentence_in_the_log(as_owner, merchant):
    as_owner.post("/backoffice/commission/rules", data=FORM)
    as_owner.post("/backoffice/commission/rules", data={**FORM, "topup_percent": "2"})
    log = text_of(as_owner.get("/backoffice/audit"))
    assert "修改提成规则" in log and "充值提成 从 1.5% 改为 2%" in log


@pytest.mark.parametrize("change, message", [
    ({"topup_percent": "abc"}, "比例须为 0 到 100 之间"),
    ({"card_sale_percent": "101"}, "比例不能超过 100%"),
    ({"card_sale_percent": "1.234"}, "最多两位小数"),
    ({"topup_percent": "-1"}, "比例须为"),
    ({"per_new_member": "-5"}, "金额须为"),
    ({"per_new_member": "99999999"}, "不能超过 ¥10000"),
    ({"guided_spend_days": ""}, "请填写绑定后的天数"),
    ({"guided_spend_days": "4000"}, "天数须在 0 到 3650 之间"),
    ({"guided_spend_days": "1e9"}, ""),
    ({"topup_percent": "1\x00"}, ""),
    ({"topup_percent": "9" * 5000}, ""),
])
def test_is_bad_input_refused_with_a_clear_message_and_nothing_saved(as_owner, merchant, change, message):
    response = as_owner.post("/backoffice/commission/rules", data={**FORM, **change})
    assert response.status_code == 400
    assert message in text_of(response)
    assert saved_rule(merchant) is None and count(AuditLog, AuditLog.action == "commission.rule") == 0


def test_is_the_rule_page_refused_to_those_who_do_not_pay_staff(sign_in_as, client, merchant):
    for role in (roles.OPERATOR, roles.GUIDE, roles.CASHIER, roles.CUSTOMER_SERVICE):
        sign_in_as(role)
        assert client.get("/backoffice/commission/rules").status_code == 403
        assert client.post("/backoffice/commission/rules", data=FORM).status_code == 403
        assert client.get("/backoffice/commission").status_code == 403
        assert client.get("/backoffice/commission.csv").status_code == 403
    assert saved_rule(merchant) is None


@pytest.fixture()
def month_entries(make, db, merchant, owner):
    guide = make.staff(merchant, role=roles.GUIDE, username="w-guide")
    member = make.member(merchant, mobile="13712345678")
    now = datetime.now(timezone.utc)
    db.session.add_all([
        CommissionEntry(merchant_id=merchant.id, staff_id=guide.id, kind="topup", amount=300, base_amount=15000,
                        rate_bp=200, member_id=member.id, key="w1", reference_kind="order", reference_id=1,
                        created_at=now),
        CommissionEntry(merchant_id=merchant.id, staff_id=guide.id, kind="reversal", amount=-100, base_amount=15000,
                        rate_bp=200, member_id=member.id, key="w2", reference_kind="order", reference_id=1,
                        created_at=now),
        CommissionEntry(merchant_id=merchant.id, staff_id=owner.id, kind="new_member", amount=500, key="w3",
                        created_at=now)])
    db.session.commit()
    return guide


def test_does_the_statement_show_the_months_summary_and_one_staff_members_entries(as_owner, merchant, month_entries):
    summary = text_of(as_owner.get("/backoffice/commission"))
    assert "w-guide" not in summary and "员工guide" in summary and "2.00" in summary and "7.00" in summary
    month = local_today(merchant.timezone).strftime("%Y-%m")
    detail = text_of(as_owner.get(f"/backoffice/commission?month={month}&staff_id={month_entries.id}"))
    assert "137****5678" in detail and "13712345678" not in detail
    assert "充值提成" in detail and "退款冲回" in detail and "2%" in detail and "-1.00" in detail
    assert 'id="statement-net"' in detail and "2.00" in detail


def test_do_the_exports_hold_the_same_entries(as_owner, merchant, month_entries):
    month = local_today(merchant.timezone).strftime("%Y-%m")
    csv = as_owner.get(f"/backoffice/commission.csv?month={month}&staff_id={month_entries.id}")
    assert csv.status_code == 200 and csv.data.startswith(b"\xef\xbb\xbf")
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("时间,类型,会员") and lines[-1].startswith("合计,,,,,2.00")
    xlsx = as_owner.get(f"/backoffice/commission.xlsx?month={month}")
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(xlsx.data)).active.iter_rows()]
    assert rows[0][0] == "店员" and rows[-1][0] == "合计" and Decimal(str(rows[-1][-2])) == Decimal("7.00")


def test_is_another_merchants_staff_id_not_found_and_bad_filters_answered(as_owner, make, db, month_entries):
    stranger = make.staff(make.merchant(), role=roles.GUIDE, username="w-stranger")
    db.session.commit()
    for url in (f"/backoffice/commission?staff_id={stranger.id}", f"/backoffice/commission.csv?staff_id={stranger.id}",
                f"/backoffice/commission.xlsx?staff_id={stranger.id}", "/backoffice/commission?staff_id=99999999999999"):
        assert as_owner.get(url).status_code == 404, url
    for url in ("/backoffice/commission?month=2026-13", "/backoffice/commission?month=x&staff_id=abc",
                "/backoffice/commission?month=" + "9" * 3000):
        assert as_owner.get(url).status_code == 200, url
    refused = as_owner.get("/backoffice/commission?month=%00")  # the input guard answers a NUL byte
    assert refused.status_code == 400


def test_does_the_statement_say_when_the_rule_is_off(as_owner):
    assert 'id="rule-off"' in text_of(as_owner.get("/backoffice/commission"))
    as_owner.post("/backoffice/commission/rules", data=FORM)
    assert 'id="rule-off"' not in text_of(as_owner.get("/backoffice/commission"))

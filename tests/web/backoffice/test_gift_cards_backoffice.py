"""Back office: gift card templates, issuing to a member, physical batches and their export, the card list, void."""
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from domain import roles
from extensions import db
from models import AuditLog, Card, CardTemplate
from services.cards import gift_batches, gift_issue, gift_templates
from tests.web.helpers import count, fresh, text_of

FORM = {"title": "新春礼品卡", "face_values": "50, 100", "themes": "春节 #C0392B\n生日 #2E86C1", "activation": "auto",
        "valid_days": "365"}


def make_template(owner, **values):
    values = {"title": "礼品卡", "face_values": [5000, 10000], "themes": [{"label": "春节", "color": "#C0392B"}],
              "activation": "auto", **values}
    template = gift_templates.save_template(db.session, owner, None, **values)
    db.session.commit()
    return template


def test_can_an_owner_create_a_gift_card_template_with_face_values_and_themes(as_owner, merchant):
    assert as_owner.get("/backoffice/gift-cards/new").status_code == 200
    response = as_owner.post("/backoffice/gift-cards/new", data=FORM)
    assert response.status_code == 302, text_of(response)
    template = db.session.scalars(select(CardTemplate).where(CardTemplate.merchant_id == merchant.id)).one()
    assert (template.kind, template.face_values, template.valid_days) == ("gift", [5000, 10000], 365)
    assert [t["label"] for t in template.themes] == ["春节", "生日"] and template.themes[1]["color"] == "#2E86C1"
    listing = text_of(as_owner.get("/backoffice/gift-cards"))
    assert "新春礼品卡" in listing and "¥50.00" in listing


@pytest.mark.parametrize("field,value,message", [
    ("face_values", "abc", None),
    ("face_values", "", "请填写面值"),
    ("themes", "春节 red", "主题格式应为「名称 #RRGGBB」"),
    ("title", "长" * 41, "礼品卡名称不能超过 40 个字"),
])
def test_is_a_bad_template_refused_with_nothing_saved(as_owner, merchant, field, value, message):
    response = as_owner.post("/backoffice/gift-cards/new", data={**FORM, field: value})
    assert response.status_code == 400
    if message:
        assert message in text_of(response)
    assert count(CardTemplate, CardTemplate.merchant_id == merchant.id) == 0


def test_can_an_owner_edit_a_template(as_owner, owner):
    template = make_template(owner)
    page = text_of(as_owner.get(f"/backoffice/gift-cards/{template.id}/edit"))
    assert "春节 #C0392B" in page
    response = as_owner.post(f"/backoffice/gift-cards/{template.id}/edit", data={**FORM, "title": "改名了"})
    assert response.status_code == 302
    assert fresh(template).title == "改名了"


def test_is_a_cashier_forbidden_from_gift_card_templates_batches_and_export(sign_in_as, client, owner):
    template = make_template(owner)
    batch = gift_batches.create_batch(db.session, owner, template.id, 5000, 2)
    db.session.commit()
    sign_in_as(roles.CASHIER)
    for url in ("/backoffice/gift-cards", "/backoffice/gift-cards/new", f"/backoffice/gift-cards/{template.id}/edit",
                f"/backoffice/gift-cards/{template.id}/batches", f"/backoffice/gift-cards/{template.id}/cards",
                f"/backoffice/gift-cards/batches/{batch.id}/export.csv"):
        assert client.get(url).status_code == 403, url
    assert client.post("/backoffice/gift-cards/new", data=FORM).status_code == 403


def test_can_a_cashier_issue_an_electronic_card_to_a_member_by_mobile(sign_in_as, client, make, merchant, owner):
    template = make_template(owner)
    member = make.member(merchant, mobile="13800000001")
    db.session.commit()
    sign_in_as(roles.CASHIER)
    page = text_of(client.get(f"/backoffice/gift-cards/{template.id}/issue"))
    key = re.search(r'name="key"[^>]*value="([^"]+)"', page).group(1)
    data = {"mobile": "13800000001", "face_value": "10000", "theme": "春节", "key": key}
    assert client.post(f"/backoffice/gift-cards/{template.id}/issue", data=data).status_code == 302
    assert client.post(f"/backoffice/gift-cards/{template.id}/issue", data=data).status_code == 302  # double submit
    card = db.session.scalars(select(Card).where(Card.member_id == member.id)).one()
    assert (card.state, card.face_value, card.theme, card.wallet.bonus) == ("active", 10000, "春节", 10000)
    unknown = client.post(f"/backoffice/gift-cards/{template.id}/issue", data={**data, "mobile": "13800000009"})
    assert unknown.status_code == 400 and "没有这个手机号的会员" in text_of(unknown)
    sold = client.post(f"/backoffice/gift-cards/{template.id}/issue",
                       data={**data, "key": "gift-staff:sold", "price_paid": "95"})
    assert sold.status_code == 302
    paid = db.session.scalars(select(Card).where(Card.idempotency_key == "gift-staff:sold")).one()
    assert (paid.price_paid, paid.wallet.principal, paid.wallet.bonus) == (9500, 9500, 500)


def test_does_a_batch_export_as_csv_with_a_bom_and_one_row_per_card(as_owner, owner):
    template = make_template(owner)
    response = as_owner.post(f"/backoffice/gift-cards/{template.id}/batches",
                             data={"face_value": "5000", "theme": "春节", "quantity": "25"})
    assert response.status_code == 302, text_of(response)
    batch = gift_batches.batches(db.session, owner.merchant_id, template.id)[0]
    exported = as_owner.get(f"/backoffice/gift-cards/batches/{batch.id}/export.csv")
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    body = exported.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("卡号,密码,面值（元）,主题") and len(lines) == 26
    cards = {c.card_no: c.pin for c in db.session.scalars(select(Card).where(Card.batch_id == batch.id))}
    first = lines[1].split(",")
    assert cards[first[0].strip()] == first[1].strip() and first[2] == "50.00" and first[3] == "春节"
    assert fresh(batch).exported_at is not None
    assert count(AuditLog, AuditLog.action == "gift_card.batch_export") == 1
    page = text_of(as_owner.get(f"/backoffice/gift-cards/{template.id}/batches"))
    assert f'data-batch-id="{batch.id}"' in page and "export.xlsx" in page and "未导出" not in page


def test_does_a_batch_export_as_xlsx_that_openpyxl_opens(as_owner, owner):
    template = make_template(owner)
    batch = gift_batches.create_batch(db.session, owner, template.id, 10000, 7)
    db.session.commit()
    exported = as_owner.get(f"/backoffice/gift-cards/batches/{batch.id}/export.xlsx")
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("卡号", "密码", "面值（元）", "主题") and len(rows) == 8
    assert all(len(str(r[0])) == 16 and len(str(r[1])) == 8 for r in rows[1:])


def test_is_a_batch_over_5000_cards_refused(as_owner, owner, merchant):
    template = make_template(owner)
    response = as_owner.post(f"/backoffice/gift-cards/{template.id}/batches",
                             data={"face_value": "5000", "theme": "", "quantity": "5001"})
    assert response.status_code == 400 and "数量须在 1 到 5000 之间" in text_of(response)
    assert count(Card, Card.merchant_id == merchant.id) == 0


def test_does_the_card_list_show_status_holder_balance_and_card_number(as_owner, owner, make, merchant):
    template = make_template(owner)
    member = make.member(merchant, mobile="13800000002", name="王小明")
    gift_issue.issue_electronic(db.session, merchant, template.id, member.id, face_value=5000, theme=None,
                                channel="staff", key="list:1")
    batch = gift_batches.create_batch(db.session, owner, template.id, 10000, 1)
    db.session.commit()
    physical = db.session.scalars(select(Card).where(Card.batch_id == batch.id)).one()
    page = text_of(as_owner.get(f"/backoffice/gift-cards/{template.id}/cards"))
    assert "王小明" in page and "138****0002" in page and "已激活" in page and "¥50.00" in page
    assert "未激活" in page and physical.card_no[:4] + " " + physical.card_no[4:8] in page
    inactive_only = text_of(as_owner.get(f"/backoffice/gift-cards/{template.id}/cards?state=inactive"))
    assert "王小明" not in inactive_only


def test_can_an_owner_void_a_card_and_is_it_audited(as_owner, owner, make, merchant):
    template = make_template(owner)
    member = make.member(merchant)
    card = gift_issue.issue_electronic(db.session, merchant, template.id, member.id, face_value=5000, theme=None,
                                       channel="staff", key="void:1")
    db.session.commit()
    response = as_owner.post(f"/backoffice/gift-cards/cards/{card.id}/void", data={"reason": "顾客挂失"})
    assert response.status_code == 302
    assert fresh(card).state == "voided"
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "gift_card.void")).one()
    assert entry.after["reason"] == "顾客挂失" and entry.staff_id == owner.id


def test_is_another_merchants_gift_card_not_found(as_owner, make):
    other = make.merchant()
    other_owner = make.staff(other, role=roles.OWNER)
    template = make_template(other_owner)
    batch = gift_batches.create_batch(db.session, other_owner, template.id, 5000, 1)
    card = db.session.scalars(select(Card).where(Card.batch_id == batch.id)).one()
    db.session.commit()
    for url in (f"/backoffice/gift-cards/{template.id}/edit", f"/backoffice/gift-cards/{template.id}/cards",
                f"/backoffice/gift-cards/{template.id}/batches", f"/backoffice/gift-cards/{template.id}/issue",
                f"/backoffice/gift-cards/batches/{batch.id}/export.csv"):
        assert as_owner.get(url).status_code == 404, url
    assert as_owner.post(f"/backoffice/gift-cards/cards/{card.id}/void", data={}).status_code == 404
    assert fresh(card).state == "inactive"

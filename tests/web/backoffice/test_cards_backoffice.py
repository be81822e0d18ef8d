"""Back office: count and timed card templates, issuing to a member by mobile, the holders list and voiding."""
import re

import pytest

from domain import roles
from extensions import db
from models import AuditLog, Card, CardTemplate
from services.cards import count_timed_issue, count_timed_templates
from tests.web.helpers import count, fresh, text_of

COUNT = {"kind": "count", "title": "洗车十次卡", "service_name": "精洗", "uses": "10", "valid_days": "365",
         "price": "299", "cover_color": "#1A73E8", "active": "y"}
TIMED = {"kind": "timed", "title": "健身卡", "cover_color": "#07C160", "start_mode": "first_use", "daily_limit": "2",
         "active": "y", "tiers-0-title": "周卡", "tiers-0-days": "7", "tiers-0-price": "29",
         "tiers-1-title": "月卡", "tiers-1-days": "30", "tiers-1-price": "99.5"}


def saved(merchant):
    return db.session.query(CardTemplate).filter_by(merchant_id=merchant.id).one()


def make_count(owner, **values):
    template = count_timed_templates.save_template(db.session, owner, None, **{
        "kind": "count", "title": "十次卡", "service_name": "洗车", "uses": 10, **values})
    db.session.commit()
    return template


def make_timed(owner, **values):
    template = count_timed_templates.save_template(db.session, owner, None, **{
        "kind": "timed", "title": "月卡", "tiers": [{"label": "月卡", "days": 30, "price": 9900},
                                                           {"label": "周卡", "days": 7, "price": 2900}], **values})
    db.session.commit()
    return template


def test_can_an_owner_create_a_count_card(as_owner, merchant, store):
    page = text_of(as_owner.get("/backoffice/cards/new?kind=count"))
    assert "服务项目" in page and "tiers-0-title" not in page
    response = as_owner.post("/backoffice/cards/new", data={**COUNT, "store_ids": [str(store.id)]})
    assert response.status_code == 302, text_of(response)
    template = saved(merchant)
    assert (template.kind, template.uses, template.valid_days, template.price) == ("count", 10, 365, 29900)
    assert [s.id for s in template.stores] == [store.id] and not template.all_stores
    assert template.cover_color == "#1A73E8"


def test_can_an_owner_create_a_timed_card_with_tiers(as_owner, merchant):
    page = text_of(as_owner.get("/backoffice/cards/new?kind=timed"))
    assert 'value="季卡"' in page and "服务项目" not in page
    response = as_owner.post("/backoffice/cards/new", data=TIMED)
    assert response.status_code == 302, text_of(response)
    template = saved(merchant)
    assert template.tiers == [{"key": "week", "label": "周卡", "days": 7, "price": 2900},
                              {"key": "month", "label": "月卡", "days": 30, "price": 9950}]
    assert (template.daily_limit, template.start_mode, template.photo_required) == (2, "first_use", False)


@pytest.mark.parametrize("data,message", [
    ({**COUNT, "uses": ""}, "次卡次数须在"),
    ({**COUNT, "service_name": ""}, "请填写次卡的服务项目"),
    ({**COUNT, "cover_color": "blue"}, "封面颜色须为 #RRGGBB 格式"),
    ({**COUNT, "title": "卡" * 41}, "卡名称不能超过 40 个字"),
    ({**COUNT, "price": "abc"}, None),
    ({k: v for k, v in TIMED.items() if not k.startswith("tiers-")}, "时长卡至少需要一个时长档位"),
    ({**TIMED, "tiers-1-price": ""}, "每个时长档位须填写名称、天数和价格"),
    ({**TIMED, "daily_limit": "0"}, "每日限用次数须在"),
    ({**TIMED, "start_mode": "after_days", "start_after_days": "-2"}, "购买后开始的天数须在"),
])
def test_are_bad_card_templates_refused_with_nothing_saved(as_owner, merchant, data, message):
    response = as_owner.post("/backoffice/cards/new", data=data)
    assert response.status_code == 400
    if message:
        assert message in text_of(response)
    assert count(CardTemplate, CardTemplate.merchant_id == merchant.id) == 0


def test_can_an_owner_edit_a_timed_card_keeping_its_tiers(as_owner, owner):
    template = make_timed(owner)
    page = text_of(as_owner.get(f"/backoffice/cards/{template.id}/edit"))
    assert 'value="99.00"' in page and 'value="month"' in page
    response = as_owner.post(f"/backoffice/cards/{template.id}/edit", data={
        **{k: v for k, v in TIMED.items() if not k.startswith("tiers-")}, "title": "新月卡", "photo_required": "y",
        "tiers-0-key": "month", "tiers-0-title": "月卡", "tiers-0-days": "30", "tiers-0-price": "88"})
    assert response.status_code == 302, text_of(response)
    template = fresh(template)
    assert template.title == "新月卡" and template.photo_required
    assert template.tiers == [{"key": "month", "label": "月卡", "days": 30, "price": 8800}]


def test_is_changing_the_kind_of_a_saved_card_refused(as_owner, owner):
    template = make_count(owner)
    response = as_owner.post(f"/backoffice/cards/{template.id}/edit", data=TIMED)
    assert response.status_code == 400 and "已创建的卡不能更改类型" in text_of(response)
    assert fresh(template).kind == "count"


def test_does_the_list_show_issued_counts(as_owner, owner, merchant, make):
    template = make_count(owner, stock_total=20)
    for n in range(3):
        count_timed_issue.issue(db.session, merchant, template.id, make.member(merchant).id, channel="staff",
                                key=f"k{n}")
    db.session.commit()
    page = text_of(as_owner.get("/backoffice/cards"))
    row = re.search(rf'data-template-id="{template.id}".*?</tr>', page, re.DOTALL).group(0)
    assert "3 / 20" in row and "使用中 3" in row


def test_can_a_cashier_issue_a_timed_card_by_mobile_once_per_key(sign_in_as, client, owner, merchant, make, store):
    template = make_timed(owner)
    member = make.member(merchant, mobile="13800000001")
    db.session.commit()
    sign_in_as(roles.CASHIER, stores_=[store])
    page = text_of(client.get(f"/backoffice/cards/{template.id}/issue"))
    key = re.search(r'name="key" type="hidden" value="([^"]+)"|name="key"[^>]*value="([^"]+)"', page)
    key = key.group(1) or key.group(2)
    data = {"mobile": "13800000001", "tier_key": "week", "key": key}
    assert client.post(f"/backoffice/cards/{template.id}/issue", data=data).status_code == 302
    assert client.post(f"/backoffice/cards/{template.id}/issue", data=data).status_code == 302
    card = db.session.query(Card).filter_by(member_id=member.id).one()
    assert (card.tier_key, card.days, card.state, card.issued_by_id is not None) == ("week", 7, "pending", True)


def test_does_issuing_to_a_holder_extend_their_card(as_owner, owner, merchant, make):
    template = make_timed(owner)
    make.member(merchant, mobile="13800000002")
    db.session.commit()
    for key in ("a", "b"):
        response = as_owner.post(f"/backoffice/cards/{template.id}/issue",
                                 data={"mobile": "13800000002", "tier_key": "month", "key": key})
        assert response.status_code == 302
    assert "已为其续期" in text_of(as_owner.get("/backoffice/cards"))
    held = db.session.query(Card).filter_by(extended_into_id=None).one()
    assert held.days == 60


def test_is_an_unknown_mobile_refused(as_owner, owner):
    template = make_count(owner)
    response = as_owner.post(f"/backoffice/cards/{template.id}/issue", data={"mobile": "13800000009", "key": "z"})
    assert response.status_code == 400 and "没有这个手机号的会员" in text_of(response)
    assert count(Card) == 0


def test_does_the_holders_list_mask_mobiles_and_can_an_owner_void_a_card(as_owner, owner, merchant, make):
    template = make_count(owner)
    card = count_timed_issue.issue(db.session, merchant, template.id, make.member(merchant, mobile="13912345678").id,
                                   channel="staff", key="h")
    db.session.commit()
    page = text_of(as_owner.get(f"/backoffice/cards/{template.id}/holders"))
    assert "139****5678" in page and "13912345678" not in page and "10 / 10" in page
    response = as_owner.post(f"/backoffice/cards/{template.id}/holders/{card.id}/void")
    assert response.status_code == 302
    assert fresh(card).state == "voided"
    assert count(AuditLog, AuditLog.action == "card.void", AuditLog.target_id == str(card.id)) == 1
    again = as_owner.post(f"/backoffice/cards/{template.id}/holders/{card.id}/void", follow_redirects=True)
    assert "不能作废" in text_of(again)


def test_may_a_cashier_manage_or_void_cards(sign_in_as, client, owner, merchant, make, store):
    template = make_count(owner)
    card = count_timed_issue.issue(db.session, merchant, template.id, make.member(merchant).id, channel="staff",
                                   key="p")
    db.session.commit()
    sign_in_as(roles.CASHIER, stores_=[store])
    assert client.get("/backoffice/cards").status_code == 403
    assert client.get("/backoffice/cards/new").status_code == 403
    assert client.post(f"/backoffice/cards/{template.id}/holders/{card.id}/void").status_code == 403
    assert fresh(card).state == "active"


def test_does_another_merchants_owner_get_404_for_every_card_page(make, login, client, owner, merchant):
    template = make_count(owner)
    card = count_timed_issue.issue(db.session, merchant, template.id, make.member(merchant).id, channel="staff",
                                   key="q")
    other = make.merchant()
    intruder = make.staff(other, role=roles.OWNER)
    db.session.commit()
    login(intruder)
    for url in (f"/backoffice/cards/{template.id}/edit", f"/backoffice/cards/{template.id}/issue",
                f"/backoffice/cards/{template.id}/holders"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/backoffice/cards/{template.id}/holders/{card.id}/void").status_code == 404
    assert fresh(card).state == "active"
    assert template.title not in text_of(client.get("/backoffice/cards"))

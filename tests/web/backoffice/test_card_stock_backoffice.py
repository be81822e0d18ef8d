"""Back office 实体卡: making a batch, the batches with their counts, a batch's cards (by state, by number), the
printing file, cards handed to a store, one card handed out or taken back; another merchant's ids are 404; bad
input answered in Chinese with nothing made; binding on the member page goes through the stock; a cash counter
top-up (sold with a card or alone) is listed under 现金 and refunded by hand from the order page."""
import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from domain import roles
from extensions import db
from models import AuditLog, MemberCardBatch, MemberCardStock, MemberIdentity
from services.card_stock import batches
from tests.web.helpers import count, fresh, text_of

FORM = {"name": "首批会员卡", "quantity": "12", "prefix": "vip", "with_barcode": "y", "with_pin": "y"}


def make_batch(owner, quantity=5, **options):
    batch = batches.make_batch(db.session, owner, name=options.pop("name", "门店卡"), quantity=quantity, **options)
    db.session.commit()
    return batch


def cards_of(batch):
    db.session.expire_all()
    return db.session.scalars(select(MemberCardStock).where(MemberCardStock.batch_id == batch.id)
                              .order_by(MemberCardStock.card_no)).all()


@pytest.fixture()
def elsewhere(make):
    """Another merchant with a batch and a store of its own."""
    other = make.merchant(name="隔壁店")
    boss = make.staff(other, role=roles.OWNER, username="otherboss")
    store = make.store(other, "隔壁门店")
    batch = batches.make_batch(db.session, boss, name="隔壁批次", quantity=2)
    db.session.commit()
    return dict(merchant=other, batch=batch, store=store, card=cards_of(batch)[0])


def test_can_an_owner_make_a_batch_and_see_it_listed_with_its_counts(as_owner, merchant):
    assert "实体卡" in text_of(as_owner.get("/backoffice/"))  # in the menu under 卡券
    assert "制卡数量" in text_of(as_owner.get("/backoffice/card-stock/new"))
    response = as_owner.post("/backoffice/card-stock/new", data=FORM)
    assert response.status_code == 302, text_of(response)
    batch = db.session.scalars(select(MemberCardBatch)).one()
    assert response.headers["Location"].endswith(f"/backoffice/card-stock/{batch.id}")
    assert (batch.name, batch.quantity, batch.prefix, batch.status) == ("首批会员卡", 12, "VIP", "done")
    assert (batch.with_track, batch.with_barcode, batch.with_pin) == (False, True, True)
    listing = text_of(as_owner.get("/backoffice/card-stock"))
    assert "首批会员卡" in listing and re.search(r'data-state="made">已制卡<strong>12</strong>', listing)
    detail = text_of(as_owner.get(response.headers["Location"]))
    assert "已制卡 12" in detail and "VIP " in detail and "导出制卡文件 CSV" in detail


def test_does_a_large_batch_say_it_is_being_made(as_owner, merchant, monkeypatch):
    monkeypatch.setattr("domain.card_stock.INLINE_MAX", 10)
    response = as_owner.post("/backoffice/card-stock/new", data={**FORM, "quantity": "30"}, follow_redirects=True)
    assert "正在制卡（共 30 张）" in text_of(response)
    batch = db.session.scalars(select(MemberCardBatch)).one()
    assert fresh(batch).made == 30  # the job ran after the commit (inline without Redis)


@pytest.mark.parametrize("field, value, message", [
    ("quantity", "0", "制卡数量须在 1 到 50,000 张之间"),
    ("quantity", "50001", "制卡数量须在 1 到 50,000 张之间"),
    ("quantity", "9" * 30, "制卡数量须在"),
    ("quantity", "abc", None),
    ("name", "", "请填写批次名称"),
    ("name", "卡" * 41, "批次名称不能超过 40 个字"),
    ("name", "首批\x00", None),
    ("prefix", "A-1", "卡号前缀只能是字母或数字"),
    ("prefix", "ABCDEFGHI", "卡号前缀不能超过 8 位"),
])
def test_is_a_bad_batch_refused_with_nothing_made(as_owner, merchant, field, value, message):
    response = as_owner.post("/backoffice/card-stock/new", data={**FORM, field: value})
    assert response.status_code == 400
    if message:
        assert message in text_of(response)
    assert count(MemberCardBatch) == 0 and count(MemberCardStock) == 0


def test_does_the_batch_page_filter_by_state_and_find_a_number(as_owner, owner, store):
    batch = make_batch(owner, 6, with_barcode=True)
    cards = cards_of(batch)
    as_owner.post(f"/backoffice/card-stock/{batch.id}/issue", data={"store_id": store.id, "count": "2"})
    issued = text_of(as_owner.get(f"/backoffice/card-stock/{batch.id}?state=issued"))
    assert issued.count("data-card-id=") == 2 and "人民广场店" in issued
    found = text_of(as_owner.get(f"/backoffice/card-stock/{batch.id}?q={cards[4].barcode}"))
    assert found.count("data-card-id=") == 1 and f'data-card-id="{cards[4].id}"' in found
    part = text_of(as_owner.get(f"/backoffice/card-stock/{batch.id}?q={cards[3].card_no[-6:]}"))
    assert f'data-card-id="{cards[3].id}"' in part
    bad = as_owner.get(f"/backoffice/card-stock/{batch.id}?q=%27%3B--")
    assert bad.status_code == 200 and "请输入卡号、磁条号或条码" in text_of(bad)
    assert as_owner.get(f"/backoffice/card-stock/{batch.id}?q=%00").status_code == 400  # the input guard
    assert as_owner.get(f"/backoffice/card-stock/{batch.id}?state=nonsense&page=-3").status_code == 200


def test_can_an_owner_hand_cards_to_a_store(as_owner, owner, store):
    batch = make_batch(owner, 5)
    response = as_owner.post(f"/backoffice/card-stock/{batch.id}/issue", data={"store_id": store.id, "count": "3"},
                             follow_redirects=True)
    assert "已将 3 张卡发放到门店" in text_of(response)
    cards = cards_of(batch)
    assert [c.state for c in cards] == ["issued"] * 3 + ["made"] * 2
    assert {c.store_id for c in cards[:3]} == {store.id}
    refused = as_owner.post(f"/backoffice/card-stock/{batch.id}/issue", data={"store_id": "", "count": "3"},
                            follow_redirects=True)
    assert "请选择门店" in text_of(refused)
    assert count(AuditLog, AuditLog.action == "card_stock.issue_store") == 1


def test_does_the_export_download_the_printing_file_and_audit_it(as_owner, owner):
    batch = make_batch(owner, 4, with_track=True, with_pin=True)
    response = as_owner.get(f"/backoffice/card-stock/{batch.id}/export.csv")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert f"member-cards-batch-{batch.id}.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["卡号", "磁条号", "密码"] and len(rows) == 5
    assert sorted(r[0].strip() for r in rows[1:]) == [c.card_no for c in cards_of(batch)]
    sheet = load_workbook(io.BytesIO(as_owner.get(f"/backoffice/card-stock/{batch.id}/export.xlsx").data)).active
    assert sheet.max_row == 5 and sheet.cell(1, 3).value == "密码"
    assert count(AuditLog, AuditLog.action == "card_stock.batch_export") == 2
    page = text_of(as_owner.get(f"/backoffice/card-stock/{batch.id}"))
    assert re.search(r'id="batch-exported">[^<]*· ', page)  # when and by whom
    assert as_owner.get(f"/backoffice/card-stock/{batch.id}/export.pdf").status_code == 404


def test_can_one_card_be_handed_out_and_taken_back_but_not_out_of_order(as_owner, owner, store):
    batch = make_batch(owner, 2)
    card = cards_of(batch)[0]
    as_owner.post(f"/backoffice/card-stock/cards/{card.id}/issue", data={"store_id": str(store.id)})
    assert (fresh(card).state, fresh(card).store_id) == ("issued", store.id)
    again = as_owner.post(f"/backoffice/card-stock/cards/{card.id}/issue", data={"store_id": ""},
                          follow_redirects=True)
    assert "不能变为「已发卡」" in text_of(again) and fresh(card).store_id == store.id
    taken = as_owner.post(f"/backoffice/card-stock/cards/{card.id}/take-back", follow_redirects=True)
    assert "已收回并作废该卡" in text_of(taken) and fresh(card).state == "returned"
    other = cards_of(batch)[1]
    refused = as_owner.post(f"/backoffice/card-stock/cards/{other.id}/take-back", follow_redirects=True)
    assert "不能变为「已退卡」" in text_of(refused) and fresh(other).state == "made"


def test_are_another_merchants_batches_cards_and_stores_not_found(as_owner, owner, elsewhere):
    batch_id, card_id = elsewhere["batch"].id, elsewhere["card"].id
    assert as_owner.get(f"/backoffice/card-stock/{batch_id}").status_code == 404
    assert as_owner.get(f"/backoffice/card-stock/{batch_id}/export.csv").status_code == 404
    assert as_owner.post(f"/backoffice/card-stock/{batch_id}/issue", data={"count": "1"}).status_code == 404
    assert as_owner.post(f"/backoffice/card-stock/cards/{card_id}/issue", data={}).status_code == 404
    assert as_owner.post(f"/backoffice/card-stock/cards/{card_id}/take-back").status_code == 404
    assert as_owner.get("/backoffice/card-stock/99999999999").status_code == 404
    mine = make_batch(owner, 2)
    response = as_owner.post(f"/backoffice/card-stock/{mine.id}/issue",
                             data={"store_id": elsewhere["store"].id, "count": "1"}, follow_redirects=True)
    assert response.status_code == 200 and {c.state for c in cards_of(mine)} == {"made"}
    assert "隔壁批次" not in text_of(as_owner.get("/backoffice/card-stock"))
    assert {c.state for c in cards_of(elsewhere["batch"])} == {"made"}


def test_does_binding_on_the_member_page_go_through_the_stock(as_owner, owner, make, merchant):
    batch = make_batch(owner, 2)
    member = make.member(merchant, mobile="13800001234")
    db.session.commit()
    refused = as_owner.post(f"/backoffice/members/{member.id}/card", data={"card_no": "100000000008"})
    assert refused.status_code == 400 and "不在本店的实体卡库存中" in text_of(refused)
    card = cards_of(batch)[0]
    bound = as_owner.post(f"/backoffice/members/{member.id}/card", data={"card_no": card.card_no})
    assert bound.status_code == 302
    assert (fresh(card).state, fresh(card).member_id) == ("active", member.id)
    assert count(MemberIdentity, MemberIdentity.value == card.card_no) == 1


def test_is_a_cash_counter_top_up_refunded_by_hand_from_the_order_page(as_owner, owner, store, make, merchant):
    from models import Order, OrderRefund
    from services.wallet import counter_topup, stored_value
    member = make.member(merchant, mobile="13800004321")
    stored_value.enable(db.session, owner)
    stored_value.settings_of(db.session, merchant.id).allow_custom_amount = True
    order = counter_topup.take_by_hand(db.session, merchant, owner, store_id=store.id, member_id=member.id,
                                       tender="cash", key="cash-1", custom_amount=5000)
    db.session.commit()
    page = text_of(as_owner.get(f"/backoffice/orders/{order.id}"))
    assert "现金" in page and 'id="refund-by-hand"' in page
    listing = text_of(as_owner.get("/backoffice/orders?channel=cash"))
    assert f'data-order-id="{order.id}"' in listing
    key = re.search(r'name="key"[^>]*value="([^"]+)"', page).group(1)
    done = as_owner.post(f"/backoffice/orders/{order.id}/refund", data={"amount": "50", "reason": "顾客不充了",
                                                                        "key": key})
    assert done.status_code == 302, text_of(done)
    refund = db.session.scalars(select(OrderRefund)).one()
    assert (refund.state, refund.staff_id, refund.amount) == ("succeeded", owner.id, 5000)
    assert fresh(order).state == "refunded"


def test_does_a_failed_batch_go_on_where_it_stopped(as_owner, owner, merchant, monkeypatch):
    monkeypatch.setattr("domain.card_stock.CHUNK", 4)
    batch = MemberCardBatch(merchant_id=merchant.id, name="中断的批次", quantity=10, prefix="", with_track=False,
                            with_barcode=False, with_pin=False, status="making", made=0, created_by_id=owner.id)
    db.session.add(batch)
    db.session.commit()
    batches.make_chunk(db.session, batch.id)
    batches.mark_failed(db.session, batch.id, RuntimeError("数据库连接中断"))
    db.session.commit()
    page = text_of(as_owner.get(f"/backoffice/card-stock/{batch.id}"))
    assert "制卡失败" in page and "数据库连接中断" in page and 'id="resume-batch"' in page
    assert 'id="export-csv"' not in page
    resumed = as_owner.post(f"/backoffice/card-stock/{batch.id}/resume", follow_redirects=True)
    assert "已继续制卡" in text_of(resumed)
    assert (fresh(batch).status, fresh(batch).made, len(cards_of(batch))) == ("done", 10, 10)
    again = as_owner.post(f"/backoffice/card-stock/{batch.id}/resume", follow_redirects=True)
    assert "没有制卡失败" in text_of(again) and len(cards_of(batch)) == 10

"""门店充值 on the staff page: find the member, choose a tier or an amount and the tender, confirm, the receipt and its
print, the store's top-ups of today; a double tap takes one top-up; roles (a cashier may, a verifier may not);
another merchant's member or order is 404; bad input answered in Chinese with nothing taken."""
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from domain import roles
from models import AuditLog, Order, Wallet
from sandbox import paycodes, wechat_state as sbx
from services.till import channels as till_channels
from services.wallet import stored_value
from tests.web.helpers import count, text_of
from tests.web.staff_h5.test_staff_h5 import second_phone, staff_login

PHONE = "13912345678"


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant(name="充值咖啡")
    owner = make.staff(merchant, role=roles.OWNER, username="boss")
    east, west = make.store(merchant, "东门店"), make.store(merchant, "西门店")
    cashier = make.staff(merchant, role=roles.CASHIER, username="east", stores_=[east])
    verifier = make.staff(merchant, role=roles.VERIFIER, username="checker", stores_=[east])
    member = make.member(merchant, mobile=PHONE, name="王小明")
    stored_value.enable(db.session, owner)
    settings = stored_value.settings_of(db.session, merchant.id)
    settings.allow_custom_amount, settings.custom_min, settings.custom_max = True, 1000, 500000
    tier = stored_value.save_rule(db.session, owner, None, pay_amount=10000, bonus=1000, instalment_total=0,
                                  instalment_months=0, points=0, growth=0, coupons=[], active=True, sort=0,
                                  starts_on=None, ends_on=None)
    other = make.merchant(name="隔壁")
    stranger = make.member(other, mobile="13700000000")
    db.session.commit()
    return dict(merchant=merchant, owner=owner, east=east, west=west, cashier=cashier, verifier=verifier,
                member=member, tier=tier, other=other, stranger=stranger)


def fields(body, form_id):
    """The named inputs of one form on the page, as the browser would send them (checked radios only)."""
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', body, re.S).group(0)
    values = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and (' type="radio"' not in tag or " checked" in tag):
            values[name.group(1)] = value.group(1) if value else ""
    return values


def choose(client, shop, **data):
    page = text_of(client.get(f"/staff/members/{shop['member'].id}/topup"))
    chosen = {**fields(page, "topup-form"), **data}
    return client.post(f"/staff/members/{shop['member'].id}/topup", data=chosen)


def balance(db, shop):
    db.session.expire_all()
    purse = db.session.scalars(select(Wallet).where(Wallet.member_id == shop["member"].id)).one_or_none()
    return (purse.principal, purse.bonus) if purse else (0, 0)


def test_can_a_cashier_find_a_member_and_take_a_cash_top_up_with_its_bonus(client, db, shop):
    staff_login(client, shop["cashier"])
    assert 'id="counter-topup-link"' in text_of(client.get("/staff/members"))
    assert 'id="counter-topup-from-till"' in text_of(client.get("/staff/checkout"))
    found = client.post("/staff/topup", data={"code": PHONE})
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/staff/members/{shop['member'].id}/topup")
    page = text_of(client.get(found.headers["Location"]))
    assert "充 ¥100.00" in page and "充 100 送 10" in page and 'id="tender-cash"' in page
    assert 'id="tender-wechat"' not in page  # no payment-code channel set up: cash and bank card only
    confirm = choose(client, shop, choice=f"rule:{shop['tier'].id}", tender="cash")
    body = text_of(confirm)
    assert confirm.status_code == 200, body
    assert "应收 ¥100.00" in body and "¥10.00" in body and re.search(r'id="summary-balance-after">¥110.00', body)
    paid = client.post(f"/staff/members/{shop['member'].id}/topup/pay", data=fields(body, "lookup-form"))
    assert paid.status_code == 302 and "/staff/topups/" in paid.headers["Location"]
    receipt = text_of(client.get(paid.headers["Location"]))
    assert "充值 ¥100.00" in receipt and "东门店" in receipt and "员工cashier" in receipt and "现金" in receipt
    assert re.search(r'id="receipt-balance-after">¥110.00', receipt) and re.search(r'id="receipt-bonus">¥10.00', receipt)
    assert balance(db, shop) == (10000, 1000)
    order = db.session.scalars(select(Order)).one()
    assert (order.channel, order.store_id, order.staff_id) == ("cash", shop["east"].id, shop["cashier"].id)
    printed = text_of(client.get(f"/staff/topups/{order.id}/print"))
    assert "储值充值" in printed and "¥110.00" in printed and "data-print" in printed
    today = text_of(client.get("/staff/topups"))
    assert f'id="topup-{order.id}"' in today and "实收 ¥100.00" in today
    # the same form sent again (a double tap, a refresh): the first top-up's receipt, nothing taken twice
    again = client.post(f"/staff/members/{shop['member'].id}/topup/pay", data=fields(body, "lookup-form"))
    assert again.status_code == 302 and again.headers["Location"] == paid.headers["Location"]
    assert count(Order) == 1 and balance(db, shop) == (10000, 1000)


def test_can_a_cashier_take_a_custom_amount_by_bank_card(client, db, shop):
    staff_login(client, shop["cashier"])
    confirm = choose(client, shop, choice="custom", amount="88.8", tender="bankcard")
    body = text_of(confirm)
    assert "应收 ¥88.80" in body and "银行卡" in body and "确认已收款" in body
    client.post(f"/staff/members/{shop['member'].id}/topup/pay", data=fields(body, "lookup-form"))
    assert balance(db, shop) == (8880, 0)


def test_does_a_member_card_number_find_the_member(client, db, shop):
    from services.members import members
    members.bind_identity(db.session, shop["member"], "card_no", "VIP100000000008")
    db.session.commit()
    staff_login(client, shop["cashier"])
    found = client.post("/staff/topup", data={"code": "VIP100000000008"})
    assert found.headers["Location"].endswith(f"/staff/members/{shop['member'].id}/topup")


@pytest.mark.parametrize("data, message", [
    (dict(choice="custom", amount="5"), "充值金额须在 10 到 5000 元之间"),
    (dict(choice="custom", amount="abc"), "金额须为"),
    (dict(choice="custom", amount="9" * 19), "金额"),
    (dict(choice="rule:99999999999"), "请选择充值档位或金额"),
    (dict(choice="rule:2147483647"), "档位已失效"),
    (dict(choice="nonsense"), "请选择充值档位或金额"),
    (dict(choice="custom", amount="12", tender="cheque"), "请选择收款方式"),
    (dict(choice="custom", amount="12", tender="wechat"), "请选择收款方式"),  # no channel set up
    (dict(choice="custom", amount="12\x00"), None),
])
def test_is_a_bad_choice_refused_with_nothing_taken(client, db, shop, data, message):
    staff_login(client, shop["cashier"])
    tender = data.pop("tender", "cash")
    response = choose(client, shop, tender=tender, **data)
    assert response.status_code in (400, 409)
    if message:
        assert message in text_of(response), re.findall(r'role="alert"[^>]*>([^<]*)', text_of(response))
    pay = client.post(f"/staff/members/{shop['member'].id}/topup/pay",
                      data={"choice": data.get("choice", ""), "amount": data.get("amount", ""), "tender": tender,
                            "key": "counter-topup:bad"})
    assert pay.status_code in (400, 409)
    assert count(Order) == 0 and balance(db, shop) == (0, 0)


def test_is_the_custom_range_said_in_yuan(client, db, shop):
    staff_login(client, shop["cashier"])
    body = text_of(choose(client, shop, choice="custom", amount="5", tender="cash"))
    assert "充值金额须在 10 到 5000 元之间" in body


def test_may_a_verifier_not_take_top_ups(client, db, shop):
    staff_login(client, shop["verifier"])
    for path in ("/staff/topup", f"/staff/members/{shop['member'].id}/topup", "/staff/topups"):
        response = client.get(path)
        assert response.status_code == 403 and "不能办理门店充值" in text_of(response)
    post = client.post(f"/staff/members/{shop['member'].id}/topup/pay",
                       data={"choice": f"rule:{shop['tier'].id}", "tender": "cash", "key": "counter-topup:x"})
    assert post.status_code == 403 and count(Order) == 0
    assert 'id="counter-topup-link"' not in text_of(client.get("/staff/members"))


def test_are_another_merchants_member_and_order_not_found(client, app, db, shop, make):
    staff_login(client, shop["cashier"])
    assert client.get(f"/staff/members/{shop['stranger'].id}/topup").status_code == 404
    post = client.post(f"/staff/members/{shop['stranger'].id}/topup/pay",
                       data={"choice": "custom", "amount": "50", "tender": "cash", "key": "counter-topup:y"})
    assert post.status_code == 404 and count(Order) == 0
    assert client.post("/staff/topup", data={"code": "13700000000"}).status_code == 404
    from services.wallet import counter_topup
    boss = make.staff(shop["other"], role=roles.OWNER, username="otherboss")
    their_store = make.store(shop["other"], "隔壁店")
    stored_value.enable(db.session, boss)
    stored_value.settings_of(db.session, shop["other"].id).allow_custom_amount = True
    theirs = counter_topup.take_by_hand(db.session, shop["other"], boss, store_id=their_store.id,
                                        member_id=shop["stranger"].id, tender="cash", key="theirs",
                                        custom_amount=5000)
    db.session.commit()
    assert client.get(f"/staff/topups/{theirs.id}").status_code == 404
    assert client.get(f"/staff/topups/{theirs.id}/print").status_code == 404
    assert client.get("/staff/topups/99999999999").status_code == 404


def test_is_a_west_store_top_up_hidden_from_an_east_cashier(client, app, db, shop, make):
    from services.wallet import counter_topup
    order = counter_topup.take_by_hand(db.session, shop["merchant"], shop["owner"], store_id=shop["west"].id,
                                       member_id=shop["member"].id, tender="cash", key="west", custom_amount=5000)
    db.session.commit()
    staff_login(client, shop["cashier"])
    assert client.get(f"/staff/topups/{order.id}").status_code == 404
    owner_phone = second_phone(app)
    staff_login(owner_phone, shop["owner"], store=shop["west"])
    assert "充值 ¥50.00" in text_of(owner_phone.get(f"/staff/topups/{order.id}"))


def test_does_a_payment_code_top_up_charge_the_customer(client, db, shop, live_server, app, monkeypatch):
    monkeypatch.setitem(app.config, "SANDBOX_NOTIFY_DELAYS", (0,))
    sbx.provision_account(db.session, shop["merchant"])
    db.session.commit()
    staff_login(client, shop["cashier"])
    body = text_of(choose(client, shop, choice=f"rule:{shop['tier'].id}", tender="wechat"))
    assert 'name="auth_code"' in body and 'id="scan"' in body and "微信付款码" in body
    data = fields(body, "lookup-form") | {"auth_code": paycodes.new_code("wechat")}
    paid = client.post(f"/staff/members/{shop['member'].id}/topup/pay", data=data)
    assert paid.status_code == 302, text_of(paid)
    order = db.session.scalars(select(Order)).one()
    assert order.channel == "wechat" and order.channel_trade_no
    receipt = text_of(client.get(paid.headers["Location"]))
    assert order.channel_trade_no in receipt and "微信付款码" in receipt
    assert balance(db, shop) == (10000, 1000)


def test_is_a_refused_payment_code_shown_with_a_fresh_key(client, db, shop, live_server):
    sbx.provision_account(db.session, shop["merchant"])
    db.session.commit()
    staff_login(client, shop["cashier"])
    body = text_of(choose(client, shop, choice=f"rule:{shop['tier'].id}", tender="wechat"))
    data = fields(body, "lookup-form")
    refused = client.post(f"/staff/members/{shop['member'].id}/topup/pay",
                          data=data | {"auth_code": paycodes.new_code("wechat", "notenough")})
    assert refused.status_code == 409 and "余额不足" in text_of(refused)
    assert fields(text_of(refused), "lookup-form")["key"] != data["key"]
    assert count(Order) == 0


def test_does_a_top_up_at_the_real_name_amount_register_the_members_name_first(client, db, shop, live_server,
                                                                              monkeypatch):
    """A member without a name topping up ¥100 where ¥100 needs a real name: the confirm page asks for it, an empty
    one is refused before any money moves (not even a payment code is charged), a typed one is registered
    (audited) and the top-up goes through."""
    settings = stored_value.settings_of(db.session, shop["merchant"].id)
    settings.real_name_threshold = 10000
    shop["member"].name = None
    sbx.provision_account(db.session, shop["merchant"])
    db.session.commit()
    staff_login(client, shop["cashier"])
    small = text_of(choose(client, shop, choice="custom", amount="99.99", tender="cash"))
    assert 'name="real_name"' not in small
    body = text_of(choose(client, shop, choice=f"rule:{shop['tier'].id}", tender="wechat"))
    assert 'name="real_name"' in body and "请登记会员的真实姓名" in body
    data = fields(body, "lookup-form") | {"auth_code": paycodes.new_code("wechat")}
    wechat, asked = till_channels.CHANNELS["wechat"], []
    monkeypatch.setitem(till_channels.CHANNELS, "wechat", SimpleNamespace(
        query=lambda *a, **k: asked.append("query") or wechat.query(*a, **k),
        charge=lambda *a, **k: asked.append("charge") or wechat.charge(*a, **k)))
    nameless = client.post(f"/staff/members/{shop['member'].id}/topup/pay", data=data | {"real_name": " "})
    assert nameless.status_code == 400 and "须实名" in text_of(nameless)
    assert count(Order) == 0 and asked == []  # refused before the channel was asked anything
    paid = client.post(f"/staff/members/{shop['member'].id}/topup/pay", data=data | {"real_name": "王小明"})
    assert paid.status_code == 302, text_of(paid)
    db.session.expire_all()
    assert shop["member"].name == "王小明" and balance(db, shop) == (10000, 1000)
    assert count(AuditLog, AuditLog.action == "member.update", AuditLog.staff_id == shop["cashier"].id) == 1

"""Member H5 gift cards: binding a physical card (PIN limits, SMS activation), the detail page, transfer links."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from domain import roles
from domain.clock import now_utc
from models import Card, Transfer
from services.cards import gift_batches, gift_issue, gift_spend, gift_templates, gift_transfer
from tests.web.member_h5 import test_h5_support
from tests.web.helpers import fresh, text_of, wechat_member, wechat_phone
from tests.web.member_h5.test_h5_support import latest_sms_code, sign_in

shop = test_h5_support.shop  # the fixture
GIVER_OPENID = "o-gift-member-0000000000000001"
FRIEND_OPENID = "o-gift-member-0000000000000002"


@pytest.fixture()
def owner(make, shop):
    return make.staff(shop, role=roles.OWNER)


@pytest.fixture()
def giver(make, db, shop):
    return wechat_member(make, shop, GIVER_OPENID, mobile="13700000001", name="李雷")


@pytest.fixture()
def friend(make, db, shop):
    return wechat_member(make, shop, FRIEND_OPENID, mobile="13700000002", name="韩梅梅")


@pytest.fixture()
def phone(client, shop, giver):
    return wechat_phone(client, shop, GIVER_OPENID)


def template(db, owner, activation="auto"):
    row = gift_templates.save_template(db.session, owner, None, title="新春礼品卡", face_values=[5000, 10000],
                                       themes=[{"label": "春节", "color": "#C0392B"}], activation=activation)
    db.session.commit()
    return row


def physical(db, owner, tpl):
    batch = gift_batches.create_batch(db.session, owner, tpl.id, 10000, 1)
    db.session.commit()
    return db.session.scalars(select(Card).where(Card.batch_id == batch.id)).one()


def electronic(db, shop, tpl, member, key="h5:1"):
    card = gift_issue.issue_electronic(db.session, shop, tpl.id, member.id, face_value=10000, theme=None,
                                       channel="staff", key=key)
    db.session.commit()
    return card


def url(shop, path=""):
    return f"/h5/{shop.slug}/gift-cards/{path}"


def test_is_a_wrong_pin_refused_and_limited_to_5_tries(db, make, shop, owner, giver, phone):
    card = physical(db, owner, template(db, owner))
    wrong = "12345678" if card.pin != "12345678" else "87654321"
    for left in (4, 3, 2, 1):
        response = phone.post(url(shop, "bind"), data={"card_no": card.card_no, "pin": wrong})
        assert response.status_code == 400 and f"卡号或密码不正确，还可尝试 {left} 次" in text_of(response)
    fifth = phone.post(url(shop, "bind"), data={"card_no": card.card_no, "pin": wrong})
    assert "密码错误次数过多，请 1 小时后再试" in text_of(fifth)
    right = phone.post(url(shop, "bind"), data={"card_no": card.card_no, "pin": card.pin})
    assert right.status_code == 409 and "密码错误次数过多" in text_of(right)
    assert fresh(card).state == "inactive" and fresh(card).member_id is None


def test_is_a_mistyped_card_number_refused_before_any_look_up(db, make, shop, owner, giver, phone):
    card = physical(db, owner, template(db, owner))
    typo = card.card_no[:-1] + str((int(card.card_no[-1]) + 1) % 10)
    response = phone.post(url(shop, "bind"), data={"card_no": typo, "pin": card.pin})
    assert response.status_code == 400 and "卡号不正确" in text_of(response)


def test_does_binding_an_auto_card_activate_it_with_its_face_value(db, make, shop, owner, giver, phone):
    card = physical(db, owner, template(db, owner))
    typed = " ".join(card.card_no[i:i + 4] for i in range(0, 16, 4))
    response = phone.post(url(shop, "bind"), data={"card_no": typed, "pin": card.pin})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/gift-cards/{card.id}")
    card = fresh(card)
    assert (card.state, card.member_id, card.wallet.principal) == ("active", giver.id, 10000)
    listing = text_of(phone.get(url(shop)))
    assert "新春礼品卡" in listing and "¥100.00" in listing and "已激活" in listing


def test_does_a_phone_activation_card_wait_for_the_sms_code(db, make, shop, owner, giver, phone):
    card = physical(db, owner, template(db, owner, activation="phone"))
    phone.post(url(shop, "bind"), data={"card_no": card.card_no, "pin": card.pin})
    assert (fresh(card).state, fresh(card).wallet_id) == ("claimed", None)
    page = text_of(phone.get(url(shop, str(card.id))))
    assert "已领取未激活" in page and "获取验证码" in page
    assert phone.post(url(shop, f"{card.id}/send-code")).status_code == 302
    code = latest_sms_code(db, giver.mobile)
    wrong = "000000" if code != "000000" else "111111"
    refused = phone.post(url(shop, f"{card.id}/activate"), data={"code": wrong}, follow_redirects=True)
    assert "验证码不正确" in text_of(refused) and fresh(card).state == "claimed"
    phone.post(url(shop, f"{card.id}/activate"), data={"code": code})
    card = fresh(card)
    assert (card.state, card.wallet.principal) == ("active", 10000)


def test_does_the_detail_page_show_a_refreshing_qr_the_code_and_the_spending_history(db, make, shop, owner,
                                                                                      giver, phone):
    card = electronic(db, shop, template(db, owner), giver)
    store = make.store(shop, "东门店")
    cashier = make.staff(shop, role=roles.CASHIER, stores_=[store])
    gift_spend.spend(db.session, cashier, card.id, store_id=store.id, method="scan", key="h5-spend", amount=2550)
    db.session.commit()
    page = text_of(phone.get(url(shop, str(card.id))))
    assert 'id="gift-qr"' in page and "<svg" in page and "¥74.50" in page and "东门店" in page and "-¥25.50" in page
    grouped = " ".join(card.code[i:i + 4] for i in range(0, 16, 4))
    assert grouped in page
    refreshed = phone.get(url(shop, f"{card.id}/qr.json"))
    assert refreshed.status_code == 200 and refreshed.get_json()["svg"].startswith("<svg")


def accept_path(html):
    return re.search(r'id="transfer-link">https?://[^/]+([^<]+)<', html).group(1)


def test_can_a_member_give_a_card_to_a_friend_through_a_link_that_works_once(db, make, shop, owner, giver, friend,
                                                                             client, phone):
    card = electronic(db, shop, template(db, owner), giver)
    assert phone.post(url(shop, f"{card.id}/transfer")).status_code == 302
    page = text_of(phone.get(url(shop, str(card.id))))
    assert "转赠中" in page and "取消转赠" in page
    link = accept_path(page)
    assert text_of(phone.get(link)).count("这是您送出的礼品卡") == 1
    sign_in(client, shop, "wechat", FRIEND_OPENID)
    offer = client.get(link)
    assert offer.status_code == 200 and "领取礼品卡" in text_of(offer) and "¥100.00" in text_of(offer)
    accepted = client.post(link)
    assert accepted.status_code == 302
    new = db.session.scalars(select(Card).where(Card.transferred_from_id == card.id)).one()
    assert (new.member_id, new.state, new.wallet_id) == (friend.id, "active", card.wallet_id)
    assert "¥100.00" in text_of(client.get(url(shop, str(new.id))))
    again = client.get(link)
    assert again.status_code == 409 and "已被领取" in text_of(again)
    sign_in(client, shop, "wechat", GIVER_OPENID)
    giver_page = text_of(client.get(url(shop, str(card.id))))
    assert "已转赠" in giver_page and 'id="gift-qr"' not in giver_page
    assert client.get(url(shop, f"{card.id}/qr.json")).status_code == 409


def test_can_the_giver_cancel_a_link_before_the_friend_accepts(db, make, shop, owner, giver, friend, client, phone):
    card = electronic(db, shop, template(db, owner), giver)
    phone.post(url(shop, f"{card.id}/transfer"))
    link = accept_path(text_of(phone.get(url(shop, str(card.id)))))
    phone.post(url(shop, f"{card.id}/transfer/cancel"))
    assert fresh(card).state == "active"
    sign_in(client, shop, "wechat", FRIEND_OPENID)
    refused = client.get(link)
    assert refused.status_code == 410 and "链接已失效" in text_of(refused)


def test_does_an_expired_link_say_so_and_give_the_card_back(db, make, shop, owner, giver, friend, client):
    card = electronic(db, shop, template(db, owner), giver)
    _, token = gift_transfer.create_transfer(db.session, shop, giver.id, card.id, now=now_utc() - timedelta(hours=25))
    db.session.commit()
    sign_in(client, shop, "wechat", FRIEND_OPENID)
    response = client.get(url(shop, f"accept/{token}"))
    assert response.status_code == 410 and "链接已过期" in text_of(response)
    assert fresh(card).state == "active"
    assert db.session.scalars(select(Transfer)).one().cancelled_at is not None


def test_is_another_members_gift_card_not_found(db, make, shop, owner, giver, friend, phone):
    theirs = electronic(db, shop, template(db, owner), friend)
    for path in (str(theirs.id), f"{theirs.id}/qr.json"):
        assert phone.get(url(shop, path)).status_code == 404, path
    assert phone.post(url(shop, f"{theirs.id}/transfer")).status_code == 404
    assert fresh(theirs).state == "active"
    assert phone.get(url(shop, "accept/not-a-real-token")).status_code == 404


def test_does_a_cashier_take_an_amount_at_the_staff_page_and_the_member_see_it(db, make, shop, owner, giver, client):
    from tests.web.staff_h5.test_staff_h5 import key_of, staff_login

    card = electronic(db, shop, template(db, owner), giver)
    store = make.store(shop, "西门店")
    cashier = make.staff(shop, role=roles.CASHIER, stores_=[store])
    db.session.commit()
    staff_login(client, cashier)
    looked = text_of(client.post("/staff/lookup", data={"code": card.code.lower()}))
    assert "新春礼品卡" in looked and "¥100.00" in looked and "137****0001" in looked
    too_much = client.post("/staff/verify", data={"code": card.code, "key": key_of(looked), "amount": "100.01"})
    assert too_much.status_code == 400 and "扣减金额不能超过余额" in text_of(too_much)
    done = client.post("/staff/verify", data={"code": card.code, "key": key_of(looked), "amount": "30.5"})
    assert done.status_code == 200 and "扣减 ¥30.50" in text_of(done)
    client.post("/staff/logout")
    sign_in(client, shop, "wechat", GIVER_OPENID)
    page = text_of(client.get(url(shop, str(card.id))))
    assert "¥69.50" in page and "-¥30.50" in page and "西门店" in page

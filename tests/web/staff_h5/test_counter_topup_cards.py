"""发实体卡 on the staff page: from the member found on the 会员 tab, a card of the stock bound by its number, barcode or
stripe, its PIN checked (wrong PINs count towards the look-up limit); 发卡并充值 goes on to the counter top-up; a
verifier may not; another merchant's member is 404; a card lost, returned or someone else's is refused."""
import pytest
from sqlalchemy import select

from domain import roles
from models import MemberCardStock, MemberIdentity
from services.card_stock import batches
from services.wallet import stored_value
from tests.web.helpers import count, fresh, text_of
from tests.web.staff_h5.test_staff_h5 import staff_login

PHONE = "13912345678"


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant(name="发卡咖啡")
    owner = make.staff(merchant, role=roles.OWNER, username="boss")
    east = make.store(merchant, "东门店")
    cashier = make.staff(merchant, role=roles.CASHIER, username="east", stores_=[east])
    verifier = make.staff(merchant, role=roles.VERIFIER, username="checker", stores_=[east])
    member = make.member(merchant, mobile=PHONE, name="王小明")
    other_member = make.member(merchant, mobile="13912340000", name="李雷")
    with_pin = batches.make_batch(db.session, owner, name="带密码", quantity=3, with_barcode=True, with_track=True,
                                  with_pin=True)
    plain = batches.make_batch(db.session, owner, name="无密码", quantity=3)
    stored_value.enable(db.session, owner)
    stranger = make.member(make.merchant(name="隔壁"), mobile="13700000000")
    db.session.commit()
    return dict(merchant=merchant, owner=owner, east=east, cashier=cashier, verifier=verifier, member=member,
                other_member=other_member, pin_cards=cards_of(with_pin), plain_cards=cards_of(plain),
                stranger=stranger)


def cards_of(batch):
    from extensions import db
    return db.session.scalars(select(MemberCardStock).where(MemberCardStock.batch_id == batch.id)
                              .order_by(MemberCardStock.card_no)).all()


def issue(client, member, **data):
    return client.post(f"/staff/members/{member.id}/card", data=data)


def test_can_a_cashier_issue_a_card_from_the_member_found_on_the_members_tab(client, db, shop):
    staff_login(client, shop["cashier"])
    member_page = text_of(client.post("/staff/members", data={"code": PHONE}))
    assert 'id="member-card-issue"' in member_page and 'id="member-topup"' in member_page
    page = text_of(client.get(f"/staff/members/{shop['member'].id}/card"))
    assert "发实体卡" in page and 'id="scan"' in page and 'name="pin"' in page and 'id="issue-and-topup"' in page
    card = shop["plain_cards"][0]
    done = issue(client, shop["member"], code=card.card_no, via="manual")
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/staff/members/{shop['member'].id}/card")
    after = text_of(client.get(done.headers["Location"]))
    assert "已为会员发卡" in after and 'id="member-stock-cards"' in after and "已激活" in after
    card = fresh(card)
    assert (card.state, card.member_id, card.store_id, card.issued_by_id) == \
        ("active", shop["member"].id, shop["east"].id, shop["cashier"].id)


def test_does_a_card_with_a_pin_need_the_right_pin_and_can_it_be_sold_with_a_top_up(client, db, shop):
    staff_login(client, shop["cashier"])
    card = shop["pin_cards"][0]
    missing = issue(client, shop["member"], code=card.barcode, via="scan")
    assert missing.status_code == 400 and "请输入卡背面的密码" in text_of(missing)
    wrong = "000000" if card.pin != "000000" else "111111"
    refused = issue(client, shop["member"], code=card.barcode, pin=wrong)
    assert refused.status_code == 400 and "卡密码不正确" in text_of(refused)
    assert fresh(card).state == "made"
    sold = issue(client, shop["member"], code=f";{card.track_no}?", pin=card.pin, then="topup")
    assert sold.status_code == 302 and sold.headers["Location"].endswith(f"/staff/members/{shop['member'].id}/topup")
    assert "已为会员发卡" in text_of(client.get(sold.headers["Location"]))
    assert fresh(card).state == "active"
    bound = db.session.scalars(select(MemberIdentity).where(MemberIdentity.kind == "card_no")).one()
    assert bound.value == card.card_no  # the printed number, whatever was swiped


def test_are_wrong_pins_limited(client, db, shop, app, monkeypatch):
    from staff_h5 import limits
    monkeypatch.setattr(limits, "MAX_FAILURES", 3, raising=False)
    staff_login(client, shop["cashier"])
    card = shop["pin_cards"][1]
    wrong = "000000" if card.pin != "000000" else "111111"
    statuses = [issue(client, shop["member"], code=card.card_no, pin=wrong).status_code for _ in range(12)]
    assert 429 in statuses and fresh(card).state == "made"
    assert "尝试次数过多" in text_of(issue(client, shop["member"], code=card.card_no, pin=card.pin))
    assert fresh(card).state == "made"


@pytest.mark.parametrize("code, message", [
    ("100000000008", "不在本店的实体卡库存中"),
    ("", "请输入或扫描实体卡号"),
    ("卡号", "卡号只能是"),
    ("1" * 60, "卡号过长"),
])
def test_is_a_bad_number_refused_with_nothing_bound(client, db, shop, code, message):
    staff_login(client, shop["cashier"])
    response = issue(client, shop["member"], code=code)
    assert response.status_code == 400 and message in text_of(response)
    assert count(MemberIdentity) == 0


def test_is_a_card_of_someone_else_or_returned_refused(client, db, shop):
    from services.members import members
    from services.card_stock import states
    taken, retired = shop["plain_cards"][1], shop["plain_cards"][2]
    members.bind_identity(db.session, shop["other_member"], "card_no", taken.card_no)
    states.issue_card(db.session, shop["owner"], retired.id)
    states.take_back(db.session, shop["owner"], retired.id)
    db.session.commit()
    staff_login(client, shop["cashier"])
    assert "该卡已绑定其他会员" in text_of(issue(client, shop["member"], code=taken.card_no))
    assert "已退卡作废" in text_of(issue(client, shop["member"], code=retired.card_no))
    assert count(MemberIdentity, MemberIdentity.member_id == shop["member"].id) == 0


def test_may_a_verifier_not_issue_cards(client, db, shop):
    staff_login(client, shop["verifier"])
    assert 'id="member-card-issue"' not in text_of(client.post("/staff/members", data={"code": PHONE}))
    page = client.get(f"/staff/members/{shop['member'].id}/card")
    assert page.status_code == 403 and "不能为会员发实体卡" in text_of(page)
    posted = issue(client, shop["member"], code=shop["plain_cards"][0].card_no)
    assert posted.status_code == 403 and fresh(shop["plain_cards"][0]).state == "made"


def test_is_another_merchants_member_not_found(client, db, shop):
    staff_login(client, shop["cashier"])
    assert client.get(f"/staff/members/{shop['stranger'].id}/card").status_code == 404
    assert issue(client, shop["stranger"], code=shop["plain_cards"][0].card_no).status_code == 404
    assert fresh(shop["plain_cards"][0]).state == "made"

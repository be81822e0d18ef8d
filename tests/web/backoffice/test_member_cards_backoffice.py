"""Back office member page: report a physical card lost, replace it, return it; who may do which."""
import re

import pytest

from domain import roles
from extensions import db
from models import MemberIdentity
from services.cards import physical as member_cards
from services.members import members
from services.wallet import journal as wallet
from tests.web.helpers import fresh, text_of


@pytest.fixture()
def carded(make, merchant):
    member = make.member(merchant)
    card = members.bind_identity(db.session, member, "card_no", "66000001")
    purse = wallet.member_wallet(db.session, merchant.id, member.id)
    wallet.credit(db.session, merchant.id, purse.id, 5000, 500, key="topup:bo")
    db.session.commit()
    return member, card, purse


def _key(page, action):
    form = re.search(rf'action="[^"]*/{action}".*?</form>', page, re.DOTALL).group(0)
    return re.search(r'name="key" value="([^"]+)"', form).group(1)


def test_can_staff_report_lost_replace_and_return_from_the_member_page(as_owner, carded):
    member, card, purse = carded
    page = text_of(as_owner.get(f"/backoffice/members/{member.id}"))
    assert "66000001" in page and "正常" in page and "挂失" in page
    lost = as_owner.post(f"/backoffice/members/{member.id}/cards/{card.id}/lost", data={"key": _key(page, "lost")},
                         follow_redirects=True)
    assert "已挂失" in text_of(lost) and fresh(purse).frozen
    replaced = as_owner.post(f"/backoffice/members/{member.id}/cards/{card.id}/replace",
                             data={"card_no": "66000002"}, follow_redirects=True)
    assert "新卡号 66000002 生效" in text_of(replaced) and not fresh(purse).frozen
    new_card = db.session.query(MemberIdentity).filter_by(value="66000002").one()
    page = text_of(as_owner.get(f"/backoffice/members/{member.id}"))
    assert "已补卡作废" in page and "退还本金 ¥50.00、收回赠送 ¥5.00" in page
    returned = as_owner.post(f"/backoffice/members/{member.id}/cards/{new_card.id}/return",
                             data={"key": _key(page, "return")}, follow_redirects=True)
    assert "已退卡" in text_of(returned)
    assert (fresh(purse).principal, fresh(purse).bonus) == (0, 0)
    assert member_cards.status(fresh(new_card)) == "returned"


def test_is_a_replacement_with_a_taken_or_malformed_number_refused(as_owner, make, merchant, carded):
    member, card, _ = carded
    other = make.member(merchant)
    members.bind_identity(db.session, other, "card_no", "66000009")
    db.session.commit()
    taken = as_owner.post(f"/backoffice/members/{member.id}/cards/{card.id}/replace", data={"card_no": "66000009"},
                          follow_redirects=True)
    assert "已绑定到其他会员" in text_of(taken)
    malformed = as_owner.post(f"/backoffice/members/{member.id}/cards/{card.id}/replace",
                              data={"card_no": "66-0000<x>"}, follow_redirects=True)
    assert "卡号只能包含字母和数字" in text_of(malformed)
    assert member_cards.status(fresh(card)) == "active"


def test_may_a_cashier_report_a_loss_but_not_return_a_card(sign_in_as, client, carded):
    member, card, purse = carded
    sign_in_as(roles.CASHIER)
    assert client.post(f"/backoffice/members/{member.id}/cards/{card.id}/return",
                       data={"key": "r-1"}).status_code == 403
    assert client.post(f"/backoffice/members/{member.id}/cards/{card.id}/lost",
                       data={"key": "l-1"}).status_code == 302
    assert fresh(purse).frozen and member_cards.status(fresh(card)) == "lost"


def test_is_a_card_action_without_its_key_refused_and_nothing_changed(as_owner, carded):
    member, card, purse = carded
    response = as_owner.post(f"/backoffice/members/{member.id}/cards/{card.id}/lost", data={}, follow_redirects=True)
    assert "页面已过期" in text_of(response) and not fresh(purse).frozen

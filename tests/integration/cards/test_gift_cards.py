"""Gift cards against PostgreSQL: spend and transfer racing, no overspending, one-time links, expiry, isolation."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from domain.clock import now_utc
from domain.errors import Conflict, DomainError, NotFound, PermissionDenied
from models import Card, CardTemplate, Merchant, Staff, Transfer, Verification, Wallet, WalletPosting
from services.cards import (gift_activation, gift_batches, gift_holdings, gift_issue, gift_spend, gift_templates,
                            gift_transfer, gift_void)
from services.verification import instruments
from services.wallet import journal as wallet
from tests.integration.helpers import run_concurrently

FACE = 10000


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    store_a, store_b = make.store(merchant, "东门店"), make.store(merchant, "西门店")
    cashier_a = make.staff(merchant, role="cashier", stores_=[store_a])
    cashier_b = make.staff(merchant, role="cashier", stores_=[store_b])
    giver, friend = make.member(merchant, name="李雷"), make.member(merchant, name="韩梅梅")
    return dict(merchant=merchant, owner=owner, store_a=store_a, store_b=store_b, cashier_a=cashier_a,
                cashier_b=cashier_b, giver=giver, friend=friend)


def gift_template(db, owner, **overrides):
    values = dict(title="新春礼品卡", face_values=[5000, FACE], themes=[{"label": "春节", "color": "#c0392b"}],
                  activation="auto", valid_days=365)
    values.update(overrides)
    return gift_templates.save_template(db.session, owner, None, **values)


def electronic(db, shop, template, member=None, key="issue:1", face_value=FACE, **extra):
    card = gift_issue.issue_electronic(db.session, shop["merchant"], template.id, (member or shop["giver"]).id,
                                       face_value=face_value, theme=None, channel="staff", key=key,
                                       issued_by=shop["owner"], **extra)
    db.session.commit()
    return card


def spend(session, staff_id, card_id, store_id, amount, key, now=None):
    return gift_spend.spend(session, session.get(Staff, staff_id), card_id, store_id=store_id, method="manual",
                            key=key, amount=amount, now=now)


def assert_journal_balances(db, wallet_id):
    db.session.expire_all()
    purse = db.session.get(Wallet, wallet_id)
    assert purse.principal >= 0 and purse.bonus >= 0
    assert wallet.journal_balance(db.session, wallet_id) == (purse.principal, purse.bonus)
    unbalanced = db.session.execute(
        select(WalletPosting.transaction_id).group_by(WalletPosting.transaction_id)
        .having(func.sum(WalletPosting.amount) != 0)).all()
    assert unbalanced == []
    return purse


def test_is_a_free_electronic_card_credited_as_bonus_and_a_paid_one_as_principal_up_to_the_price(db, make, shop):
    template = gift_template(db, shop["owner"])
    free = electronic(db, shop, template, key="free")
    paid = electronic(db, shop, template, key="paid", price_paid=9500)
    assert (free.state, free.theme, free.wallet.principal, free.wallet.bonus) == ("active", "春节", 0, FACE)
    assert (paid.wallet.principal, paid.wallet.bonus) == (9500, 500)
    with pytest.raises(DomainError, match="实付金额不能超过面值"):
        electronic(db, shop, template, key="over", price_paid=FACE + 1)
    assert free.wallet.kind == "gift_card" and free.wallet.member_id is None
    again = electronic(db, shop, template, key="free")
    assert again.id == free.id and db.session.scalar(select(func.count(Card.id))) == 2


def test_is_a_face_value_the_template_does_not_offer_refused(db, make, shop):
    template = gift_template(db, shop["owner"])
    with pytest.raises(DomainError, match="请选择礼品卡的面值"):
        electronic(db, shop, template, face_value=1234)


def test_do_20_concurrent_spends_on_one_card_never_overspend(app, db, make, shop):
    card = electronic(db, shop, gift_template(db, shop["owner"]))
    card_id, wallet_id, store_id = card.id, card.wallet_id, shop["store_a"].id
    staff_id = shop["cashier_a"].id

    done, refused = run_concurrently(app, 20, lambda s, i: spend(s, staff_id, card_id, store_id, 700, f"s{i}").id)

    assert len(done) == 14 and len(refused) == 6  # 14 x 7.00 = 98.00 of 100.00
    assert all(isinstance(e, Conflict) and "余额不足" in e.message for e in refused)
    purse = assert_journal_balances(db, wallet_id)
    assert purse.balance == FACE - 14 * 700
    assert db.session.scalar(select(func.sum(Verification.amount_taken))) == 14 * 700


def test_does_spending_the_whole_balance_use_the_card_up_and_undo_reopen_it(db, make, shop):
    card = electronic(db, shop, gift_template(db, shop["owner"]))
    record = spend(db.session, shop["cashier_a"].id, card.id, shop["store_a"].id, FACE, "all")
    db.session.commit()
    assert db.session.get(Card, card.id).state == "used_up"
    assert record.instrument_type == "gift_card" and record.wallet_transaction_id is not None
    with pytest.raises(Conflict, match="礼品卡已用完"):
        spend(db.session, shop["cashier_a"].id, card.id, shop["store_a"].id, 1, "more")
    db.session.rollback()
    instruments.undo(db.session, shop["cashier_a"], record.id)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Card, card.id).state == "active"
    assert assert_journal_balances(db, card.wallet_id).balance == FACE


def test_does_a_replayed_spend_take_the_money_once(db, make, shop):
    card = electronic(db, shop, gift_template(db, shop["owner"]))
    first = spend(db.session, shop["cashier_a"].id, card.id, shop["store_a"].id, 300, "same-key")
    again = spend(db.session, shop["cashier_a"].id, card.id, shop["store_a"].id, 300, "same-key")
    db.session.commit()
    assert first.id == again.id
    assert assert_journal_balances(db, card.wallet_id).balance == FACE - 300


@pytest.mark.parametrize("round_", range(6))
def test_a_gift_card_transferred_and_used_at_once_never_both(app, db, make, shop, round_):
    """The giver cancels the link and spends everything while the friend accepts: exactly one of them wins."""
    card = electronic(db, shop, gift_template(db, shop["owner"]), key=f"race:{round_}")
    _, token = gift_transfer.create_transfer(db.session, shop["merchant"], shop["giver"].id, card.id)
    db.session.commit()
    merchant_id, giver_id, friend_id, card_id = shop["merchant"].id, shop["giver"].id, shop["friend"].id, card.id
    staff_id, store_id, wallet_id = shop["cashier_a"].id, shop["store_a"].id, card.wallet_id

    def act(session, index):
        merchant = session.get(Merchant, merchant_id)
        if index == 0:
            gift_transfer.cancel_transfer(session, merchant, giver_id, card_id)
            return "spent", spend(session, staff_id, card_id, store_id, FACE, f"race-spend:{round_}").id
        return "accepted", gift_transfer.accept_transfer(session, merchant, friend_id, token).id

    done, refused = run_concurrently(app, 2, act)

    assert len(done) == 1 and len(refused) == 1
    purse = assert_journal_balances(db, wallet_id)
    old = db.session.get(Card, card_id)
    if done[0][0] == "spent":
        assert old.state == "used_up" and purse.balance == 0
        assert db.session.scalar(select(func.count(Card.id)).where(Card.transferred_from_id == card_id)) == 0
    else:
        assert old.state == "transferred" and purse.balance == FACE
        new = db.session.get(Card, done[0][1])
        assert (new.member_id, new.wallet_id, new.state) == (friend_id, wallet_id, "active")
        with pytest.raises(Conflict, match="礼品卡已转赠"):
            spend(db.session, staff_id, card_id, store_id, 1, f"late:{round_}")


@pytest.mark.parametrize("round_", range(6))
def test_does_opening_a_link_while_the_card_is_spent_never_let_both_happen(app, db, make, shop, round_):
    card = electronic(db, shop, gift_template(db, shop["owner"]), key=f"link-race:{round_}")
    merchant_id, giver_id, card_id = shop["merchant"].id, shop["giver"].id, card.id
    staff_id, store_id, wallet_id = shop["cashier_a"].id, shop["store_a"].id, card.wallet_id

    def act(session, index):
        if index == 0:
            gift_transfer.create_transfer(session, session.get(Merchant, merchant_id), giver_id, card_id)
            return "link"
        spend(session, staff_id, card_id, store_id, FACE, f"link-spend:{round_}")
        return "spent"

    done, refused = run_concurrently(app, 2, act)

    assert len(done) == 1 and len(refused) == 1
    purse = assert_journal_balances(db, wallet_id)
    state = db.session.get(Card, card_id).state
    assert (state, purse.balance) == (("transferring", FACE) if done == ["link"] else ("used_up", 0))
    links = db.session.scalar(select(func.count(Transfer.id)).where(Transfer.card_id == card_id))
    assert links == (1 if done == ["link"] else 0)


def test_can_the_giver_never_spend_after_the_friend_accepts(db, make, shop):
    card = electronic(db, shop, gift_template(db, shop["owner"]))
    spend(db.session, shop["cashier_a"].id, card.id, shop["store_a"].id, 2000, "before")
    _, token = gift_transfer.create_transfer(db.session, shop["merchant"], shop["giver"].id, card.id)
    db.session.commit()
    with pytest.raises(Conflict, match="转赠中"):
        spend(db.session, shop["cashier_a"].id, card.id, shop["store_a"].id, 100, "during")
    db.session.rollback()
    new = gift_transfer.accept_transfer(db.session, shop["merchant"], shop["friend"].id, token)
    db.session.commit()
    with pytest.raises(Conflict, match="已转赠"):
        spend(db.session, shop["cashier_a"].id, card.id, shop["store_a"].id, 100, "after")
    db.session.rollback()
    spend(db.session, shop["cashier_a"].id, new.id, shop["store_a"].id, FACE - 2000, "friend")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Card, new.id).state == "used_up"
    assert assert_journal_balances(db, card.wallet_id).balance == 0
    friend_history = gift_holdings.history(db.session, db.session.get(Card, new.id))
    assert [t.amount for t in friend_history] == [-(FACE - 2000)]  # the giver's spending stays the giver's


def test_does_a_link_work_once_under_10_concurrent_accepts(app, db, make, shop):
    card = electronic(db, shop, gift_template(db, shop["owner"]))
    _, token = gift_transfer.create_transfer(db.session, shop["merchant"], shop["giver"].id, card.id)
    friends = [make.member(shop["merchant"]).id for _ in range(10)]
    db.session.commit()
    merchant_id = shop["merchant"].id

    done, refused = run_concurrently(
        app, 10, lambda s, i: gift_transfer.accept_transfer(s, s.get(Merchant, merchant_id), friends[i], token).id)

    assert len(done) == 1 and len(refused) == 9
    assert all(e.message == "已被领取" for e in refused)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Card.id)).where(Card.transferred_from_id == card.id)) == 1
    transfer = db.session.scalars(select(Transfer)).one()
    assert transfer.new_card_id == done[0] and transfer.accepted_by_id in friends


def test_is_a_link_refused_after_24_hours_and_the_card_back_with_the_giver(db, make, shop):
    card = electronic(db, shop, gift_template(db, shop["owner"]))
    start = now_utc()
    transfer, token = gift_transfer.create_transfer(db.session, shop["merchant"], shop["giver"].id, card.id, now=start)
    db.session.commit()
    assert transfer.expires_at == start + timedelta(hours=24)
    assert len(token) >= 32 and transfer.token_hash != token and len(transfer.token_hash) == 64
    with pytest.raises(gift_transfer.TransferExpired, match="链接已过期"):
        gift_transfer.accept_transfer(db.session, shop["merchant"], shop["friend"].id, token,
                                      now=start + timedelta(hours=24))
    db.session.commit()  # what the accept page does: the release is kept
    db.session.expire_all()
    assert db.session.get(Card, card.id).state == "active"
    assert db.session.get(Transfer, transfer.id).cancelled_at is not None
    with pytest.raises(Conflict, match="链接已过期"):
        gift_transfer.accept_transfer(db.session, shop["merchant"], shop["friend"].id, token)


def test_is_a_link_still_good_just_before_24_hours(db, make, shop):
    card = electronic(db, shop, gift_template(db, shop["owner"]))
    start = now_utc()
    _, token = gift_transfer.create_transfer(db.session, shop["merchant"], shop["giver"].id, card.id, now=start)
    new = gift_transfer.accept_transfer(db.session, shop["merchant"], shop["friend"].id, token,
                                        now=start + timedelta(hours=23, minutes=59))
    assert new.state == "active" and new.member_id == shop["friend"].id


def test_does_a_cancelled_link_give_the_card_back_to_the_giver(db, make, shop):
    card = electronic(db, shop, gift_template(db, shop["owner"]))
    _, token = gift_transfer.create_transfer(db.session, shop["merchant"], shop["giver"].id, card.id)
    gift_transfer.cancel_transfer(db.session, shop["merchant"], shop["giver"].id, card.id)
    db.session.commit()
    assert db.session.get(Card, card.id).state == "active"
    with pytest.raises(Conflict, match="转赠已取消"):
        gift_transfer.accept_transfer(db.session, shop["merchant"], shop["friend"].id, token)


def test_can_a_cashier_spend_a_gift_card_only_in_their_own_store_and_where_the_template_allows(db, make, shop):
    template = gift_template(db, shop["owner"], store_ids=[shop["store_a"].id])
    card = electronic(db, shop, template)
    with pytest.raises(PermissionDenied, match="所属门店"):
        spend(db.session, shop["cashier_b"].id, card.id, shop["store_a"].id, 100, "b-in-a")
    with pytest.raises(Conflict, match="不能在本门店使用"):
        spend(db.session, shop["cashier_b"].id, card.id, shop["store_b"].id, 100, "b-in-b")
    db.session.rollback()
    lookup = instruments.lookup(db.session, shop["merchant"].id, card.code, shop["store_b"].id)
    assert lookup.kind == "gift_card" and lookup.reason == "该礼品卡不能在本门店使用"
    assert (lookup.take, lookup.take_max) == ("amount", FACE)
    record = instruments.verify(db.session, shop["cashier_a"], card.code, store_id=shop["store_a"].id,
                                method="manual", key="a-in-a", amount=100)
    assert record.amount_taken == 100 and record.store_id == shop["store_a"].id


def test_is_every_gift_card_action_of_another_merchant_not_found(db, make, shop):
    card = electronic(db, shop, gift_template(db, shop["owner"]))
    _, token = gift_transfer.create_transfer(db.session, shop["merchant"], shop["giver"].id, card.id)
    other = make.merchant()
    other_owner, other_store = make.staff(other, role="owner"), make.store(other)
    stranger = make.member(other)
    db.session.commit()
    with pytest.raises(NotFound):
        instruments.lookup(db.session, other.id, card.code, other_store.id)
    with pytest.raises(NotFound):
        spend(db.session, other_owner.id, card.id, other_store.id, 100, "x")
    with pytest.raises(NotFound):
        gift_transfer.accept_transfer(db.session, other, stranger.id, token)
    with pytest.raises(NotFound):
        gift_void.void(db.session, other_owner, card.id)
    with pytest.raises(NotFound):
        gift_holdings.member_card(db.session, other.id, stranger.id, card.id)
    with pytest.raises(NotFound):
        gift_issue.issue_electronic(db.session, other, card.template_id, stranger.id, face_value=FACE, theme=None,
                                    channel="staff", key="steal")


def test_does_a_voided_card_stop_spending_and_close_its_link(db, make, shop):
    card = electronic(db, shop, gift_template(db, shop["owner"]))
    _, token = gift_transfer.create_transfer(db.session, shop["merchant"], shop["giver"].id, card.id)
    gift_void.void(db.session, shop["owner"], card.id, reason="丢失")
    db.session.commit()
    assert db.session.get(Card, card.id).state == "voided"
    with pytest.raises(Conflict):
        gift_transfer.accept_transfer(db.session, shop["merchant"], shop["friend"].id, token)
    db.session.rollback()
    with pytest.raises(Conflict, match="已作废"):
        spend(db.session, shop["cashier_a"].id, card.id, shop["store_a"].id, 100, "void")
    db.session.rollback()
    with pytest.raises(Conflict, match="不能作废"):
        gift_void.void(db.session, shop["owner"], card.id)


def test_does_a_batch_get_unique_card_numbers_pins_and_codes_with_no_value_until_activation(db, make, shop):
    template = gift_template(db, shop["owner"])
    batch = gift_batches.create_batch(db.session, shop["owner"], template.id, FACE, 300)
    db.session.commit()
    rows = db.session.scalars(select(Card).where(Card.batch_id == batch.id)).all()
    assert len(rows) == 300 and {c.state for c in rows} == {"inactive"}
    assert len({c.card_no for c in rows}) == 300 and len({c.code for c in rows}) == 300
    assert all(len(c.pin) == 8 and c.wallet_id is None for c in rows)
    stored = db.session.execute(text("SELECT pin FROM cards WHERE id = :id"), {"id": rows[0].id}).scalar_one()
    assert rows[0].pin not in stored  # PINs are encrypted at rest
    with pytest.raises(DomainError, match="数量须在 1 到 5000 之间"):
        gift_batches.create_batch(db.session, shop["owner"], template.id, FACE, 5001)


def test_are_wrong_pins_limited_to_5_per_card_per_hour(db, make, shop):
    template = gift_template(db, shop["owner"])
    batch = gift_batches.create_batch(db.session, shop["owner"], template.id, FACE, 1)
    db.session.commit()
    card = db.session.scalars(select(Card).where(Card.batch_id == batch.id)).one()
    wrong = "00000000" if card.pin != "00000000" else "11111111"
    start = now_utc()
    for attempt in range(5):
        with pytest.raises(gift_activation.WrongPin):
            gift_activation.bind(db.session, shop["merchant"], shop["giver"].id, card.card_no, wrong, now=start)
        db.session.rollback()
    with pytest.raises(Conflict, match="密码错误次数过多"):
        gift_activation.bind(db.session, shop["merchant"], shop["giver"].id, card.card_no, card.pin, now=start)
    db.session.rollback()
    bound = gift_activation.bind(db.session, shop["merchant"], shop["giver"].id, card.card_no, card.pin,
                                 now=start + timedelta(hours=1, minutes=1))
    db.session.commit()
    assert (bound.state, bound.member_id) == ("active", shop["giver"].id)
    assert (bound.wallet.principal, bound.wallet.bonus) == (FACE, 0)



def test_does_issuing_an_electronic_card_count_it_on_the_template(db, make, shop):
    template = gift_template(db, shop["owner"])
    electronic(db, shop, template, key="count:1")
    electronic(db, shop, template, key="count:1")  # a retry of the same issue counts once
    electronic(db, shop, template, key="count:2")
    db.session.expire_all()
    assert db.session.get(CardTemplate, template.id).stock_issued == 2

"""A physical member card's life: made -> issued -> active -> lost / returned, each move conditional; binding through
the existing member card path marks the stock card active; the counter's 发卡 with its PIN; two staff handing
the same card to two members at once: one wins; the member card's lost / returned / replaced moves keep the
stock card in step."""
import pytest
from sqlalchemy import select, text

from domain.errors import Conflict, DomainError, IdentityTaken, NotFound, PermissionDenied
from models import AuditLog, MemberCardStock, MemberIdentity
from services.card_stock import batches, counter, states
from services.cards import physical as member_cards
from services.members import members
from services.till import checkout as till
from tests.integration.helpers import run_concurrently


@pytest.fixture()
def stock(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    east = make.store(merchant, "东门店")
    cashier = make.staff(merchant, role="cashier", stores_=[east])
    verifier = make.staff(merchant, role="verifier", stores_=[east])
    ann, bob = make.member(merchant, name="安"), make.member(merchant, name="鲍")
    batch = batches.make_batch(db.session, owner, name="首批", quantity=10, with_track=True, with_barcode=True,
                               with_pin=True)
    plain = batches.make_batch(db.session, owner, name="无密码", quantity=3)
    other = make.merchant()
    other_owner = make.staff(other, role="owner")
    stranger = make.member(other)
    db.session.commit()
    cards = db.session.scalars(select(MemberCardStock).where(MemberCardStock.batch_id == batch.id)
                               .order_by(MemberCardStock.card_no)).all()
    plain_cards = db.session.scalars(select(MemberCardStock).where(MemberCardStock.batch_id == plain.id)
                                     .order_by(MemberCardStock.card_no)).all()
    return dict(merchant=merchant, owner=owner, east=east, cashier=cashier, verifier=verifier, ann=ann, bob=bob,
                batch=batch, cards=cards, plain=plain_cards, other=other, other_owner=other_owner,
                stranger=stranger)


def fresh(db, card):
    db.session.expire_all()
    return db.session.get(MemberCardStock, card.id)


def test_does_a_store_get_the_next_cards_of_a_batch_in_printing_order(db, stock):
    moved = states.issue_to_store(db.session, stock["owner"], stock["batch"].id, store_id=stock["east"].id, count=4)
    db.session.commit()
    assert moved == 4
    issued = [fresh(db, c) for c in stock["cards"][:4]]
    assert all(c.state == "issued" and c.store_id == stock["east"].id and c.issued_by_id == stock["owner"].id
               for c in issued)
    assert fresh(db, stock["cards"][4]).state == "made"
    assert states.issue_to_store(db.session, stock["owner"], stock["batch"].id, store_id=stock["east"].id,
                                 count=100) == 6
    with pytest.raises(Conflict, match="已没有未发放的卡"):
        states.issue_to_store(db.session, stock["owner"], stock["batch"].id, store_id=stock["east"].id, count=1)
    assert states.issued_in_store(db.session, stock["merchant"].id, stock["east"].id) == 10


@pytest.mark.parametrize("count", [0, -1, 50_001, True])
def test_is_a_bad_count_refused(db, stock, count):
    with pytest.raises(DomainError, match="发放数量"):
        states.issue_to_store(db.session, stock["owner"], stock["batch"].id, store_id=stock["east"].id, count=count)


def test_are_another_merchants_batch_card_and_store_not_found(db, stock, make):
    their_store = make.store(stock["other"])
    with pytest.raises(NotFound):
        states.issue_to_store(db.session, stock["other_owner"], stock["batch"].id, store_id=their_store.id, count=1)
    with pytest.raises(NotFound):
        states.issue_to_store(db.session, stock["owner"], stock["batch"].id, store_id=their_store.id, count=1)
    with pytest.raises(NotFound):
        states.issue_card(db.session, stock["other_owner"], stock["cards"][0].id)
    with pytest.raises(PermissionDenied):
        states.issue_card(db.session, stock["cashier"], stock["cards"][0].id)
    db.session.rollback()
    assert fresh(db, stock["cards"][0]).state == "made"


def test_are_moves_out_of_order_refused(db, stock):
    card = stock["cards"][0]
    with pytest.raises(Conflict, match="不能变为「已退卡」"):  # made -> returned is not a move
        states.take_back(db.session, stock["owner"], card.id)
    states.issue_card(db.session, stock["owner"], card.id, store_id=stock["east"].id)
    with pytest.raises(Conflict, match="不能变为「已发卡」"):
        states.issue_card(db.session, stock["owner"], card.id)
    states.take_back(db.session, stock["owner"], card.id)
    db.session.commit()
    assert fresh(db, card).state == "returned" and fresh(db, card).returned_at is not None
    with pytest.raises(Conflict, match="已退卡作废"):
        members.bind_identity(db.session, stock["ann"], "card_no", card.card_no)
    actions = set(db.session.scalars(select(AuditLog.action).where(AuditLog.target_type == "member_card")))
    assert actions == {"card_stock.issue", "card_stock.return"}


def test_does_a_move_read_in_an_old_state_change_nothing(db, stock):
    card = db.session.get(MemberCardStock, stock["cards"][0].id)
    assert card.state == "made"
    with db.engine.begin() as other:  # another request moves it after this one read it
        other.execute(text("UPDATE member_card_stock SET state = 'issued' WHERE id = :id"), {"id": card.id})
    with pytest.raises(Conflict, match="刚刚已变化"):
        states.move(db.session, card, "active", member_id=stock["ann"].id)
    db.session.rollback()
    assert fresh(db, card).state == "issued" and fresh(db, card).member_id is None


def test_does_binding_through_the_member_card_path_activate_the_stock_card(db, stock):
    card = stock["cards"][0]
    identity = members.bind_identity(db.session, stock["ann"], "card_no", card.barcode, actor=stock["owner"])
    db.session.commit()
    assert identity.value == card.card_no  # the scanned barcode binds the printed number
    card = fresh(db, card)
    assert (card.state, card.member_id, card.issued_by_id) == ("active", stock["ann"].id, stock["owner"].id)
    assert card.activated_at is not None and card.issued_at is not None
    assert till.identify(db.session, stock["merchant"], card.track_no)[0].id == stock["ann"].id  # swiped at the till
    assert members.bind_identity(db.session, stock["ann"], "card_no", card.card_no).id == identity.id


def test_is_a_number_out_of_stock_refused_once_the_merchant_has_stock(db, stock, make):
    with pytest.raises(DomainError, match="不在本店的实体卡库存中"):
        members.bind_identity(db.session, stock["ann"], "card_no", "100000000008")
    db.session.rollback()
    # a merchant without stock binds any number, as before
    assert members.bind_identity(db.session, stock["stranger"], "card_no", "100000000008").value == "100000000008"


def test_is_a_card_bound_to_someone_else_refused(db, stock):
    card = stock["cards"][0]
    members.bind_identity(db.session, stock["ann"], "card_no", card.card_no)
    db.session.commit()
    with pytest.raises(IdentityTaken):
        members.bind_identity(db.session, stock["bob"], "card_no", card.card_no)
    with pytest.raises(Conflict, match="已绑定其他会员"):
        counter.issue_to_member(db.session, stock["cashier"], stock["bob"], card.card_no, pin=card.pin)


def test_does_the_counter_ask_for_the_pin_of_a_batch_that_has_one(db, stock):
    card = stock["cards"][0]
    with pytest.raises(DomainError, match="请输入卡背面的密码"):
        counter.issue_to_member(db.session, stock["cashier"], stock["ann"], card.card_no)
    wrong = "000000" if card.pin != "000000" else "111111"
    with pytest.raises(counter.WrongPin):
        counter.issue_to_member(db.session, stock["cashier"], stock["ann"], card.card_no, pin=wrong)
    with pytest.raises(PermissionDenied):
        counter.issue_to_member(db.session, stock["verifier"], stock["ann"], card.card_no, pin=card.pin)
    db.session.rollback()
    assert fresh(db, card).state == "made"
    issued = counter.issue_to_member(db.session, stock["cashier"], stock["ann"], f" {card.card_no} ", pin=card.pin,
                                     store_id=stock["east"].id)
    db.session.commit()
    assert issued.from_stock and issued.card_no == card.card_no
    card = fresh(db, card)
    assert (card.state, card.member_id, card.store_id) == ("active", stock["ann"].id, stock["east"].id)
    plain = counter.issue_to_member(db.session, stock["cashier"], stock["bob"], stock["plain"][0].card_no)
    assert plain.from_stock and fresh(db, stock["plain"][0]).state == "active"
    with pytest.raises(Conflict, match="无需重复发卡"):
        counter.issue_to_member(db.session, stock["cashier"], stock["bob"], stock["plain"][0].card_no)


def test_does_one_of_two_staff_handing_the_same_card_to_two_members_at_once_win(app, db, stock):
    card_no = stock["plain"][1].card_no
    people = [stock["ann"].id, stock["bob"].id]
    merchant_id, cashier_id = stock["merchant"].id, stock["cashier"].id

    def hand_out(session, index):
        from models import Member, Staff
        staff = session.get(Staff, cashier_id)
        member = session.get(Member, people[index])
        assert member.merchant_id == merchant_id
        return counter.issue_to_member(session, staff, member, card_no).identity_id

    results, errors = run_concurrently(app, 2, hand_out)
    assert len(results) == 1 and len(errors) == 1
    assert "已发给其他会员" in errors[0].message or "已绑定其他会员" in errors[0].message
    db.session.expire_all()
    bound = db.session.scalars(select(MemberIdentity).where(MemberIdentity.value == card_no)).all()
    card = db.session.get(MemberCardStock, stock["plain"][1].id)
    assert len(bound) == 1 and card.state == "active" and card.member_id == bound[0].member_id


def test_do_lost_returned_and_replaced_member_cards_keep_the_stock_in_step(db, stock):
    first, second, third = stock["plain"]
    identity = members.bind_identity(db.session, stock["ann"], "card_no", first.card_no)
    member_cards.report_lost(db.session, stock["owner"], stock["ann"], identity.id, key="lost:1")
    db.session.commit()
    assert fresh(db, first).state == "lost" and fresh(db, first).lost_at is not None
    fresh_identity = member_cards.replace(db.session, stock["owner"], stock["ann"], identity.id, second.card_no,
                                          key="replace:1")
    db.session.commit()
    assert fresh(db, first).state == "returned" and fresh(db, second).state == "active"
    assert fresh(db, second).member_id == stock["ann"].id
    member_cards.return_card(db.session, stock["owner"], stock["ann"], fresh_identity.id, key="return:1")
    db.session.commit()
    assert fresh(db, second).state == "returned" and fresh(db, second).returned_at is not None
    with pytest.raises(DomainError, match="不在本店的实体卡库存中"):  # a replacement must come from the stock too
        identity = members.bind_identity(db.session, stock["bob"], "card_no", third.card_no)
        member_cards.replace(db.session, stock["owner"], stock["bob"], identity.id, "999999999999", key="replace:2")
    db.session.rollback()
    assert fresh(db, third).state == "made"

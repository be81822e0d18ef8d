"""Physical member cards: lost (number stops, wallet frozen), replaced (new number, old one dead), returned."""
import pytest
from sqlalchemy import func, select

from domain.errors import Conflict, IdentityTaken, WalletFrozen
from models import AuditLog, MemberIdentity, WalletPosting
from services.cards import physical as member_cards
from services.members import members
from services.wallet import journal as wallet
from tests.integration.helpers import run_concurrently


@pytest.fixture()
def holder(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    member = make.member(merchant)
    card = members.bind_identity(db.session, member, "card_no", "88000001")
    purse = wallet.member_wallet(db.session, merchant.id, member.id)
    wallet.credit(db.session, merchant.id, purse.id, 10000, 1000, key="topup:1")
    db.session.commit()
    return dict(merchant=merchant, owner=owner, member=member, card=card, purse=purse)


def _journal_sums_to_zero(db, wallet_id):
    return db.session.scalar(select(func.coalesce(func.sum(WalletPosting.amount), 0))
                             .where(WalletPosting.transaction_id.in_(
                                 select(WalletPosting.transaction_id).where(WalletPosting.wallet_id == wallet_id))))


def test_does_a_lost_card_stop_working_and_freeze_the_wallet(db, holder):
    member_cards.report_lost(db.session, holder["owner"], holder["member"], holder["card"].id, key="lost:1")
    db.session.commit()
    assert members.find_by_identity(db.session, holder["merchant"].id, "card_no", "88000001") is None
    assert member_cards.number_status(db.session, holder["merchant"].id, "88000001")[1] == "lost"
    with pytest.raises(WalletFrozen):
        wallet.debit(db.session, holder["merchant"].id, holder["purse"].id, 100, key="spend:1")
    with pytest.raises(Conflict, match="不能挂失"):
        member_cards.report_lost(db.session, holder["owner"], holder["member"], holder["card"].id, key="lost:2")


def test_does_a_replacement_move_everything_to_the_new_number_and_kill_the_old_one(db, holder):
    member_cards.report_lost(db.session, holder["owner"], holder["member"], holder["card"].id, key="lost:1")
    fresh = member_cards.replace(db.session, holder["owner"], holder["member"], holder["card"].id, "88000002",
                                 key="replace:1")
    db.session.commit()
    found = members.find_by_identity(db.session, holder["merchant"].id, "card_no", "88000002")
    assert found.id == holder["member"].id and not db.session.get(type(holder["purse"]), holder["purse"].id).frozen
    assert wallet.member_wallet(db.session, holder["merchant"].id, found.id).principal == 10000
    old = db.session.get(MemberIdentity, holder["card"].id)
    assert old.replaced_by_id == fresh.id and member_cards.status(old) == "replaced"
    with pytest.raises(IdentityTaken):  # the old number can never be bound again, not even to the same member
        members.bind_identity(db.session, holder["member"], "card_no", "88000001")
    db.session.rollback()
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"member_card.lost", "member_card.replace"} <= actions


def test_is_a_replacement_with_the_same_number_refused(db, holder):
    with pytest.raises(Conflict, match="相同"):
        member_cards.replace(db.session, holder["owner"], holder["member"], holder["card"].id, "88000001",
                             key="replace:same")


def test_does_a_return_pay_back_principal_take_back_bonus_and_close_the_card(db, holder):
    member_cards.report_lost(db.session, holder["owner"], holder["member"], holder["card"].id, key="lost:1")
    settled = member_cards.return_card(db.session, holder["owner"], holder["member"], holder["card"].id,
                                       key="return:1")
    db.session.commit()
    assert (settled.principal_delta, settled.bonus_delta, settled.kind) == (-10000, -1000, "withdraw")
    purse = wallet.member_wallet(db.session, holder["merchant"].id, holder["member"].id)
    assert (purse.principal, purse.bonus) == (0, 0)
    assert _journal_sums_to_zero(db, purse.id) == 0
    assert tuple(wallet.journal_balance(db.session, purse.id)) == (0, 0)  # (principal, bonus) on the journal
    assert member_cards.status(db.session.get(MemberIdentity, holder["card"].id)) == "returned"
    with pytest.raises(Conflict, match="不能退卡"):
        member_cards.return_card(db.session, holder["owner"], holder["member"], holder["card"].id, key="return:2")


def test_do_concurrent_returns_of_one_card_settle_it_once(app, db, holder):
    merchant_id, member_id, card_id, owner_id = (holder["merchant"].id, holder["member"].id, holder["card"].id,
                                                 holder["owner"].id)

    def attempt(session, index):
        from models import Member, Staff

        member = session.get(Member, member_id)
        return member_cards.return_card(session, session.get(Staff, owner_id), member, card_id,
                                        key=f"ret:{index}").id

    results, errors = run_concurrently(app, 10, attempt)
    assert len(results) == 1 and len(errors) == 9
    purse = wallet.member_wallet(db.session, merchant_id, member_id)
    db.session.refresh(purse)
    assert (purse.principal, purse.bonus) == (0, 0)

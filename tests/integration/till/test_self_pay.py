"""Member self-pay against PostgreSQL with real threads: two payments of one member at once."""
import pytest
from sqlalchemy import func, select

from domain.errors import InsufficientBalance
from models import Member, Merchant, Verification, Wallet
from models.checkout import Checkout
from services.till import self_pay
from tests.integration.helpers import run_concurrently


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant()
    store = make.store(merchant)
    member = make.member(merchant)
    make.wallet(merchant, member, principal=10000)
    db.session.commit()
    return dict(merchant=merchant, store=store, member=member)


def paying(shop, keys):
    """operation(session, index) paying ¥80 from the member's balance in H5 with keys[index]."""
    merchant_id, store_id, member_id = shop["merchant"].id, shop["store"].id, shop["member"].id

    def pay(session, index):
        member = session.get(Member, member_id)
        made = self_pay.pay_with_balance(session, session.get(Merchant, merchant_id), member, store_id=store_id,
                                         amount=8000, choice=None, expected=8000, key=keys[index])
        return made.id
    return pay


def totals(db, shop):
    db.session.expire_all()
    purse = db.session.scalars(select(Wallet).where(Wallet.member_id == shop["member"].id)).one()
    return purse.principal + purse.bonus, db.session.scalar(select(func.count(Checkout.id)))


def test_does_only_one_of_two_self_payments_at_once_go_through_when_the_balance_covers_one(app, db, shop):
    done, refused = run_concurrently(app, 2, paying(shop, ["selfpay:tab-1", "selfpay:tab-2"]))
    assert len(done) == 1 and len(refused) == 1
    assert isinstance(refused[0], InsufficientBalance) and "还差 ¥60.00" in refused[0].message
    assert totals(db, shop) == (2000, 1)
    made = db.session.get(Checkout, done[0])
    assert (made.source, made.staff_id, made.api_key_id) == ("h5", None, None)


def test_does_one_key_sent_twice_at_once_pay_once(app, db, shop):
    done, refused = run_concurrently(app, 2, paying(shop, ["selfpay:double-tap"] * 2))
    assert refused == [] and len(done) == 2 and done[0] == done[1]
    assert totals(db, shop) == (2000, 1)
    assert db.session.scalar(select(func.count(Verification.id))) == 0

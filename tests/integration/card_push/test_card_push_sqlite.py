"""The card-package push queue on the embedded database `make run` uses: a change of a card holder marks them once
per transaction (an upsert from a SELECT), later changes only count, members without a card are never marked, a
claimed member changed during the call is released for later, and an unchanged one is deleted."""
from datetime import timedelta

from sqlalchemy import select

from tests import factories
from tests.web.common.test_cli_and_migrations import flask


def test_does_the_push_queue_mark_claim_and_settle_on_sqlite(tmp_path):
    from app import create_app
    from config import INSECURE_DEV_SECRET, TestConfig
    from domain.clock import now_utc
    from extensions import db
    from models import CardPackagePush, WechatCardHolding
    from services.card_push import pending, push
    from services.issuance import points as bulk_points
    from services.wallet import journal as wallet

    assert flask(tmp_path, "db", "upgrade").returncode == 0

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        SECRET_KEY = INSECURE_DEV_SECRET

    with create_app(Config).app_context():
        make = factories.Factories(db.session)
        merchant = make.merchant(slug="lite")
        holder, other, plain = (make.member(merchant) for _ in range(3))
        for n, member in enumerate((holder, other)):
            db.session.add(WechatCardHolding(merchant_id=merchant.id, card_id="pcard", code=f"12345678900{n}",
                                             openid=f"o{n}", member_id=member.id, state="activated"))
        purse = make.wallet(merchant, holder, principal=1_000)
        db.session.commit()

        def rows():
            db.session.expire_all()
            return {row.member_id: row.changes for row in db.session.scalars(select(CardPackagePush))}

        wallet.debit(db.session, merchant.id, purse.id, 100, key="lite:1")
        pending.member_changed(db.session, merchant.id, holder.id)  # the same transaction: still one change
        db.session.commit()
        wallet.debit(db.session, merchant.id, purse.id, 100, key="lite:2")
        db.session.commit()
        bulk_points.earn(db.session, merchant, [other.id, plain.id], 5, prefix="lite:gift:", note="赠送",
                         reference=("campaign", 1), now=now_utc())
        db.session.commit()
        assert rows() == {holder.id: 2, other.id: 1}

        claimed = push.claim(db.session, merchant.id, now_utc())
        assert claimed == {holder.id: 2, other.id: 1}
        assert push.claim(db.session, merchant.id, now_utc()) == {}  # leased to the first run
        wallet.debit(db.session, merchant.id, purse.id, 100, key="lite:3")  # during the call
        db.session.commit()
        outcome = push.push_claimed(db.session, merchant, claimed)  # no card in WeChat here: nothing to call
        db.session.commit()
        assert outcome == {"pushed": 1, "failed": 0, "changed": 1}
        assert rows() == {holder.id: 3}
        later = now_utc() + push.SETTLE + timedelta(seconds=1)
        assert push.claim(db.session, merchant.id, later) == {holder.id: 3}
        db.session.remove()
        db.engine.dispose()

"""The till on the embedded database `make run` uses: a payment claims its key with SQLite's ON CONFLICT too."""
from sqlalchemy import select

from tests.web.common.test_cli_and_migrations import flask


def test_does_a_till_payment_and_its_retry_work_on_the_embedded_sqlite_database(tmp_path):
    from app import create_app
    from config import INSECURE_DEV_SECRET, TestConfig
    from extensions import db
    from models import Member, Merchant, Staff, Store
    from services.till import checkout
    from services.wallet import journal as wallet

    assert flask(tmp_path, "db", "upgrade").returncode == 0
    assert flask(tmp_path, "seed-demo").returncode == 0

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        SECRET_KEY = INSECURE_DEV_SECRET  # the demo's channel credentials were sealed with the development key

    app = create_app(Config)
    with app.app_context():
        merchant = db.session.scalars(select(Merchant).limit(1)).one()
        owner = db.session.scalars(select(Staff).where(Staff.merchant_id == merchant.id, Staff.role == "owner")).first()
        store = db.session.scalars(select(Store).where(Store.merchant_id == merchant.id)).first()
        member = db.session.scalars(select(Member).where(Member.merchant_id == merchant.id).order_by(Member.id)).first()
        purse = wallet.member_wallet(db.session, merchant.id, member.id)
        wallet.credit(db.session, merchant.id, purse.id, 10000, key="sqlite-topup")
        db.session.commit()

        def pay(key):
            return checkout.pay(db.session, merchant, owner, store_id=store.id, member_id=member.id, amount=5000,
                                tender="balance", choice=None, seed="s", key=key)

        first = pay("sqlite-1")
        db.session.commit()
        assert pay("sqlite-1").id == first.id  # the retry answers with the first payment
        second = pay("sqlite-2")
        db.session.commit()
        assert second.id != first.id and first.balance_paid + second.balance_paid <= 10000

        # Through the JSON API: the second quote (the key remembered) runs outside a transaction, on SQLite too.
        from services.merchant import api_keys
        from services.coupons import issue as coupon_issue, templates as coupon_templates

        secret = api_keys.create(db.session, owner, name="收银机").plaintext
        template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满10减5", amount_off=500,
                                                  min_spend=500, validity_mode="relative", valid_days=30)
        code = coupon_issue.claim(db.session, merchant, template.id, member.id, channel="bulk", key="sqlite-coupon")
        db.session.commit()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {secret}"}
        body = {"store_id": store.id, "member_id": member.id, "amount": 1000, "tender": "cash"}
        quotes = [client.post("/api/v1/checkout/quote", json=body, headers=headers) for _ in range(2)]
        assert [q.status_code for q in quotes] == [200, 200] and quotes[0].get_json() == quotes[1].get_json()
        assert code.id in quotes[1].get_json()["coupon_ids"]  # read with the member, in one statement
        paid = client.post("/api/v1/checkout/pay", json={**body, "choice": quotes[1].get_json()["choice"]},
                           headers={**headers, "Idempotency-Key": "sqlite-api-1"})
        assert paid.status_code == 201, paid.get_json()
        assert code.id in paid.get_json()["coupon_code_ids"]
        db.session.remove()
        db.engine.dispose()

"""Rotating CREDENTIALS_KEYS (README "Production"): with a new key put first, `flask rotate-credentials` re-encrypts
every stored secret so that the old key can be dropped; a second run has nothing left to do."""
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from models import Card, Merchant, crypto
from services.cards import gift_batches, gift_templates


@pytest.fixture()
def keys(app):
    """An old and a new key; the application's own cipher is put back afterwards."""
    installed = crypto._cipher, crypto._newest
    old, new = Fernet.generate_key(), Fernet.generate_key()
    crypto.configure_cipher([old])
    yield old, new
    crypto._cipher, crypto._newest = installed


@pytest.fixture()
def secrets_under_the_old_key(db, make, keys):
    merchant = make.merchant()
    merchant.wechat_app_secret, merchant.wechat_pay_api_key = "app-secret-1", "pay-key-1"
    owner = make.staff(merchant, role="owner")
    template = gift_templates.save_template(db.session, owner, None, title="礼品卡", face_values=[5000], themes=[],
                                            activation="auto", valid_days=365)
    gift_batches.create_batch(db.session, owner, template.id, 5000, 3)
    db.session.commit()
    pins = dict(db.session.execute(select(Card.id, Card.pin).where(Card.merchant_id == merchant.id)).all())
    assert len(pins) == 3
    return merchant.id, pins


def stored(db, sql):
    return db.session.execute(text(sql)).scalars().all()


def test_can_the_old_key_be_dropped_after_rotating(app, db, keys, secrets_under_the_old_key):
    old, new = keys
    merchant_id, pins = secrets_under_the_old_key
    before = stored(db, "SELECT pin FROM cards ORDER BY id")
    crypto.configure_cipher([new, old])  # step 1: the new key first, the old one still decrypts

    first = app.test_cli_runner().invoke(args=["rotate-credentials"])
    again = app.test_cli_runner().invoke(args=["rotate-credentials"])

    assert first.exit_code == 0, first.output
    assert "merchants: 2 re-encrypted" in first.output and "cards: 3 re-encrypted" in first.output
    assert "cards: 0 re-encrypted, 3 already under the newest key" in again.output, again.output
    crypto.configure_cipher([new])  # step 3: the old key removed
    db.session.expire_all()
    merchant = db.session.get(Merchant, merchant_id)
    assert (merchant.wechat_app_secret, merchant.wechat_pay_api_key) == ("app-secret-1", "pay-key-1")
    assert dict(db.session.execute(select(Card.id, Card.pin)).all()) == pins
    assert not set(before) & set(stored(db, "SELECT pin FROM cards ORDER BY id"))


def test_does_a_secret_no_configured_key_opens_stop_the_rotation(app, db, keys, secrets_under_the_old_key):
    _old, new = keys
    crypto.configure_cipher([new])  # the old key forgotten before rotating: nothing can be read, nothing is lost
    answer = app.test_cli_runner().invoke(args=["rotate-credentials"])
    assert answer.exit_code != 0 and isinstance(answer.exception, crypto.CredentialDecryptError)

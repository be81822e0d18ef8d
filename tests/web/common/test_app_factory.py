"""The application factory: production refuses insecure settings; credentials are encrypted at rest."""
import pytest

from app import ConfigurationError, create_app
from config import ProductionConfig


def production(**overrides):
    class Config(ProductionConfig):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://root@127.0.0.1:5432/postgres"
        SECRET_KEY = "x" * 40
        CREDENTIALS_KEYS = "hFq8tHq8gkQf6qk8YQ6m3t2i1N2yJbWkz4o0t3mZxkA="

    for key, value in overrides.items():
        setattr(Config, key, value)
    return Config


@pytest.mark.parametrize("secret", ["", "dev-only-insecure-secret-key", "short"])
def test_does_production_refuse_to_start_without_a_real_secret_key(secret):
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app(production(SECRET_KEY=secret))


def test_does_production_refuse_to_start_without_credential_keys():
    with pytest.raises(ConfigurationError, match="CREDENTIALS_KEYS"):
        create_app(production(CREDENTIALS_KEYS=""))


def test_does_production_start_with_proper_settings():
    assert create_app(production()).config["ENV_NAME"] == "production"


def test_are_merchant_secrets_encrypted_in_the_database(db, make):
    from sqlalchemy import text

    merchant = make.merchant()
    merchant.wechat_app_secret = "s3cr3t-app-secret"
    db.session.commit()
    stored = db.session.execute(text("SELECT wechat_app_secret FROM merchants WHERE id = :id"), {"id": merchant.id}).scalar()
    assert "s3cr3t" not in stored
    db.session.expire_all()
    assert merchant.wechat_app_secret == "s3cr3t-app-secret"

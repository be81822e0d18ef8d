"""Shared storage for channel access tokens and tickets, with a lock so one process refreshes per expiry.

wechatpy keeps its token in a `SessionStorage`; ours are shared by every web and worker process
(Redis, or the database in the embedded mode) and add `get_or_refresh`.
"""
from datetime import timedelta

from sqlalchemy import select
from wechatpy.session import SessionStorage

from domain.clock import now_utc
from extensions import db
from redis import Redis
from models import SharedToken
from datetime import timezone

REFRESH_MARGIN_SECONDS = 300  # refresh early so a token never expires in flight


def _ttl(ttl):
    return max(1, int(ttl) - REFRESH_MARGIN_SECONDS) if ttl else None


class RedisTokenStorage(SessionStorage):
    def __init__(self, redis, prefix="tokens"):
        self.redis, self.prefix = redis, prefix

    def _key(self, key):
        return f"{self.prefix}:{key}"

    def get(self, key, default=None):
        value = self.redis.get(self._key(key))
        return value.decode() if value is not None else default

    def set(self, key, value, ttl=None):
        self.redis.set(self._key(key), value, ex=_ttl(ttl))

    def delete(self, key):
        self.redis.delete(self._key(key))

    def get_or_refresh(self, key, fetch):
        """The cached value, or one fetched by exactly one process while the others wait for it."""
        value = self.get(key)
        if value:
            return value
        with self.redis.lock(self._key(f"{key}:lock"), timeout=30, blocking_timeout=20):
            value = self.get(key)
            if value:
                return value
            value, ttl = fetch()
            self.set(key, value, ttl)
            return value


class DatabaseTokenStorage(SessionStorage):
    """The embedded mode: a row per key, refreshed under a row lock on its own connection."""

    def __init__(self, engine):
        self.engine = engine

    def get(self, key, default=None):
        with self.engine.connect() as connection:
            row = connection.execute(select(SharedToken.value, SharedToken.expires_at)
                                     .where(SharedToken.key == key)).one_or_none()
        return self._live(row) or default

    def set(self, key, value, ttl=None):
        with self.engine.begin() as connection:
            self._write(connection, key, value, ttl)

    def delete(self, key):
        with self.engine.begin() as connection:
            connection.execute(SharedToken.__table__.delete().where(SharedToken.key == key))

    def get_or_refresh(self, key, fetch):
        value = self.get(key)
        if value:
            return value
        with self.engine.begin() as connection:
            self._ensure_row(connection, key)
            row = connection.execute(select(SharedToken.value, SharedToken.expires_at)
                                     .where(SharedToken.key == key).with_for_update()).one()
            value = self._live(row)
            if value:
                return value
            value, ttl = fetch()
            self._write(connection, key, value, ttl)
            return value

    @staticmethod
    def _live(row):
        if row is None or not row.value:
            return None
        expires_at = row.expires_at
        if expires_at is not None and expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=timezone.utc)
        return row.value if expires_at is None or expires_at > now_utc() else None

    def _ensure_row(self, connection, key):
        exists = connection.execute(select(SharedToken.key).where(SharedToken.key == key)).first()
        if not exists:
            try:
                with connection.begin_nested():
                    connection.execute(SharedToken.__table__.insert().values(key=key, value="", created_at=now_utc()))
            except Exception:  # noqa: BLE001 - another process created it first
                pass

    def _write(self, connection, key, value, ttl):
        self._ensure_row(connection, key)
        expires = now_utc() + timedelta(seconds=_ttl(ttl)) if ttl else None
        connection.execute(SharedToken.__table__.update().where(SharedToken.key == key)
                           .values(value=value, expires_at=expires))


def storage_for(app):
    """Redis when REDIS_URL is set, else the database."""
    cached = app.extensions.get("token_storage")
    if cached is None:
        if app.config.get("REDIS_URL"):
            cached = RedisTokenStorage(Redis.from_url(app.config["REDIS_URL"]))
        else:
            cached = DatabaseTokenStorage(db.engine)
        app.extensions["token_storage"] = cached
    return cached


"""Transaction-scoped advisory locks on PostgreSQL (released at commit or rollback), for work that checks what
exists and then inserts, where two at once could both find a value free: the merchant's physical card numbers
(gift cards and member cards share one space, so a number the till is typed never names two cards)."""
from sqlalchemy import text


def hold(session, key):
    """Wait for and hold the lock named `key` until the transaction ends (nothing on SQLite: one writer)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def card_numbers(session, merchant_id):
    """The lock every batch of new physical card numbers (gift or member cards) of one merchant takes."""
    hold(session, f"card-no:{merchant_id}")

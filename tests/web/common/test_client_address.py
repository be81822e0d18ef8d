"""The client's address is the peer's unless PROXY_HOPS says how many proxies to trust: a client cannot choose the
address its guessing limits and the audit log record by sending X-Forwarded-For."""
from sqlalchemy import select

from models import AuditLog


def test_is_a_forged_forwarded_for_ignored_without_proxy_hops(client, db, make):
    owner = make.staff(make.merchant(slug="fwd"), role="owner", username="boss")
    db.session.commit()
    for _ in range(5):
        client.post("/backoffice/login", data={"merchant": "fwd", "username": "boss", "password": "wrong-password"},
                    headers={"X-Forwarded-For": "203.0.113.9"})
    locked = db.session.scalars(select(AuditLog).where(AuditLog.action == "staff.login_locked")).one()
    assert locked.ip == "127.0.0.1" and locked.target_id == str(owner.id)

"""Password guessing on the two sign-in pages: an account locks after 5 failures (the right password then refused
too, with the wait), an address after 30 across accounts; counted in the database without Redis and in Redis
with it; a lock of a real account is audited; an unknown user costs the same password check as a wrong password."""
import pytest
from sqlalchemy import select

from models import AuditLog, Staff
from tests.factories import PASSWORD
from web import login_limits


@pytest.fixture()
def boss(make, db):
    owner = make.staff(make.merchant(slug="guessme"), role="owner", username="boss")
    db.session.commit()
    return owner


def _try(client, password, username="boss", merchant="guessme", path="/backoffice/login"):
    return client.post(path, data={"merchant": merchant, "username": username, "password": password})


def test_does_an_account_lock_after_five_failures_even_for_the_right_password(client, db, boss):
    for _ in range(5):
        assert _try(client, "wrong-password").status_code == 200
    locked = _try(client, PASSWORD)
    assert locked.status_code == 429 and "分钟后再试" in locked.get_data(as_text=True)
    assert _try(client, PASSWORD, path="/staff/login").status_code == 429  # the staff page shares the count
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "staff.login_locked")).all()
    assert [(row.target_id, row.merchant_id) for row in audit] == [(str(boss.id), boss.merchant_id)]


def test_does_one_address_lock_after_thirty_failures_across_accounts(client, db, boss):
    for n in range(login_limits.ADDRESS_LIMIT):
        _try(client, "wrong-password", username=f"nobody{n}", path="/staff/login")
    assert _try(client, PASSWORD).status_code == 429  # a real account, from the same address


def test_does_the_count_live_in_redis_when_it_is_configured(app, client, db, boss, redis_url):
    app.config["REDIS_URL"] = redis_url
    try:
        for _ in range(5):
            _try(client, "wrong-password")
        assert _try(client, PASSWORD).status_code == 429
    finally:
        app.config["REDIS_URL"] = ""
    assert db.session.scalars(select(login_limits.LoginFailure)).all() == []  # nothing written to the database


def test_does_an_unknown_user_cost_a_password_check_like_a_wrong_password(client, db, boss, monkeypatch):
    checked = []
    monkeypatch.setattr(Staff, "check_stand_in_password", staticmethod(lambda password: checked.append(password)))
    assert _try(client, "whatever", username="ghost").status_code == 200
    assert _try(client, "whatever", merchant="no-such-shop").status_code == 200
    assert checked == ["whatever", "whatever"]


def test_does_signing_in_still_work_under_the_limit(client, db, boss):
    for _ in range(4):
        _try(client, "wrong-password")
    assert _try(client, PASSWORD).status_code == 302

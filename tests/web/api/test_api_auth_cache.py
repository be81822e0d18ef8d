"""Each process remembers a successful API-key authentication (and the stores the key checked) for a few seconds."""
from datetime import timedelta

import pytest
from sqlalchemy import event, update

from domain.clock import now_utc
from extensions import db
from models import ApiKey, Store
from services.merchant import api_keys
from services.verification import records as verifications
from tests.web.helpers import count, fresh
from tests.web.api.test_api import auth, error_of, make_code, make_key, verify


@pytest.fixture()
def clock(monkeypatch):
    """The cache's monotonic clock, moved by hand: clock.now += seconds."""

    class Clock:
        now = 1_000.0

    monkeypatch.setattr(api_keys, "_monotonic", lambda: Clock.now)
    return Clock


@pytest.fixture()
def key(owner):
    return make_key(owner)


def lookup(client, key, code, store_id):
    return client.get(f"/api/v1/codes/{code}?store_id={store_id}", headers=auth(key))


def revoke_from_another_process(key_id):
    """What another worker's revocation looks like from here: the row changes, this process's memory does not."""
    db.session.execute(update(ApiKey).where(ApiKey.id == key_id).values(active=False, revoked_at=now_utc()))
    db.session.commit()


def api_key_selects(run):
    seen = []

    def listen(conn, cursor, statement, params, context, executemany):
        if "FROM api_keys" in statement:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    return len(seen)


def test_does_a_remembered_key_skip_the_database(client, make, merchant, owner, store, key, clock):
    code = make_code(make, merchant, owner)
    assert api_key_selects(lambda: lookup(client, key, code, store.id)) == 1
    assert api_key_selects(lambda: lookup(client, key, code, store.id)) == 0
    clock.now += api_keys.CACHE_SECONDS - 0.1
    assert api_key_selects(lambda: lookup(client, key, code, store.id)) == 0
    clock.now += 0.1
    assert api_key_selects(lambda: lookup(client, key, code, store.id)) == 1


def test_does_revoking_a_key_refuse_it_at_once_in_the_same_process(client, make, merchant, owner, store, key, clock):
    code = make_code(make, merchant, owner)
    assert lookup(client, key, code, store.id).status_code == 200
    api_keys.revoke(db.session, owner, db.session.query(ApiKey).one().id)
    db.session.commit()
    response = lookup(client, key, code, store.id)
    assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"


def test_is_a_key_revoked_by_another_process_refused_once_the_memory_expires(client, make, merchant, owner, store,
                                                                             key, clock):
    code = make_code(make, merchant, owner)
    assert lookup(client, key, code, store.id).status_code == 200
    revoke_from_another_process(db.session.query(ApiKey).one().id)
    clock.now += api_keys.CACHE_SECONDS - 0.5
    assert lookup(client, key, code, store.id).status_code == 200  # the documented delay, within the TTL
    clock.now += 0.5
    assert lookup(client, key, code, store.id).status_code == 401
    assert verify(client, key, code, store.id).status_code == 401
    assert fresh(db.session.query(ApiKey).one()).active is False


def test_is_last_use_written_at_most_once_a_minute_while_remembered(key, clock):
    started = now_utc()
    actor = api_keys.authenticate(db.session, key, now=started)
    db.session.commit()
    assert fresh(db.session.query(ApiKey).one()).last_used_at == started
    api_keys.authenticate(db.session, key, now=started + timedelta(seconds=59))
    db.session.commit()
    assert fresh(db.session.query(ApiKey).one()).last_used_at == started
    later = started + api_keys.LAST_USED_RESOLUTION + timedelta(seconds=1)
    assert api_keys.authenticate(db.session, key, now=later) is actor  # still the remembered one
    db.session.commit()
    assert fresh(db.session.query(ApiKey).one()).last_used_at == later


def test_is_a_store_deactivated_elsewhere_refused_once_the_memory_expires(client, make, merchant, owner, store, key,
                                                                         clock):
    first, second = make_code(make, merchant, owner), make_code(make, merchant, owner, title="另一张")
    assert verify(client, key, first, store.id, request_key="a").status_code == 201
    db.session.execute(update(Store).where(Store.id == store.id).values(active=False))
    db.session.commit()
    clock.now += api_keys.CACHE_SECONDS
    response = verify(client, key, second, store.id, request_key="b")
    assert response.status_code == 403 and error_of(response)["message"] == "该门店已停用"


def test_does_a_remembered_store_never_open_another_merchants_store(client, make, merchant, owner, store, key, clock):
    code = make_code(make, merchant, owner)
    theirs = make.store(make.merchant(slug="other"), name="别家店")
    db.session.commit()
    assert lookup(client, key, code, store.id).status_code == 200
    assert lookup(client, key, code, theirs.id).status_code == 404
    assert verify(client, key, code, theirs.id).status_code == 404
    assert count(ApiKey) == 1 and fresh(db.session.query(ApiKey).one()).active


def test_does_a_store_restricted_key_stay_restricted_while_remembered(client, make, merchant, owner, store, clock):
    west = make.store(merchant, name="西门店")
    db.session.commit()
    restricted = make_key(owner, stores=[west], name="西门店收银")
    code = make_code(make, merchant, owner)
    assert lookup(client, restricted, code, west.id).status_code == 200
    assert lookup(client, restricted, code, store.id).status_code == 403
    assert verify(client, restricted, code, store.id).status_code == 403
    assert verify(client, restricted, code, west.id, request_key="k2").status_code == 201


def test_is_a_remembered_key_told_apart_from_staff_by_the_services(owner, key, clock):
    actor = api_keys.authenticate(db.session, key)
    row = db.session.query(ApiKey).one()
    assert verifications.is_api_key(actor) and verifications.is_api_key(row)
    assert not verifications.is_api_key(owner)
    with pytest.raises(Exception):
        actor.merchant_id = 0  # shared by a process's threads: immutable

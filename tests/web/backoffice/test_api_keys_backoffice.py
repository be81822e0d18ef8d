"""Back office: API keys are created (shown once), listed, restricted to stores and revoked, by managers only."""
import re

import pytest

from domain import roles
from extensions import db
from models import ApiKey, AuditLog
from services.merchant import api_keys
from tests.web.helpers import count, fresh, text_of

KEY_PATTERN = re.compile(r"mk_[a-z0-9]{8}_[A-Za-z0-9_-]{40,}")


def test_does_creating_a_key_show_it_once_and_store_only_its_hash(as_owner, merchant, store):
    assert as_owner.get("/backoffice/api-keys/new").status_code == 200
    response = as_owner.post("/backoffice/api-keys/new", data={"name": "前台收银机", "store_ids": [str(store.id)]})
    assert response.status_code == 200, text_of(response)
    assert response.headers["Cache-Control"] == "no-store"
    shown = KEY_PATTERN.findall(text_of(response))
    assert len(set(shown)) == 1 and "复制密钥" in text_of(response) and "无法再次查看" in text_of(response)
    key = db.session.query(ApiKey).filter_by(merchant_id=merchant.id).one()
    assert (key.name, key.all_stores, [s.id for s in key.stores]) == ("前台收银机", False, [store.id])
    assert key.secret_hash == api_keys.hash_key(shown[0])
    listing = text_of(as_owner.get("/backoffice/api-keys"))
    assert "前台收银机" in listing and key.prefix in listing and store.name in listing
    assert shown[0] not in listing and KEY_PATTERN.search(listing) is None
    assert count(AuditLog, AuditLog.action == "api_key.create") == 1


def test_is_a_key_without_a_name_refused_with_nothing_saved(as_owner, merchant):
    response = as_owner.post("/backoffice/api-keys/new", data={"name": "  "})
    assert response.status_code == 400 and "请填写密钥名称" in text_of(response)
    too_long = as_owner.post("/backoffice/api-keys/new", data={"name": "长" * 41})
    assert too_long.status_code == 400 and "不能超过 40 个字" in text_of(too_long)
    assert count(ApiKey) == 0


def test_can_a_key_be_limited_to_another_merchants_store(as_owner, make, db):
    theirs = make.store(make.merchant(slug="other-shop"), name="别家店")
    db.session.commit()
    response = as_owner.post("/backoffice/api-keys/new", data={"name": "x", "store_ids": [str(theirs.id)]})
    assert response.status_code == 400
    assert count(ApiKey) == 0


def test_does_revoking_a_key_turn_it_off_and_audit_it(as_owner, owner):
    created = api_keys.create(db.session, owner, name="旧收银机")
    db.session.commit()
    response = as_owner.post(f"/backoffice/api-keys/{created.key.id}/revoke")
    assert response.status_code == 302
    key = fresh(created.key)
    assert key.active is False and key.revoked_at is not None
    assert api_keys.authenticate(db.session, created.plaintext) is None
    assert count(AuditLog, AuditLog.action == "api_key.revoke") == 1
    assert "已吊销" in text_of(as_owner.get("/backoffice/api-keys"))
    again = as_owner.post(f"/backoffice/api-keys/{created.key.id}/revoke", follow_redirects=True)
    assert "该密钥已吊销" in text_of(again) and count(AuditLog, AuditLog.action == "api_key.revoke") == 1


def test_is_revoking_a_key_a_post_only(as_owner, owner):
    created = api_keys.create(db.session, owner, name="收银机")
    db.session.commit()
    assert as_owner.get(f"/backoffice/api-keys/{created.key.id}/revoke").status_code == 405
    assert fresh(created.key).active


@pytest.mark.parametrize("role", [roles.CASHIER, roles.VERIFIER, roles.OPERATOR])
def test_can_a_role_without_the_permission_manage_keys(sign_in_as, client, owner, role):
    created = api_keys.create(db.session, owner, name="收银机")
    db.session.commit()
    sign_in_as(role)
    assert client.get("/backoffice/api-keys").status_code == 403
    assert client.post("/backoffice/api-keys/new", data={"name": "偷偷建的"}).status_code == 403
    assert client.post(f"/backoffice/api-keys/{created.key.id}/revoke").status_code == 403
    assert fresh(created.key).active and count(ApiKey) == 1


def test_is_the_menu_entry_shown_only_to_managers(as_owner, sign_in_as, client):
    assert "开放接口" in text_of(as_owner.get("/backoffice/"))
    client.post("/backoffice/logout")
    sign_in_as(roles.OPERATOR)
    assert "开放接口" not in text_of(client.get("/backoffice/"))


def test_can_an_owner_see_or_revoke_another_merchants_key(as_owner, make, db):
    other = make.merchant(slug="other-co")
    theirs = api_keys.create(db.session, make.staff(other, role=roles.OWNER, username="them"), name="别家收银机")
    db.session.commit()
    assert "别家收银机" not in text_of(as_owner.get("/backoffice/api-keys"))
    assert as_owner.post(f"/backoffice/api-keys/{theirs.key.id}/revoke").status_code == 404
    assert fresh(theirs.key).active

"""Back office: the audit log, the dashboard and the navigation."""
import re

from domain import roles
from services.merchant import audit
from tests.web.helpers import text_of


def test_does_the_audit_log_show_who_did_what_before_and_after(as_owner, make, db, merchant, owner):
    as_owner.post("/backoffice/stores/new", data={"name": "陆家嘴店", "active": "y"})
    body = text_of(as_owner.get("/backoffice/audit"))
    assert "新增门店" in body and owner.name in body and "门店 #" in body
    assert "名称：陆家嘴店" in body and '"name"' not in body and "&#34;name&#34;" not in body


def test_is_the_audit_log_paginated(as_owner, db, merchant, owner):
    for n in range(55):
        audit.record(db.session, owner, "store.update", "store", n, {"name": f"旧{n}"}, {"name": f"新{n}"})
    db.session.commit()
    first = text_of(as_owner.get("/backoffice/audit"))
    assert "名称 从 旧54 改为 新54" in first and "新4<" not in first and "page=2" in first
    second = text_of(as_owner.get("/backoffice/audit?page=2"))
    assert "新4" in second and "新54" not in second


def test_does_the_dashboard_offer_quick_links_the_role_may_use(sign_in_as, client):
    sign_in_as(roles.CASHIER)
    body = text_of(client.get("/backoffice/"))
    assert "/backoffice/members/new" in body and "/backoffice/members" in body
    assert "/backoffice/settings" not in body and "/backoffice/audit" not in body


def test_does_the_menu_list_every_screen_for_an_owner(as_owner):
    nav = re.search(r'<nav class="bo-nav"[^>]*>(.*?)</nav>', text_of(as_owner.get("/backoffice/")), re.S).group(1)
    for path in ("/backoffice/members", "/backoffice/levels", "/backoffice/stores", "/backoffice/staff",
                 "/backoffice/settings", "/backoffice/audit"):
        assert f'href="{path}"' in nav

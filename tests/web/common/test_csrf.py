"""Back office: every form carries a CSRF token, and a POST without one is refused (production has CSRF on)."""
import re

import pytest

from models import Store
from tests.web.helpers import count, text_of


@pytest.fixture()
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def tokens(body):
    return re.findall(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', body)


@pytest.mark.parametrize("url", [
    "/backoffice/stores/new", "/backoffice/staff/new", "/backoffice/levels/new", "/backoffice/members/new",
    "/backoffice/settings", "/backoffice/settings/fields/new",
])
def test_does_every_form_carry_a_csrf_token(as_owner, csrf_on, url):
    assert tokens(text_of(as_owner.get(url)))


def test_does_the_member_page_carry_tokens_for_its_small_forms(as_owner, make, db, merchant, csrf_on):
    member = make.member(merchant)
    db.session.commit()
    body = text_of(as_owner.get(f"/backoffice/members/{member.id}"))
    assert len(tokens(body)) >= 3  # logout, freeze, bind card
    assert tokens(text_of(as_owner.get(f"/backoffice/members/{member.id}/points")))


def test_is_a_post_without_a_token_refused_and_one_with_it_accepted(as_owner, merchant, csrf_on):
    refused = as_owner.post("/backoffice/stores/new", data={"name": "无令牌店", "active": "y"})
    assert refused.status_code == 400
    assert count(Store, Store.merchant_id == merchant.id) == 0
    token = tokens(text_of(as_owner.get("/backoffice/stores/new")))[0]
    accepted = as_owner.post("/backoffice/stores/new", data={"name": "有令牌店", "active": "y", "csrf_token": token})
    assert accepted.status_code == 302
    assert count(Store, Store.merchant_id == merchant.id) == 1

"""A merchant's day-one flow in a real Chromium on a phone: log in, create a member, adjust points."""
from pathlib import Path

import pytest
from sqlalchemy import select

from models import Member, PointsTransaction
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def assert_no_horizontal_scroll(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"page scrolls sideways by {overflow}px on a 375px phone"


def test_can_an_owner_on_a_phone_log_in_create_a_member_and_adjust_points(live_server, phone, db, make):
    merchant = make.merchant(slug="e2ecafe", name="端到端咖啡")
    owner = make.staff(merchant, role="owner", username="boss")
    db.session.commit()
    merchant_id, username = merchant.id, owner.username

    phone.goto(f"{live_server}/backoffice/login")
    phone.fill("input[name=merchant]", "e2ecafe")
    phone.fill("input[name=username]", username)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("main form button[type=submit]")
    phone.wait_for_url(f"{live_server}/backoffice/")
    assert_no_horizontal_scroll(phone)

    phone.goto(f"{live_server}/backoffice/members/new")
    phone.fill("input[name=mobile]", "139 0000 1234")
    phone.fill("input[name=name]", "林小满")
    phone.click("main form button[type=submit]")
    phone.wait_for_url(f"{live_server}/backoffice/members/*")
    assert "林小满" in phone.content()
    assert_no_horizontal_scroll(phone)
    db.session.expire_all()
    member = db.session.scalars(select(Member).where(Member.merchant_id == merchant_id)).one()
    assert member.mobile == "13900001234"

    phone.goto(f"{live_server}/backoffice/members/{member.id}/points")
    phone.select_option("select[name=direction]", "add")
    phone.fill("input[name=points]", "120")
    phone.fill("textarea[name=reason]", "开业活动赠送")
    phone.click("main form button[type=submit]")
    phone.wait_for_url(f"{live_server}/backoffice/members/{member.id}")
    assert "开业活动赠送" in phone.content()
    assert_no_horizontal_scroll(phone)
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "backoffice-member-detail.png"), full_page=True)

    db.session.expire_all()
    assert db.session.get(Member, member.id).points_balance == 120
    txn = db.session.scalars(select(PointsTransaction).where(PointsTransaction.member_id == member.id)).one()
    assert (txn.kind, txn.amount, txn.note) == ("adjust", 120, "开业活动赠送")

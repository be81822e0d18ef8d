"""The reward rule form in a real Chromium: the fields follow the kind and the preview sentence follows the input."""
import pytest
from sqlalchemy import select

from models.rewards import RewardRule
from tests.e2e.test_backoffice_e2e import ARTIFACTS, assert_no_horizontal_scroll
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def test_does_the_rule_form_show_what_a_kind_asks_and_preview_it_live(live_server, phone, db, make):
    merchant = make.merchant(slug="e2egift", name="升级礼咖啡")
    owner = make.staff(merchant, role="owner", username="boss")
    db.session.commit()
    merchant_id = merchant.id
    phone.goto(f"{live_server}/backoffice/login")
    phone.fill("input[name=merchant]", "e2egift")
    phone.fill("input[name=username]", owner.username)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("main form button[type=submit]")
    phone.wait_for_url(f"{live_server}/backoffice/")

    phone.goto(f"{live_server}/backoffice/reward-rules/new")
    preview = phone.locator("#rule-preview")
    assert "会员在任意门店单笔实付满" in preview.inner_text()
    phone.fill("input[name=min_paid]", "50")
    phone.fill("input[name=points]", "100")
    phone.wait_for_function("() => document.getElementById('rule-preview').textContent.includes('¥50 后，获得 100 积分')")

    phone.select_option("select[name=kind]", "level_up")
    assert phone.locator("input[name=min_paid]").is_hidden()
    assert phone.locator("select[name=level_id]").is_visible()
    phone.select_option("select[name=level_id]", label="金卡")
    phone.wait_for_function("() => document.getElementById('rule-preview').textContent.includes('首次升级到「金卡」')")
    assert "获得 100 积分" in preview.inner_text()
    assert_no_horizontal_scroll(phone)
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "backoffice-gift-rule-form.png"), full_page=True)

    phone.fill("input[name=name]", "金卡升级礼")
    phone.click("main form button[type=submit]")
    phone.wait_for_url(f"{live_server}/backoffice/reward-rules?tab=level_up")
    assert "金卡升级礼" in phone.content()
    db.session.expire_all()
    rule = db.session.scalars(select(RewardRule).where(RewardRule.merchant_id == merchant_id)).one()
    assert (rule.kind, rule.rewards["points"], rule.min_paid) == ("level_up", 100, 0)

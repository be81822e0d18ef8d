"""The staff page's tabs and its 会员 tab: find a member by mobile and see what they can use in this store, guessing
mobiles is limited as on the verify page, and each page lights its own tab; a coupon's validity reads as on the
member's own page (the last valid day, not an exclusive midnight)."""
import re

from domain.clock import to_local, until_text
from tests.web.helpers import text_of
from tests.web.staff_h5.test_staff_h5 import shop, staff_login  # noqa: F401  (the shop fixture)


def current_tab(body):
    return re.search(r'data-tab="(\w+)" id="tab-\w+" aria-current="page"', body).group(1)


def test_does_each_staff_page_light_its_own_tab_and_show_the_store(client, shop):
    staff_login(client, shop["cashier_east"])
    for path, tab in (("/staff/", "verify"), ("/staff/checkout", "till"), ("/staff/members", "member"),
                      ("/staff/me", "me"), ("/staff/records", "me"), ("/staff/checkouts", "me")):
        body = text_of(client.get(path))
        assert current_tab(body) == tab, path
        assert 'id="staff-store">东门店<' in body, path


def test_can_the_member_tab_find_a_member_by_mobile_with_what_they_hold_here(client, shop):
    staff_login(client, shop["cashier_east"])
    page = text_of(client.get("/staff/members"))
    assert 'id="join-qr"' in page and "<svg" in page and 'id="scan-button"' in page
    found = text_of(client.post("/staff/members", data={"code": "13912345678"}))
    assert "王小明" in found and "满100减20" in found and 'id="verify-form-1"' in found
    assert current_tab(found) == "member"


def test_does_the_member_tab_say_when_a_member_holds_nothing(client, shop, make, db):
    make.member(shop["merchant"], mobile="13911112222", name="新会员")
    db.session.commit()
    staff_login(client, shop["cashier_east"])
    found = text_of(client.post("/staff/members", data={"code": "13911112222"}))
    assert 'id="nothing-held"' in found and "去收银" in found


def test_are_unknown_mobiles_on_the_member_tab_counted_and_limited(client, shop):
    staff_login(client, shop["cashier_east"])
    missed = client.post("/staff/members", data={"code": "13900000000"})
    assert missed.status_code == 404 and "该手机号不是会员" in text_of(missed)
    for _ in range(9):
        client.post("/staff/members", data={"code": "13900000000"})
    blocked = client.post("/staff/members", data={"code": "13912345678"})
    assert blocked.status_code == 429 and "王小明" not in text_of(blocked)


def test_does_a_scanned_coupon_show_its_last_valid_day(client, shop):
    staff_login(client, shop["cashier_east"])
    looked = text_of(client.post("/staff/lookup", data={"code": shop["code"].code}))
    code = shop["code"]
    tz = shop["merchant"].timezone
    shown = f"{to_local(code.starts_at, tz):%Y-%m-%d} 至 {until_text(code.ends_at, tz)}"
    assert shown in looked and " 00:00<" not in looked

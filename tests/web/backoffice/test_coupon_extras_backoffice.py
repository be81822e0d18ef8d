"""Back office: per-level points prices on the coupon form, bulk issue with progress, the cashier's issue list."""
import re

import pytest
from sqlalchemy import select

from domain import roles
from extensions import db
from models import BulkIssue, CouponCode, CouponTemplate, Level
from services.coupons import templates as coupon_templates
from tests.web.helpers import count, fresh, text_of

BASE = {"kind": "cash", "title": "积分券", "amount_off": "10", "validity_mode": "relative", "valid_days": "30",
        "active": "y"}


def levels_of(merchant):
    return db.session.scalars(select(Level).where(Level.merchant_id == merchant.id).order_by(Level.rank)).all()


def make_template(owner, **values):
    values = {"kind": "cash", "title": "十元券", "amount_off": 1000, "validity_mode": "relative", "valid_days": 30,
              **values}
    template = coupon_templates.save_template(db.session, owner, None, **values)
    db.session.commit()
    return template


def test_can_an_owner_set_a_points_price_per_level_with_blank_and_zero_meaning_not_allowed(as_owner, merchant):
    normal, silver, gold = levels_of(merchant)
    form = text_of(as_owner.get("/backoffice/coupons/new"))
    assert all(f'name="points_{level.id}"' in form for level in (normal, silver, gold))
    response = as_owner.post("/backoffice/coupons/new", data={
        **BASE, "obtain": "points", f"points_{normal.id}": "", f"points_{silver.id}": "0", f"points_{gold.id}": "200"})
    assert response.status_code == 302, text_of(response)
    template = db.session.query(CouponTemplate).filter_by(merchant_id=merchant.id).one()
    assert template.points_prices == {str(gold.id): 200} and template.free_claim is False

    edit = text_of(as_owner.get(f"/backoffice/coupons/{template.id}/edit"))
    assert re.search(rf'name="points_{gold.id}"[^>]*value="200"|value="200"[^>]*name="points_{gold.id}"', edit)
    saved = as_owner.post(f"/backoffice/coupons/{template.id}/edit", data={**BASE, f"points_{silver.id}": "150"})
    assert saved.status_code == 302
    assert fresh(template).points_prices == {str(silver.id): 150} and fresh(template).free_claim is True


def test_is_a_negative_or_huge_points_price_refused_with_nothing_saved(as_owner, merchant):
    level = levels_of(merchant)[0]
    for value in ("-1", "100000001", "abc"):
        response = as_owner.post("/backoffice/coupons/new", data={**BASE, f"points_{level.id}": value})
        assert response.status_code == 400
    assert count(CouponTemplate, CouponTemplate.merchant_id == merchant.id) == 0


def test_does_a_bulk_issue_preview_the_count_then_run_and_show_progress(as_owner, make, merchant, owner):
    template = make_template(owner)
    silver = levels_of(merchant)[1]
    people = [make.member(merchant) for _ in range(3)]
    people[0].level_id = silver.id
    make.member(make.merchant())  # another merchant's member is never counted
    db.session.commit()

    form = text_of(as_owner.get("/backoffice/coupons/bulk/new"))
    assert "十元券" in form and "银卡" in form
    preview = as_owner.post("/backoffice/coupons/bulk/new", data={"template_id": template.id, "level_id": 0,
                                                                  "tag_id": 0, "action": "preview"})
    assert preview.status_code == 200 and "符合条件的会员：3 位" in text_of(preview)
    assert count(BulkIssue) == 0
    narrowed = as_owner.post("/backoffice/coupons/bulk/new", data={"template_id": template.id, "level_id": silver.id,
                                                                   "tag_id": 0, "action": "preview"})
    assert "符合条件的会员：1 位" in text_of(narrowed)

    started = as_owner.post("/backoffice/coupons/bulk/new", data={"template_id": template.id, "level_id": 0,
                                                                  "tag_id": 0, "action": "confirm"})
    assert started.status_code == 302 and started.headers["Location"].endswith("/backoffice/coupons/bulk")
    bulk = db.session.scalars(select(BulkIssue)).one()
    db.session.refresh(bulk)
    assert (bulk.status, bulk.total, bulk.issued, bulk.created_by_id) == ("done", 3, 3, owner.id)
    assert count(CouponCode, CouponCode.channel == "bulk") == 3
    listing = text_of(as_owner.get(started.headers["Location"]))
    assert 'data-status="done"' in listing and 'value="100"' in listing and "3 / 0 / 3" in listing
    assert "auto_refresh.js" not in listing, "a finished list stops refreshing"


def test_does_the_bulk_list_refresh_itself_while_an_issue_is_running(as_owner, merchant, owner):
    template = make_template(owner)
    db.session.add(BulkIssue(merchant_id=merchant.id, template_id=template.id, filters={}, status="running",
                             total=10, issued=4, skipped=1))
    db.session.commit()
    listing = text_of(as_owner.get("/backoffice/coupons/bulk"))
    assert 'auto_refresh.js" data-after-ms="3000"' in listing and 'value="50"' in listing and "发放中" in listing


def test_is_a_bulk_issue_of_another_merchants_coupon_refused(as_owner, make, merchant):
    other = make.merchant()
    foreign = make_template(make.staff(other, role=roles.OWNER), title="别家的券")
    make.member(merchant)
    db.session.commit()
    response = as_owner.post("/backoffice/coupons/bulk/new", data={"template_id": foreign.id, "level_id": 0,
                                                                   "tag_id": 0, "action": "confirm"})
    assert response.status_code == 400 and count(BulkIssue) == 0


@pytest.mark.parametrize("role", [roles.CASHIER, roles.CUSTOMER_SERVICE])
def test_can_a_cashier_or_customer_service_reach_coupon_issue_from_their_list(sign_in_as, client, make, owner,
                                                                              merchant, role):
    active = make_template(owner, title="收银发券")
    make_template(owner, title="停发的券", active=False)
    member = make.member(merchant, mobile="13900000077")
    db.session.commit()
    sign_in_as(role)
    assert client.get("/backoffice/coupons").status_code == 403
    listing = text_of(client.get("/backoffice/coupons/issue"))
    assert "收银发券" in listing and "停发的券" not in listing
    issue_url = f"/backoffice/coupons/{active.id}/issue"
    assert issue_url in listing
    page = text_of(client.get(issue_url))
    key = re.search(r'name="key"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="key"', page)
    done = client.post(issue_url, data={"mobile": member.mobile, "key": key.group(1) or key.group(2)})
    assert done.status_code == 302 and done.headers["Location"].endswith("/backoffice/coupons/issue")
    assert count(CouponCode, CouponCode.member_id == member.id, CouponCode.channel == "staff") == 1


def test_may_a_guide_open_the_issue_list_or_bulk_pages(sign_in_as, client):
    sign_in_as(roles.GUIDE)
    assert client.get("/backoffice/coupons/issue").status_code == 403
    assert client.get("/backoffice/coupons/bulk").status_code == 403
    assert client.get("/backoffice/coupons/bulk/new").status_code == 403

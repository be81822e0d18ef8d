"""The 人群 pages: build an audience, see its count and first members, save, reopen, export, delete; bad input is a
message and no 500; another merchant's audience is a 404; only owner, admin and operator may use them."""
import re

import pytest

from domain import roles
from models import Audience


def test_does_a_merchant_build_save_reopen_export_and_delete_an_audience(as_owner, db, make, merchant):
    client, shop = as_owner, merchant
    women = [make.member(shop, gender="female") for _ in range(3)]
    make.member(shop, gender="male")
    other = make.merchant()
    make.member(other, gender="female")
    db.session.commit()
    page = client.get("/backoffice/audiences/build?genders=female")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "符合条件的会员：3 位" in body
    assert all(w.mobile in body for w in women)
    token = re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)
    saved = client.post("/backoffice/audiences/save", data={"csrf_token": token, "name": "女会员", "genders": "female"})
    assert saved.status_code == 302
    row = db.session.query(Audience).filter_by(merchant_id=shop.id).one()
    assert row.filters == {"genders": ["female"]}
    reopened = client.get(f"/backoffice/audiences/{row.id}", follow_redirects=True).get_data(as_text=True)
    assert "符合条件的会员：3 位" in reopened
    listing = client.get("/backoffice/audiences").get_data(as_text=True)
    assert "女会员" in listing
    csv = client.get("/backoffice/audiences/export?genders=female&fmt=csv")
    assert csv.status_code == 200 and csv.data.decode("utf-8").count("\n") == 4
    xlsx = client.get("/backoffice/audiences/export?genders=female&fmt=xlsx")
    assert xlsx.data[:2] == b"PK"
    client.post(f"/backoffice/audiences/{row.id}/delete", data={"csrf_token": token})
    assert db.session.query(Audience).count() == 0


def test_is_bad_input_a_message_and_another_merchants_audience_not_found(as_owner, db, make):
    client = as_owner
    other = make.merchant()
    stranger = Audience(merchant_id=other.id, name="别家", filters={})
    db.session.add(stranger)
    db.session.commit()
    for query in ("visits_min=lots", "spend_min=-5", "birthday_months=13", "last_visit_before=2026-13-01",
                  "visits_min=" + "9" * 5000):
        page = client.get(f"/backoffice/audiences/build?{query}")
        assert page.status_code == 200 and "bo-flash_warning" in page.get_data(as_text=True), query
    nul = client.get("/backoffice/audiences/build?joined_from=%00")
    assert nul.status_code == 400 and "控制字符" in nul.get_data(as_text=True)  # refused at the boundary
    assert client.get(f"/backoffice/audiences/{stranger.id}").status_code == 404
    assert client.get("/backoffice/audiences/export?visits_min=x&fmt=csv").status_code in (400, 422)


@pytest.mark.parametrize("role, allowed", [(roles.OPERATOR, True), (roles.CUSTOMER_SERVICE, False),
                                           (roles.GUIDE, False), (roles.CASHIER, False)])
def test_may_only_owner_admin_and_operator_build_audiences(sign_in_as, client, role, allowed):
    sign_in_as(role)
    status = client.get("/backoffice/audiences/build").status_code
    assert (status == 200) is allowed and (allowed or status in (302, 403))


def test_does_the_live_count_answer_the_filters_or_their_error(as_owner, db, make, merchant):
    for _ in range(2):
        make.member(merchant, gender="male")
    db.session.commit()
    assert as_owner.get("/backoffice/audiences/count?genders=male").get_json() == {"count": 2,
                                                                                   "text": "符合条件的会员：2 位"}
    answer = as_owner.get("/backoffice/audiences/count?visits_min=x").get_json()
    assert answer["error"] == answer["text"] == "到店次数须为整数"

"""我的会员 on the staff page: a guide sees the members they serve and nobody else's, searched by phone or name, a
page at a time; other roles have no such list. And a member who opens a guide's join link becomes that guide's
(first touch, or the latest scan when the merchant rebinds)."""
import pytest
from sqlalchemy import select

from domain import roles
from models import GuideChange, Member, RecruitSettings
from services.recruitment import sources
from tests.web.helpers import count, text_of
from tests.web.member_h5.test_h5_support import provision, sign_in
from tests.web.staff_h5.test_staff_h5 import staff_login

MINE = "/staff/members/mine"


@pytest.fixture()
def shop(db, make):
    merchant = provision(db, make.merchant(name="导购咖啡"))
    store = make.store(merchant, "东门店")
    people = {
        "cashier": make.staff(merchant, role=roles.CASHIER, username="east", stores_=[store]),
        "anna": make.staff(merchant, role=roles.GUIDE, username="anna", stores_=[store]),
        "bo": make.staff(merchant, role=roles.GUIDE, username="bo", stores_=[store]),
    }
    mine = [make.member(merchant, mobile=f"1380000{n:04d}", name=f"安娜客{n}", guide_id=people["anna"].id)
            for n in range(23)]
    theirs = make.member(merchant, mobile="13900009999", name="博的客人", guide_id=people["bo"].id)
    other = make.merchant()
    stranger = make.member(other, mobile="13800000001", name="别家客人")
    db.session.commit()
    return {"merchant": merchant, "store": store, "mine": mine, "theirs": theirs, "stranger": stranger, **people}


def test_does_a_guide_see_their_own_members_a_page_at_a_time(client, shop):
    staff_login(client, shop["anna"])
    assert 'id="guide-members-link"' in text_of(client.get("/staff/members"))
    first = text_of(client.get(MINE))
    assert "共 23 位" in first and first.count('class="weui-cell staff-guided"') == 20
    assert "博的客人" not in first and "别家客人" not in first and "138****0022" in first
    assert 'id="guide-members-next"' in first and 'id="guide-members-prev"' not in first
    second = text_of(client.get(MINE + "?page=2"))
    assert second.count('class="weui-cell staff-guided"') == 3 and 'id="guide-members-prev"' in second


@pytest.mark.parametrize("query, found", [("0007", ["安娜客7"]), ("安娜客12", ["安娜客12"]), ("博的客人", []),
                                          ("13900009999", []), ("13800000001", ["安娜客1"])])
def test_does_the_search_find_only_the_guides_own_members(client, shop, query, found):
    staff_login(client, shop["anna"])
    page = text_of(client.get(MINE, query_string={"q": query}))
    shown = [name for name in (f"安娜客{n}" for n in range(23)) if f">{name} <" in page]
    assert shown == found
    if not found:
        assert 'id="guide-members-none"' in page and "没有找到符合条件的会员" in page


@pytest.mark.parametrize("args, status", [
    ({"q": "a\x00b"}, 400), ({"q": "x" * 5000}, 200), ({"page": "abc"}, 200), ({"page": "99999999999"}, 404),
    ({"page": "-3"}, 200), ({"q": "%_%"}, 200)])
def test_is_odd_input_on_the_list_harmless(client, shop, args, status):
    """A NUL or an id-like number beyond any page is refused at the boundary; the rest opens the list."""
    staff_login(client, shop["anna"])
    response = client.get(MINE, query_string=args)
    assert response.status_code == status
    assert "别家客人" not in text_of(response) and "博的客人" not in text_of(response)
    if status != 200:
        assert "安娜客" not in text_of(response)


def test_have_other_roles_no_list_of_their_own(client, shop):
    staff_login(client, shop["cashier"])
    assert 'id="guide-members-link"' not in text_of(client.get("/staff/members"))
    refused = client.get(MINE)
    assert refused.status_code == 403 and "安娜客" not in text_of(refused)


def test_does_a_guide_without_members_get_the_next_step(client, db, make, shop):
    staff_login(client, shop["bo"])
    db.session.delete(shop["theirs"])
    db.session.commit()
    page = text_of(client.get(MINE))
    assert "还没有由您服务的会员" in page and "/staff/members/join" in page


# --- a member who opens a guide's join link ---------------------------------------------------------------

def _member_in_wechat(client, db, make, shop, guide_id=None):
    member = make.member(shop["merchant"], mobile="13700000001", guide_id=guide_id)
    from services.members import members as member_service

    member_service.bind_identity(db.session, member, "wechat_openid", "o-scan-1", shop["merchant"].wechat_app_id)
    db.session.commit()
    sign_in(client, shop["merchant"], "wechat", "o-scan-1")
    return member


def _link(db, staff):
    token = sources.for_staff(db.session, staff).token
    db.session.commit()
    return token


def test_does_a_member_without_a_guide_who_opens_a_guides_link_become_theirs(client, db, make, shop):
    member = _member_in_wechat(client, db, make, shop)
    opened = client.get(f"/h5/{shop['merchant'].slug}/j/{_link(db, shop['anna'])}")
    assert opened.status_code == 302
    db.session.expire_all()
    assert db.session.get(Member, member.id).guide_id == shop["anna"].id
    assert count(GuideChange, GuideChange.member_id == member.id, GuideChange.how == "scan") == 1


@pytest.mark.parametrize("rebind", [False, True])
def test_does_a_later_scan_move_the_member_only_when_the_merchant_rebinds(client, db, make, shop, rebind):
    db.session.add(RecruitSettings(merchant_id=shop["merchant"].id, rebind_guide_on_scan=rebind,
                                   referral_rewards={}, invite_enabled=True))
    member = _member_in_wechat(client, db, make, shop, guide_id=shop["anna"].id)
    client.get(f"/h5/{shop['merchant'].slug}/j/{_link(db, shop['bo'])}")
    db.session.expire_all()
    assert db.session.get(Member, member.id).guide_id == (shop["bo"].id if rebind else shop["anna"].id)
    assert count(GuideChange, GuideChange.member_id == member.id) == (1 if rebind else 0)


def test_does_a_visitor_not_signed_in_sign_in_before_a_guides_link_lands(client, db, shop):
    token = _link(db, shop["anna"])
    opened = client.get(f"/h5/{shop['merchant'].slug}/j/{token}")
    assert opened.status_code == 302
    assert f"/h5/{shop['merchant'].slug}/?next=" in opened.headers["Location"]
    assert f"j/{token}" in opened.headers["Location"].replace("%2F", "/")


def test_does_a_cashiers_link_land_without_a_detour(client, db, shop):
    token = _link(db, shop["cashier"])
    opened = client.get(f"/h5/{shop['merchant'].slug}/j/{token}")
    assert opened.status_code == 302 and "claim" in opened.headers["Location"]


def test_is_a_forged_or_foreign_link_refused_with_no_change(client, db, make, shop):
    member = _member_in_wechat(client, db, make, shop)
    foreign = make.staff(make.merchant(), role=roles.GUIDE, username="spy")
    db.session.commit()
    for token in (_link(db, foreign), "forged-token", "x" * 200):
        refused = client.get(f"/h5/{shop['merchant'].slug}/j/{token}")
        assert refused.status_code == 404 and "链接无效" in text_of(refused)
    db.session.expire_all()
    assert db.session.get(Member, member.id).guide_id is None
    assert db.session.scalars(select(GuideChange)).all() == []

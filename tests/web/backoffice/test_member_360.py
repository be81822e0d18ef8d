"""Back office: the member page's timeline (会员动态) — rows with links to their records, the kind and date filters,
paging, bad filter values named and ignored, and another merchant's member and rows kept out."""
from datetime import timedelta

import pytest

from domain import roles
from domain.clock import local_today
from services.points import ledger as points_service
from services.till import checkout
from tests.web.helpers import text_of


@pytest.fixture()
def paid_member(make, db, merchant, owner, store):
    member = make.member(merchant, mobile="13800138360", name="王芳")
    made = checkout.pay(db.session, merchant, owner, store_id=store.id, member_id=member.id, amount=8800,
                        tender="cash", choice=None, seed="s", key="m360-pay")
    points_service.adjust(db.session, merchant, member.id, 7, key="m360-adj", reason="生日补分", operator=owner,
                          store_id=store.id)
    db.session.commit()
    return member, made


def timeline_rows(response):
    body = response.get_data(as_text=True)
    section = body.split('id="member-timeline"', 1)[1].split("</section>", 1)[0]
    return section.count("<tr data-kind="), section


def test_does_the_member_page_list_every_record_with_a_link_to_the_checkout(as_owner, paid_member, store, owner):
    member, made = paid_member
    response = as_owner.get(f"/backoffice/members/{member.id}")
    assert response.status_code == 200
    count, section = timeline_rows(response)
    assert count >= 3  # the payment, its points, the adjustment (and the join's level)
    assert f'href="/backoffice/checkouts/{made.id}"' in section
    for expected in ("会员动态", "消费 ¥88.00（现金）", "+88.00", "积分手动调整 +7：生日补分", store.name, owner.name):
        assert expected in section, expected


def test_does_the_kind_filter_keep_only_those_rows_and_the_dates_cut_them(as_owner, paid_member, merchant):
    member, _made = paid_member
    count, section = timeline_rows(as_owner.get(f"/backoffice/members/{member.id}?kind=points"))
    assert count == 2 and 'data-kind="payment"' not in section and "checked" in section
    day = (local_today(merchant.timezone) + timedelta(days=1)).isoformat()
    count, section = timeline_rows(as_owner.get(f"/backoffice/members/{member.id}?from={day}"))
    assert count == 0 and "暂无记录" in section


def test_does_a_long_history_page_by_twenty(as_owner, make, db, merchant, owner):
    member = make.member(merchant)
    for n in range(25):
        points_service.adjust(db.session, merchant, member.id, 1, key=f"m360-many-{n}", reason=f"第{n}次",
                              operator=owner)
    db.session.commit()
    first = as_owner.get(f"/backoffice/members/{member.id}?kind=points")
    count, section = timeline_rows(first)
    assert count == 20 and f"page=2" in section and "第24次" in section
    count, section = timeline_rows(as_owner.get(f"/backoffice/members/{member.id}?kind=points&page=2"))
    assert count == 5 and "第0次" in section and "上一页" in section


@pytest.mark.parametrize("query,named", [
    ("kind=nope", "记录类型"), ("from=2026-13-40", "开始日期"), ("to=2026-1-1", "结束日期"),
    ("from=2026-05-02&to=2026-05-01", "日期范围"), ("from=" + "9" * 300, "开始日期"),
])
def test_is_a_bad_filter_named_and_ignored_instead_of_an_error(as_owner, paid_member, query, named):
    member, _made = paid_member
    response = as_owner.get(f"/backoffice/members/{member.id}?{query}")
    assert response.status_code == 200
    assert "已忽略" in text_of(response) and named in text_of(response)


def test_is_a_negative_or_unreadable_page_the_first_page(as_owner, paid_member):
    member, _made = paid_member
    for page in ("-3", "abc", "0", "501"):
        response = as_owner.get(f"/backoffice/members/{member.id}?page={page}")
        assert response.status_code == 200 and timeline_rows(response)[0] >= 3


def test_is_a_nul_byte_or_a_huge_page_refused_before_the_page_is_built(as_owner, paid_member):
    member, _made = paid_member
    assert as_owner.get(f"/backoffice/members/{member.id}?to=%00").status_code == 400
    assert as_owner.get(f"/backoffice/members/{member.id}?page=99999999999999999999").status_code in (400, 404)


def test_is_another_merchants_member_not_found_and_their_rows_never_shown(as_owner, make, db, paid_member):
    member, _made = paid_member
    other = make.merchant(name="隔壁咖啡")
    other_store = make.store(other, name="隔壁门店")
    other_owner = make.staff(other, role=roles.OWNER, username="other-boss")
    stranger = make.member(other, mobile="13900139360")
    checkout.pay(db.session, other, other_owner, store_id=other_store.id, member_id=stranger.id, amount=1234,
                 tender="cash", choice=None, seed="s", key="m360-other")
    db.session.commit()
    assert as_owner.get(f"/backoffice/members/{stranger.id}").status_code == 404
    _count, section = timeline_rows(as_owner.get(f"/backoffice/members/{member.id}"))
    assert "隔壁门店" not in section and "12.34" not in section


def test_does_a_guide_not_reach_the_timeline_of_a_member_they_do_not_serve(sign_in_as, client, paid_member):
    member, _made = paid_member
    sign_in_as(roles.GUIDE)
    assert client.get(f"/backoffice/members/{member.id}").status_code == 404

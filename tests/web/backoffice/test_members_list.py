"""Back office: the member list, its search box, filters and pagination."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from domain import roles
from domain.clock import now_utc
from services.members import members as member_service
from tests.web.helpers import text_of


def shown_mobiles(response):
    return re.findall(r'/backoffice/members/\d+">([0-9*]{11})<', text_of(response))


@pytest.fixture()
def people(make, db, merchant):
    """Four members with different figures; returns them by name."""
    vip = member_service.ensure_tag(db.session, merchant.id, "VIP")
    zhang = make.member(merchant, mobile="13800000001", name="张伟", gender="male", birthday=date(1990, 3, 12),
                        tag_ids=[vip.id])
    wang = make.member(merchant, mobile="13800000002", name="王芳", gender="female", birthday=date(1988, 7, 2))
    li = make.member(merchant, mobile="13800000003", name="李娜", gender="female", birthday=date(1995, 3, 23))
    zhao = make.member(merchant, mobile="13900000004", name="赵强", gender="male")
    zhang.total_spend, zhang.last_visit_at = 150000, now_utc() - timedelta(days=2)
    wang.total_spend, wang.last_visit_at = 30000, now_utc() - timedelta(days=45)
    li.total_spend, li.last_visit_at = 800000, now_utc() - timedelta(days=200)
    member_service.bind_identity(db.session, zhao, "card_no", "8800000123")
    make.wallet(merchant, zhang, principal=12345, bonus=1000)
    db.session.commit()
    return {"张伟": zhang, "王芳": wang, "李娜": li, "赵强": zhao}


def test_does_the_list_show_level_points_balance_spend_and_last_visit(as_owner, people):
    response = as_owner.get("/backoffice/members")
    assert response.status_code == 200
    body = text_of(response)
    assert "共 4 位会员" in body
    assert "13800000001" in body  # full numbers for a role that may edit members
    assert "¥133.45" in body and "¥1500.00" in body and "普通" in body
    assert "新增会员" in body


def test_does_a_cashier_see_masked_mobile_numbers(sign_in_as, client, people):
    sign_in_as(roles.CASHIER)
    mobiles = shown_mobiles(client.get("/backoffice/members"))
    assert "138****0001" in mobiles and "13800000001" not in mobiles


@pytest.mark.parametrize("q, expected", [
    ("13800000002", {"王芳"}), ("0000000", {"张伟", "王芳", "李娜", "赵强"}), ("李", {"李娜"}),
    ("8800000123", {"赵强"}), ("没有这个人", set()),
])
def test_does_the_search_box_find_by_phone_name_or_card_number(as_owner, people, q, expected):
    mobiles = set(shown_mobiles(as_owner.get("/backoffice/members", query_string={"q": q})))
    assert mobiles == {people[name].mobile for name in expected}


@pytest.mark.parametrize("args, expected", [
    ({"gender": "female"}, {"王芳", "李娜"}),
    ({"month": "3"}, {"张伟", "李娜"}),
    ({"spend_min": "500"}, {"张伟", "李娜"}),
    ({"spend_min": "500", "spend_max": "2,000"}, {"张伟"}),
    ({"visit": "in7"}, {"张伟"}),
    ({"visit": "in90"}, {"张伟", "王芳"}),
    ({"visit": "out30"}, {"王芳", "李娜", "赵强"}),
    ({"visit": "out180"}, {"李娜", "赵强"}),
    ({"gender": "male", "month": "3"}, {"张伟"}),
])
def test_do_the_filters_narrow_the_list(as_owner, people, args, expected):
    mobiles = set(shown_mobiles(as_owner.get("/backoffice/members", query_string=args)))
    assert mobiles == {people[name].mobile for name in expected}


def test_do_the_level_and_tag_filters_work(as_owner, db, people):
    tag = people["张伟"].tags[0]
    level = people["张伟"].level
    assert set(shown_mobiles(as_owner.get(f"/backoffice/members?tag={tag.id}"))) == {"13800000001"}
    assert len(shown_mobiles(as_owner.get(f"/backoffice/members?level={level.id}"))) == 4


@pytest.mark.parametrize("args, named", [
    ({"month": "13"}, "生日月份"), ({"spend_min": "abc"}, "累计消费下限"), ({"spend_max": "-5"}, "累计消费上限"),
    ({"level": "x"}, "等级"), ({"tag": "99999"}, "标签"), ({"gender": "robot"}, "性别"), ({"visit": "in3"}, "到店时间"),
    ({"page": "abc"}, None), ({"page": "-3"}, None), ({"page": "999"}, None),
])
def test_are_bad_filter_values_ignored_with_a_notice_instead_of_an_error(as_owner, people, args, named):
    response = as_owner.get("/backoffice/members", query_string=args)
    assert response.status_code == 200
    if named:
        assert "以下筛选条件无效，已忽略" in text_of(response) and named in text_of(response)
        assert len(shown_mobiles(response)) == 4


def test_does_pagination_keep_the_filters(as_owner, make, db, merchant, app):
    per_page = app.config["MEMBERS_PER_PAGE"]
    for n in range(per_page + 3):
        make.member(merchant, mobile=f"137{n:08d}", gender="female")
    make.member(merchant, mobile="13600000000", gender="male")
    db.session.commit()
    first = as_owner.get("/backoffice/members?gender=female")
    assert len(shown_mobiles(first)) == per_page
    assert "gender=female" in re.search(r'href="([^"]*page=2[^"]*)"', text_of(first)).group(1)
    second = as_owner.get("/backoffice/members?gender=female&page=2")
    assert len(shown_mobiles(second)) == 3 and "13600000000" not in shown_mobiles(second)


def test_does_one_page_cost_the_same_number_of_queries_for_few_or_many_members(as_owner, make, db, merchant):
    def queries_for_list():
        statements = []

        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert as_owner.get("/backoffice/members").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        return len(statements)

    for n in range(2):
        make.wallet(merchant, make.member(merchant, mobile=f"1350000000{n}"), principal=100)
    db.session.commit()
    few = queries_for_list()
    for n in range(15):
        make.wallet(merchant, make.member(merchant, mobile=f"1360000{n:04d}"), principal=100)
    db.session.commit()
    assert queries_for_list() == few


def test_does_a_guide_see_only_their_own_customers(sign_in_as, client, make, db, merchant, people):
    guide = sign_in_as(roles.GUIDE)
    mine = make.member(merchant, mobile="13700000009", name="我的客人", guide_id=guide.id)
    db.session.commit()
    assert shown_mobiles(client.get("/backoffice/members")) == [mine.mobile[:3] + "****" + mine.mobile[-4:]]

"""Back office: the members report page (会员报表), its period and store filter, the exports, and who may read it."""
import io
import re
from datetime import timedelta

from openpyxl import load_workbook

from domain import roles
from domain.clock import local_today, now_utc
from extensions import db
from models import Attribution, Checkout, Fan, LevelChange, Member
from services.members import levels
from services.reports import rollups
from tests.web.helpers import text_of


def words(response):
    """The page's visible text, tags dropped and spaces collapsed: "新增会员 4" is a figure with its label."""
    return " ".join(re.sub(r"<[^>]+>", " ", text_of(response)).split())


def _member(merchant, mobile, when, store=None, level=None):
    member = Member(merchant_id=merchant.id, mobile=mobile, created_at=when, home_store_id=store.id if store else None,
                    level_id=level.id if level else None)
    db.session.add(member)
    db.session.flush()
    if level is not None:
        db.session.add(LevelChange(merchant_id=merchant.id, member_id=member.id, to_level_id=level.id, reason="join",
                                   created_at=when))
    return member


def _shop(make, merchant, owner):
    """Two stores; three members who joined two days ago (signed up by staff at the first store, alone in WeChat
    after following the account, in the back office), one today; fans; a payment yesterday."""
    one, two = make.store(merchant, "人民广场店"), make.store(merchant, "徐家汇店")
    base = levels.list_levels(db.session, merchant.id)[0]
    today = local_today(merchant.timezone)
    two_days_ago = rollups.day_window(today - timedelta(days=2), merchant.timezone)[0] + timedelta(hours=10)
    assisted = _member(merchant, "13900000001", two_days_ago, one, base)
    natural = _member(merchant, "13900000002", two_days_ago, two, base)
    _member(merchant, "13900000003", two_days_ago, None, base)
    _member(merchant, "13900000004", now_utc(), one, base)
    db.session.add_all([
        Attribution(merchant_id=merchant.id, key=f"join:{assisted.id}", event="join", member_id=assisted.id,
                    staff_id=owner.id, store_id=one.id, created_at=two_days_ago),
        Attribution(merchant_id=merchant.id, key=f"join:{natural.id}", event="join", member_id=natural.id,
                    created_at=two_days_ago),
        Fan(merchant_id=merchant.id, app_id="wx", openid="o1", subscribed=True, member_id=natural.id,
            subscribed_at=two_days_ago - timedelta(hours=1), created_at=two_days_ago - timedelta(hours=1)),
        Fan(merchant_id=merchant.id, app_id="wx", openid="o2", subscribed=False, created_at=two_days_ago,
            subscribed_at=two_days_ago, unsubscribed_at=two_days_ago + timedelta(minutes=5)),
        Checkout(merchant_id=merchant.id, store_id=one.id, member_id=assisted.id, source="staff", amount=100,
                 discount=0, pay=100, tender="cash", idempotency_key="p1", created_at=two_days_ago + timedelta(days=1)),
    ])
    db.session.commit()
    return one, two


def test_does_the_page_show_new_members_fans_and_the_books(as_owner, make, merchant, owner):
    _shop(make, merchant, owner)
    page = as_owner.get("/backoffice/reports/members")
    assert page.status_code == 200
    text = words(page)
    yesterday = (local_today(merchant.timezone) - timedelta(days=1)).isoformat()
    assert f"会员总数 4 当前；{yesterday} 日终 3 人" in text
    assert f"活跃会员 1 占 33.3%，{yesterday} 日终前 30 天内有消费" in text and "沉睡会员 2" in text
    assert "新增会员 4" in text and "新增关注 2" in text and "粉丝转会员 1" in text and "50.0%" in text
    assert "店员帮办" in text and "自然流量（自助领卡）" in text and "后台录入及其他" in text
    assert "普通 3 100.0%" in text
    assert page.data.count(b'class="bo-report-chart report-chart') == 3
    ended = words(as_owner.get(f"/backoffice/reports/members?end={yesterday}"))
    assert "新增会员 3" in ended and f"会员总数 3 {yesterday} 日终 活跃会员" in ended


def test_does_the_store_filter_keep_one_stores_members_and_hide_the_fans(as_owner, make, merchant, owner):
    one, two = _shop(make, merchant, owner)
    text = words(as_owner.get(f"/backoffice/reports/members?store={two.id}"))
    yesterday = (local_today(merchant.timezone) - timedelta(days=1)).isoformat()
    assert "新增会员 1" in text and f"会员总数 1 当前；{yesterday} 日终 1 人" in text and "沉睡会员 1" in text
    assert "自然流量（自助领卡）" in text and "店员帮办" not in text
    assert "新增关注" not in text and "公众号粉丝不属于门店" in text
    text = words(as_owner.get(f"/backoffice/reports/members?store={one.id}"))
    assert "新增会员 2" in text and "活跃会员 1" in text and "会员总数 2 当前；" in text


def test_do_the_exports_carry_each_day_and_a_total(as_owner, make, merchant, owner):
    _shop(make, merchant, owner)
    today = local_today(merchant.timezone)
    two_days_ago = (today - timedelta(days=2)).isoformat()
    csv = as_owner.get(f"/backoffice/reports/members?format=csv&start={(today - timedelta(days=3)).isoformat()}")
    assert csv.mimetype == "text/csv" and csv.data.startswith(b"\xef\xbb\xbf")
    lines = csv.get_data().decode("utf-8-sig").splitlines()
    assert lines[0] == ("日期,新增会员,后台录入及其他,自然流量（自助领卡）,店员帮办,新增关注,取消关注,粉丝转会员,转化率%,"
                        "日终会员总数,活跃会员,沉睡会员")  # the channels most used first
    assert len(lines) == 1 + 4 + 1
    assert lines[2] == f"{two_days_ago},3,1,1,1,2,1,1,50.0,3,0,3"
    assert lines[4] == f"{today.isoformat()},1,1,0,0,0,0,0,,,,"
    assert lines[-1] == "合计,4,2,1,1,2,1,1,50.0,3,1,2"

    response = as_owner.get(f"/backoffice/reports/members?format=xlsx&start={two_days_ago}")
    sheet = load_workbook(io.BytesIO(response.data)).active
    response.close()  # the temporary file the workbook was written to
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("日期", "新增会员") and len(rows) == 1 + 3 + 1
    assert rows[-1][:2] == ("合计", 4) and rows[-1][-3:] == (3, 1, 2)


def test_are_unreadable_dates_refused_with_a_message_and_another_merchants_store_not_found(as_owner, make):
    for query, message in (("start=2026-13-01", "开始日期格式不正确"), ("start=2026-05-02&end=2026-05-01", "不能晚于"),
                           ("start=2020-01-01&end=2026-01-01", "最长 366 天"), ("end=%00", "结束日期格式不正确")):
        response = as_owner.get(f"/backoffice/reports/members?{query}")
        assert response.status_code == 400, query
        assert query == "end=%00" or message in text_of(response), query
    assert as_owner.get("/backoffice/reports/members?format=pdf").status_code == 404
    other = make.merchant(slug="elsewhere")
    store = make.store(other)
    db.session.commit()
    assert as_owner.get(f"/backoffice/reports/members?store={store.id}").status_code == 404
    assert as_owner.get(f"/backoffice/reports/members?store={store.id}&format=csv").status_code == 404


def test_is_a_cashier_refused_the_members_report(sign_in_as, client):
    sign_in_as(roles.CASHIER)
    assert client.get("/backoffice/reports/members").status_code == 403
    assert client.get("/backoffice/reports/members?format=csv").status_code == 403

"""The 营销活动 pages: the list (with the reward rules), the form of each kind, the campaign's page (dry run, switching,
report with uplift and chart) and the report downloads, through the test client on PostgreSQL. Jobs run inline in
tests (no REDIS_URL), so a run opened by the scheduler's tick gives its rewards when the tick commits."""
import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from domain import roles
from domain.clock import local_today, now_utc, to_local
from models import AuditLog, Campaign, CampaignTarget, Checkout
from services.audiences import saved
from services.audiences.filters import Filters
from services.campaigns import runs, setup
from services.coupons import templates as coupon_templates
from services.rewards import rules as reward_rules
from tests.web.helpers import count, fresh, text_of

TZ = "Asia/Shanghai"


@pytest.fixture()
def coupon(db, owner):
    row = coupon_templates.save_template(db.session, owner, None, kind="cash", title="生日券", amount_off=1000,
                                         validity_mode="relative", valid_days=30)
    db.session.commit()
    return row


@pytest.fixture()
def everyone(db, owner):
    audience = saved.save(db.session, owner, None, name="全部会员", filters=Filters())
    db.session.commit()
    return audience


def today():
    return local_today(TZ)


def new_campaign(browser, kind, **values):
    return browser.post(f"/backoffice/campaigns/new?kind={kind}", data={"name": "测试活动", "hour": "9", **values})


def created_id(answer):
    assert answer.status_code == 302, text_of(answer)
    return int(re.search(r"/backoffice/campaigns/(\d+)$", answer.location).group(1))


def warnings_of(body):
    return " ".join(re.findall(r'class="bo-flash bo-flash_warning"[^>]*>([^<]*)<', body))


def successes_of(body):
    return " ".join(re.findall(r'class="bo-flash bo-flash_success"[^>]*>([^<]*)<', body))


def in_place(body):
    return " ".join(re.findall(r'class="bo-field-error"[^>]*>([^<]*)<', body))


def saved_campaign(db, owner, coupon, kind="birthday", schedule=None, **values):
    row = setup.save(db.session, owner, None, name=values.pop("name", "生日有礼"), kind=kind,
                     schedule=schedule or {"mode": "days_before", "days_before": 3, "hour": 9},
                     rewards={"coupons": [{"template_id": coupon.id, "count": 1}]}, **values)
    db.session.commit()
    return row


def test_can_an_owner_create_a_birthday_campaign_and_see_its_dry_run(as_owner, db, make, merchant, coupon):
    soon = today() + timedelta(days=1)
    member = make.member(merchant, mobile="13812345678", name="小王", birthday=date(2000, soon.month, soon.day))
    make.member(merchant)  # no birthday
    db.session.commit()
    answer = new_campaign(as_owner, "birthday", name="生日有礼", birthday_mode="days_before", days_before="3",
                          coupon_0=str(coupon.id), count_0="2", points="50")
    campaign_id = created_id(answer)
    row = db.session.get(Campaign, campaign_id)
    assert row.state == "draft" and row.audience_id is None
    assert row.schedule == {"mode": "days_before", "days_before": 3, "hour": 9}
    assert row.rewards["coupons"] == [{"template_id": coupon.id, "count": 2}] and row.rewards["points"] == 50
    page = as_owner.get(answer.location)
    body = text_of(page)
    assert "已保存为草稿" in successes_of(body)
    assert "今天将向 1 位会员发放50 积分、生日券 ×2" in body
    assert "138****5678" in body and "13812345678" not in body and member.name in body
    assert '<dd id="dry-total">' in body and "生日前 3 天 9:00" in body and "试运行" in body
    assert 'id="campaign-switch-on"' in body and 'id="campaign-end"' in body
    assert "对照组对比" not in body and 'id="campaign-chart"' not in body and "echarts" not in body  # no holdout, no run
    listing = text_of(as_owner.get("/backoffice/campaigns"))
    assert "生日有礼" in listing and "生日礼" in listing and "草稿" in listing and "生日前 3 天 9:00" in listing
    assert f'data-campaign-id="{campaign_id}"' in listing and "新建活动" in listing
    unknown = as_owner.get("/backoffice/campaigns/new?kind=lottery")  # not one of the six kinds: back to the list
    assert unknown.status_code == 302 and "请先选择活动类型" in warnings_of(text_of(as_owner.get(unknown.location)))


def kind_cases():
    tomorrow, later = today() + timedelta(days=1), today() + timedelta(days=2)
    at = (to_local(now_utc(), TZ) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    return [
        ("birthday", {"birthday_mode": "month_first"}, {"mode": "month_first", "hour": 9}),
        ("dormant", {"dormant_days": "45", "second_after_days": "10", "second_points": "300"},
         {"days": 45, "hour": 9, "second_after_days": 10}),
        ("holiday", {"range_name_0": "店庆", "range_starts_0": tomorrow.isoformat(),
                     "range_ends_0": later.isoformat()},
         {"ranges": [{"name": "店庆", "starts": tomorrow.isoformat(), "ends": later.isoformat()}], "hour": 9}),
        ("one_off", {"at": at}, {"at": at}),
        ("recurring", {"every": "month", "month_day": "31", "week_day": "2"}, {"every": "month", "day": 31, "hour": 9}),
        ("audience_entry", {}, {"hour": 9}),
    ]


@pytest.mark.parametrize("kind, values, schedule", kind_cases(), ids=[case[0] for case in kind_cases()])
def test_can_each_kind_be_created_through_the_form_and_listed(as_owner, db, coupon, everyone, kind, values,
                                                              schedule):
    form = text_of(as_owner.get(f"/backoffice/campaigns/new?kind={kind}"))
    assert 'id="campaign-form"' in form and "对照组比例" in form and "用来对比" in form
    campaign_id = created_id(new_campaign(as_owner, kind, name=f"{kind} 活动", audience=str(everyone.id),
                                          coupon_0=str(coupon.id), **values))
    row = db.session.get(Campaign, campaign_id)
    assert row.kind == kind and row.audience_id == everyone.id and row.state == "draft"
    assert row.schedule == schedule
    if kind == "dormant":
        assert row.rewards["second"]["points"] == 300
    listing = text_of(as_owner.get("/backoffice/campaigns"))
    assert f"{kind} 活动" in listing and f'data-campaign-id="{campaign_id}"' in listing
    page = text_of(as_owner.get(f"/backoffice/campaigns/{campaign_id}"))
    assert page.count('id="dry-run-sentence"') == 1


def test_does_a_ticked_built_in_holiday_fill_the_ranges_and_come_back_ticked(as_owner, db, coupon, everyone):
    from domain.campaigns import holidays_from

    ahead = holidays_from(today())
    if not ahead:
        pytest.skip("the built-in calendar has no holiday left")
    first = ahead[0]
    form = text_of(as_owner.get("/backoffice/campaigns/new?kind=holiday"))
    assert f'value="{first.key}"' in form and first.name in form
    campaign_id = created_id(new_campaign(as_owner, "holiday", audience=str(everyone.id), holidays=[first.key],
                                          points="10"))
    ranges = db.session.get(Campaign, campaign_id).schedule["ranges"]
    assert ranges == [{"name": first.name, "starts": first.starts.isoformat(), "ends": first.ends.isoformat()}]
    edit = text_of(as_owner.get(f"/backoffice/campaigns/{campaign_id}/edit"))
    assert re.search(rf'value="{re.escape(first.key)}" checked', edit)


def test_do_switch_on_pause_resume_and_end_move_the_campaign_through_its_states(as_owner, db, owner, coupon):
    row = saved_campaign(db, owner, coupon)
    url = f"/backoffice/campaigns/{row.id}"
    assert as_owner.post(f"{url}/resume").status_code == 302  # a draft is not paused
    assert "只有已暂停的活动可以恢复" in warnings_of(text_of(as_owner.get(url))) and fresh(row).state == "draft"
    steps = [("switch-on", "scheduled", "活动已启用"), ("pause", "paused", "活动已暂停"),
             ("resume", "scheduled", "活动已恢复"), ("end", "ended", "活动已结束")]
    for action, state, message in steps:
        answer = as_owner.post(f"{url}/{action}")
        assert answer.status_code == 302 and answer.location.endswith(url)
        assert fresh(row).state == state
        assert message in successes_of(text_of(as_owner.get(url)))
    assert fresh(row).ended_reason == "商家结束了活动"
    body = text_of(as_owner.get(url))
    assert "已结束" in body and "商家结束了活动" in body and 'id="campaign-actions"' not in body
    again = as_owner.post(f"{url}/pause")
    assert again.status_code == 302 and "只有进行中的活动可以暂停" in warnings_of(text_of(as_owner.get(url)))
    edit = as_owner.get(f"{url}/edit")
    assert edit.status_code == 302 and "活动已结束" in warnings_of(text_of(as_owner.get(url)))
    assert count(AuditLog, AuditLog.action.like("campaign.%")) == 5  # save, switch on, pause, (resume), end


def test_does_editing_a_live_campaign_say_it_only_affects_later_runs(as_owner, db, owner, coupon):
    row = saved_campaign(db, owner, coupon)
    as_owner.post(f"/backoffice/campaigns/{row.id}/switch-on")
    form = text_of(as_owner.get(f"/backoffice/campaigns/{row.id}/edit"))
    assert "修改只影响之后的执行" in form and 'value="生日有礼"' in form
    assert re.search(rf'<option selected value="{coupon.id}">|<option value="{coupon.id}" selected>', form)
    answer = as_owner.post(f"/backoffice/campaigns/{row.id}/edit", data={
        "name": "生日加倍", "birthday_mode": "days_before", "days_before": "5", "hour": "10",
        "coupon_0": str(coupon.id), "count_0": "1"})
    assert answer.status_code == 302
    assert "修改只影响之后的执行" in successes_of(text_of(as_owner.get(answer.location)))
    row = fresh(row)
    assert (row.name, row.state, row.schedule["days_before"], row.schedule["hour"]) == ("生日加倍", "scheduled", 5, 10)


def test_does_an_operator_see_the_list_and_report_but_may_not_change_anything(sign_in_as, client, db, owner, coupon):
    row = saved_campaign(db, owner, coupon)
    sign_in_as(roles.OPERATOR)
    listing = client.get("/backoffice/campaigns")
    assert listing.status_code == 200 and "生日有礼" in text_of(listing)
    assert "新建活动" not in text_of(listing) and "/edit" not in text_of(listing)
    page = client.get(f"/backoffice/campaigns/{row.id}")
    assert page.status_code == 200 and "试运行" in text_of(page) and "效果" in text_of(page)
    assert 'id="campaign-actions"' not in text_of(page)
    assert client.get(f"/backoffice/campaigns/{row.id}/report.csv").status_code == 200
    audits = count(AuditLog)
    for method, url in [("GET", "/backoffice/campaigns/new?kind=birthday"),
                        ("POST", "/backoffice/campaigns/new?kind=birthday"),
                        ("GET", f"/backoffice/campaigns/{row.id}/edit"),
                        ("POST", f"/backoffice/campaigns/{row.id}/edit"),
                        ("POST", f"/backoffice/campaigns/{row.id}/switch-on"),
                        ("POST", f"/backoffice/campaigns/{row.id}/end")]:
        answer = client.open(url, method=method, data={"name": "越权"} if method == "POST" else None)
        assert answer.status_code == 403, url
    assert fresh(row).state == "draft" and fresh(row).name == "生日有礼" and count(AuditLog) == audits
    assert count(Campaign) == 1


def test_does_another_merchants_staff_get_404_for_a_campaign(client, login, make, db, owner, coupon):
    row = saved_campaign(db, owner, coupon)
    other = make.merchant(name="别家")
    stranger = make.staff(other, role=roles.OWNER, username="stranger")
    db.session.commit()
    login(stranger)
    for method, url in [("GET", ""), ("GET", "/edit"), ("POST", "/edit"), ("GET", "/report.csv"),
                        ("GET", "/report.xlsx"), ("POST", "/switch-on"), ("POST", "/pause"), ("POST", "/resume"),
                        ("POST", "/end")]:
        answer = client.open(f"/backoffice/campaigns/{row.id}{url}", method=method,
                             data={"name": "偷改"} if method == "POST" else None)
        assert answer.status_code == 404, url
    assert fresh(row).state == "draft" and fresh(row).name == "生日有礼"
    assert "生日有礼" not in text_of(client.get("/backoffice/campaigns"))


def bad_cases():
    past = "2020-01-01T10:00"
    return [
        ("birthday", {"name": "长" * 41}, "活动名称不能超过 40 个字符"),
        ("birthday", {"name": ""}, "请填写活动名称"),
        ("birthday", {"budget_coupons": "0"}, "优惠券总量上限须在 1 到 100000000 之间，不限请留空"),
        ("birthday", {"budget_points": "9" * 40}, "积分总量上限须在 1 到 100000000 之间，不限请留空"),
        ("birthday", {"budget_coupons": "十张"}, "优惠券总量上限须为整数"),
        ("birthday", {"points": "99999999999999999999999"}, "赠送积分须在 0 到 1000000 之间"),
        ("birthday", {"count_0": "²"}, "张数须为整数"),
        ("birthday", {"count_0": "11"}, "每种优惠券赠送张数须在 1 到 10 之间"),
        ("birthday", {"holdout_percent": "51"}, "对照组比例须在 0 到 50% 之间"),
        ("birthday", {"days_before": "9" * 30}, "提前天数须为 0 到 60 之间的整数"),
        ("birthday", {"hour": "24"}, "发送时间（点）须为 0 到 23 之间的整数"),
        ("birthday", {"coupon_0": "", "points": ""}, "请至少设置一项奖励"),
        ("birthday", {"channel": "sms", "sms": ""}, "请填写短信内容"),
        ("birthday", {"channel": "wechat", "text": "好" * 301}, "通知内容不能超过 300 个字符"),
        ("birthday", {"audience": "999999"}, "所选人群不存在"),
        ("birthday", {"coupon_0": "999999"}, "所选优惠券不存在"),
        ("dormant", {"dormant_days": "30", "second_after_days": "10"}, "请设置第二步的奖励"),
        ("one_off", {"at": past, "audience": "everyone"}, "发送时间不能早于现在"),
        ("one_off", {"at": "下周一", "audience": "everyone"}, "发送时间格式应为 YYYY-MM-DD HH:MM"),
        ("one_off", {"at": "2099-01-01T10:00", "audience": ""}, "请选择活动人群"),
        ("holiday", {"audience": "everyone"}, "请至少填写一段节日日期"),
    ]


@pytest.mark.parametrize("kind, values, message", bad_cases(), ids=[case[2] for case in bad_cases()])
def test_is_bad_input_refused_with_a_clear_message_and_nothing_saved(as_owner, db, coupon, everyone, kind, values,
                                                                    message):
    data = {"coupon_0": str(coupon.id), **values}
    if data.get("audience") == "everyone":
        data["audience"] = str(everyone.id)
    audits = count(AuditLog)
    answer = new_campaign(as_owner, kind, **data)
    assert answer.status_code == 400, text_of(answer)[:500]
    body = text_of(answer)
    assert message in in_place(body) or message in warnings_of(body)
    assert count(Campaign) == 0 and count(AuditLog) == audits


def test_is_a_refusal_of_the_service_shown_beside_its_field_and_the_input_kept(as_owner, coupon):
    answer = new_campaign(as_owner, "birthday", name="保留我", coupon_0=str(coupon.id), budget_coupons="0",
                          days_before="61")
    body = text_of(answer)
    assert answer.status_code == 400 and "提前天数须为 0 到 60 之间的整数" in warnings_of(body)
    field = re.search(r'id="days_before".*?class="bo-field-error"[^>]*>([^<]*)<', body, re.S)
    assert field and field.group(1) == "提前天数须为 0 到 60 之间的整数"
    assert 'value="保留我"' in body and 'value="61"' in body and 'value="0"' in body
    fixed = new_campaign(as_owner, "birthday", name="保留我", coupon_0=str(coupon.id), budget_coupons="0")
    budget = re.search(r'id="budget_coupons".*?class="bo-field-error"[^>]*>([^<]*)<', text_of(fixed), re.S)
    assert budget and "优惠券总量上限须在 1 到" in budget.group(1)


@pytest.mark.parametrize("kind", ["birthday", "dormant", "holiday", "one_off", "recurring", "audience_entry"])
def test_does_no_field_with_a_nul_byte_or_a_huge_number_give_a_500(app, as_owner, db, coupon, everyone, kind):
    from backoffice.forms_campaigns import CampaignForm

    with app.test_request_context():
        names = [field.name for field in CampaignForm(meta={"csrf": False})]
    base = {"audience": str(everyone.id), "coupon_0": str(coupon.id), "days_before": "1", "dormant_days": "30",
            "range_name_0": "店庆", "range_starts_0": (today() + timedelta(days=3)).isoformat(),
            "at": (to_local(now_utc(), TZ) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")}
    for name in names:
        for bad in ("9" * 5000, "1\x00", "-1"):
            before = count(Campaign)
            answer = new_campaign(as_owner, kind, **{**base, name: bad})
            assert answer.status_code in (302, 400), (name, bad, answer.status_code)
            if answer.status_code == 400:
                page = text_of(answer)
                assert warnings_of(page) or in_place(page) or "控制字符" in page, (name, bad)  # NUL: the boundary
                assert count(Campaign) == before


def test_is_another_merchants_audience_or_coupon_refused_on_the_form(as_owner, db, make, coupon):
    other = make.merchant(name="别家")
    their_owner = make.staff(other, role=roles.OWNER, username="theirs")
    their_audience = saved.save(db.session, their_owner, None, name="别家人群", filters=Filters())
    their_coupon = coupon_templates.save_template(db.session, their_owner, None, kind="cash", title="别家券",
                                                  amount_off=500, validity_mode="relative", valid_days=30)
    db.session.commit()
    form = text_of(as_owner.get("/backoffice/campaigns/new?kind=one_off"))
    assert "别家人群" not in form and "别家券" not in form
    for values, message in [({"audience": str(their_audience.id), "coupon_0": str(coupon.id)}, "所选人群不存在"),
                            ({"coupon_0": str(their_coupon.id)}, "所选优惠券不存在")]:
        answer = new_campaign(as_owner, "birthday", **values)
        assert answer.status_code == 400 and message in in_place(text_of(answer))
    assert count(Campaign) == 0


def test_is_switching_on_a_one_off_whose_time_has_passed_refused(as_owner, db, owner, coupon, everyone):
    at = (to_local(now_utc(), TZ) + timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M")
    row = saved_campaign(db, owner, coupon, kind="one_off", schedule={"at": at}, audience_id=everyone.id)
    row.schedule = {"at": "2020-01-01T10:00"}  # as if the form had been saved long ago
    db.session.commit()
    answer = as_owner.post(f"/backoffice/campaigns/{row.id}/switch-on")
    assert answer.status_code == 302
    assert "发送时间不能早于现在" in warnings_of(text_of(as_owner.get(answer.location)))
    assert fresh(row).state == "draft"


@pytest.fixture()
def ran_with_holdout(as_owner, db, make, merchant, owner, coupon, everyone, store):
    """An audience-entry campaign with half its members held out, switched on through the page and run once by the
    scheduler's tick; one treated and one held-out member paid afterwards."""
    people = [make.member(merchant) for _ in range(30)]
    db.session.commit()
    now = now_utc()
    run_hour = to_local(now - timedelta(minutes=1), TZ).hour  # its hour has just passed: the tick opens a run
    campaign_id = created_id(new_campaign(as_owner, "audience_entry", audience=str(everyone.id),
                                          coupon_0=str(coupon.id), holdout_percent="50", hour=str(run_hour)))
    assert as_owner.post(f"/backoffice/campaigns/{campaign_id}/switch-on").status_code == 302
    assert runs.tick(db.session, now)
    db.session.commit()  # the run's job goes (inline) after this commit
    states = dict(db.session.execute(select(CampaignTarget.member_id, CampaignTarget.state)
                                     .where(CampaignTarget.campaign_id == campaign_id)).all())
    treated = [m for m, s in states.items() if s == "rewarded"]
    held = [m for m, s in states.items() if s == "holdout"]
    assert treated and held and len(states) == len(people)
    for n, member_id in enumerate([treated[0], treated[1], held[0]]):
        db.session.add(Checkout(merchant_id=merchant.id, member_id=member_id, store_id=store.id, source="staff",
                                amount=5000, discount=0, pay=5000, tender="cash", idempotency_key=f"uplift:{n}",
                                created_at=now_utc()))
    db.session.commit()
    return campaign_id, len(treated), len(held)


def test_does_the_report_show_uplift_when_the_campaign_has_a_holdout(as_owner, ran_with_holdout):
    campaign_id, treated, held = ran_with_holdout
    body = text_of(as_owner.get(f"/backoffice/campaigns/{campaign_id}"))
    assert f'<dd id="report-rewarded">{treated}</dd>' in body and f'<dd id="report-held-out">{held}</dd>' in body
    assert f'<dd id="report-codes">{treated}</dd>' in body and '<dd id="report-runs">1</dd>' in body
    assert "对照组对比" in body and "发放组" in body and 'id="uplift-rate"' in body
    rate = 2 * 100 / treated - 100 / held
    assert f"{rate:+.1f} 个百分点" in body
    assert f'<tr data-group="treated"><td>发放组</td><td class="bo-num">{treated}</td>' in body
    assert 'id="campaign-chart"' in body and "vendor/echarts/echarts.min.js" in body and "campaign_chart.js" in body
    assert "&#34;given&#34;: [" in body or '"given"' in body
    assert "执行记录" in body and "已完成" in body
    listing = text_of(as_owner.get("/backoffice/campaigns"))
    figures = rf'data-campaign-id="{campaign_id}".*?<td class="bo-num"[^>]*>1</td>\s*<td class="bo-num"[^>]*>{treated}</td>'
    assert re.search(figures, listing, re.S)


def test_can_the_report_be_downloaded_as_csv_and_xlsx(as_owner, ran_with_holdout):
    campaign_id, treated, held = ran_with_holdout
    csv_answer = as_owner.get(f"/backoffice/campaigns/{campaign_id}/report.csv")
    assert csv_answer.status_code == 200 and csv_answer.mimetype == "text/csv"
    assert f"campaign-{campaign_id}-report.csv" in csv_answer.headers["Content-Disposition"]
    text = csv_answer.get_data().decode("utf-8-sig")
    assert f"已发放,{treated}" in text and f"对照组,{held}" in text and "发放组到店率(%)" in text
    xlsx_answer = as_owner.get(f"/backoffice/campaigns/{campaign_id}/report.xlsx")
    assert xlsx_answer.status_code == 200
    assert f"campaign-{campaign_id}-report.xlsx" in xlsx_answer.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx_answer.get_data())).active
    cells = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert cells["已发放"] == treated and cells["对照组"] == held


def test_are_the_reward_rules_listed_with_their_figures_under_the_marketing_menu(as_owner, db, owner, coupon):
    rule = reward_rules.save(db.session, owner, None, kind="registration", name="开卡送券", min_paid=0,
                             rewards={"coupons": [{"template_id": coupon.id, "count": 1}]})
    db.session.commit()
    body = text_of(as_owner.get("/backoffice/campaigns"))
    assert re.search(r'class="bo-nav__item is-active" href="/backoffice/campaigns" aria-current="page">营销活动<', body)
    section = body.split("规则类营销", 1)[1]
    assert "开卡送券" in section and "开卡礼" in section and "启用" in section
    assert f'href="/backoffice/reward-rules/{rule.id}/edit"' in section
    assert re.search(rf'<tr data-rule="{rule.id}">.*?<td class="bo-num"[^>]*>0</td>', section, re.S)

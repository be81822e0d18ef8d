"""Audiences (services/audiences): every filter picks exactly the members it names, ANDed across attributes and
ORed inside one; another merchant's members never count; bad input is a clear error; saved audiences and exports."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from domain.errors import Conflict, DomainError, NotFound
from models import Audience, Fan, MemberIdentity, Tag, member_tags
from services.audiences import filters as audience_filters, members_in, saved

NOW = datetime(2026, 12, 30, 4, 0, tzinfo=timezone.utc)  # 12:00 on 30 December in Shanghai


def ids(db, merchant, **values):
    chosen = audience_filters.parse(values)
    return {m.id for m in members_in.sample(db.session, merchant.id, chosen, limit=1000, now=NOW)}


@pytest.fixture()
def crowd(db, make):
    shop = make.merchant(with_levels=True)
    other = make.merchant()
    m = {name: make.member(shop) for name in ("ann", "bob", "cat", "dan")}
    m["ann"].gender, m["bob"].gender, m["cat"].gender = "female", "male", "female"
    m["ann"].birthday, m["ann"].birthday_month = date(1990, 1, 2), 1  # in 3 days, across the year's end
    m["bob"].birthday, m["bob"].birthday_month = date(1985, 12, 31), 12
    m["cat"].birthday, m["cat"].birthday_month = date(1992, 6, 1), 6
    m["ann"].visit_count, m["bob"].visit_count, m["cat"].visit_count = 1, 5, 12
    m["ann"].total_spend, m["bob"].total_spend, m["cat"].total_spend = 1000, 50000, 900000
    m["ann"].points_balance, m["bob"].points_balance = 10, 500
    m["ann"].last_visit_at = NOW - timedelta(days=2)
    m["bob"].last_visit_at = NOW - timedelta(days=100)
    m["ann"].custom_fields = {"shape": "高", "height": 181}
    m["bob"].custom_fields = {"shape": "矮", "height": 160}
    make.wallet(shop, m["bob"], principal=20000)
    stranger = make.member(other)
    stranger.gender, stranger.visit_count = "female", 5
    tag = Tag(merchant_id=shop.id, name="VIP")
    db.session.add(tag)
    db.session.flush()
    db.session.execute(member_tags.insert().values(member_id=m["cat"].id, tag_id=tag.id))
    db.session.add(Fan(merchant_id=shop.id, app_id="wx1", openid="o-bob", subscribed=True, member_id=m["bob"].id))
    db.session.add(MemberIdentity(merchant_id=shop.id, member_id=m["bob"].id, kind="wechat_openid", app_id="wx1",
                                  value="o-bob"))
    db.session.add(MemberIdentity(merchant_id=shop.id, member_id=m["cat"].id, kind="alipay_user_id", value="2088"))
    db.session.commit()
    return {"shop": shop, "other": other, "tag": tag, "stranger": stranger, **{k: v.id for k, v in m.items()}}


def test_does_each_filter_pick_exactly_its_members(db, crowd):
    shop, c = crowd["shop"], crowd
    assert ids(db, shop, genders=["female"]) == {c["ann"], c["cat"]}  # never the other merchant's woman
    assert ids(db, shop, genders=["female", "male"]) == {c["ann"], c["bob"], c["cat"]}
    assert ids(db, shop, birthday_months=["12", "6"]) == {c["bob"], c["cat"]}
    assert ids(db, shop, birthday_within_days="3") == {c["bob"], c["ann"]}
    assert ids(db, shop, visits_min="5") == {c["bob"], c["cat"]}
    assert ids(db, shop, visits_min="2", visits_max="11") == {c["bob"]}
    assert ids(db, shop, spend_min="40000", spend_max="100000") == {c["bob"]}
    assert ids(db, shop, points_min="100") == {c["bob"]}
    assert ids(db, shop, not_visited_days="30") == {c["bob"], c["cat"], c["dan"]}  # never visited counts
    assert ids(db, shop, visited_within_days="7") == {c["ann"]}
    assert ids(db, shop, last_visit_before="2026-12-01") == {c["bob"]}
    assert ids(db, shop, last_visit_after="2026-12-01") == {c["ann"]}
    assert ids(db, shop, balance_min="10000") == {c["bob"]}
    assert ids(db, shop, balance_max="0") == {c["ann"], c["cat"], c["dan"]}  # no wallet holds 0
    assert ids(db, shop, tag_ids=[crowd["tag"].id]) == {c["cat"]}
    assert ids(db, shop, custom=[("shape", "in", ["高"])]) == {c["ann"]}
    assert ids(db, shop, custom=[{"key": "height", "op": "range", "value": [170, None]}]) == {c["ann"]}
    assert ids(db, shop, follows="1") == {c["bob"]}
    assert ids(db, shop, follows="0") == {c["ann"], c["cat"], c["dan"]}
    assert ids(db, shop, has_wechat="true") == {c["bob"]}
    assert ids(db, shop, has_alipay="1") == {c["cat"]}
    assert ids(db, shop, joined_from="2000-01-01") == {c["ann"], c["bob"], c["cat"], c["dan"]}


def test_are_attributes_anded_and_values_ored(db, crowd):
    c = crowd
    assert ids(db, crowd["shop"], genders=["female"], visits_min="5") == {c["cat"]}
    assert ids(db, crowd["shop"], genders=["female"], visits_min="5", tag_ids=[c["tag"].id], has_alipay="0") == set()


def test_is_the_count_the_samples_size_and_the_stranger_never_counted(db, crowd):
    chosen = audience_filters.parse({"genders": ["female"]})
    assert members_in.count(db.session, crowd["shop"].id, chosen, now=NOW) == 2
    assert members_in.count(db.session, crowd["other"].id, chosen, now=NOW) == 1
    assert members_in.member_ids(db.session, crowd["shop"].id, chosen, now=NOW) == sorted([crowd["ann"], crowd["cat"]])


@pytest.mark.parametrize("values, message", [
    ({"visits_min": "many"}, "到店次数须为整数"),
    ({"visits_min": "9" * 40}, "到店次数须在"),
    ({"spend_min": "500", "spend_max": "100"}, "下限不能大于上限"),
    ({"genders": ["robot"]}, "未知的性别"),
    ({"birthday_months": ["13"]}, "生日月份须在"),
    ({"last_visit_before": "2026-02-30"}, "须为日期"),
    ({"follows": "maybe"}, "取值不正确"),
    ({"custom": [("k", "like", "x")]}, "行业字段"),
    ({"joined_from": "2026-02-01", "joined_to": "2026-01-01"}, "起始日不能晚于"),
    ({"level_ids": list(range(1, 60))}, "最多选"),
])
def test_is_bad_input_a_clear_error(values, message):
    with pytest.raises(DomainError, match=message):
        audience_filters.parse(values)


def test_does_search_text_lose_nul_bytes_and_round_trip_through_json():
    chosen = audience_filters.parse({"text": "13\x009", "genders": ["male"], "joined_from": "2026-01-01",
                                     "custom": [("shape", "in", ["高"])]})
    assert chosen.text == "139"
    assert audience_filters.Filters.from_json(chosen.to_json()) == chosen
    assert audience_filters.parse({}).is_empty()


def test_are_saved_audiences_named_once_per_merchant_and_another_merchants_not_found(db, make, crowd):
    owner = make.staff(crowd["shop"])
    stranger_owner = make.staff(crowd["other"])
    chosen = audience_filters.parse({"genders": ["female"]})
    row = saved.save(db.session, owner, None, name="女会员", filters=chosen)
    assert saved.filters_of(row) == chosen
    with pytest.raises(Conflict):
        saved.save(db.session, owner, None, name="女会员", filters=chosen)
    saved.save(db.session, stranger_owner, None, name="女会员", filters=chosen)  # another merchant may
    with pytest.raises(NotFound):
        saved.get(db.session, crowd["other"].id, row.id)
    with pytest.raises(NotFound):
        saved.delete(db.session, stranger_owner, row.id)
    saved.delete(db.session, owner, row.id)
    assert db.session.scalar(select(Audience.id).where(Audience.id == row.id)) is None


def test_is_the_export_a_bom_csv_and_an_xlsx_of_the_audience(db, crowd):
    chosen = audience_filters.parse({"genders": ["female"]})
    data, mimetype, ext = members_in.export(db.session, crowd["shop"].id, chosen, "csv", now=NOW)
    text = data.decode("utf-8")
    assert text.startswith("\ufeff会员ID") and ext == "csv" and text.count("\n") == 3
    data, mimetype, ext = members_in.export(db.session, crowd["shop"].id, chosen, "xlsx", now=NOW)
    assert data[:2] == b"PK" and ext == "xlsx"

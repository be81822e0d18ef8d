"""微信粉丝 figures and list: for a generated set of fans over two merchants, the figures equal direct counts, each
filter equals the same filter done by hand, and the CSV export holds exactly the filtered fans of one merchant."""
import csv
import io
import random
from datetime import date, datetime, timedelta, timezone

import pytest

from models import Fan
from services.wechat import fan_list

TZ = "Asia/Shanghai"
SCENES = [None, "ADD_SCENE_SEARCH", "ADD_SCENE_QR_CODE", "ADD_SCENE_PROFILE_CARD", "ADD_SCENE_PAID"]


@pytest.fixture()
def fans(db, make):
    rng = random.Random(23)
    ours, theirs = make.merchant(name="粉丝咖啡"), make.merchant(name="隔壁")
    members = [make.member(ours, mobile=f"1390000{n:04d}") for n in range(12)]
    start = datetime(2026, 11, 1, 0, 0, tzinfo=timezone.utc)
    made = []
    for n in range(80):
        merchant = ours if n % 4 else theirs
        subscribed = rng.random() < 0.7
        followed = start + timedelta(hours=rng.randrange(0, 24 * 30))
        member = members[n % 12] if merchant is ours and rng.random() < 0.3 and n < 60 else None
        fan = Fan(merchant_id=merchant.id, app_id="wxapp", openid=f"o{n:05d}", subscribed=subscribed,
                  subscribe_scene=rng.choice(SCENES), qr_scene="store:7" if n % 5 == 0 else None,
                  subscribed_at=followed, unsubscribed_at=None if subscribed else followed + timedelta(days=1),
                  member_id=member.id if member else None, nickname=f"粉丝{n}")
        db.session.add(fan)
        made.append(fan)
    db.session.commit()
    return dict(ours=ours, theirs=theirs, all=made)


def _of(fans, merchant):
    return [f for f in fans["all"] if f.merchant_id == merchant.id]


def _local_day(moment):
    return (moment + timedelta(hours=8)).date()


def test_do_the_figures_equal_direct_counts_for_each_merchant(db, fans):
    for merchant in (fans["ours"], fans["theirs"]):
        mine = _of(fans, merchant)
        figures = fan_list.figures(db.session, merchant.id)
        assert figures.total == len(mine)
        assert figures.following == sum(1 for f in mine if f.subscribed)
        assert figures.members == sum(1 for f in mine if f.member_id)
        assert figures.conversion_percent == (round(figures.members * 100 / figures.total, 1) if mine else 0.0)


def test_have_a_merchant_without_fans_zero_figures(db, make):
    lonely = make.merchant(name="新店")
    db.session.commit()
    figures = fan_list.figures(db.session, lonely.id)
    assert (figures.total, figures.following, figures.members, figures.conversion_percent) == (0, 0, 0, 0.0)


@pytest.mark.parametrize("status, became, date_from, date_to", [
    ("all", "all", None, None),
    ("subscribed", "all", None, None),
    ("unsubscribed", "all", None, None),
    ("all", "member", None, None),
    ("all", "not_member", None, None),
    ("subscribed", "not_member", date(2026, 11, 5), date(2026, 11, 20)),
    ("all", "all", date(2026, 11, 10), date(2026, 11, 10)),
])
def test_does_each_filter_give_what_the_same_filter_by_hand_gives(db, fans, status, became, date_from, date_to):
    filters = fan_list.Filters(status=status, became=became, date_from=date_from, date_to=date_to)
    expected = {f.id for f in _of(fans, fans["ours"])
                if (status == "all" or f.subscribed == (status == "subscribed"))
                and (became == "all" or bool(f.member_id) == (became == "member"))
                and (date_from is None or _local_day(f.subscribed_at) >= date_from)
                and (date_to is None or _local_day(f.subscribed_at) <= date_to)}
    listed = db.session.scalars(fan_list.fans(fans["ours"].id, filters, TZ)).all()
    assert {f.id for f in listed} == expected
    assert [f.subscribed_at for f in listed] == sorted((f.subscribed_at for f in listed), reverse=True)
    exported = list(csv.reader(io.StringIO(b"".join(fan_list.export_csv_chunks(
        db.session, fans["ours"].id, filters, TZ)).decode("utf-8-sig"))))
    assert exported[0] == list(fan_list.EXPORT_HEADER)
    assert sorted(row[1] for row in exported[1:]) == sorted(f.openid for f in listed)


def test_does_the_source_say_how_the_fan_found_the_account():
    assert fan_list.source_label(Fan(subscribe_scene="ADD_SCENE_SEARCH")) == "搜索公众号"
    assert fan_list.source_label(Fan(subscribe_scene="ADD_SCENE_PROFILE_CARD")) == "名片分享"
    assert fan_list.source_label(Fan(subscribe_scene="ADD_SCENE_QR_CODE", qr_scene="staff:9")) == "扫描二维码（staff:9）"
    assert fan_list.source_label(Fan(subscribe_scene="ADD_SCENE_QR_CODE")) == "扫描二维码"
    assert fan_list.source_label(Fan(subscribe_scene=None)) == "其他"
    assert fan_list.source_label(Fan(subscribe_scene="SOMETHING_NEW")) == "其他"

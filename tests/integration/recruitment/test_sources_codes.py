"""Sources (渠道) behind join codes and share links, on PostgreSQL: many requests making the same code at once end
with one row, and a link is refused (forged, another merchant's, switched off, expired) with a reason a visitor reads."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain import roles
from domain.clock import now_utc
from models import RecruitSource, Staff, Store
from services.recruitment import promotion, sources
from tests.integration.helpers import run_concurrently


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant(name="测试咖啡")
    store = make.store(merchant, "东门店")
    guide = make.staff(merchant, role=roles.GUIDE, username="guide", stores_=[store])
    other = make.merchant(name="别家")
    db.session.commit()
    return {"merchant": merchant, "store": store, "guide": guide, "other": other}


def rows(db):
    db.session.expire_all()
    return db.session.scalar(select(func.count(RecruitSource.id)))


@pytest.mark.parametrize("make_code", ["store", "staff", "share"])
def test_do_eight_requests_making_the_same_code_at_once_make_one_row(app, db, shop, make_code):
    ids = {"merchant": shop["merchant"].id, "store": shop["store"].id, "guide": shop["guide"].id}

    def ensure(session, _index):
        if make_code == "store":
            return sources.for_store(session, session.get(Store, ids["store"])).id
        if make_code == "staff":
            return sources.for_staff(session, session.get(Staff, ids["guide"]), store_id=ids["store"],
                                     share_channel="poster").id
        return sources.for_share(session, ids["merchant"], "sms").id

    results, errors = run_concurrently(app, 8, ensure)
    assert not errors and len(results) == 8
    assert len(set(results)) == 1 and rows(db) == 1


def test_do_the_nine_channel_links_at_once_from_two_screens_make_nine_rows(app, db, shop):
    merchant_id = shop["merchant"].id

    def links(session, _index):
        owner = promotion.owner_of(session, merchant_id, "staff", staff_id=shop["guide"].id)
        return [link.source_id for link in promotion.channel_links(session, owner, promotion.Target(),
                                                                   lambda source: source.token)]

    results, errors = run_concurrently(app, 4, links)
    assert not errors and len({tuple(r) for r in results}) == 1 and rows(db) == 9


def test_is_a_usable_link_found_by_its_token(db, shop):
    code = sources.for_staff(db.session, shop["guide"], store_id=shop["store"].id)
    db.session.commit()
    found = sources.usable(db.session, shop["merchant"].id, code.token)
    assert found.id == code.id and found.staff_id == shop["guide"].id and found.store_id == shop["store"].id


@pytest.mark.parametrize("token", ["forged-token-0000", "", "x" * 33, "中文令牌", "a\x00b", None, 12345])
def test_is_a_forged_or_malformed_token_refused(db, shop, token):
    sources.for_store(db.session, shop["store"])
    with pytest.raises(sources.SourceRefused) as refused:
        sources.usable(db.session, shop["merchant"].id, token)
    assert "链接无效" in refused.value.message


def test_is_another_merchants_token_refused_here(db, shop):
    theirs = sources.for_share(db.session, shop["other"].id, "link")
    db.session.commit()
    with pytest.raises(sources.SourceRefused):
        sources.usable(db.session, shop["merchant"].id, theirs.token)
    assert sources.usable(db.session, shop["other"].id, theirs.token).id == theirs.id


def test_are_a_switched_off_and_an_expired_link_refused_with_their_reason(db, shop):
    off = sources.for_store(db.session, shop["store"], share_channel="qq")
    off.active = False
    late = sources.for_store(db.session, shop["store"], share_channel="weibo")
    sources.expire(db.session, late, now_utc() - timedelta(minutes=1))
    db.session.commit()
    with pytest.raises(sources.SourceRefused) as stopped:
        sources.usable(db.session, shop["merchant"].id, off.token)
    assert "已停用" in stopped.value.message
    with pytest.raises(sources.SourceRefused) as expired:
        sources.usable(db.session, shop["merchant"].id, late.token)
    assert "已过期" in expired.value.message


def test_are_a_stores_codes_distinct_per_channel_and_target(db, shop):
    merchant_id = shop["merchant"].id
    owner = promotion.owner_of(db.session, merchant_id, "store", store_id=shop["store"].id)
    code = promotion.join_code(db.session, owner)
    poster = promotion.channel_source(db.session, owner, "poster")
    assert code.id != poster.id and code.share_channel is None and poster.share_channel == "poster"
    assert promotion.join_code(db.session, owner).id == code.id


def test_may_a_staff_code_name_only_a_store_the_staff_member_works_in(db, shop, make):
    west = make.store(shop["merchant"], "西门店")
    db.session.commit()
    with pytest.raises(Exception) as refused:
        promotion.owner_of(db.session, shop["merchant"].id, "staff", staff_id=shop["guide"].id, store_id=west.id)
    assert getattr(refused.value, "http_status", None) == 404
    owner = promotion.owner_of(db.session, shop["merchant"].id, "staff", staff_id=shop["guide"].id)
    assert owner.store.id == shop["store"].id  # a guide of one store: that store by default

"""The merchant's WeChat member card: saved within WeChat's limits as versions, created in WeChat through the
official account's client (the sandbox over HTTP) and updated after each edit; a refusal is kept in WeChat's words
and the next save tries again."""
import pytest
from sqlalchemy import select

from domain.errors import DomainError
from models import AuditLog, SandboxCard
from sandbox import wechat_card_store as store
from services.wechat_cards import face, sync

SECRET = "0123456789abcdef0123456789abcdef"


@pytest.fixture()
def shop(make, db):
    merchant = make.merchant(slug="tea", name="茶饮店", with_levels=False)
    merchant.wechat_app_id, merchant.wechat_app_secret, merchant.wechat_token = "wxwechatcards001", SECRET, "tok123"
    db.session.commit()
    return merchant


@pytest.fixture()
def owner(make, shop):
    return make.staff(shop)


def fields(**changes):
    return {"title": "茶饮店会员卡", "brand_name": "茶饮店", "color": "Color030", "notice": "使用时出示会员卡",
            "prerogative": "会员享 9.5 折", "description": "不可与其他优惠同享", "supply_balance": True,
            "supply_bonus": True, "cells": ["coupons", "membership"], **changes}


def wechat_card(db, card_id):
    db.session.expire_all()
    return db.session.scalars(select(SandboxCard).where(SandboxCard.card_id == card_id)).one()


def test_is_a_saved_card_created_in_wechat_with_its_face_and_entries(db, shop, owner):
    card = face.save(db.session, owner, shop, **fields())
    assert face.sync_state(card) == "pending"
    assert sync.sync(db.session, shop) is True
    db.session.commit()
    assert face.sync_state(card) == "synced" and card.card_id and card.logo_url  # the default logo went up first
    payload = wechat_card(db, card.card_id).payload
    base = payload["base_info"]
    assert (base["title"], base["brand_name"], base["color"]) == ("茶饮店会员卡", "茶饮店", "Color030")
    assert base["custom_url_name"] == "优惠券" and base["custom_url"].endswith("/h5/tea/coupons/")
    assert base["promotion_url_name"] == "付费会员" and base["promotion_url"].endswith("/h5/tea/membership")
    assert payload["bonus_url"].endswith("/h5/tea/member/points") and payload["supply_balance"] is True
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.merchant_id == shop.id)) == "wechat_card.save"


def test_does_an_edit_update_the_same_card_in_wechat(db, shop, owner):
    card = face.save(db.session, owner, shop, **fields())
    sync.sync(db.session, shop)
    first_id = card.card_id
    face.save(db.session, owner, shop, **fields(title="茶饮店金卡", color="Color090", cells=["points"],
                                                logo=sync.default_logo("Color100")))
    assert card.version == 2 and face.sync_state(card) == "pending"
    assert sync.sync(db.session, shop) is True
    db.session.commit()
    assert card.card_id == first_id and card.synced_version == 2
    row = wechat_card(db, first_id)
    assert row.updates == 1 and len(store.cards(db.session, shop.wechat_app_id)) == 1
    base = row.payload["base_info"]
    assert (base["title"], base["color"], base["custom_url_name"]) == ("茶饮店金卡", "Color090", "积分")
    assert base["promotion_url_name"] == "" and row.payload["custom_cell1"]["name"] == ""  # entries taken off
    assert base["brand_name"] == "茶饮店"  # WeChat keeps the brand from card/create


def test_is_a_refused_sync_kept_in_wechats_words_and_tried_again_on_the_next_save(db, shop, owner):
    shop.wechat_app_secret = "wrong-secret"
    card = face.save(db.session, owner, shop, **fields())
    assert sync.sync(db.session, shop) is False
    assert face.sync_state(card) == "failed" and "40125" in card.sync_error and card.card_id is None
    shop.wechat_app_secret = SECRET
    face.save(db.session, owner, shop, **fields(notice="请出示会员卡"))
    assert sync.sync(db.session, shop) is True
    assert face.sync_state(card) == "synced" and card.sync_error is None


def test_does_a_merchant_without_an_official_account_hear_so(db, make, owner):
    bare = make.merchant(slug="bare", name="小店", with_levels=False)
    staff = make.staff(bare)
    card = face.save(db.session, staff, bare, **fields())
    assert sync.sync(db.session, bare) is False and "公众号" in card.sync_error


@pytest.mark.parametrize("change, field", [
    ({"title": "一二三四五六七八九十"}, "title"),
    ({"title": "x" * 28}, "title"),
    ({"brand_name": "一二三四五六七八九十一二三"}, "brand_name"),
    ({"notice": ""}, "notice"),
    ({"notice": "bad\x00"}, "notice"),
    ({"prerogative": "特" * 1025}, "prerogative"),
    ({"color": "#ff0000"}, "color"),
    ({"cells": ["coupons", "points", "balance", "membership"]}, "cells"),
    ({"cells": ["wallet"]}, "cells"),
    ({"logo": b"GIF89a" + b"\x00" * 20}, "logo"),
    ({"logo": b"\x89PNG\r\n\x1a\n" + b"\x00" * (1024 * 1024)}, "logo"),
], ids=["10 Chinese", "28 latin", "brand 13", "no notice", "NUL", "long prerogative", "colour", "4 cells",
        "unknown cell", "gif", "too large"])
def test_is_a_face_outside_wechats_limits_refused_with_nothing_saved(db, shop, owner, change, field):
    with pytest.raises(DomainError) as refused:
        face.save(db.session, owner, shop, **fields(**change))
    assert field in refused.value.details["fields"]
    assert face.card_for(db.session, shop.id) is None


def test_does_each_merchant_have_its_own_card(db, shop, owner, make):
    other = make.merchant(slug="cafe", name="咖啡店", with_levels=False)
    face.save(db.session, owner, shop, **fields())
    assert face.card_for(db.session, other.id) is None
    assert face.defaults(other)["title"] == "咖啡店会员卡" and face.defaults(other)["brand_name"] == "咖啡店"


def test_is_a_card_deleted_in_wechat_created_again_on_the_next_save(db, shop, owner):
    from models import WechatCardHolding

    card = face.save(db.session, owner, shop, **fields())
    assert sync.sync(db.session, shop) is True
    old_id = card.card_id
    db.session.add(WechatCardHolding(merchant_id=shop.id, card_id=old_id, code="111122223333", openid="o-old",
                                     state="activated"))
    db.session.delete(wechat_card(db, old_id))  # the merchant deleted it in the official account's console
    db.session.commit()
    face.save(db.session, owner, shop, **fields(notice="请出示会员卡"))
    assert sync.sync(db.session, shop) is True
    db.session.commit()
    assert card.card_id != old_id and face.sync_state(card) == "synced"
    assert wechat_card(db, card.card_id).payload["base_info"]["notice"] == "请出示会员卡"
    assert db.session.scalars(select(WechatCardHolding.state)).all() == ["deleted"]


def test_does_the_retry_job_sync_a_card_wechat_could_not_take_at_save(db, shop, owner, app):
    from jobs.wechat import retry_wechat_card_syncs

    saved = app.config["WECHAT_API_BASE"]
    app.config["WECHAT_API_BASE"] = "http://127.0.0.1:9/"  # WeChat unreachable while the merchant saves
    try:
        card = face.save(db.session, owner, shop, **fields())
        assert sync.sync(db.session, shop) is False
        db.session.commit()
    finally:
        app.config["WECHAT_API_BASE"] = saved
    assert face.sync_state(card) == "failed" and "无法连接" in card.sync_error
    assert retry_wechat_card_syncs(db.session) == {shop.id: "synced"}
    db.session.expire_all()
    card = db.session.get(type(card), card.id)
    assert face.sync_state(card) == "synced" and card.card_id
    assert retry_wechat_card_syncs(db.session) == {}  # nothing left behind

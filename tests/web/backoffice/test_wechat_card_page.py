"""Back office: 微信会员卡, the member card in WeChat's card package, edited with a preview and sent to WeChat (the
sandbox over HTTP) on each save; a refused save is kept with WeChat's message and tried again on the next."""
import io

import pytest
from sqlalchemy import select
from wechatpy.exceptions import WeChatClientException

from domain import roles
from models import SandboxCard, WechatMemberCard
from services.wechat_cards import sync
from tests.web.helpers import text_of

APP_ID = "wx0b0ff1ce00000c01"
FORM = {"title": "测试会员卡", "brand_name": "测试商户", "color": "Color040", "notice": "使用时出示会员卡",
        "prerogative": "会员享 9.5 折", "description": "不可与其他优惠同享", "supply_bonus": "y",
        "supply_balance": "y", "cells": ["coupons", "membership"]}


@pytest.fixture()
def wechat_merchant(merchant, db):
    merchant.wechat_app_id, merchant.wechat_app_secret, merchant.wechat_token = APP_ID, "z" * 32, "tok456"
    db.session.commit()
    return merchant


def card_of(db, merchant):
    db.session.expire_all()
    return db.session.scalars(select(WechatMemberCard).where(WechatMemberCard.merchant_id == merchant.id)).one_or_none()


@pytest.mark.parametrize("role", [roles.OPERATOR, roles.CUSTOMER_SERVICE, roles.CASHIER])
def test_may_only_owners_and_admins_edit_the_wechat_card(sign_in_as, client, role):
    sign_in_as(role)
    assert client.get("/backoffice/wechat-card").status_code == 403
    assert client.post("/backoffice/wechat-card", data=FORM).status_code == 403


def test_does_the_page_offer_the_shops_defaults_and_wechats_palette(as_owner, merchant):
    page = text_of(as_owner.get("/backoffice/wechat-card"))
    assert "微信会员卡" in page and "还没有创建微信会员卡" in page
    assert f"{merchant.name}会员卡"[:9] in page or "会员卡" in page
    assert "#63b359" in page and "#5E6671" in page and "付费会员" in page


def test_does_a_save_create_the_card_in_wechat_and_an_edit_update_it(as_owner, wechat_merchant, db, live_server):
    answer = as_owner.post("/backoffice/wechat-card", data={**FORM, "logo": (io.BytesIO(sync.default_logo("Color040")),
                                                                              "logo.png")},
                           content_type="multipart/form-data")
    assert answer.status_code == 302
    card = card_of(db, wechat_merchant)
    assert card.card_id and card.synced_version == card.version == 1 and card.logo_url
    page = text_of(as_owner.get("/backoffice/wechat-card"))
    assert "已同步到微信" in page and card.card_id in page
    as_owner.post("/backoffice/wechat-card", data={**FORM, "title": "测试金卡", "color": "Color090"})
    card = card_of(db, wechat_merchant)
    wechat = db.session.scalars(select(SandboxCard).where(SandboxCard.card_id == card.card_id)).one()
    assert card.version == 2 and card.synced_version == 2 and wechat.updates == 1
    assert (wechat.payload["base_info"]["title"], wechat.payload["base_info"]["color"]) == ("测试金卡", "Color090")


def test_is_a_refused_sync_shown_with_wechats_message_and_retried(as_owner, wechat_merchant, db, live_server,
                                                                  monkeypatch):
    real_client_for = sync.client_for

    def refusing(merchant):  # WeChat refuses the first card/create, as it may for a reason only it knows
        client = real_client_for(merchant)

        def refuse(card_data):
            raise WeChatClientException(45021, "field length exceeds the limit")

        client.card.create = refuse
        return client

    monkeypatch.setattr(sync, "client_for", refusing)
    as_owner.post("/backoffice/wechat-card", data=FORM)
    card = card_of(db, wechat_merchant)
    assert card.version == 1 and card.card_id is None and "45021" in card.sync_error
    page = text_of(as_owner.get("/backoffice/wechat-card"))
    assert "同步失败" in page and "field length exceeds the limit" in page
    monkeypatch.setattr(sync, "client_for", real_client_for)
    as_owner.post("/backoffice/wechat-card", data=FORM)
    card = card_of(db, wechat_merchant)
    assert card.card_id and card.sync_error is None and card.synced_version == 2


@pytest.mark.parametrize("change, words", [
    ({"title": "一二三四五六七八九十"}, "卡名称最多 9 个汉字"),
    ({"brand_name": ""}, "请填写商户名称"),
    ({"color": "Color999"}, ""),
    ({"cells": ["coupons", "points", "balance", "membership"]}, "最多 3 个入口"),
    ({"notice": "a\x00b"}, "控制字符"),
], ids=["title", "no brand", "colour", "4 cells", "NUL"])
def test_is_bad_input_refused_with_nothing_saved(as_owner, wechat_merchant, db, change, words):
    answer = as_owner.post("/backoffice/wechat-card", data={**FORM, **change})
    assert answer.status_code == 400 and words in text_of(answer)
    assert card_of(db, wechat_merchant) is None


def test_is_a_gif_logo_refused(as_owner, wechat_merchant, db):
    answer = as_owner.post("/backoffice/wechat-card", data={**FORM, "logo": (io.BytesIO(b"GIF89a" + b"\0" * 20),
                                                                              "logo.png")},
                           content_type="multipart/form-data")
    assert answer.status_code == 400 and "JPG 或 PNG" in text_of(answer)
    assert card_of(db, wechat_merchant) is None


def test_does_the_page_say_how_many_hold_the_card_and_which_updates_failed(as_owner, wechat_merchant, db, make,
                                                                          live_server):
    from datetime import timedelta

    from domain.clock import now_utc
    from models import CardPackagePush, WechatCardHolding

    assert as_owner.post("/backoffice/wechat-card", data=FORM).status_code == 302
    card_id = card_of(db, wechat_merchant).card_id
    members = [make.member(wechat_merchant) for _ in range(3)]
    for n, (member, state) in enumerate(zip(members, ("activated", "activated", "added"))):
        db.session.add(WechatCardHolding(merchant_id=wechat_merchant.id, card_id=card_id, code=f"80000000000{n}",
                                         openid=f"o-holder-{n}", member_id=member.id, state=state))
    now = now_utc()
    db.session.add_all([
        CardPackagePush(merchant_id=wechat_merchant.id, member_id=members[0].id, first_changed_at=now,
                        next_try_at=now),
        CardPackagePush(merchant_id=wechat_merchant.id, member_id=members[1].id, first_changed_at=now, attempts=2,
                        next_try_at=now + timedelta(minutes=5), last_error="无法连接微信服务器")])
    other = make.merchant(slug="elsewhere")  # another merchant's backlog is not this page's
    db.session.add(CardPackagePush(merchant_id=other.id, member_id=make.member(other).id, first_changed_at=now,
                                   next_try_at=now, attempts=1, last_error="别家的错误"))
    db.session.commit()
    page = text_of(as_owner.get("/backoffice/wechat-card"))
    assert "已激活 2 张，待激活 1 张" in page
    assert "2 位会员的卡面余额、积分或等级正在更新" in page
    assert "其中 1 位更新失败，稍后自动重试：无法连接微信服务器" in page and "别家的错误" not in page

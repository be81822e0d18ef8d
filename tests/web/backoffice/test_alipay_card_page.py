"""Back office: the member card page also brings the same face to Alipay's card package when the merchant has an
Alipay app, and shows the template's state, Alipay's refusal in words and how many members hold the card there."""
import pytest
from sqlalchemy import select

from models import AlipayCardHolding, AlipayCardTemplate, SandboxAlipayCardTemplate
from sandbox.alipay_keys import provision_merchant
from tests.web.helpers import text_of
from tests.web.backoffice.test_wechat_card_page import FORM


@pytest.fixture()
def alipay_merchant(merchant, db):
    provision_merchant(db.session, merchant)
    db.session.commit()
    return merchant


def test_without_an_alipay_app_does_the_page_say_so(as_owner, merchant):
    page = text_of(as_owner.get("/backoffice/wechat-card"))
    assert "未配置支付宝应用" in page


def test_does_a_save_create_the_alipay_template_and_an_edit_modify_it(as_owner, alipay_merchant, make, db,
                                                                    live_server):
    assert as_owner.post("/backoffice/wechat-card", data=FORM).status_code == 302
    db.session.expire_all()
    saved = db.session.scalars(select(AlipayCardTemplate)).one()
    assert saved.template_id and saved.sync_error is None and saved.merchant_id == alipay_merchant.id
    page = text_of(as_owner.get("/backoffice/wechat-card"))
    assert "已同步到支付宝卡包" in page and saved.template_id in page and "支付宝卡包中 0 位会员持卡" in page
    assert as_owner.post("/backoffice/wechat-card", data={**FORM, "title": "新会员卡"}).status_code == 302
    db.session.expire_all()
    row = db.session.scalars(select(SandboxAlipayCardTemplate)).one()
    assert (row.updates, row.payload["template_style_info"]["card_show_name"]) == (1, "新会员卡")
    db.session.add(AlipayCardHolding(merchant_id=alipay_merchant.id, member_id=make.member(alipay_merchant).id,
                                     template_id=row.template_id, alipay_user_id="2088000000000001",
                                     out_serial_no="s1", biz_card_no="m1000001", state="open"))
    db.session.commit()
    assert "支付宝卡包中 1 位会员持卡" in text_of(as_owner.get("/backoffice/wechat-card"))


def test_is_alipays_refusal_shown_and_the_face_kept(as_owner, alipay_merchant, make, db, live_server):
    other = provision_merchant(db.session, make.merchant(name="别家"))
    alipay_merchant.alipay_private_key = other.alipay_private_key  # Alipay does not know this key for the app
    db.session.commit()
    assert as_owner.post("/backoffice/wechat-card", data=FORM).status_code == 302
    page = text_of(as_owner.get("/backoffice/wechat-card"))
    assert "支付宝同步失败" in page and "验签出错" in page

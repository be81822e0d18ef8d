"""The member card's pictures in Alipay (alipay.offline.material.image.upload, a signed multipart request): the
merchant's logo and a field of the card's colour are uploaded with each template save and the template names their
image ids; the sandbox refuses a picture that is not what it says, a missing one, and another key's signature."""
import io

import pytest
import requests
from alipay import AliPay
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from PIL import Image
from sqlalchemy import select

from channels import alipay_images
from domain import roles
from domain.wechat_member_card import color_hex
from models import SandboxAlipayCardTemplate, SandboxMedia
from sandbox.alipay_keys import provision_merchant
from services.alipay_cards import template
from services.wechat_cards import face

METHOD = "alipay.offline.material.image.upload"


@pytest.fixture()
def shop(make, db, live_server):
    merchant = provision_merchant(db.session, make.merchant(slug="pic", name="图片店"))
    db.session.commit()
    return merchant


def png(color="#ff6600", size=(120, 120)):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def stored(db, image_id):
    db.session.expire_all()
    return db.session.scalars(select(SandboxMedia).where(SandboxMedia.media_id == image_id)).one_or_none()


def test_is_an_uploaded_picture_kept_under_the_id_alipay_answers(shop, db, client):
    picture = png()
    image_id = alipay_images.upload_image(shop, picture, "png", "logo")
    assert stored(db, image_id).data == picture
    shown = client.get(f"/sandbox/alipay/images/{image_id}")
    assert shown.status_code == 200 and shown.data == picture and shown.mimetype == "image/png"


@pytest.mark.parametrize("data, kind", [(b"GIF89a" + b"\x00" * 30, "png"), (png(), "jpg")])
def test_is_a_picture_that_is_not_what_it_says_refused(shop, db, data, kind):
    with pytest.raises(alipay_images.ImageRefused, match="图片格式"):
        alipay_images.upload_image(shop, data, kind, "logo")
    assert db.session.scalars(select(SandboxMedia)).all() == []


def signed_upload(shop, app, files, image_type="png", signer=None):
    """A request as the channel makes it (or signed by `signer`), the answer's body."""
    signer = signer or alipay_images.client_for(shop)
    params = signer.build_body(METHOD, None, image_type=image_type, image_name="logo")
    params.pop("biz_content")
    answer = requests.post(f"{app.config['ALIPAY_GATEWAY']}?{signer.sign_data(params)}", timeout=10, files=files)
    return answer.json()["alipay_offline_material_image_upload_response"]


def test_is_an_image_type_alipay_does_not_take_refused(shop, db, app):
    body = signed_upload(shop, app, {"image_content": ("logo.gif", b"GIF89a" + b"\x00" * 30, "image/gif")}, "gif")
    assert body["sub_code"] == "isv.invalid-parameter"
    assert db.session.scalars(select(SandboxMedia)).all() == []


def test_is_an_upload_signed_with_another_key_or_without_a_picture_refused(shop, db, app):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    impostor = AliPay(appid=shop.alipay_app_id, app_private_key_string=key,
                      alipay_public_key_string=shop.alipay_public_key, sign_type="RSA2")
    forged = signed_upload(shop, app, {"image_content": ("logo.png", png(), "image/png")}, signer=impostor)
    assert forged["sub_code"] == "isv.invalid-signature"
    assert signed_upload(shop, app, {})["sub_code"] == "isv.missing-image-content"
    assert db.session.scalars(select(SandboxMedia)).all() == []


def test_does_the_template_name_the_merchants_logo_and_a_field_of_its_colour(shop, db, make):
    logo = png("#123456")
    face.save(db.session, make.staff(shop, role=roles.OWNER), shop, **{**face.defaults(shop), "color": "Color080"},
              logo=logo)
    db.session.commit()
    assert template.sync(db.session, shop) is True
    db.session.commit()
    style = db.session.scalars(select(SandboxAlipayCardTemplate)).one().payload["template_style_info"]
    assert stored(db, style["logo_id"]).data == logo
    background = Image.open(io.BytesIO(stored(db, style["background_id"]).data))
    assert background.size == template.BACKGROUND_SIZE
    assert "#%02x%02x%02x" % background.getpixel((0, 0)) == color_hex("Color080").lower()

"""Back office 支付通知: notifications refused unverified shown as daily counts with their sample, the merchant's
own only; managers only."""
from domain import roles
from tests.web.helpers import text_of


def post_junk(client, slug, body, times=1):
    for _ in range(times):
        assert client.post(f"/payments/wechat/notify/{slug}", data=body, content_type="text/xml").status_code == 200


def test_does_the_page_show_the_refused_counts_and_latest_sample(as_owner, make, db, merchant):
    other = make.merchant(name="别家")
    db.session.commit()
    post_junk(as_owner, merchant.slug, b"<xml>forged-one</xml>", times=2)
    post_junk(as_owner, merchant.slug, b"not xml: the latest sample")
    post_junk(as_owner, other.slug, b"not xml: another merchant's")

    page = as_owner.get("/backoffice/orders/notifications")

    body = text_of(page)
    assert page.status_code == 200
    assert "报文格式错误" in body and "微信支付" in body and ">3<" in body
    assert "not xml: the latest sample" in body and "forged-one" not in body
    assert "another merchant" not in body


def test_is_the_page_for_managers_only(sign_in_as, client):
    sign_in_as(roles.CASHIER)

    assert client.get("/backoffice/orders/notifications").status_code == 403

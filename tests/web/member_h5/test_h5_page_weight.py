"""Every member H5 page loads in under 100 KB (HTML + the CSS and JS it links, gzip), as phones on 4G need."""
import gzip
import re

import pytest

from services.members import fields as member_fields, members
from services.points import ledger as points
from services.wallet import journal as wallet
from tests.web.member_h5 import test_h5_support
from tests.web.member_h5.test_h5_support import sign_in

shop = test_h5_support.shop  # the fixture

BUDGET = 100 * 1024
ASSET = re.compile(r"""<(?:link[^>]+rel=["']stylesheet["'][^>]*href|script[^>]+src)=["']([^"']+)["']""")
OPENID = "o-weight-member-00000000000001"


@pytest.fixture()
def member(make, db, shop):
    from domain import roles

    owner = make.staff(shop, role=roles.OWNER)
    member_fields.save_field(db.session, owner, None, key="taste", label="口味偏好", field_type="select",
                             options_text="美式,拿铁,卡布奇诺,其他", required=True)
    member_fields.save_field(db.session, owner, None, key="company", label="公司", field_type="text")
    person = make.member(shop, mobile="13400000001", name="张伟", custom_fields={"taste": "拿铁"})
    members.bind_identity(db.session, person, "wechat_openid", OPENID, shop.wechat_app_id)
    for i in range(50):  # a full history page
        points.earn(db.session, shop, person.id, 10 + i, key=f"w:{i}", reason=f"门店消费 订单 {i:04d}")
    purse = wallet.member_wallet(db.session, shop.id, person.id)
    for i in range(25):
        wallet.credit(db.session, shop.id, purse.id, 10000, 1000, key=f"t:{i}", note="充值 100 送 10")
        wallet.debit(db.session, shop.id, purse.id, 2350, key=f"d:{i}", note="门店消费")
    db.session.commit()
    return person


def _weight(client, path, **kwargs):
    response = client.get(path, **kwargs)
    assert response.status_code in (200, 400), (path, response.status_code)
    html = response.get_data()
    sizes = {"html": len(gzip.compress(html, 9))}
    for asset in ASSET.findall(html.decode()):
        body = client.get(asset)
        assert body.status_code == 200, asset
        sizes[asset] = len(gzip.compress(body.get_data(), 9))
        body.close()
    return sizes


def test_is_every_member_page_under_100_kb_gzipped(client, app, db, shop, member, capsys):
    slug = shop.slug
    signed_out = app.test_client()
    sign_in(signed_out, shop, "wechat", "o-not-yet-a-member")
    weights = {"open in WeChat or Alipay": _weight(client, f"/h5/{slug}/", headers={"User-Agent": "curl"}),
               "claim": _weight(signed_out, f"/h5/{slug}/claim")}
    sign_in(client, shop, "wechat", OPENID)
    for name in ("member", "member/points", "member/balance", "member/level", "member/profile"):
        weights[name] = _weight(client, f"/h5/{slug}/{name}")
    weights["login refused"] = _weight(client, f"/h5/{slug}/oauth/wechat?code=x&state=y")
    with capsys.disabled():
        for name, sizes in weights.items():
            print(f"\n  {name:26s} {sum(sizes.values()) / 1024:6.1f} KB gzip  "
                  + ", ".join(f"{k.rsplit('/', 1)[-1]} {v / 1024:.1f}" for k, v in sizes.items()))
    for name, sizes in weights.items():
        assert sum(sizes.values()) < BUDGET, (name, sizes)


def test_do_member_pages_load_no_scripts_from_other_hosts(client, shop, member):
    sign_in(client, shop, "wechat", OPENID)
    html = client.get(f"/h5/{shop.slug}/member").get_data(as_text=True)
    assert all(src.startswith("/") for src in ASSET.findall(html))

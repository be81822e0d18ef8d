"""Compressed answers: the member centre's first load (the page and the stylesheets and scripts it references) goes
over the wire a fraction of its size; static files keep answering conditional requests; downloads pass untouched."""
import gzip
import re

import brotli
import pytest

from services.members import members
from tests.web.member_h5 import test_h5_support
from tests.web.member_h5.test_h5_support import sign_in

shop = test_h5_support.shop  # the fixture: a merchant with its sandbox official account
OPENID = "o-compression-member-0000000001"
ASSET = re.compile(r'(?:href|src)="(/static/[^"?]+)[^"]*"')


@pytest.fixture()
def centre_member(make, db, shop):
    person = make.member(shop, mobile="13500000002", name="韩梅梅")
    members.bind_identity(db.session, person, "wechat_openid", OPENID, shop.wechat_app_id)
    db.session.commit()
    return person


def get(client, path, **kwargs):
    """The response, read and closed: a static file's stream holds its file open until its response is closed."""
    response = client.get(path, **kwargs)
    response.get_data()
    response.close()
    return response


def decoded(response):
    body, encoding = response.get_data(), response.headers.get("Content-Encoding")
    return {"br": brotli.decompress, "gzip": gzip.decompress, None: lambda data: data}[encoding](body)


def test_is_the_member_centres_first_load_a_third_of_its_size_or_less(client, shop, centre_member):
    sign_in(client, shop, "wechat", OPENID)
    page = get(client, f"/h5/{shop.slug}/member")
    assert page.status_code == 200
    assets = sorted(set(ASSET.findall(page.get_data(as_text=True))))
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets), assets
    raw = sent = 0
    for path in [f"/h5/{shop.slug}/member", *assets]:
        plain = get(client, path)
        packed = get(client, path, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert plain.status_code == packed.status_code == 200, path
        assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in packed.headers["Vary"]
        if path != f"/h5/{shop.slug}/member":  # the page itself differs per load (its QR code)
            assert decoded(packed) == plain.get_data(), path
        raw, sent = raw + len(plain.get_data()), sent + len(packed.get_data())
    print(f"\nmember centre first load: {raw / 1024:.0f} KB raw, {sent / 1024:.0f} KB compressed "
          f"({sent / raw:.0%}), {len(assets)} assets")
    assert sent <= 0.35 * raw


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_does_a_client_get_the_encoding_it_accepts(client, encoding):
    plain = get(client, "/static/vendor/weui/weui.min.css")
    packed = get(client, "/static/vendor/weui/weui.min.css", headers={"Accept-Encoding": encoding})
    assert packed.headers["Content-Encoding"] == encoding
    assert decoded(packed) == plain.get_data()


def test_does_a_compressed_static_file_still_answer_a_conditional_request_with_304(client):
    path, accept = "/static/vendor/weui/weui.min.css", {"Accept-Encoding": "br"}
    first = get(client, path, headers=accept)
    assert first.headers["ETag"].endswith(':br"')
    again = get(client, path, headers={**accept, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    plain = get(client, path)
    assert get(client, path, headers={"If-None-Match": plain.headers["ETag"]}).status_code == 304


def test_are_small_answers_and_downloads_left_alone(as_owner, make, merchant, db):
    for number in range(40):
        make.member(merchant, mobile=f"1390000{number:04d}")
    db.session.commit()
    accept = {"Accept-Encoding": "gzip, br"}
    csv = get(as_owner, "/backoffice/audiences/export?fmt=csv", headers=accept)
    assert csv.status_code == 200 and len(csv.get_data()) > 500 and "Content-Encoding" not in csv.headers
    health = get(as_owner, "/healthz", headers=accept)
    assert "Content-Encoding" not in health.headers  # under 500 bytes: not worth a compressor's frame

"""Back office: each store's pay QR (门店收款码), shown on the stores page and downloaded as a PNG."""
import io

import png

from services.members import qr as member_qr
from tests.web.helpers import text_of


def test_does_the_stores_page_show_each_stores_pay_qr(as_owner, merchant, store):
    page = text_of(as_owner.get("/backoffice/stores"))
    assert "门店收款码" in page and f'data-store-id="{store.id}"' in page and "<svg" in page
    assert f"/backoffice/stores/{store.id}/pay-qr.png" in page


def test_does_the_qr_open_the_stores_self_pay_page(as_owner, merchant, store, monkeypatch):
    monkeypatch.setattr(member_qr, "svg", lambda data, label: f"<svg data-qr='{data}'></svg>")
    page = text_of(as_owner.get("/backoffice/stores"))
    assert f"/h5/{merchant.slug}/pay/{store.id}'" in page


def test_is_the_pay_qr_a_png_download(as_owner, merchant, store):
    response = as_owner.get(f"/backoffice/stores/{store.id}/pay-qr.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert f"store-pay-{store.id}.png" in response.headers["Content-Disposition"]
    width, height, _rows, _info = png.Reader(file=io.BytesIO(response.data)).read()
    assert width == height > 100


def test_is_another_merchants_store_qr_a_404(as_owner, make, db):
    other = make.merchant(name="别家")
    theirs = make.store(other, "别家店")
    db.session.commit()
    assert as_owner.get(f"/backoffice/stores/{theirs.id}/pay-qr.png").status_code == 404

"""Member H5 count and timed cards: the list by tab, a card's detail and QR, the photo for the check at the till."""
import io
import os
import re
from datetime import timedelta

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from domain import roles
from domain.clock import now_utc
from domain.coupons import format_code
from services.cards import (count_timed_closing, count_timed_issue, count_timed_photos, count_timed_templates,
                            count_timed_use)
from services.verification import qr as instrument_qr
from tests.web.member_h5 import test_h5_support
from tests.web.helpers import fresh, text_of, wechat_member, wechat_phone

shop = test_h5_support.shop  # the fixture
OPENID = "o-card-member-0000000000000001"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def upload(client, url, payload, filename="me.jpg", fields=None, **options):
    """POST a photo as multipart built in memory (the test client would spool a big body to an unclosed file)."""
    photo = FileStorage(io.BytesIO(payload), filename)
    boundary, body = encode_multipart(MultiDict({**(fields or {}), "photo": photo}))
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}", **options)


@pytest.fixture()
def owner(make, shop):
    return make.staff(shop, role=roles.OWNER)


@pytest.fixture()
def member(make, db, shop):
    return wechat_member(make, shop, OPENID, mobile="13600000011", name="李雷")


@pytest.fixture()
def phone(client, shop, member):
    return wechat_phone(client, shop, OPENID)


@pytest.fixture()
def uploads(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path))
    return tmp_path


def count_card(db, shop, owner, member, key="c", **values):
    template = count_timed_templates.save_template(db.session, owner, None, **{
        "kind": "count", "title": "洗车十次卡", "service_name": "精洗", "uses": 10, **values})
    card = count_timed_issue.issue(db.session, shop, template.id, member.id, channel="staff", key=key)
    db.session.commit()
    return card


def timed_card(db, shop, owner, member, key="t", **values):
    template = count_timed_templates.save_template(db.session, owner, None, **{
        "kind": "timed", "title": "游泳月卡", "tiers": [{"label": "月卡", "days": 30, "price": 9900}],
        "daily_limit": 1, **values})
    card = count_timed_issue.issue(db.session, shop, template.id, member.id, channel="purchase", key=key)
    db.session.commit()
    return card


def test_does_the_centre_link_to_the_members_cards(phone, shop):
    assert f"/h5/{shop.slug}/cards/" in text_of(phone.get(f"/h5/{shop.slug}/member"))


def test_do_the_tabs_sort_cards_into_usable_and_finished(db, make, shop, owner, member, phone):
    usable = count_card(db, shop, owner, member, "a")
    pending = timed_card(db, shop, owner, member, "b")
    voided = count_card(db, shop, owner, member, "c")
    count_timed_closing.void(db.session, owner, voided.id)
    db.session.commit()
    first = text_of(phone.get(f"/h5/{shop.slug}/cards/"))
    assert f'data-card-id="{usable.id}"' in first and f'data-card-id="{pending.id}"' in first
    assert f'data-card-id="{voided.id}"' not in first and "剩 10 次" in first and "未开始" in first
    finished = text_of(phone.get(f"/h5/{shop.slug}/cards/?tab=finished"))
    assert f'data-card-id="{voided.id}"' in finished and "已作废" in finished
    assert f'data-card-id="{usable.id}"' not in finished


def test_does_the_detail_show_a_qr_that_resolves_to_the_card_and_the_grouped_code(app, db, shop, owner, member, phone):
    card = count_card(db, shop, owner, member)
    page = text_of(phone.get(f"/h5/{shop.slug}/cards/{card.id}"))
    assert format_code(card.code) in page and "<svg" in page and "10 / 10 次" in page
    assert f'data-url="/h5/{shop.slug}/cards/{card.id}/qr.json"' in page and 'refreshing_qr.js" data-box="card-qr" data-every-ms="30000"' in page and "卡码每 30 秒自动刷新" in page
    refreshed = phone.get(f"/h5/{shop.slug}/cards/{card.id}/qr.json", headers={"Accept": "application/json"})
    assert refreshed.status_code == 200 and "<svg" in refreshed.get_json()["svg"]
    with app.test_request_context():
        assert instrument_qr.resolve(shop.id, instrument_qr.token(card))[0] == card.code


def test_does_a_used_up_card_show_no_qr(db, make, shop, owner, member, phone):
    card = count_card(db, shop, owner, member, uses=1)
    cashier_store = make.store(shop, "东门店")
    count_timed_use.use(db.session, owner, card.id, store_id=cashier_store.id, method="scan", key="u")
    db.session.commit()
    page = text_of(phone.get(f"/h5/{shop.slug}/cards/{card.id}"))
    assert "<svg" not in page and "已用完" in page
    assert phone.get(f"/h5/{shop.slug}/cards/{card.id}/qr.json").status_code == 409


def test_does_another_members_card_give_404(db, make, shop, owner, phone):
    theirs = count_card(db, shop, owner, make.member(shop, mobile="13600000012"))
    assert phone.get(f"/h5/{shop.slug}/cards/{theirs.id}").status_code == 404
    assert phone.get(f"/h5/{shop.slug}/cards/{theirs.id}/qr.json").status_code == 404
    response = upload(phone, f"/h5/{shop.slug}/cards/{theirs.id}/photo", JPEG)
    assert response.status_code == 404
    assert fresh(theirs).photo_path is None


def test_does_another_merchants_page_not_show_this_members_card(db, make, shop, owner, member, phone):
    card = count_card(db, shop, owner, member)
    other = test_h5_support.provision(db, make.merchant(name="别家"))
    assert phone.get(f"/h5/{other.slug}/cards/{card.id}").status_code in (302, 404)


def test_can_a_member_upload_a_photo_that_staff_then_see_through_a_signed_link(app, db, shop, owner, member, phone,
                                                                              uploads):
    card = timed_card(db, shop, owner, member, photo_required=True)
    page = text_of(phone.get(f"/h5/{shop.slug}/cards/{card.id}"))
    assert "本人照片" in page and 'enctype="multipart/form-data"' in page
    response = upload(phone, f"/h5/{shop.slug}/cards/{card.id}/photo", JPEG, "selfie.png")
    assert response.status_code == 303
    path = fresh(card).photo_path
    assert path.startswith(f"{shop.id}/cards/") and path.endswith(".jpg")  # named by its bytes, not its file name
    assert (uploads / path).read_bytes() == JPEG
    with app.test_request_context():
        url = count_timed_photos.photo_url(db.session, fresh(card))
    with phone.get(url) as shown:  # a file response: close it here, not at garbage collection
        assert shown.status_code == 200 and shown.data == JPEG and shown.mimetype == "image/jpeg"
    assert phone.get(url[:-3] + "xyz").status_code == 404


def test_does_a_png_photo_replace_the_earlier_one(db, shop, owner, member, phone, uploads):
    card = timed_card(db, shop, owner, member, photo_required=True)
    for photo in (JPEG, PNG):
        upload(phone, f"/h5/{shop.slug}/cards/{card.id}/photo", photo, "me.png")
    path = fresh(card).photo_path
    assert path.endswith(".png")
    assert [files for _root, _dirs, files in os.walk(uploads) if files] == [[os.path.basename(path)]]


@pytest.mark.parametrize("payload,message", [
    (b"GIF89a" + b"\x00" * 100, "请上传 JPG 或 PNG 格式的照片"),
    (b"<script>alert(1)</script>", "请上传 JPG 或 PNG 格式的照片"),
    (b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024), "照片不能超过 5 MB"),
    (b"", "请选择照片"),
])
def test_is_a_non_image_or_too_big_photo_refused_with_nothing_stored(db, shop, owner, member, phone, uploads,
                                                                     payload, message):
    card = timed_card(db, shop, owner, member, photo_required=True)
    response = upload(phone, f"/h5/{shop.slug}/cards/{card.id}/photo", payload, follow_redirects=True)
    assert message in text_of(response)
    assert response.request.path == f"/h5/{shop.slug}/cards/{card.id}", "back on the card's page"
    assert fresh(card).photo_path is None
    assert not any(files for _root, _dirs, files in os.walk(uploads))


def test_is_a_photo_refused_for_a_card_that_needs_none(db, shop, owner, member, phone, uploads):
    card = timed_card(db, shop, owner, member)
    assert "本人照片" not in text_of(phone.get(f"/h5/{shop.slug}/cards/{card.id}"))
    response = upload(phone, f"/h5/{shop.slug}/cards/{card.id}/photo", JPEG, follow_redirects=True)
    assert "该卡无需上传照片" in text_of(response) and fresh(card).photo_path is None


def test_is_an_expired_photo_link_refused(app, db, shop, owner, member, phone, uploads, monkeypatch):
    card = timed_card(db, shop, owner, member, photo_required=True)
    count_timed_photos.save_photo(db.session, shop.id, member.id, card.id, JPEG, str(uploads))
    db.session.commit()
    with app.test_request_context():
        url = count_timed_photos.photo_url(db.session, fresh(card))
    monkeypatch.setattr(count_timed_photos, "PHOTO_URL_SECONDS", -1)
    assert phone.get(url).status_code == 404


def test_does_a_timed_card_show_days_left_and_todays_uses_once_started(db, make, shop, owner, member, phone):
    card = timed_card(db, shop, owner, member)
    store = make.store(shop, "西门店")
    count_timed_use.use(db.session, owner, card.id, store_id=store.id, method="scan", key="go",
                        now=now_utc() - timedelta(days=2))
    count_timed_use.use(db.session, owner, card.id, store_id=store.id, method="scan", key="today")
    db.session.commit()
    page = text_of(phone.get(f"/h5/{shop.slug}/cards/{card.id}"))
    assert "剩余天数" in page and "28 天" in page and "1 次（每日上限 1 次）" in page
    assert fresh(card).state == "active"


def test_is_a_3_mb_photo_accepted_with_csrf_checked_though_other_forms_stop_at_2_mb(app, db, shop, owner, member,
                                                                                   phone, uploads, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    card = timed_card(db, shop, owner, member, photo_required=True)
    page = text_of(phone.get(f"/h5/{shop.slug}/cards/{card.id}"))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    big = JPEG + b"\x00" * (3 * 1024 * 1024)
    response = upload(phone, f"/h5/{shop.slug}/cards/{card.id}/photo", big, fields={"csrf_token": token})
    assert response.status_code == 303 and (uploads / fresh(card).photo_path).stat().st_size == len(big)
    huge = upload(phone, f"/h5/{shop.slug}/cards/{card.id}/photo", JPEG + b"\x00" * (6 * 1024 * 1024),
                  fields={"csrf_token": token})
    assert huge.status_code == 413


def test_does_a_cashier_scan_the_members_card_qr_and_take_two_uses_on_the_staff_page(app, db, make, shop, owner,
                                                                                     member, phone):
    from tests.web.staff_h5.test_staff_h5 import second_phone, staff_login

    east, west = make.store(shop, "东门店"), make.store(shop, "西门店")
    card = count_card(db, shop, owner, member, store_ids=[east.id])
    cashier = make.staff(shop, role=roles.CASHIER, stores_=[east])
    outsider = make.staff(shop, role=roles.CASHIER, stores_=[west])
    db.session.commit()
    with app.test_request_context():
        scanned = instrument_qr.token(card)
    staff = app.test_client()
    staff_login(staff, outsider)
    refused = text_of(staff.post("/staff/lookup", data={"code": scanned, "via": "scan"}))
    assert "该次卡不能在本门店使用" in refused
    staff = second_phone(app)
    staff_login(staff, cashier)
    page = text_of(staff.post("/staff/lookup", data={"code": scanned, "via": "scan"}))
    assert "洗车十次卡" in page and "10 / 10 次" in page and 'name="quantity"' in page
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    done = staff.post("/staff/verify", data={"code": card.code, "key": key, "method": "scan", "quantity": "2"})
    assert done.status_code == 200 and "使用 2 次" in text_of(done)
    assert fresh(card).uses_left == 8
    assert "8 / 10 次" in text_of(phone.get(f"/h5/{shop.slug}/cards/{card.id}"))


def test_does_the_staff_page_show_the_members_photo_for_a_timed_card(app, db, make, shop, owner, member, uploads):
    from tests.web.staff_h5.test_staff_h5 import staff_login

    card = timed_card(db, shop, owner, member, photo_required=True)
    count_timed_photos.save_photo(db.session, shop.id, member.id, card.id, JPEG, str(uploads))
    store = make.store(shop, "东门店")
    cashier = make.staff(shop, role=roles.CASHIER, stores_=[store])
    db.session.commit()
    staff = app.test_client()
    staff_login(staff, cashier)
    page = text_of(staff.post("/staff/lookup", data={"code": card.code, "via": "manual"}))
    photo = re.search(rf'<img src="(/h5/{shop.slug}/cards/photo/[^"]+)"', page).group(1)
    with staff.get(photo.replace("&amp;", "&")) as shown:
        assert shown.status_code == 200 and shown.data == JPEG

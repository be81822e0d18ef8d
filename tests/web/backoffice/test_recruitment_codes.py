"""招募推广 in the back office: join codes of stores and staff (PNG, SVG, the printable poster), the nine channels'
tracked links for the merchant, a store or a staff member, free or paid membership, and the share poster; who may
open them, and another merchant's store, staff or paid membership answered 404 with nothing made."""
import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from domain import roles
from domain.recruitment import SHARE_CHANNEL_LABELS, SHARE_CHANNELS
from models import CardTemplate, RecruitSource
from services.recruitment import posters
from tests.web.helpers import count, text_of


def paid_membership(db, merchant, title="黑金年卡", **fields):
    template = CardTemplate(merchant_id=merchant.id, kind="benefit", title=title, cover_color="#8a6d3b", price=9900,
                            valid_days=365, membership=True, **fields)
    db.session.add(template)
    db.session.commit()
    return template


def token_of(url):
    return url.rsplit("/j/", 1)[1]


def source_by_token(db, token):
    db.session.expire_all()
    return db.session.scalars(select(RecruitSource).where(RecruitSource.token == token)).one()


def qr_modules_of(png_bytes):
    """The dark/light modules of a QR drawn by posters.qr_png (whole pixels per module, a 2-module quiet zone)."""
    image = Image.open(io.BytesIO(png_bytes)).convert("L")
    # the first dark pixel on the diagonal is the finder pattern's corner, two modules in
    offset = next(i for i in range(image.width) if image.getpixel((i, i)) < 128)
    cell = offset // 2
    modules = image.width // cell
    return [[image.getpixel((x * cell + cell // 2, y * cell + cell // 2)) < 128 for x in range(modules)]
            for y in range(modules)]


@pytest.fixture()
def cashier(make, db, merchant, store):
    person = make.staff(merchant, role=roles.CASHIER, username="east", stores_=[store])
    person.name = "张三"
    db.session.commit()
    return person


def test_does_the_codes_page_list_open_stores_and_staff_with_their_files(as_owner, store, cashier):
    page = text_of(as_owner.get("/backoffice/recruitment"))
    assert "面对面扫码" in page and "人民广场店" in page and "张三" in page
    assert f"owner=store%3A{store.id}" in page or f"owner=store:{store.id}" in page
    assert f"staff%3A{cashier.id}%3A{store.id}" in page or f"staff:{cashier.id}:{store.id}" in page
    assert "打印海报" in page and "下载 PNG" in page and "下载 SVG" in page


def test_does_a_store_code_download_as_a_png_and_svg_of_its_join_link(as_owner, db, store):
    png = as_owner.get(f"/backoffice/recruitment/code.png?owner=store:{store.id}")
    assert png.status_code == 200 and png.mimetype == "image/png" and "attachment" in png.headers["Content-Disposition"]
    source = db.session.scalars(select(RecruitSource).where(RecruitSource.store_id == store.id)).one()
    assert source.kind == "store" and source.share_channel is None and source.target == "join"
    url = f"{as_owner.application.config['PUBLIC_BASE_URL'].rstrip('/')}/h5/{store.merchant.slug}/j/{source.token}"
    assert qr_modules_of(png.data) == [list(row) for row in posters.qr_matrix(url)]
    svg = as_owner.get(f"/backoffice/recruitment/code.svg?owner=store:{store.id}")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    dark = {(int(x), int(y)) for x, y in re.findall(r"M(\d+),(\d+)H", svg.data.decode())}
    assert dark == {(x, y) for y, row in enumerate(posters.qr_matrix(url)) for x, on in enumerate(row) if on}
    assert count(RecruitSource) == 1  # downloading twice made one code


def test_does_the_printable_poster_show_the_staff_member_the_card_and_the_join_link(as_owner, db, store, cashier):
    page = as_owner.get(f"/backoffice/recruitment/poster?owner=staff:{cashier.id}:{store.id}")
    body = text_of(page)
    assert page.status_code == 200 and "poster_print.css" in body and "poster_print_a5.css" not in body
    assert "测试咖啡" in body and "店员 张三" in body and "人民广场店" in body and "扫码领取会员卡" in body
    assert "<svg" in body and "普通" in body  # the entry level's name on the card face
    source = db.session.scalars(select(RecruitSource).where(RecruitSource.staff_id == cashier.id)).one()
    assert source.store_id == store.id and source.kind == "staff"
    a5 = text_of(as_owner.get(f"/backoffice/recruitment/poster?owner=staff:{cashier.id}:{store.id}&size=a5"))
    assert "poster_print_a5.css" in a5


def test_does_a_paid_membership_poster_show_its_title_price_and_colour(as_owner, db, merchant, store):
    template = paid_membership(db, merchant)
    body = text_of(as_owner.get(f"/backoffice/recruitment/poster?owner=store:{store.id}&target=paid:{template.id}"))
    assert "黑金年卡" in body and "¥99.00 / 365天" in body and "#8a6d3b" in body and "扫码开通付费会员" in body
    source = db.session.scalars(select(RecruitSource)).one()
    assert source.target == "paid_membership" and source.card_template_id == template.id


def test_does_the_channels_page_give_nine_tracked_links_named_by_channel(as_owner, db, merchant):
    page = text_of(as_owner.get("/backoffice/recruitment/channels"))
    links = dict(re.findall(r'id="link-(\w+)" value="([^"]+)"', page))
    assert list(links) == list(SHARE_CHANNELS)
    for channel in SHARE_CHANNELS:
        assert SHARE_CHANNEL_LABELS[channel] in page
        source = source_by_token(db, token_of(links[channel]))
        assert source.kind == "share" and source.share_channel == channel and source.merchant_id == merchant.id
    assert len(set(links.values())) == 9
    assert "share_copy.js" in page and 'data-copy="link-link"' in page
    assert "connect.qq.com" in page and "service.weibo.com" in page and "sns.qzone.qq.com" in page
    assert text_of(as_owner.get("/backoffice/recruitment/channels")).count("/j/") >= 9
    assert count(RecruitSource) == 9  # shown twice, made once


def test_are_a_staff_members_channel_links_theirs_and_for_the_paid_membership_chosen(as_owner, db, merchant, store,
                                                                                       cashier):
    template = paid_membership(db, merchant)
    page = text_of(as_owner.get(
        f"/backoffice/recruitment/channels?owner=staff:{cashier.id}&target=paid:{template.id}"))
    links = dict(re.findall(r'id="link-(\w+)" value="([^"]+)"', page))
    source = source_by_token(db, token_of(links["moments"]))
    assert (source.kind, source.staff_id, source.store_id, source.share_channel) == ("staff", cashier.id, store.id,
                                                                                      "moments")
    assert source.target == "paid_membership" and source.card_template_id == template.id
    assert "店员 张三 的推广链接" in page and "开通付费会员：黑金年卡" in page


def test_does_the_share_poster_render_as_a_chinese_png(as_owner, store):
    answer = as_owner.get(f"/backoffice/recruitment/channels/poster.png?owner=store:{store.id}")
    assert answer.status_code == 200 and answer.mimetype == "image/png"
    image = Image.open(io.BytesIO(answer.data))
    image.load()
    assert image.size == posters.POSTER_SIZE and len(answer.data) > 20_000
    saved = as_owner.get(f"/backoffice/recruitment/channels/poster.png?owner=store:{store.id}&download=1")
    assert "attachment" in saved.headers["Content-Disposition"]


@pytest.mark.parametrize("path", [
    "/backoffice/recruitment/code.png?owner=store:{store}", "/backoffice/recruitment/code.svg?owner=staff:{staff}",
    "/backoffice/recruitment/poster?owner=store:{store}", "/backoffice/recruitment/channels?owner=staff:{staff}",
    "/backoffice/recruitment/channels?target=paid:{template}", "/backoffice/recruitment/channels/poster.png?owner=store:{store}",
    "/backoffice/recruitment/sms?owner=store:{store}", "/backoffice/recruitment?target=paid:{template}",
    "/backoffice/recruitment/poster?owner=staff:{own_staff}:{store}",
])
def test_is_another_merchants_store_staff_or_membership_a_404_that_makes_nothing(as_owner, make, db, store, cashier,
                                                                                 path):
    other = make.merchant(name="别家")
    foreign_store = make.store(other, "别家店")
    foreign_staff = make.staff(other, role=roles.CASHIER, stores_=[foreign_store])
    foreign_template = paid_membership(db, other)
    url = path.format(store=foreign_store.id, staff=foreign_staff.id, template=foreign_template.id,
                      own_staff=cashier.id)
    assert as_owner.get(url).status_code == 404
    assert count(RecruitSource) == 0


@pytest.mark.parametrize("query", ["owner=nobody", "owner=store:abc", "owner=store:99999999999", "target=paid:",
                                   "target=gold", "owner=staff:", "owner=store:1%00"])
def test_is_a_malformed_choice_a_404(as_owner, store, query):
    assert as_owner.get(f"/backoffice/recruitment/channels?{query}").status_code in (400, 404)


def test_is_a_stopped_paid_membership_not_offered_nor_promoted(as_owner, db, merchant):
    template = paid_membership(db, merchant, disabled=True)
    assert f"paid:{template.id}" not in text_of(as_owner.get("/backoffice/recruitment/channels"))
    assert as_owner.get(f"/backoffice/recruitment/channels?target=paid:{template.id}").status_code == 404


@pytest.mark.parametrize("role", [roles.CUSTOMER_SERVICE, roles.GUIDE, roles.CASHIER])
def test_may_only_owner_admin_and_operator_manage_recruitment(sign_in_as, client, store, role):
    sign_in_as(role, stores_=[store])
    for path in ("/backoffice/recruitment", "/backoffice/recruitment/channels", "/backoffice/recruitment/sms",
                 f"/backoffice/recruitment/poster?owner=store:{store.id}"):
        assert client.get(path).status_code == 403


@pytest.mark.parametrize("role", [roles.ADMIN, roles.OPERATOR])
def test_do_admin_and_operator_see_the_menu_item(sign_in_as, client, role):
    sign_in_as(role)
    page = text_of(client.get("/backoffice/recruitment"))
    assert 'aria-current="page">招募推广<' in page


def test_is_a_verifier_who_does_not_recruit_left_out(as_owner, make, db, merchant, store):
    verifier = make.staff(merchant, role=roles.VERIFIER, username="checker", stores_=[store])
    verifier.name = "吴核销"
    db.session.commit()
    assert "吴核销" not in text_of(as_owner.get("/backoffice/recruitment"))
    assert "吴核销" not in text_of(as_owner.get("/backoffice/recruitment/channels"))
    assert as_owner.get(f"/backoffice/recruitment/poster?owner=staff:{verifier.id}").status_code == 404
    assert count(RecruitSource, RecruitSource.staff_id == verifier.id) == 0


@pytest.fixture()
def no_cjk_font(monkeypatch):
    monkeypatch.setattr(posters, "FONT_CANDIDATES", ())
    for cached in (posters.font_path, posters._font, posters.poster_png, posters.thumb_png):
        cached.cache_clear()
    yield
    posters.font_path.cache_clear()
    posters._font.cache_clear()


def test_without_a_chinese_font_is_the_poster_refused_with_a_reason_not_drawn_as_boxes(as_owner, store, no_cjk_font):
    answer = as_owner.get(f"/backoffice/recruitment/channels/poster.png?owner=store:{store.id}")
    assert answer.status_code == 503 and "未安装中文字体" in text_of(answer) and answer.mimetype == "text/html"
    assert as_owner.get(f"/backoffice/recruitment/code.png?owner=store:{store.id}").status_code == 200  # no text

"""The staff member's own join code and 招募推广 on the staff page: the 会员 tab and the full-screen page show the
code of this staff member in the store they chose, the nine channels are their own links, the share poster is a
PNG; a verifier (who does not recruit) sees the store's code and may not open the recruitment pages."""
import io
import re

from PIL import Image
from sqlalchemy import select

from domain import roles
from domain.recruitment import SHARE_CHANNELS
from models import CardTemplate, RecruitSource
from services.members import qr as member_qr
from services.recruitment import posters
from tests.web.helpers import count, text_of
from tests.web.staff_h5.test_staff_h5 import shop, staff_login  # noqa: F401  (the shop fixture)
from tests.web.staff_h5.test_staff_members import current_tab


def sources_of(db, **where):
    db.session.expire_all()
    return db.session.scalars(select(RecruitSource).filter_by(**where).order_by(RecruitSource.id)).all()


def join_url(app, shop, source):
    return f"{app.config['PUBLIC_BASE_URL'].rstrip('/')}/h5/{shop['merchant'].slug}/j/{source.token}"


def test_does_the_member_tab_show_the_cashiers_own_code_in_their_store(app, client, db, shop):
    staff_login(client, shop["cashier_east"])
    page = text_of(client.get("/staff/members"))
    (code,) = sources_of(db, staff_id=shop["cashier_east"].id)
    assert (code.kind, code.store_id, code.share_channel, code.target) == ("staff", shop["east"].id, None, "join")
    assert str(member_qr.svg(join_url(app, shop, code), label="入会二维码")) in page
    assert 'id="join-code-full"' in page and 'id="recruitment-from-members"' in page


def test_does_the_full_screen_code_name_the_staff_member_and_light_the_member_tab(app, client, db, shop):
    staff_login(client, shop["cashier_east"])
    page = text_of(client.get("/staff/join-code"))
    (code,) = sources_of(db, staff_id=shop["cashier_east"].id)
    assert "测试咖啡" in page and "东门店" in page and "扫码领取会员卡" in page and "<svg" in page
    assert str(member_qr.svg(join_url(app, shop, code), border=1, label="我的入会码")) in page
    assert current_tab(page) == "member" and "poster_codes.css" in page
    assert client.get("/staff/join-code").status_code == 200 and count(RecruitSource) == 1


def test_is_an_owners_code_for_the_store_they_chose(client, db, shop):
    staff_login(client, shop["owner"], store=shop["west"])
    client.get("/staff/join-code")
    (code,) = sources_of(db, staff_id=shop["owner"].id)
    assert code.store_id == shop["west"].id


def test_does_the_me_tab_lead_to_the_code_and_the_channels(client, shop):
    staff_login(client, shop["cashier_east"])
    page = text_of(client.get("/staff/me"))
    assert 'id="join-code-link"' in page and 'id="recruitment-link"' in page


def test_are_the_nine_channels_the_staff_members_own_links(app, client, db, shop):
    staff_login(client, shop["cashier_east"])
    page = text_of(client.get("/staff/recruitment"))
    links = dict(re.findall(r'id="link-(\w+)" value="([^"]+)"', page))
    assert list(links) == list(SHARE_CHANNELS)
    for channel, url in links.items():
        (source,) = sources_of(db, token=url.rsplit("/j/", 1)[1])
        assert (source.staff_id, source.store_id, source.share_channel) == (shop["cashier_east"].id,
                                                                             shop["east"].id, channel)
    assert 'href="sms:?&amp;body=' in page and "connect.qq.com" in page and 'data-copy="link-wechat"' in page
    assert 'id="share-poster"' in page and current_tab(page) == "member"


def test_is_the_staff_share_poster_a_png_of_their_poster_link(client, db, shop):
    staff_login(client, shop["cashier_east"])
    answer = client.get("/staff/recruitment/poster.png")
    assert answer.status_code == 200 and answer.mimetype == "image/png"
    image = Image.open(io.BytesIO(answer.data))
    image.load()
    assert image.size == posters.POSTER_SIZE
    (poster,) = sources_of(db, staff_id=shop["cashier_east"].id, share_channel="poster")
    assert poster.store_id == shop["east"].id
    assert "attachment" in client.get("/staff/recruitment/poster.png?download=1").headers["Content-Disposition"]


def test_can_staff_promote_a_paid_membership_but_not_another_merchants(client, db, make, shop):
    mine = CardTemplate(merchant_id=shop["merchant"].id, kind="benefit", title="黑金年卡", price=9900,
                        valid_days=365, membership=True)
    other = make.merchant(name="别家")
    theirs = CardTemplate(merchant_id=other.id, kind="benefit", title="别家年卡", price=100, membership=True)
    db.session.add_all([mine, theirs])
    db.session.commit()
    staff_login(client, shop["cashier_east"])
    page = text_of(client.get(f"/staff/join-code?target=paid:{mine.id}"))
    assert "扫码开通黑金年卡" in page
    (paid,) = sources_of(db, target="paid_membership")
    assert paid.card_template_id == mine.id and paid.staff_id == shop["cashier_east"].id
    foreign = text_of(client.get(f"/staff/recruitment?target=paid:{theirs.id}"))
    assert "别家年卡" not in foreign
    assert not sources_of(db, card_template_id=theirs.id)


def test_does_a_verifier_see_the_stores_code_and_no_recruitment_pages(client, db, make, shop):
    verifier = make.staff(shop["merchant"], role=roles.VERIFIER, username="checker", stores_=[shop["east"]])
    db.session.commit()
    staff_login(client, verifier)
    page = text_of(client.get("/staff/members"))
    assert 'id="join-qr"' in page and 'id="join-code-full"' not in page
    (code,) = sources_of(db)
    assert (code.kind, code.store_id, code.staff_id) == ("store", shop["east"].id, None)
    for path in ("/staff/join-code", "/staff/recruitment", "/staff/recruitment/poster.png"):
        assert client.get(path).status_code == 403
    assert 'id="join-code-link"' not in text_of(client.get("/staff/me"))


def test_are_the_pages_closed_to_a_visitor_not_signed_in(client, shop):
    for path in ("/staff/join-code", "/staff/recruitment", "/staff/recruitment/poster.png"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/staff/login" in answer.location

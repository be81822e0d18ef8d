"""积分商城 in the back office: creating and editing a gift with its price per level and picture (checked by its
bytes), the exchange records with a filter, cancelling one (points back, audited), the CSV export, who may open
it, and another merchant's gift or exchange."""
import io
import re

from domain import roles
from extensions import db
from models import AuditLog, GiftExchange, PointsGift
from services.members.levels import list_levels
from services.points import ledger as points
from services.cards import count_timed_templates
from services.points_mall import exchanges, gifts
from tests.web.helpers import fresh, text_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _form(levels, **values):
    data = {"number": "G100", "name": "雨伞", "description": "晴雨两用", "stock": "20", "per_member_limit": "1",
            "pickup_days": "30", "active": "y"}
    data.update({f"points_{level.id}": "80" for level in levels})
    data.update(values)
    return data


def test_can_the_owner_create_and_edit_a_gift_with_a_price_per_level(as_owner, merchant, tmp_path, app):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    levels = list_levels(db.session, merchant.id)
    assert "积分商城" in text_of(as_owner.get("/backoffice/points-mall"))
    data = _form(levels, **{f"points_{levels[1].id}": "0"})
    data["photo"] = (io.BytesIO(PNG), "umbrella.png")
    done = as_owner.post("/backoffice/points-mall/new", data=data, content_type="multipart/form-data",
                         follow_redirects=True)
    assert "礼品已保存" in text_of(done) and "雨伞" in text_of(done)
    gift = db.session.query(PointsGift).one()
    assert gift.points_prices[str(levels[1].id)] == 0 and gift.points_prices[str(levels[0].id)] == 80
    assert gift.photo_path.endswith(".png") and (tmp_path / gift.photo_path).exists()
    picture = as_owner.get(f"/backoffice/points-mall/{gift.id}/photo")
    assert picture.status_code == 200 and picture.get_data() == PNG
    picture.close()
    edit = as_owner.post(f"/backoffice/points-mall/{gift.id}/edit", data=_form(levels, name="长柄雨伞", stock="5"))
    assert edit.status_code == 302 and fresh(gift).name == "长柄雨伞" and fresh(gift).stock == 5
    assert fresh(gift).photo_path == gift.photo_path  # no new picture keeps the old one


def test_does_a_new_picture_replace_the_old_file_and_a_refused_edit_leave_none(as_owner, merchant, tmp_path, app):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    levels = list_levels(db.session, merchant.id)
    first = _form(levels)
    first["photo"] = (io.BytesIO(PNG), "a.png")
    as_owner.post("/backoffice/points-mall/new", data=first, content_type="multipart/form-data")
    gift = db.session.query(PointsGift).one()
    old = tmp_path / gift.photo_path
    second = _form(levels)
    second["photo"] = (io.BytesIO(b"\xff\xd8\xff" + b"\x00" * 64), "b.jpg")
    assert as_owner.post(f"/backoffice/points-mall/{gift.id}/edit", data=second,
                         content_type="multipart/form-data").status_code == 302
    new = tmp_path / fresh(gift).photo_path
    assert new.suffix == ".jpg" and new.exists() and not old.exists()
    refused = _form(levels, stock="-1")
    refused["photo"] = (io.BytesIO(PNG), "c.png")
    assert as_owner.post(f"/backoffice/points-mall/{gift.id}/edit", data=refused,
                         content_type="multipart/form-data").status_code == 400
    assert [path for path in tmp_path.rglob("*.*")] == [new]  # the refused upload's file is gone too


def test_is_a_bad_gift_refused_in_chinese_without_a_change(as_owner, merchant, tmp_path, app):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    levels = list_levels(db.session, merchant.id)
    bad_picture = _form(levels)
    bad_picture["photo"] = (io.BytesIO(b"GIF89a not really"), "fake.png")
    refused = as_owner.post("/backoffice/points-mall/new", data=bad_picture, content_type="multipart/form-data")
    assert refused.status_code == 400 and "JPG 或 PNG" in text_of(refused)
    no_price = as_owner.post("/backoffice/points-mall/new", data=_form(levels, **{f"points_{l.id}": "" for l in levels}))
    assert no_price.status_code == 400 and "至少为一个等级" in text_of(no_price)
    huge = as_owner.post("/backoffice/points-mall/new", data=_form(levels, stock="99999999999999"))
    assert huge.status_code == 400
    nul = as_owner.post("/backoffice/points-mall/new", data=_form(levels, name="伞\x00"))
    assert nul.status_code == 400
    assert db.session.query(PointsGift).count() == 0


def _exchange(make, merchant, owner):
    levels = list_levels(db.session, merchant.id)
    gift = gifts.save(db.session, owner, None, gifts.GiftValues(number="G1", name="保温杯", stock=3,
                                                                     prices={str(l.id): 40 for l in levels}))
    member = make.member(merchant, name="李四")
    points.earn(db.session, merchant, member.id, 100, key=f"earn:{member.id}")
    row = exchanges.exchange(db.session, merchant, gift.id, member.id, key=f"bo:{member.id}")
    db.session.commit()
    return gift, member, row


def test_can_the_owner_filter_cancel_and_export_exchanges(as_owner, make, merchant, owner):
    gift, member, row = _exchange(make, merchant, owner)
    listed = text_of(as_owner.get("/backoffice/points-mall/exchanges?state=pending"))
    assert "保温杯" in listed and "李四" in listed
    assert "没有符合条件" in text_of(as_owner.get("/backoffice/points-mall/exchanges?state=handed_over"))
    assert as_owner.get("/backoffice/points-mall/exchanges?state=nonsense&gift_id=x&day_from=bad").status_code == 200
    export = as_owner.get(f"/backoffice/points-mall/exchanges.csv?gift_id={gift.id}")
    body = export.get_data().decode("utf-8")
    assert export.status_code == 200 and body.startswith("\ufeff兑换编号") and "保温杯" in body and row.pickup_code in body
    done = as_owner.post(f"/backoffice/points-mall/exchanges/{row.id}/cancel", follow_redirects=True)
    assert "积分已退回" in text_of(done)
    assert fresh(row).state == "cancelled" and fresh(member).points_balance == 100 and fresh(gift).stock == 3
    assert db.session.query(AuditLog).filter_by(action="gift_exchange.cancel").count() == 1
    again = as_owner.post(f"/backoffice/points-mall/exchanges/{row.id}/cancel", follow_redirects=True)
    assert "不能取消" in text_of(again) and fresh(member).points_balance == 100


def test_is_another_merchants_gift_or_exchange_not_found(as_owner, make, merchant):
    other = make.merchant()
    other_owner = make.staff(other, role=roles.OWNER)
    gift, member, row = _exchange(make, other, other_owner)
    assert as_owner.get(f"/backoffice/points-mall/{gift.id}/edit").status_code == 404
    assert as_owner.post(f"/backoffice/points-mall/exchanges/{row.id}/cancel").status_code == 404
    assert "保温杯" not in text_of(as_owner.get("/backoffice/points-mall/exchanges.csv"))
    assert fresh(row).state == "pending" and fresh(member).points_balance == 60


def test_may_a_cashier_not_open_the_points_mall(sign_in_as, client):
    sign_in_as(roles.CASHIER)
    assert client.get("/backoffice/points-mall").status_code == 403
    assert client.get("/backoffice/points-mall/exchanges.csv").status_code == 403


def test_can_the_owner_list_a_timed_card_tier_as_a_gift(as_owner, merchant, owner):
    tiers = [{"label": "月卡", "days": 30, "price": 9900}]
    template = count_timed_templates.save_template(db.session, owner, None, kind="timed", title="健身卡", tiers=tiers)
    db.session.commit()
    levels = list_levels(db.session, merchant.id)
    page = text_of(as_owner.get("/backoffice/points-mall/new"))
    value = f"{template.id}:{template.tiers[0]['key']}"
    assert "时长卡·健身卡（月卡）" in page and f'value="{value}"' in page
    done = as_owner.post("/backoffice/points-mall/new", data=_form(levels, card=value))
    assert done.status_code == 302, text_of(done)
    gift = db.session.query(PointsGift).one()
    assert (gift.card_template_id, gift.card_tier_key) == (template.id, template.tiers[0]["key"])
    edit = text_of(as_owner.get(f"/backoffice/points-mall/{gift.id}/edit"))
    assert re.search(rf'<option[^>]*\bselected\b[^>]*value="{value}"|<option[^>]*value="{value}"[^>]*\bselected', edit)
    forged = as_owner.post(f"/backoffice/points-mall/{gift.id}/edit", data=_form(levels, card="999999"))
    assert forged.status_code == 400 and fresh(gift).card_template_id == template.id

"""Back office: a merchant's staff get 404 for every id of another merchant, and change nothing there."""
import pytest
from sqlalchemy import func, select

from domain import roles
from models import (AuditLog, Level, LevelChange, Member, MemberFieldDef, MemberIdentity, PointsTransaction, Staff,
                    Store, Tag, Wallet, WalletTransaction)
from services.members import fields as member_fields
from services.points import ledger as points_service

# Every back-office URL that takes an id, with a body a form would accept.
VALID = {
    "store": {"name": "被改的门店", "address": "x", "active": "y"},
    "staff": {"name": "被改的员工", "role": roles.OPERATOR, "active": "", "password": "password123"},
    "level": {"rank": "7", "name": "被改的等级", "discount": "1", "multiplier": "9"},
    "member": {"mobile": "13700000000", "name": "被改的会员", "gender": "female", "status": "disabled"},
    "points": {"direction": "deduct", "points": "10", "reason": "越权", "idempotency_key": "points-adjust:evil"},
    "field": {"label": "被改的字段", "field_type": "text", "active": ""},
}
REQUESTS = [
    ("GET", "/backoffice/stores/{b_store}/edit", None),
    ("POST", "/backoffice/stores/{b_store}/edit", VALID["store"]),
    ("GET", "/backoffice/staff/{b_staff}/edit", None),
    ("POST", "/backoffice/staff/{b_staff}/edit", VALID["staff"]),
    ("GET", "/backoffice/levels/{b_level}/edit", None),
    ("POST", "/backoffice/levels/{b_level}/edit", VALID["level"]),
    ("GET", "/backoffice/members/{b_member}", None),
    ("GET", "/backoffice/members/{b_member}/edit", None),
    ("POST", "/backoffice/members/{b_member}/edit", VALID["member"]),
    ("GET", "/backoffice/members/{b_member}/points", None),
    ("POST", "/backoffice/members/{b_member}/points", VALID["points"]),
    ("GET", "/backoffice/members/{b_member}/level", None),
    ("POST", "/backoffice/members/{b_member}/level", {"level_id": "{b_level}", "note": "越权"}),
    ("POST", "/backoffice/members/{a_member}/level", {"level_id": "{b_level}", "note": "越权"}),
    ("POST", "/backoffice/members/{b_member}/wallet/freeze",
     {"wallet_id": "{b_wallet}", "frozen": "1", "key": "wallet-freeze:evil", "reason": "越权"}),
    ("POST", "/backoffice/members/{a_member}/wallet/freeze",
     {"wallet_id": "{b_wallet}", "frozen": "1", "key": "wallet-freeze:evil", "reason": "越权"}),
    ("POST", "/backoffice/members/{b_member}/card", {"card_no": "EVIL01"}),
    ("GET", "/backoffice/settings/fields/{b_field}/edit", None),
    ("POST", "/backoffice/settings/fields/{b_field}/edit", VALID["field"]),
]


@pytest.fixture()
def world(make, db, merchant, owner):
    """Merchant A (signed in as its owner) with a member; merchant B with one of everything."""
    a_member = make.member(merchant, mobile="13800000001")
    b = make.merchant(slug="bshop", name="B 商户")
    b_owner = make.staff(b, role=roles.OWNER, username="bboss")
    b_store = make.store(b, name="B 门店")
    b_staff = make.staff(b, role=roles.OPERATOR, username="bop")
    b_member = make.member(b, mobile="13800000002", name="B 会员")
    points_service.earn(db.session, b, b_member.id, 100, key="b:earn")
    b_wallet = make.wallet(b, b_member, principal=5000)
    b_field = member_fields.save_field(db.session, b_owner, None, key="plate_no", label="车牌号", field_type="text")
    db.session.commit()
    return {"a_member": a_member.id, "b": b.id, "b_store": b_store.id, "b_staff": b_staff.id,
            "b_level": b_member.level_id, "b_member": b_member.id, "b_wallet": b_wallet.id, "b_field": b_field.id}


def snapshot(db, ids):
    """Everything of merchant B that a request could have touched."""
    db.session.expire_all()
    b = ids["b"]

    def rows(model, *columns):
        return db.session.execute(select(*[getattr(model, c) for c in columns]).where(model.merchant_id == b)
                                  .order_by(model.id)).all()

    def how_many(model):
        return db.session.scalar(select(func.count()).select_from(model).where(model.merchant_id == b))

    return {
        "stores": rows(Store, "id", "name", "address", "phone", "active"),
        "staff": rows(Staff, "id", "name", "role", "active", "password_hash", "mobile"),
        "levels": rows(Level, "id", "rank", "name", "discount_percent", "points_multiplier_tenths", "min_spend"),
        "members": rows(Member, "id", "mobile", "name", "gender", "status", "level_id", "points_balance"),
        "wallets": rows(Wallet, "id", "principal", "bonus", "frozen"),
        "fields": rows(MemberFieldDef, "id", "label", "field_type", "active"),
        "counts": [how_many(m) for m in (MemberIdentity, PointsTransaction, WalletTransaction, AuditLog, LevelChange,
                                         Tag)],
    }


@pytest.mark.parametrize("method, url, data", REQUESTS, ids=[f"{m} {u}" for m, u, _d in REQUESTS])
def test_does_staff_of_another_merchant_get_404_and_change_nothing(as_owner, db, world, method, url, data):
    before = snapshot(db, world)
    body = {k: v.format(**world) for k, v in data.items()} if data else None
    response = as_owner.open(url.format(**world), method=method, data=body)
    assert response.status_code == 404
    assert "记录不存在" in response.get_data(as_text=True)
    assert snapshot(db, world) == before


def test_does_the_member_list_never_show_another_merchants_members(as_owner, db, world):
    body = as_owner.get("/backoffice/members?q=13800000002").get_data(as_text=True)
    assert "共 0 位会员" in body
    assert "B 会员" not in as_owner.get("/backoffice/members").get_data(as_text=True)


def test_does_the_audit_log_never_show_another_merchants_entries(as_owner, db, world):
    assert "车牌号" not in as_owner.get("/backoffice/audit").get_data(as_text=True)

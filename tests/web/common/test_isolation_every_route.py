"""Every route that takes an id, in every part of the app, refuses another merchant's id and changes nothing.

Merchant B's rows are all created with the same id, FOREIGN, in every table; merchant A's owner, A's staff
page, A's member and A's API key then request each URL of the app with FOREIGN for every id in it. The test
enumerates the routes itself, so a route added later is checked without being listed here. It runs once per
card kind, so that the card routes of each kind meet a card of their own kind.
"""
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select

from domain import roles
from domain.clock import now_utc
from extensions import db as database
from models import (ApiKey, BalanceDiscountRule, BulkIssue, Card, CardTemplate, CouponCode, CouponTemplate,
                    GiftCardBatch, Level, Member, MemberFieldDef, MemberIdentity, Order, Staff, Store, Tag, TopupRule,
                    Verification, Wallet)
from models.base import Base
from models.checkout import Checkout, PointsMultiplierDay
from models.rewards import RewardRule
from services.merchant import api_keys
from services.members import members
from tests.web.member_h5.test_h5_support import provision, sign_in

FOREIGN = 900001
OPENID = "o-isolation-member-00000000000001"
PREFIXES = ("/backoffice/", "/staff/", "/h5/", "/api/")
CARD_KINDS = ("count", "timed", "gift", "benefit")
INTEGER_CONVERTERS = ("IntegerConverter", "BoundedInt")  # BoundedInt: web/input_guard.py
KNOWN_STRINGS = {"fmt": ["csv", "xlsx"]}  # string parts whose value decides the branch, e.g. export.<fmt>


def _foreign_world(make, kind):
    """Merchant B with one row of everything, each with id FOREIGN."""
    b = make.merchant(slug="bshop", name="B 商户", with_levels=False)
    database.session.flush()
    now = now_utc()
    rows = [
        Level(id=FOREIGN, merchant_id=b.id, rank=1, name="B 等级"),
        Store(id=FOREIGN, merchant_id=b.id, name="B 门店"),
        Staff(id=FOREIGN, merchant_id=b.id, username="bboss", name="B 店主", role=roles.OWNER, password_hash="x"),
        Member(id=FOREIGN, merchant_id=b.id, mobile="13900000009", name="B 会员", level_id=FOREIGN),
        MemberFieldDef(id=FOREIGN, merchant_id=b.id, key="plate", label="车牌", field_type="text"),
        Tag(id=FOREIGN, merchant_id=b.id, name="B 标签"),
        Wallet(id=FOREIGN, merchant_id=b.id, member_id=FOREIGN, kind="gift_card" if kind == "gift" else "member",
               principal=5000),
        CouponTemplate(id=FOREIGN, merchant_id=b.id, kind="cash", title="B 券", amount_off=1000, valid_days=30,
                       shareable=True),
        CouponCode(id=FOREIGN, merchant_id=b.id, template_id=FOREIGN, member_id=FOREIGN, code="BBBBCCCCDDDDEEEE",
                   state="available", channel="staff", idempotency_key="b:code", starts_at=now,
                   ends_at=now + timedelta(days=30)),
        CardTemplate(id=FOREIGN, merchant_id=b.id, kind=kind, title="B 卡", uses=10, service_name="洗车",
                     tiers=[{"key": "month", "label": "月卡", "days": 30, "price": 100}], face_values=[10000]),
        GiftCardBatch(id=FOREIGN, merchant_id=b.id, template_id=FOREIGN, face_value=10000, quantity=1),
        Card(id=FOREIGN, merchant_id=b.id, template_id=FOREIGN, kind=kind, member_id=FOREIGN,
             code="BBBBCARD00000001", state="active", channel="staff", idempotency_key="b:card", uses_total=10,
             uses_left=10, days=30, face_value=10000 if kind == "gift" else None,
             wallet_id=FOREIGN if kind == "gift" else None, price_paid=1000),
        ApiKey(id=FOREIGN, merchant_id=b.id, name="B 收银", prefix="bbbbbbbb", secret_hash="0" * 64),
        BulkIssue(id=FOREIGN, merchant_id=b.id, template_id=FOREIGN),
        Verification(id=FOREIGN, merchant_id=b.id, instrument_type="coupon", coupon_code_id=FOREIGN,
                     instrument_name="B 券", method="manual", store_id=FOREIGN, staff_id=FOREIGN,
                     idempotency_key="b:verify", created_at=now),
        MemberIdentity(id=FOREIGN, merchant_id=b.id, member_id=FOREIGN, kind="card_no", value="B0000001"),
        Order(id=FOREIGN, merchant_id=b.id, member_id=FOREIGN, kind="topup", state="fulfilled", channel="wechat",
              out_trade_no="MCBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", amount=1000, description="B 充值",
              items={"principal": 1000, "bonus": 0}, idempotency_key="b:order", expires_at=now),
        TopupRule(id=FOREIGN, merchant_id=b.id, pay_amount=1000),
        BalanceDiscountRule(id=FOREIGN, merchant_id=b.id, min_balance=1000, discount_percent=90),
        Checkout(id=FOREIGN, merchant_id=b.id, member_id=FOREIGN, store_id=FOREIGN, source="staff", amount=1000,
                 discount=0, pay=1000, tender="cash", idempotency_key="b:checkout", created_at=now),
        PointsMultiplierDay(id=FOREIGN, merchant_id=b.id, label="B 会员日", weekday=2, multiplier_tenths=20),
        RewardRule(id=FOREIGN, merchant_id=b.id, kind="post_payment", name="B 消费有礼", min_paid=0,
                   rewards={"points": 1}),
    ]
    for row in rows:
        database.session.add(row)
        database.session.flush()
    return b


def _snapshot(merchant_id):
    """Every column of every row merchant B owns."""
    database.session.expire_all()
    state = {}
    for table in Base.metadata.sorted_tables:
        if "merchant_id" not in table.c:
            continue
        rows = database.session.execute(select(table).where(table.c.merchant_id == merchant_id)
                                        .order_by(*table.primary_key.columns)).all()
        state[table.name] = [tuple(row) for row in rows]
    return state


def _routes(app, a_slug):
    """(method, url) for every route under PREFIXES with an integer in it, FOREIGN in each integer."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIXES):
            continue
        integers = [name for name, converter in rule._converters.items()
                    if type(converter).__name__ in INTEGER_CONVERTERS]
        if not integers:
            continue
        for values in _argument_sets(rule, a_slug):
            with app.test_request_context():
                url = app.url_for(rule.endpoint, **values)
            found.extend((method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))
    return found


def _argument_sets(rule, a_slug):
    """FOREIGN for each integer, A's slug for the merchant, and every choice of an `any(...)` part."""
    fixed, choices = {}, []
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        if kind in INTEGER_CONVERTERS:
            fixed[name] = FOREIGN
        elif name == "merchant_slug":
            fixed[name] = a_slug
        elif kind == "AnyConverter":
            choices.append((name, sorted(converter.items)))
        elif name in KNOWN_STRINGS:
            choices.append((name, KNOWN_STRINGS[name]))
        else:
            fixed[name] = "x"
    sets = [fixed]
    for name, items in choices:
        sets = [{**values, name: item} for values in sets for item in items]
    return sets


@pytest.fixture()
def a_side(make, db, client, login):
    """Merchant A: its owner signed in (back office and staff page, a store chosen), a member, an API key."""
    a = provision(db, make.merchant(slug="ashop", name="A 商户"))
    store = make.store(a, name="A 门店")
    owner = make.staff(a, role=roles.OWNER, username="aboss")
    member = make.member(a, mobile="13800000008")
    members.bind_identity(db.session, member, "wechat_openid", OPENID, a.wechat_app_id)
    key = api_keys.create(db.session, owner, name="A 收银").plaintext
    db.session.commit()
    login(owner)
    with client.session_transaction() as browser:
        browser["staff_store_id"] = store.id
    sign_in(client, a, "wechat", OPENID)
    return {"merchant": a, "key": key}


@pytest.mark.parametrize("kind", CARD_KINDS)
def test_does_every_route_answer_404_for_another_merchants_ids_and_change_nothing(app, make, db, client, a_side,
                                                                                    kind):
    b = _foreign_world(make, kind)
    db.session.commit()
    before = _snapshot(b.id)
    routes = _routes(app, a_side["merchant"].slug)
    assert len(routes) > 40  # the enumeration found the app's routes
    wrong = []
    for method, url in routes:
        headers = {"Authorization": f"Bearer {a_side['key']}", "Idempotency-Key": "iso-1"} if url.startswith("/api/") else {}
        response = client.open(url, method=method, data={"key": "iso-1", "code": "x"}, headers=headers)
        if response.status_code != 404:
            wrong.append(f"{method} {url} -> {response.status_code}")
    assert wrong == []
    assert _snapshot(b.id) == before


def test_are_api_codes_of_another_merchant_unknown_to_a_key(client, make, db, a_side):
    _foreign_world(make, "gift")
    db.session.commit()
    headers = {"Authorization": f"Bearer {a_side['key']}"}
    for code in ("BBBBCCCCDDDDEEEE", "BBBBCARD00000001"):
        assert client.get(f"/api/v1/codes/{code}?store_id={FOREIGN}", headers=headers).status_code == 404
        posted = client.post("/api/v1/verifications", json={"code": code, "store_id": FOREIGN},
                             headers={**headers, "Idempotency-Key": f"iso-{code}"})
        assert posted.status_code == 404
    assert inspect(database.session.get(CouponCode, FOREIGN)) is not None
    assert database.session.get(CouponCode, FOREIGN).state == "available"


@pytest.mark.parametrize("kind", CARD_KINDS)
def test_are_another_merchants_codes_unknown_on_the_staff_page(client, make, db, a_side, kind):
    b = _foreign_world(make, kind)
    db.session.commit()
    before = _snapshot(b.id)
    for code in ("BBBBCCCCDDDDEEEE", "BBBBCARD00000001"):
        assert client.post("/staff/lookup", data={"code": code}).status_code == 404
        verified = client.post("/staff/verify", data={"code": code, "key": f"iso-{code}", "quantity": "1",
                                                      "amount": "1.00"})
        assert verified.status_code == 404
    assert _snapshot(b.id) == before

"""帮顾客办理: staff open a card for a customer who reads out the SMS code: a new member with 开卡礼 and the join
credited to the staff member and store, bound to a guide who helped; an existing phone is not joined twice; wrong,
used and expired codes, missing industry fields and bad notes are refused with nothing written; two joins of one
phone at once end with one member; the code to follow next is the official account's, else the store's."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from domain import roles
from domain.clock import now_utc
from domain.errors import DomainError, PermissionDenied
from models import Attribution, GuideChange, Member, MemberIdentity, Merchant, RewardGrant, Staff, Store
from services.members import fields as member_fields, join as member_join
from services.members.sms_codes import SmsCodeRejected
from services.recruitment import assisted
from tests.integration.helpers import run_concurrently
from tests.integration.recruitment.assisted_world import assisted_join_shop
from tests.web.member_h5.test_h5_support import latest_sms_code

MOBILE = "13700000021"
ROLES = ("owner", "cashier", "guide", "verifier")


@pytest.fixture()
def shop(make, db):
    return assisted_join_shop(db, make, "帮办测试店", "北门店", {role: f"a-{role}" for role in ROLES})


def _send(db, shop, mobile=MOBILE, staff="cashier"):
    assisted.send_code(db.session, shop["merchant"], shop[staff], mobile, ip="10.1.0.1")
    db.session.commit()
    return latest_sms_code(db, mobile)


def _join(db, shop, code, staff="cashier", mobile=MOBILE, notes=None, **profile):
    joined = assisted.join(db.session, shop["merchant"], shop["store"], shop[staff], mobile=mobile, code=code,
                           profile=member_join.Profile(**profile), notes=notes)
    db.session.commit()
    return joined


def _members(db, shop):
    return db.session.scalar(select(func.count(Member.id)).where(Member.merchant_id == shop["merchant"].id))


def test_does_an_assisted_join_make_a_member_with_the_gift_and_credit_the_staff_member_and_store(db, shop):
    code = _send(db, shop)
    joined = _join(db, shop, code, name="张三", gender="female", notes="喜欢拿铁")
    assert joined.created and joined.opened
    member = db.session.get(Member, joined.member.id)
    assert (member.mobile, member.name, member.gender, member.notes) == (MOBILE, "张三", "female", "喜欢拿铁")
    assert member.home_store_id == shop["store"].id and member.points_balance == 100
    credit = db.session.scalars(select(Attribution).where(Attribution.member_id == member.id)).one()
    assert (credit.event, credit.staff_id, credit.store_id, credit.source_id) == (
        "join", shop["cashier"].id, shop["store"].id, None)
    assert member.guide_id is None  # a cashier is nobody's guide


def test_is_a_member_a_guide_helps_bound_to_that_guide(db, shop):
    joined = _join(db, shop, _send(db, shop, staff="guide"), staff="guide")
    member = db.session.get(Member, joined.member.id)
    assert member.guide_id == shop["guide"].id
    [change] = db.session.scalars(select(GuideChange).where(GuideChange.member_id == member.id)).all()
    assert (change.how, change.to_staff_id) == ("assisted", shop["guide"].id)


def test_is_an_existing_member_not_joined_twice_and_only_their_blanks_filled(db, shop):
    first = _join(db, shop, _send(db, shop), name="张三", notes="第一次")
    _age_codes(db)
    again = _join(db, shop, _send(db, shop, staff="guide"), staff="guide", name="李四", gender="male",
                  notes="第二次")
    assert not again.created and not again.opened and again.member.id == first.member.id
    member = db.session.get(Member, first.member.id)
    assert (member.name, member.gender, member.notes) == ("张三", "male", "第一次\n第二次")
    assert member.points_balance == 100 and _members(db, shop) == 1
    assert db.session.scalar(select(func.count(RewardGrant.id)).where(RewardGrant.member_id == member.id)) == 1
    assert member.guide_id == shop["guide"].id  # nobody guided them yet: the guide who helped does now


def test_is_a_disabled_members_phone_refused_before_the_code_is_used(db, shop, make):
    existing = make.member(shop["merchant"], mobile=MOBILE)
    existing.status = "disabled"
    db.session.commit()
    code = _send(db, shop)
    with pytest.raises(DomainError, match="已停用"):
        _join(db, shop, code)
    db.session.rollback()
    existing.status = "active"
    db.session.commit()
    assert not _join(db, shop, code).created  # the code was not used up


def test_does_a_member_made_at_the_till_get_the_card_opened_by_an_assisted_join(db, shop, make):
    existing = make.member(shop["merchant"], mobile=MOBILE)
    db.session.commit()
    joined = _join(db, shop, _send(db, shop))
    assert not joined.created and joined.opened
    assert db.session.get(Member, existing.id).points_balance == 100


def test_does_a_member_who_claimed_in_wechat_keep_their_join_credit(db, shop):
    login = member_join.ChannelLogin(shop["merchant"].id, "wechat", "wx-app", "o-assisted-1")
    member_join.join(db.session, shop["merchant"], login, mobile=MOBILE, profile=member_join.Profile())
    db.session.commit()
    joined = _join(db, shop, _send(db, shop))
    assert not joined.created and not joined.opened
    credit = db.session.scalars(select(Attribution).where(Attribution.member_id == joined.member.id)).one()
    assert credit.staff_id is None


@pytest.mark.parametrize("wrong", ["000000", "12345", "abcdef", ""])
def test_is_a_wrong_code_refused_and_nobody_joined(db, shop, wrong):
    code = _send(db, shop)
    guess = wrong if wrong != "000000" else f"{(int(code) + 1) % 1000000:06d}"
    with pytest.raises(SmsCodeRejected):
        _join(db, shop, guess)
    db.session.rollback()
    assert _members(db, shop) == 0


def test_are_a_used_code_and_an_expired_code_refused(db, shop):
    code = _send(db, shop)
    _join(db, shop, code)
    with pytest.raises(SmsCodeRejected, match="已使用"):
        _join(db, shop, code)
    db.session.rollback()
    other = "13700000022"
    late = _send(db, shop, mobile=other)
    with pytest.raises(SmsCodeRejected, match="已过期"):
        assisted.join(db.session, shop["merchant"], shop["store"], shop["cashier"], mobile=other, code=late,
                      profile=member_join.Profile(), now=now_utc() + timedelta(minutes=6))
    db.session.rollback()
    assert _members(db, shop) == 1


def test_are_required_industry_fields_enforced_before_the_code_is_used(db, shop):
    member_fields.save_field(db.session, shop["owner"], None, key="plate", label="车牌号", field_type="text",
                             required=True)
    db.session.commit()
    code = _send(db, shop)
    with pytest.raises(DomainError) as refused:
        _join(db, shop, code)
    assert "plate" in refused.value.details["fields"]
    db.session.rollback()
    joined = _join(db, shop, code, custom_fields={"plate": "粤B12345"})  # the same code still works
    assert db.session.get(Member, joined.member.id).custom_fields == {"plate": "粤B12345"}


@pytest.mark.parametrize("notes, refusal", [("长" * 501, "备注不能超过 500 个字符"), ("a\x00b", "备注不能包含控制字符")])
def test_are_bad_notes_refused_before_the_code_is_used(db, shop, notes, refusal):
    code = _send(db, shop)
    with pytest.raises(DomainError, match=refusal):
        _join(db, shop, code, notes=notes)
    db.session.rollback()
    assert _join(db, shop, code, notes="好").created


@pytest.mark.parametrize("who", ["verifier", "stranger"])
def test_may_only_this_merchants_staff_who_create_members_assist(db, shop, make, who):
    if who == "stranger":
        shop["stranger"] = make.staff(make.merchant(), role=roles.OWNER)
        db.session.commit()
    with pytest.raises(PermissionDenied):
        assisted.send_code(db.session, shop["merchant"], shop[who], MOBILE)
    with pytest.raises(PermissionDenied):
        assisted.enrol(db.session, shop["merchant"], shop["store"], shop[who], mobile=MOBILE,
                       profile=member_join.Profile())
    db.session.rollback()
    assert _members(db, shop) == 0


def test_is_another_merchants_store_refused(db, shop, make):
    foreign = make.store(make.merchant(), "别家店")
    db.session.commit()
    with pytest.raises(DomainError, match="门店"):
        assisted.enrol(db.session, shop["merchant"], foreign, shop["cashier"], mobile=MOBILE,
                       profile=member_join.Profile())


def test_do_two_assisted_joins_of_one_phone_at_once_end_with_one_member(app, db, shop):
    merchant_id, store_id, staff_ids = shop["merchant"].id, shop["store"].id, (shop["cashier"].id, shop["guide"].id)

    def enrol(session, index):
        merchant = session.get(Merchant, merchant_id)
        staff = session.get(Staff, staff_ids[index % 2])
        store = session.get(Store, store_id)
        return assisted.enrol(session, merchant, store, staff, mobile=MOBILE,
                              profile=member_join.Profile(name=f"并发{index}")).member.id

    results, errors = run_concurrently(app, 6, enrol)
    assert not errors and len(set(results)) == 1
    db.session.expire_all()
    assert _members(db, shop) == 1
    member = db.session.get(Member, results[0])
    assert member.points_balance == 100
    assert db.session.scalar(select(func.count(Attribution.id)).where(Attribution.member_id == member.id)) == 1


def test_does_a_double_submit_with_one_code_join_once(app, db, shop):
    code = _send(db, shop)
    merchant_id, store_id, staff_id = shop["merchant"].id, shop["store"].id, shop["cashier"].id

    def join(session, index):
        merchant = session.get(Merchant, merchant_id)
        return assisted.join(session, merchant, session.get(Store, store_id), session.get(Staff, staff_id),
                             mobile=MOBILE, code=code,
                             profile=member_join.Profile()).member.id

    results, errors = run_concurrently(app, 3, join)
    assert len(results) == 1 and len(errors) == 2 and all(isinstance(e, SmsCodeRejected) for e in errors)
    db.session.expire_all()
    assert _members(db, shop) == 1


def test_is_the_next_code_the_stores_join_code_without_an_official_account(db, shop):
    shown = assisted.next_code(db.session, shop["merchant"], shop["store"], shop["cashier"])
    assert shown.kind == "store"
    assert re.search(rf"/h5/{shop['merchant'].slug}/j/[\w-]+$", shown.url)
    again = assisted.next_code(db.session, shop["merchant"], shop["store"], shop["guide"])
    assert again.url == shown.url  # the store's one code


def test_is_the_next_code_the_official_accounts_follow_code_with_the_staff_member_as_scene(db, shop, live_server):
    from sandbox import wechat_state

    wechat_state.provision_account(db.session, shop["merchant"])
    db.session.commit()
    shown = assisted.next_code(db.session, shop["merchant"], shop["store"], shop["guide"])
    assert shown.kind == "wechat" and "/sandbox/phone/qr/" in shown.url
    from models import SandboxGrant

    grant = db.session.scalars(select(SandboxGrant).where(SandboxGrant.kind == "qr_ticket")).one()
    assert grant.scope == f"assist:{shop['guide'].id}" and shown.url.endswith(grant.value)


def test_does_an_unreachable_wechat_fall_back_to_the_stores_code(db, shop, app, monkeypatch):
    shop["merchant"].wechat_app_id, shop["merchant"].wechat_app_secret = "wx-unreachable", "secret"
    db.session.commit()
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", "http://127.0.0.1:9/")  # nothing listens there
    shown = assisted.next_code(db.session, shop["merchant"], shop["store"], shop["cashier"])
    assert shown.kind == "store"


def _age_codes(db, mobile=MOBILE):
    from models import SmsCode

    for row in db.session.scalars(select(SmsCode).where(SmsCode.mobile == mobile)):
        row.created_at -= timedelta(minutes=2)
    db.session.commit()


def test_are_identities_untouched_by_an_assisted_join(db, shop):
    joined = _join(db, shop, _send(db, shop))
    assert db.session.scalar(select(func.count(MemberIdentity.id)).where(
        MemberIdentity.member_id == joined.member.id)) == 0

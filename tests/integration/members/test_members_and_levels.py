"""Members, identities and levels through the services, against PostgreSQL."""
from datetime import date

import pytest

from domain.errors import Conflict, DomainError, IdentityTaken
from models import AuditLog, LevelChange
from services.members import levels, members
from services.wallet import journal as wallet


def test_is_a_phone_number_normalised_and_unique_per_merchant(db, make):
    a, b = make.merchant(), make.merchant()
    member = members.create_member(db.session, a.id, mobile="+86 138-0013-8000")
    assert member.mobile == "13800138000"
    with pytest.raises(Conflict):
        members.create_member(db.session, a.id, mobile="13800138000")
    assert members.create_member(db.session, b.id, mobile="13800138000").merchant_id == b.id


def test_does_a_new_member_start_at_the_lowest_level_with_an_empty_wallet(db, make):
    merchant = make.merchant()
    member = make.member(merchant)
    assert member.level.rank == 1
    purse = wallet.member_wallet(db.session, merchant.id, member.id)
    assert (purse.principal, purse.bonus, purse.frozen) == (0, 0, False)


def test_is_binding_an_identity_of_another_member_refused(db, make):
    merchant = make.merchant()
    first, second = make.member(merchant), make.member(merchant)
    members.bind_identity(db.session, first, "wechat_openid", "oA1", app_id="wx1")
    assert members.bind_identity(db.session, first, "wechat_openid", "oA1", app_id="wx1").member_id == first.id
    with pytest.raises(IdentityTaken, match="其他会员"):
        members.bind_identity(db.session, second, "wechat_openid", "oA1", app_id="wx1")
    members.bind_identity(db.session, second, "wechat_openid", "oA1", app_id="wx2")  # another official account
    assert members.find_by_identity(db.session, merchant.id, "wechat_openid", "oA1", "wx1").id == first.id


def test_does_any_one_threshold_upgrade_a_member_and_never_downgrade(db, make):
    merchant = make.merchant()
    member = make.member(merchant)
    member.visit_count = 10  # silver by visits alone
    assert levels.apply_upgrade(db.session, member).name == "银卡"
    member.total_topup = 200000  # gold by top-up
    assert levels.apply_upgrade(db.session, member).name == "金卡"
    member.visit_count, member.total_topup = 0, 0
    assert levels.apply_upgrade(db.session, member) is None and member.level.name == "金卡"
    reasons = [c.reason for c in levels.history_of(db.session, merchant.id, member.id)]
    assert reasons == ["auto", "auto", "join"]


def test_is_a_manual_level_change_audited(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant)
    member = make.member(merchant)
    member.total_spend = 600000
    levels.apply_upgrade(db.session, member)
    base = levels.base_level(db.session, merchant.id)
    levels.set_level_manually(db.session, owner, member, base.id, "会员申请降级")
    assert member.level_id == base.id
    entry = db.session.query(AuditLog).filter_by(action="member.set_level").one()
    assert entry.after["level_id"] == base.id and entry.staff_id == owner.id
    assert db.session.query(LevelChange).filter_by(reason="manual").one().operator_id == owner.id


def test_does_the_reevaluation_job_upgrade_members_after_thresholds_drop(db, make):
    from jobs import levels as level_jobs
    from jobs.dispatch import execute

    merchant = make.merchant()
    owner = make.staff(merchant)
    member = make.member(merchant)
    member.visit_count = 3
    silver = next(lv for lv in levels.list_levels(db.session, merchant.id) if lv.rank == 2)
    levels.save_level(db.session, owner, silver, rank=2, name="银卡", min_visits=3, discount_percent=95)
    db.session.commit()
    assert execute(level_jobs.reevaluate_levels.job_name, merchant.id) == 1
    db.session.expire_all()
    assert member.level.name == "银卡"


def test_are_the_merchants_required_fields_enforced(db, make):
    from services.members import fields as member_fields

    merchant = make.merchant()
    owner = make.staff(merchant)
    member_fields.save_field(db.session, owner, None, key="plate", label="车牌号", field_type="text", required=True)
    member_fields.save_field(db.session, owner, None, key="height", label="身高", field_type="number")
    with pytest.raises(DomainError, match="车牌号"):
        members.create_member(db.session, merchant.id, mobile="13900000001", custom_fields={})
    with pytest.raises(DomainError, match="身高"):
        members.create_member(db.session, merchant.id, mobile="13900000001",
                              custom_fields={"plate": "沪A12345", "height": "高"})
    member = members.create_member(db.session, merchant.id, mobile="13900000001",
                                   custom_fields={"plate": "沪A12345", "height": "180", "unknown": "x"})
    assert member.custom_fields == {"plate": "沪A12345", "height": "180"}


def test_does_the_search_find_by_card_number_and_filter_by_birthday_month(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant)
    march = make.member(merchant, name="三月", birthday=date(1990, 3, 5))
    make.member(merchant, name="五月", birthday=date(1990, 5, 5))
    members.bind_identity(db.session, march, "card_no", "88001234")
    found = db.session.scalars(members.search(owner, q="88001234")).all()
    assert [m.id for m in found] == [march.id]
    assert [m.name for m in db.session.scalars(members.search(owner, birthday_month=3))] == ["三月"]


def test_does_a_guide_see_only_their_own_members(db, make):
    merchant = make.merchant()
    guide = make.staff(merchant, role="guide")
    mine = make.member(merchant, guide_id=guide.id)
    make.member(merchant)
    assert [m.id for m in db.session.scalars(members.search(guide))] == [mine.id]


def test_does_the_demo_data_keep_every_ledger_invariant(db):
    from sqlalchemy import func, select

    from models import PointsLot, Staff, Wallet
    from demo import data as demo_data

    merchant, created = demo_data.load(db.session)
    assert created and demo_data.load(db.session) == (merchant, False)
    owner = db.session.scalars(select(Staff).where(Staff.merchant_id == merchant.id, Staff.role == "owner")).one()
    everyone = members.search(owner)
    for member in db.session.scalars(everyone):
        remaining = db.session.scalar(select(func.coalesce(func.sum(PointsLot.remaining), 0))
                                      .where(PointsLot.member_id == member.id))
        assert member.points_balance == remaining
        purse = db.session.scalars(select(Wallet).where(Wallet.member_id == member.id)).one()
        assert wallet.journal_balance(db.session, purse.id) == (purse.principal, purse.bonus)

"""帮顾客办理: a staff member opens the member card for a customer at the counter. The customer reads out the SMS
code sent to their phone, the staff member fills in the member's details and notes; the join is credited to the
staff member and their store, a guide gets the member as their own, and the new member gets 开卡礼 as if they had
claimed the card themselves. Afterwards the page shows the code to follow next: the official account's, else the
store's join code (seed 002: 公众号 > 店铺码).

A phone that is already a member's is not joined twice: the member is shown as they are, with only their blank
details filled in. Two assisted joins of one phone at once end with one member (services/members/join.py).
"""
from dataclasses import dataclass

from domain import roles
from domain.errors import DomainError, PermissionDenied
from domain.phone import normalise_mobile
from services.members import join as member_join, members, sms_codes
from services.points import ledger as points
from services.recruitment import attribution, guides, sources
from services.shared import host
from services.shared.text import optional_text
from services.wechat import follow_qr

MAX_NOTES = 500
CODE_PURPOSE = "join"  # the claim page's codes: one phone, one set of limits, whoever asked for the code


@dataclass(frozen=True)
class Enrolled:
    member: object
    created: bool  # a new member; False: the phone already was a member's (该手机号已是会员)
    opened: bool  # the card was opened by this join (开卡礼 given, the join credited to the staff member)


@dataclass(frozen=True)
class NextCode:
    """The code the customer scans next: 'wechat' (follow the official account) or 'store' (the store's join
    code, which also binds their WeChat or Alipay to the card)."""

    kind: str
    url: str


def may_assist(staff):
    return staff is not None and staff.active and roles.can(staff.role, "members.create")


def send_code(session, merchant, staff, mobile, *, ip=None, now=None):
    """Send the customer's phone a join code, under the claim page's limits (per phone, per network)."""
    _check_staff(merchant, staff)
    return sms_codes.request_code(session, merchant, mobile, ip=ip, purpose=CODE_PURPOSE, now=now)


def existing_member(session, merchant, mobile):
    """The member this phone already is, or None (the page tells the staff member before the code is read out)."""
    return members.find_by_mobile(session, merchant.id, normalise_mobile(mobile))


def seconds_until_resend(session, merchant, mobile, now=None):
    return sms_codes.seconds_until_resend(session, merchant.id, mobile, CODE_PURPOSE, now=now)


def join(session, merchant, store, staff, *, mobile, code, profile, notes=None, now=None):
    """Check the details, verify the code the customer read out, then enrol them. Raises SmsCodeRejected, or a
    DomainError naming the industry fields that are missing (details["fields"]) before the code is used."""
    _check_staff(merchant, staff, store)
    member_join.check_profile(session, merchant.id, profile)
    notes = optional_text(notes, "备注", MAX_NOTES)
    existing = existing_member(session, merchant, mobile)
    if existing is not None and existing.status != "active":
        raise DomainError("该手机号的会员卡已停用，不能办理，请联系店长")
    mobile = sms_codes.verify(session, merchant.id, mobile, code, purpose=CODE_PURPOSE, now=now)
    return enrol(session, merchant, store, staff, mobile=mobile, profile=profile, notes=notes, now=now)


def enrol(session, merchant, store, staff, *, mobile, profile, notes=None, now=None):
    """The member with this verified phone, created if new (in this store), their card opened if it never was."""
    _check_staff(merchant, staff, store)
    member, created = member_join.create_or_reuse(session, merchant, mobile, profile, home_store_id=store.id)
    # Under the member's row lock: of two joins of one phone at once, the second sees what the first did.
    member = points.lock_member(session, merchant.id, member.id)
    if not created:
        member_join.fill_blanks(session, member, profile)
        if member.home_store_id is None:
            member.home_store_id = store.id
    _add_notes(member, optional_text(notes, "备注", MAX_NOTES))
    touch = attribution.Touch(staff_id=staff.id, store_id=store.id)
    opened = not _opened_before(session, merchant, member)
    if opened:
        member_join.open_card(session, merchant, member, touch)
    else:
        guides.bind_on_join(session, merchant, member, touch, now=now)  # a guide's first customer visit counts
    session.flush()
    return Enrolled(member=member, created=created, opened=opened)


def next_code(session, merchant, store, staff):
    """What the customer scans after joining: the official account's follow code when the merchant has one (its
    scene names the staff member), else this store's join code."""
    follow = follow_qr.follow_code(merchant, f"assist:{staff.id}")
    if follow is not None:
        return NextCode("wechat", follow.url)
    source = sources.for_store(session, store)
    return NextCode("store", host.external_url("member_h5.join_link", merchant_slug=merchant.slug,
                                               token=source.token))


def _opened_before(session, merchant, member):
    """The card was opened already: claimed in WeChat or Alipay, or its join recorded (an earlier assisted join)."""
    return (attribution.join_of(session, merchant.id, member.id) is not None
            or member_join.claimed_before(session, member))


def _add_notes(member, notes):
    """The staff member's notes: a member with notes keeps them, and new ones follow on a new line if they fit."""
    if not notes:
        return
    if not member.notes:
        member.notes = notes
    elif notes not in member.notes and len(member.notes) + 1 + len(notes) <= MAX_NOTES:
        member.notes = f"{member.notes}\n{notes}"


def _check_staff(merchant, staff, store=None):
    if not may_assist(staff) or staff.merchant_id != merchant.id:
        raise PermissionDenied("您没有权限为顾客办理会员")
    if store is not None and (store.merchant_id != merchant.id or not store.active):
        raise DomainError("请先选择所在门店")

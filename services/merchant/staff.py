"""Staff accounts: creation, roles and stores, passwords, login."""
import re

from sqlalchemy import select

from domain import roles
from domain.clock import now_utc
from domain.errors import Conflict, DomainError, PermissionDenied
from domain.phone import normalise_mobile
from models import Merchant, Staff, Store
from services.merchant import audit
from services.shared.tenancy import owned_ids, scoped
from services.shared.text import required_text

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{2,40}$")
MIN_PASSWORD_LENGTH = 8
FIELDS = ("username", "name", "mobile", "role", "active", "store_ids")


def list_staff(session, merchant_id):
    return session.scalars(scoped(Staff, merchant_id).order_by(Staff.id)).all()


def find_account(session, merchant_slug, username):
    """The staff member these sign-in details name, whatever the password (None when nobody)."""
    return session.scalars(
        select(Staff).join(Merchant, Merchant.id == Staff.merchant_id)
        .where(Merchant.slug == (merchant_slug or "").strip().lower()[:60],
               Staff.username == (username or "").strip()[:60])
    ).one_or_none()


def authenticate(session, merchant_slug, username, password):
    """The active staff member for these credentials, or None. Same answer, and the same time, for every kind of
    failure: an unknown merchant or user still has a password hash checked, so the time taken does not tell."""
    staff = find_account(session, merchant_slug, username)
    if staff is None:
        Staff.check_stand_in_password(password or "")
        return None
    if not staff.active or not staff.check_password(password or ""):
        return None
    staff.last_login_at = now_utc()
    return staff


def create_staff(session, merchant_id, *, username, name, role, password, mobile=None, store_ids=(), actor=None):
    _check_role_assignable(actor, role)
    username = _check_username(session, merchant_id, username)
    staff = Staff(merchant_id=merchant_id, username=username, name=required_text(name, "姓名", 60),
                  mobile=_check_mobile(mobile), role=role, active=True)
    staff.set_password(_check_password(password))
    staff.stores = _stores_for(session, merchant_id, role, store_ids)
    session.add(staff)
    session.flush()
    if actor is not None:
        audit.record(session, actor, "staff.create", "staff", staff.id, after=_snapshot(staff))
    return staff


def update_staff(session, actor, staff, *, name, role, mobile=None, store_ids=(), active=True, password=None):
    _check_role_assignable(actor, role)
    if staff.id == actor.id and (not active or role != staff.role):
        raise PermissionDenied("不能停用自己或修改自己的角色")
    if staff.role == roles.OWNER and actor.role != roles.OWNER:
        raise PermissionDenied("只有店主可以修改店主账号")
    before = _snapshot(staff)
    staff.name = required_text(name, "姓名", 60)
    staff.mobile = _check_mobile(mobile)
    staff.role = role
    staff.active = bool(active)
    staff.stores = _stores_for(session, staff.merchant_id, role, store_ids)
    if password:
        staff.set_password(_check_password(password))
    session.flush()
    after = _snapshot(staff)
    changed_before, changed_after = audit.changed_only(before, after)
    if password:
        changed_after["password"] = "changed"
    audit.record(session, actor, "staff.update", "staff", staff.id, changed_before, changed_after)
    return staff


def _snapshot(staff):
    data = audit.snapshot(staff, ("username", "name", "mobile", "role", "active"))
    data["store_ids"] = sorted(s.id for s in staff.stores)
    return data


def _check_role_assignable(actor, role):
    if role not in roles.ALL_ROLES:
        raise DomainError("未知的角色")
    if actor is not None and role == roles.OWNER and actor.role != roles.OWNER:
        raise PermissionDenied("只有店主可以设置店主角色")


def _check_username(session, merchant_id, username):
    username = (username or "").strip()
    if not USERNAME_PATTERN.match(username):
        raise DomainError("账号须为 2-40 位字母、数字、下划线、点或连字符")
    if session.scalars(scoped(Staff, merchant_id).where(Staff.username == username)).first():
        raise Conflict("账号已存在")
    return username


def _check_mobile(mobile):
    return normalise_mobile(mobile) if (mobile or "").strip() else None


def _check_password(password):
    if not password or len(password) < MIN_PASSWORD_LENGTH or len(password) > 128:
        raise DomainError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    return password


def _stores_for(session, merchant_id, role, store_ids):
    stores = owned_ids(session, Store, merchant_id, store_ids)
    if roles.is_store_bound(role) and not stores:
        raise DomainError("导购、收银员和核销员须至少分配一个门店")
    return stores


def end_sessions(session, staff):
    """Log this person out everywhere: every session cookie issued to them stops working."""
    staff.end_sessions()
    session.flush()


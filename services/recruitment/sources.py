"""Sources (渠道): one row per tracked way in (a store's or a staff member's join code, a share channel's link, a
member's invite link, a campaign's or a send's link), made once on first use and found again by its token."""
import re
import secrets
from datetime import datetime

from domain.clock import now_utc
from domain.errors import DomainError
from domain.recruitment import SHARE_CHANNEL_LABELS, SHARE_CHANNELS, SOURCE_TARGETS
from models import RecruitSource
from services.shared.insert_once import insert_once
from services.shared.tenancy import scoped

TOKEN_BYTES = 12  # 96 bits: a link cannot be guessed from another
_URL_SAFE = re.compile(r"[A-Za-z0-9_-]+")  # what token_urlsafe makes; anything else (a NUL byte) is forged
MAX_TOKEN_LENGTH = 32


class SourceRefused(DomainError):
    """A link or code that leads nowhere: unknown (mistyped or forged), of another merchant, switched off or expired."""


def ensure(session, merchant_id, *, kind, natural_key, name, **fields):
    """The source named `natural_key`, created if missing; two requests at once end with one row."""
    existing = _by_natural_key(session, merchant_id, natural_key)
    if existing is not None:
        return existing
    insert_once(session, RecruitSource, {
        "merchant_id": merchant_id, "kind": kind, "natural_key": natural_key, "name": name[:60],
        "token": secrets.token_urlsafe(TOKEN_BYTES), "active": True, "target": fields.pop("target", "join"),
        "created_at": now_utc(), **fields}, ("merchant_id", "natural_key"))
    return _by_natural_key(session, merchant_id, natural_key)


def _by_natural_key(session, merchant_id, natural_key):
    return session.scalars(scoped(RecruitSource, merchant_id).where(RecruitSource.natural_key == natural_key)).first()


def _target_key(target, template_id):
    if target not in SOURCE_TARGETS:
        raise DomainError("未知的推广目标")
    return target if target == "join" else f"{target}:{int(template_id or 0)}"


def for_store(session, store, *, share_channel=None, target="join", template_id=None):
    """A store's join code (面对面扫码), or its link for one share channel."""
    via = _share(share_channel)
    return ensure(session, store.merchant_id, kind="store", store_id=store.id, share_channel=share_channel,
                  natural_key=f"store:{store.id}:{via}:{_target_key(target, template_id)}", target=target,
                  card_template_id=template_id, name=_name(store.name, share_channel))


def for_staff(session, staff, *, store_id=None, share_channel=None, target="join", template_id=None):
    """A staff member's own join code or share link: whoever joins through it is their recruit (and, for a guide,
    their member)."""
    via = _share(share_channel)
    return ensure(session, staff.merchant_id, kind="staff", staff_id=staff.id, store_id=store_id,
                  share_channel=share_channel, target=target, card_template_id=template_id,
                  natural_key=f"staff:{staff.id}:{store_id or 0}:{via}:{_target_key(target, template_id)}",
                  name=_name(staff.name, share_channel))


def for_share(session, merchant_id, share_channel, *, target="join", template_id=None):
    """The merchant's own link for one of the nine channels (招募推广 with no store or staff behind it)."""
    return ensure(session, merchant_id, kind="share", share_channel=_checked_share(share_channel), target=target,
                  card_template_id=template_id,
                  natural_key=f"share:{share_channel}:{_target_key(target, template_id)}",
                  name=SHARE_CHANNEL_LABELS[share_channel])


def for_member(session, member, *, share_channel=None):
    """A member's invite link (老会员推荐): whoever joins through it is recorded as invited by them."""
    via = _share(share_channel)
    return ensure(session, member.merchant_id, kind="member", member_id=member.id, share_channel=share_channel,
                  natural_key=f"member:{member.id}:{via}", name=f"会员 {member.id} 邀请")


def for_campaign(session, merchant_id, campaign_id, name):
    return ensure(session, merchant_id, kind="campaign", campaign_id=campaign_id,
                  natural_key=f"campaign:{campaign_id}", name=name)


def for_send(session, merchant_id, send_id, name):
    return ensure(session, merchant_id, kind="send", send_id=send_id, natural_key=f"send:{send_id}", name=name)


def usable(session, merchant_id, token, now=None):
    """The source a link carries; SourceRefused with the reason a visitor can read otherwise."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH or not _URL_SAFE.fullmatch(token):
        raise SourceRefused("链接无效，请向商家索取新的二维码")
    source = session.scalars(scoped(RecruitSource, merchant_id).where(RecruitSource.token == token)).first()
    if source is None:
        raise SourceRefused("链接无效，请向商家索取新的二维码")
    if not source.active:
        raise SourceRefused("该二维码已停用，请向商家索取新的二维码")
    if source.expires_at is not None and source.expires_at <= (now or now_utc()):
        raise SourceRefused("该链接已过期，请向商家索取新的二维码")
    return source


def looks_like_token(token):
    return 0 < len(token) <= MAX_TOKEN_LENGTH and _URL_SAFE.fullmatch(token) is not None


def get(session, merchant_id, source_id):
    """A source of this merchant by id, or None (another merchant's id finds nothing)."""
    if source_id is None:
        return None
    return session.scalars(scoped(RecruitSource, merchant_id).where(RecruitSource.id == int(source_id))).first()


def of_staff(session, merchant_id, staff_id):
    return list(session.scalars(scoped(RecruitSource, merchant_id).where(RecruitSource.staff_id == staff_id)
                                .order_by(RecruitSource.id)))


def expire(session, source, when: datetime):
    source.expires_at = when
    session.flush()


def _share(share_channel):
    return "qr" if share_channel is None else _checked_share(share_channel)


def _checked_share(share_channel):
    if share_channel not in SHARE_CHANNELS:
        raise DomainError("未知的推广渠道")
    return share_channel


def _name(owner, share_channel):
    suffix = SHARE_CHANNEL_LABELS[share_channel] if share_channel else "二维码"
    return f"{owner} · {suffix}"


"""What a WeChat user gave in WeChat's activation form (一键激活): WeChat opened our activation page with an
`activate_ticket`, whose answers (card/membercard/activatetempinfo/get) carry the phone WeChat verified, and a name
and birthday if given. A user who is not a member yet joins with that phone, or is bound to the member who has it,
as the claim page's verified phone would do; a merchant whose join asks for more (required industry fields) sends
them to the claim page instead."""
from datetime import date

from channels.wechat import client_for
from domain.errors import DomainError
from services.members import join as member_join
from services.wechat_cards.activation import ActivationRefused, wechat_call

MAX_TICKET = 512
MOBILE, NAME, BIRTHDAY = "USER_FORM_INFO_FLAG_MOBILE", "USER_FORM_INFO_FLAG_NAME", "USER_FORM_INFO_FLAG_BIRTHDAY"


class NeedsClaimPage(DomainError):
    code = "wechat_card_needs_claim"


def answers(merchant, ticket):
    """{flag: value} of the form, or ActivationRefused."""
    ticket = (ticket or "").strip()
    if not ticket or len(ticket) > MAX_TICKET or "\x00" in ticket:
        raise ActivationRefused("激活信息无效，请在卡包中重新激活")
    info = wechat_call(lambda: client_for(merchant).card.get_activate_info(ticket)) or {}
    fields = info.get("common_field_list") or []
    return {field.get("name"): str(field.get("value") or "").strip() for field in fields if isinstance(field, dict)}


def join_with_answers(session, merchant, login, given):
    """The member this WeChat login is (or now becomes) with the form's phone."""
    mobile = given.get(MOBILE)
    if not mobile:
        raise ActivationRefused("微信未提供手机号，请在卡包中重新激活")
    profile = member_join.Profile(name=(given.get(NAME) or None) and given[NAME][:50],
                                  birthday=_birthday(given.get(BIRTHDAY)))
    try:
        member_join.check_profile(session, merchant.id, profile)
    except DomainError:
        raise NeedsClaimPage("请补充会员资料") from None
    return member_join.join(session, merchant, login, mobile=mobile, profile=profile)


def _birthday(text):
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None

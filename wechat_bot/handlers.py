"""What the official account does with each message and event. Handlers only touch the database;
anything that calls out (the API, other services) is deferred to a job."""
from flask_babel import gettext as _

from jobs.wechat import activate_wechat_card, sync_fan_profile
from services.wechat import fans, menu as wechat_menu, replies as wechat_replies
from services.outreach import inbound as outreach_inbound
from services.rewards import follow_gift
from services.wechat_cards import events as card_events
from wechat_bot.registry import Registry

bot = Registry()


def card_link(ctx, label):
    return f'<a href="{ctx.card_url}">{label}</a>'


@bot.event("subscribe", "subscribe_scan")
def on_subscribe(message, ctx):
    """Follow (with `qrscene_xxx` when through a parametric QR code): record the fan, say welcome."""
    scene = message.scene_id if message.event == "subscribe_scan" else None
    fans.record_subscribe(ctx.session, ctx.merchant, message.source, at=message.create_time, qr_scene=scene)
    fan = fans.find(ctx.session, ctx.merchant, message.source)
    gift = follow_gift.grant_if_member(ctx.session, ctx.merchant, fan)
    if ctx.api_configured:
        ctx.defer(sync_fan_profile, ctx.merchant.id, message.source)
    welcome = ctx.settings.welcome_text.strip()
    link = card_link(ctx, _("点击领取会员卡") if fan is None or fan.member_id is None else _("查看我的会员卡"))
    return "\n\n".join(part for part in (welcome, _gift_line(ctx, fan, gift), link) if part)


def _gift_line(ctx, fan, gift):
    if gift:
        return _("关注礼品：%(gift)s已到账", gift="、".join(text for _rule, text in gift))
    if fan is None or fan.member_id is None:
        offer = follow_gift.offer(ctx.session, ctx.merchant)
        return _("关注有礼：领取会员卡即得 %(gift)s", gift=offer) if offer else ""
    return ""


@bot.event("unsubscribe")
def on_unsubscribe(message, ctx):
    fans.record_unsubscribe(ctx.session, ctx.merchant, message.source, at=message.create_time)
    return None


@bot.event("scan")
def on_scan(message, ctx):
    """A follower scanned a parametric QR code (a store's, a campaign's)."""
    fans.record_scan(ctx.session, ctx.merchant, message.source, message.scene_id, at=message.create_time)
    return _("欢迎光临！") + "\n\n" + card_link(ctx, _("查看我的会员卡"))


@bot.message("text")
def on_text(message, ctx):
    reply = wechat_replies.reply_for(ctx.session, ctx.merchant.id, message.content)
    return reply or ctx.settings.default_reply.strip() or None


@bot.event("click")
def on_click(message, ctx):
    return wechat_menu.click_reply(ctx.settings.menu, message.key)


@bot.event("view")
def on_view(message, ctx):
    return None


@bot.event("masssendjobfinish")
def on_mass_job_finished(message, ctx):
    """WeChat's own figures for a mass call of a send (a signed callback; a replay is deduplicated upstream and
    an already-recorded call is left as it was)."""
    outreach_inbound.mass_job_finished(ctx.session, ctx.merchant.id, message.id, total=message.total_count,
                                       sent=message.sent_count, errors=message.error_count)
    return None


@bot.event("user_get_card")
def on_user_get_card(message, ctx):
    """The member card added to the user's card package (领取): a holding, bound to the member of this openid."""
    holding = card_events.got(ctx.session, ctx.merchant, message.card_id, message.code, message.source,
                              restored=message.is_restore_member_card == 1)
    _activate_for_member(ctx, holding)
    return None


def _activate_for_member(ctx, holding):
    """A member's own card (their openid): activated by a job after the commit, with no page to open."""
    if holding is not None and holding.state == "added" and holding.member_id is not None and ctx.api_configured:
        ctx.defer(activate_wechat_card, ctx.merchant.id, holding.card_id, holding.code)


@bot.event("user_del_card")
def on_user_del_card(message, ctx):
    card_events.deleted(ctx.session, ctx.merchant, message.card_id, message.code, message.source)
    return None


@bot.event("user_view_card", "update_member_card")
def on_card_seen(message, ctx):
    card_events.seen(ctx.session, ctx.merchant, message.card_id, message.code, message.source)
    return None


@bot.event("submit_membercard_user_info")
def on_card_activation_form(message, ctx):
    """The user filled WeChat's activation form (一键激活)."""
    holding = card_events.seen(ctx.session, ctx.merchant, message.card_id, message.card_code, message.source)
    _activate_for_member(ctx, holding)
    return None


@bot.fallback
def on_anything_else(message, ctx):
    """Pictures, voice, locations...: the default reply; events we do not handle: nothing."""
    if message.type == "event":
        return None
    return ctx.settings.default_reply.strip() or None

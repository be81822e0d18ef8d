"""The official account in the back office: credentials and behaviour, keyword replies, the menu."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import blueprint
from backoffice.common import merchant_id, requires
from backoffice.forms_channels import saving_credentials
from backoffice.forms_wechat import (DeleteForm, KeywordForm, WechatAccountForm, WechatBehaviourForm,
                                     menu_from_form, menu_to_rows)
from backoffice.ui import form_page
from channels.wechat import client_for
from domain.errors import DomainError
from extensions import db
from models import KeywordReply
from services.wechat import fans, account as wechat_account, menu as wechat_menu, replies as wechat_replies
from services.shared.tenancy import get_owned
from services.wechat.settings import settings_for, update_behaviour

SETTINGS = "backoffice/wechat/settings.html"
KEYWORD = "backoffice/wechat/keyword_form.html"
MENU = "backoffice/wechat/menu.html"


def _settings_context(account_form=None, behaviour_form=None):
    merchant = current_user.merchant
    settings = settings_for(db.session, merchant.id)
    return dict(
        account_form=account_form or WechatAccountForm(formdata=None, obj=merchant),
        behaviour_form=behaviour_form or WechatBehaviourForm(formdata=None).fill(settings),
        secrets_set={name: bool(getattr(merchant, name)) for name in ("wechat_app_secret", "wechat_token")},
        keys=wechat_account.key_state(merchant), fan_count=fans.count_subscribed(db.session, merchant.id),
        callback_url=f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/wechat/{merchant.slug}/callback")


@blueprint.route("/wechat", methods=["GET", "POST"])
@requires("settings.manage")
def wechat_settings():
    form = WechatBehaviourForm()
    context = _settings_context(behaviour_form=form if form.is_submitted() else None)
    return form_page(SETTINGS, context, lambda: update_behaviour(
        db.session, current_user, settings_for(db.session, merchant_id()),
        welcome_text=form.welcome_text.data, default_reply=form.default_reply.data,
        oauth_userinfo=form.oauth_userinfo.data, notify_points=form.notify_points.data,
        notify_balance=form.notify_balance.data, notify_level=form.notify_level.data,
        notify_coupon=form.notify_coupon.data,
        template_ids=form.template_ids()),
        form=form, done=_("公众号设置已保存"), back=url_for("backoffice.wechat_settings"))


@blueprint.route("/wechat/account", methods=["POST"])
@requires("settings.manage")
def wechat_account_save():
    form = WechatAccountForm()
    return form_page(SETTINGS, lambda: _settings_context(account_form=form), lambda: saving_credentials(
        form, lambda: wechat_account.update_account(
            db.session, current_user, current_user.merchant, app_id=form.wechat_app_id.data,
            app_secret=form.wechat_app_secret.data, token=form.wechat_token.data, new_aes_key=form.new_aes_key.data,
            drop_previous_key=form.drop_previous_key.data, message_mode=form.wechat_message_mode.data)),
        form=form, done=lambda changed: _("公众号凭证已保存") if changed else _("公众号凭证没有变化"),
        back=url_for("backoffice.wechat_settings"))


# --- keyword replies ----------------------------------------------------------------------------------

@blueprint.route("/wechat/keywords")
@requires("settings.manage")
def wechat_keywords():
    return render_template("backoffice/wechat/keywords.html", delete_form=DeleteForm(),
                           keywords=wechat_replies.list_keywords(db.session, merchant_id()))


@blueprint.route("/wechat/keywords/new", methods=["GET", "POST"])
@requires("settings.manage")
def wechat_keyword_new():
    return _save_keyword(None)


@blueprint.route("/wechat/keywords/<int:keyword_id>/edit", methods=["GET", "POST"])
@requires("settings.manage")
def wechat_keyword_edit(keyword_id):
    return _save_keyword(get_owned(db.session, KeywordReply, merchant_id(), keyword_id))


@blueprint.route("/wechat/keywords/<int:keyword_id>/delete", methods=["POST"])
@requires("settings.manage")
def wechat_keyword_delete(keyword_id):
    row = get_owned(db.session, KeywordReply, merchant_id(), keyword_id)
    wechat_replies.delete_keyword(db.session, current_user, row)
    flash(_("关键词回复已删除"), "success")
    return redirect(url_for("backoffice.wechat_keywords"))


def _save_keyword(row):
    form = KeywordForm(obj=row)
    return form_page(KEYWORD, {"form": form, "row": row}, lambda: wechat_replies.save_keyword(
        db.session, current_user, row, keyword=form.keyword.data, match=form.match.data,
        reply_text=form.reply_text.data, position=form.position.data or 0, active=form.active.data),
        done=_("关键词回复已保存"), back=url_for("backoffice.wechat_keywords"))


# --- the menu ----------------------------------------------------------------------------------------------

@blueprint.route("/wechat/menu", methods=["GET", "POST"])
@requires("settings.manage")
def wechat_menu_edit():
    settings = settings_for(db.session, merchant_id())
    if request.method == "GET":
        return render_template(MENU, rows=menu_to_rows(settings.menu or []), settings=settings, problems=[],
                               form=DeleteForm())
    items = menu_from_form(request.form)
    try:
        wechat_menu.save_menu(db.session, current_user, settings, items)
    except wechat_menu.MenuInvalid as exc:
        db.session.rollback()
        return render_template(MENU, rows=menu_to_rows(items), settings=settings, problems=exc.problems,
                               form=DeleteForm()), 400
    flash(_("菜单已保存，点击“发布菜单”后在微信中生效"), "success")
    return redirect(url_for("backoffice.wechat_menu_edit"))


@blueprint.route("/wechat/menu/publish", methods=["POST"])
@requires("settings.manage")
def wechat_menu_publish():
    settings = settings_for(db.session, merchant_id())
    try:
        wechat_menu.publish(db.session, current_user, settings, client_for(current_user.merchant))
    except DomainError as exc:  # also ChannelNotConfigured: no AppID/AppSecret yet
        db.session.rollback()
        flash(_("发布失败：%(reason)s", reason=exc.message), "warning")
        return redirect(url_for("backoffice.wechat_menu_edit"))
    flash(_("菜单已发布"), "success")
    return redirect(url_for("backoffice.wechat_menu_edit"))

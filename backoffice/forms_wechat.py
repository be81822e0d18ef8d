"""Back-office forms of the official account: credentials, behaviour, keyword replies, the menu."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from services.wechat.menu import MAX_SUB, MAX_TOP

MATCH_LABELS = {"exact": _l("完全匹配"), "contains": _l("包含关键词")}
NOTICE_FIELDS = (("points_changed", "tpl_points_changed"), ("balance_changed", "tpl_balance_changed"),
                 ("level_up", "tpl_level_up"), ("coupon_received", "tpl_coupon_received"))


class WechatAccountForm(FlaskForm):
    wechat_app_id = StringField(_l("AppID"), validators=[
        Optional(), Length(max=64, message=_l("不能超过 64 个字符")),
        Regexp(r"^[A-Za-z0-9_-]+$", message=_l("AppID 只含字母、数字、下划线或连字符"))],
        render_kw={"autocapitalize": "off", "autocomplete": "off"})
    wechat_app_secret = PasswordField(_l("AppSecret"), validators=[
        Optional(), Length(max=128, message=_l("不能超过 128 个字符"))])
    wechat_token = PasswordField(_l("Token"), validators=[Optional(), Length(max=32, message=_l("不能超过 32 个字符"))])
    new_aes_key = PasswordField(_l("EncodingAESKey"), validators=[
        Optional(), Length(min=43, max=43, message=_l("EncodingAESKey 须为 43 位"))],
        description=_l("填写新密钥后，原密钥会作为“上一个密钥”继续用于解密，直到您清除它"))
    drop_previous_key = BooleanField(_l("清除上一个 EncodingAESKey"))
    wechat_message_mode = SelectField(_l("消息加解密方式"), choices=[
        ("plain", _l("明文模式")), ("compatible", _l("兼容模式")), ("safe", _l("安全模式"))],
        description=_l("须与微信公众平台“基本配置”中的选择一致。安全模式只接受加密消息；兼容模式和安全模式需要 EncodingAESKey"))


class WechatBehaviourForm(FlaskForm):
    welcome_text = TextAreaField(_l("关注欢迎语"), validators=[Length(max=600, message=_l("不能超过 600 个字"))],
                                 description=_l("回复末尾会自动附上领取会员卡的链接"))
    default_reply = TextAreaField(_l("默认回复"), validators=[Length(max=600, message=_l("不能超过 600 个字"))],
                                  description=_l("没有匹配到关键词时回复；留空则不回复"))
    oauth_userinfo = BooleanField(_l("会员页获取微信昵称和头像（需用户点“允许”）"))
    notify_points = BooleanField(_l("积分变动通知"))
    tpl_points_changed = StringField(_l("积分变动模板 ID"), validators=[Length(max=64, message=_l("不能超过 64 个字符"))])
    notify_balance = BooleanField(_l("余额变动通知"))
    tpl_balance_changed = StringField(_l("余额变动模板 ID"), validators=[Length(max=64, message=_l("不能超过 64 个字符"))])
    notify_level = BooleanField(_l("等级升级通知"))
    tpl_level_up = StringField(_l("等级升级模板 ID"), validators=[Length(max=64, message=_l("不能超过 64 个字符"))])
    notify_coupon = BooleanField(_l("券到账通知"))
    tpl_coupon_received = StringField(_l("券到账模板 ID"),
                                      validators=[Length(max=64, message=_l("不能超过 64 个字符"))])

    def fill(self, settings):
        self.process(obj=settings)
        for kind, name in NOTICE_FIELDS:
            self[name].data = (settings.template_ids or {}).get(kind, "")
        return self

    def template_ids(self):
        return {kind: self[name].data or "" for kind, name in NOTICE_FIELDS}


class KeywordForm(FlaskForm):
    keyword = StringField(_l("关键词"), validators=[DataRequired(_l("请填写关键词")),
                                                 Length(max=60, message=_l("关键词不能超过 60 个字"))])
    match = SelectField(_l("匹配方式"), choices=list(MATCH_LABELS.items()), default="exact")
    reply_text = TextAreaField(_l("回复内容"), validators=[DataRequired(_l("请填写回复内容")),
                                                       Length(max=600, message=_l("回复内容不能超过 600 个字"))])
    position = IntegerField(_l("排序"), default=0, validators=[
        Optional(), NumberRange(0, 9999, message=_l("排序须在 0 到 9999 之间"))], render_kw={"inputmode": "numeric"})
    active = BooleanField(_l("启用"), default=True)


class DeleteForm(FlaskForm):
    """Only the CSRF token: deleting is a POST."""


MENU_FIELDS = ("name", "type", "key", "url", "reply")


def menu_from_form(form):
    """The editor's fields (menu-<i>-name, menu-<i>-sub-<j>-url, ...) as menu items for the service."""
    def item(prefix):
        return {field: (form.get(f"{prefix}-{field}") or "").strip() for field in MENU_FIELDS}

    items = []
    for i in range(MAX_TOP):
        top = item(f"menu-{i}")
        top["sub_button"] = [item(f"menu-{i}-sub-{j}") for j in range(MAX_SUB)]
        items.append(top)
    return items


def menu_to_rows(menu):
    """The stored menu padded to the editor's 3 x 5 grid."""
    rows = []
    for i in range(MAX_TOP):
        top = dict(menu[i]) if i < len(menu) else {}
        subs = list(top.get("sub_button") or [])
        top["sub_button"] = subs + [{} for _ in range(MAX_SUB - len(subs))]
        rows.append(top)
    return rows

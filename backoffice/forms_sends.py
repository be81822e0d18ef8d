"""Back-office forms for sends (群发): the draft, its preview to one follower, submitting it (now or at a time),
and the messaging settings (群发设置).

The content's rules (lengths, control characters, the SMS's 70 characters with signature and 回T退订, sensitive
words, a real image as cover) are the service's (services/outreach/compose.py): the forms only shape the values.
"""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from backoffice.forms import mobile_check
from domain.clock import DEFAULT_TIMEZONE

ALL_MEMBERS = "all"  # the audience select's "全部会员"
KEEP_FILTERS = "keep"  # a draft whose saved audience was deleted keeps the conditions it copied
KINDS = [("text", _l("文字")), ("news", _l("图文")), ("coupon", _l("优惠券"))]
CHANNELS = [("wechat", _l("微信群发")), ("sms", _l("短信")), ("best", _l("自动选择渠道"))]
LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")


class SendForm(FlaskForm):
    title = StringField(_l("群发名称"), description=_l("仅后台可见，便于查找"))
    audience = SelectField(_l("发送人群"), validators=[DataRequired(_l("请选择发送人群"))])
    content_kind = RadioField(_l("消息类型"), choices=KINDS, default="text")
    text = TextAreaField(_l("消息内容"))
    news_title = StringField(_l("图文标题"))
    cover = FileField(_l("封面图片"), validators=[FileAllowed(["jpg", "jpeg", "png"], _l("封面必须是 JPG 或 PNG 图片"))],
                      render_kw={"accept": "image/jpeg,image/png"})
    news_summary = StringField(_l("摘要"))
    news_body = TextAreaField(_l("正文"))
    coupon_template_id = SelectField(_l("优惠券"), default="")
    link_url = StringField(_l("原文链接"), description=_l("图文里放优惠券或链接，二选一"))
    channel = RadioField(_l("发送渠道"), choices=CHANNELS, default="wechat")
    sms_fallback = BooleanField(_l("微信不可达时改发短信"))
    quiet_skip = BooleanField(_l("静默时段(21:00–08:00)内跳过短信，而不是顺延到 8:00"))
    sms_body = TextAreaField(_l("短信内容"))

    def setup(self, audiences, coupons, keep_filters=False):
        """The merchant's saved audiences and active coupon templates as choices."""
        choices = [("", _l("请选择")), (ALL_MEMBERS, _l("全部会员"))]
        if keep_filters:
            choices.append((KEEP_FILTERS, _l("保留原人群条件（原人群已删除）")))
        self.audience.choices = choices + [(str(row.id), row.name) for row in audiences]
        self.coupon_template_id.choices = [("", _l("不发券"))] + [(str(t.id), t.title) for t in coupons]
        return self

    def values(self, kept_filters=None):
        """The data for services.outreach.compose.save_draft."""
        data = {name: self[name].data for name in ("title", "content_kind", "channel", "text", "news_title",
                                                    "news_summary", "news_body", "coupon_template_id", "link_url",
                                                    "sms_body")}
        data["sms_fallback"] = bool(self.sms_fallback.data)
        data["quiet_skip"] = bool(self.quiet_skip.data)
        chosen = self.audience.data
        if chosen == ALL_MEMBERS:
            data["filters"] = {}
        elif chosen == KEEP_FILTERS:
            data["filters"] = dict(kept_filters or {})
        else:
            data["audience_id"] = int(chosen)
        return data

    def cover_bytes(self):
        upload = self.cover.data
        return upload.read() if upload and getattr(upload, "filename", "") else None


def send_data(send):
    """A draft as the form's data."""
    if send.audience_id is not None:
        audience = str(send.audience_id)
    else:
        audience = KEEP_FILTERS if send.filters else ALL_MEMBERS
    return {"title": send.title, "audience": audience, "content_kind": send.content_kind, "text": send.text,
            "news_title": send.news_title, "news_summary": send.news_summary, "news_body": send.news_body,
            "coupon_template_id": str(send.coupon_template_id or ""), "link_url": send.link_url,
            "channel": send.channel, "sms_fallback": send.sms_fallback, "quiet_skip": send.quiet_skip,
            "sms_body": send.sms_body}


class PreviewForm(FlaskForm):
    mobile = StringField(_l("预览手机号"), validators=[DataRequired(_l("请填写手机号")), mobile_check],
                         description=_l("发给该手机号会员绑定的微信（需已关注公众号），不占用本月群发次数"),
                         render_kw={"inputmode": "tel", "maxlength": 20})


class SubmitForm(FlaskForm):
    scheduled_at = StringField(_l("定时发送"), description=_l("留空表示立即发送；按商户所在时区"))
    confirm_large = BooleanField(_l("确认发送"))
    local_time = None

    def validate_scheduled_at(self, field):
        text = (field.data or "").strip()
        self.local_time = None
        if not text:
            return
        for fmt in LOCAL_FORMATS:
            try:
                self.local_time = datetime.strptime(text, fmt)
                return
            except ValueError:
                continue
        raise ValidationError(_l("定时发送的时间格式应为 YYYY-MM-DD HH:MM"))

    def scheduled_utc(self, tz_name):
        if self.local_time is None:
            return None
        return self.local_time.replace(tzinfo=ZoneInfo(tz_name or DEFAULT_TIMEZONE)).astimezone(UTC)


class MessagingSettingsForm(FlaskForm):
    sms_signature = StringField(_l("短信签名"), validators=[Length(max=20, message=_l("短信签名过长"))],
                                description=_l("不含【】，留空时使用商户名称"))
    own_words = TextAreaField(_l("自定义敏感词"), validators=[Length(max=5000, message=_l("自定义敏感词过多"))],
                              description=_l("每行一个；短信含这些词时不能保存"))
    sms_fallback = BooleanField(_l("新建群发默认：微信不可达时改发短信"))
    campaign_messages_per_week = StringField(_l("营销活动消息频次上限（条/人/周）"),
                                             validators=[Length(max=3, message=_l("请填写 0 到 14 之间的整数"))],
                                             description=_l("所有营销活动合计，超出的会员照常获得奖励但不再通知"))

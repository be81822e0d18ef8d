"""Recruitment vocabulary (招募): the kinds of sources a member can come through, the nine share channels
(招募推广), the events credited to a source, and how a guide came to be bound."""

SOURCE_KINDS = ("store", "staff", "share", "member", "campaign", "send")
SOURCE_KIND_LABELS = {"store": "门店码", "staff": "店员码", "share": "推广渠道", "member": "会员邀请",
                      "campaign": "营销活动", "send": "群发消息"}

# The nine channels of 招募推广, in the order the seed lists them.
SHARE_CHANNELS = ("im", "wechat", "moments", "qq", "qzone", "weibo", "sms", "poster", "link")
SHARE_CHANNEL_LABELS = {"im": "客服IM", "wechat": "微信", "moments": "朋友圈", "qq": "QQ", "qzone": "QQ空间",
                        "weibo": "微博", "sms": "短信", "poster": "分享海报", "link": "复制链接"}

SOURCE_TARGETS = ("join", "paid_membership")

ATTRIBUTION_EVENTS = ("join", "coupon_claim", "card_purchase", "topup", "paid_membership", "first_payment")
ATTRIBUTION_EVENT_LABELS = {"join": "入会", "coupon_claim": "领券", "card_purchase": "购卡", "topup": "充值",
                            "paid_membership": "付费会员", "first_payment": "首次消费"}

GUIDE_CHANGE_HOWS = ("scan", "assisted", "manual", "bulk", "removed")
GUIDE_CHANGE_LABELS = {"scan": "扫导购码", "assisted": "导购帮办", "manual": "后台指派", "bulk": "批量转移",
                       "removed": "解除绑定"}

# An invitee's first payment counts for the source that brought them within this many days of joining.
FIRST_PAYMENT_WINDOW_DAYS = 30
# 老会员推荐 rewards reach at most this many referrers up the chain (seed 001: 三级分销奖励).
REFERRAL_REWARD_LEVELS = 3

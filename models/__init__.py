"""SQLAlchemy tables. Importing this package registers every model on the metadata."""
from models.alipay_cards import AlipayCardHolding, AlipayCardTemplate
from models.alipay_life import AlipayLifeSettings
from models.alipay_vouchers import AlipayVoucherActivity, AlipayVoucherDeposit
from models.api_keys import ApiKey, api_key_stores
from models.audiences import Audience
from models.audit import AuditLog
from models.balance_discount import BalanceDiscountRule
from models.card_pushes import CardPackagePush
from models.card_stock import MemberCardBatch, MemberCardStock
from models.commission import CommissionEntry, CommissionRule
from models.campaigns import (Campaign, CampaignChunk, CampaignRun, CampaignTarget, MessageAllowance)
from models.cards import Card, CardRefund, CardTemplate, GiftCardBatch, Transfer, card_template_stores
from models.checkout import Checkout, CheckoutRefund, CheckoutSettings, PointsMultiplierDay
from models.coupons import BulkIssue, ClaimLink, CouponCode, CouponTemplate, Verification, coupon_template_stores
from models.h5 import NoticeDelivery, SmsCode
from models.invitations import RecruitSmsBatch, RecruitSmsInvitee, SmsOptOut
from models.base import Base, drop_merchant_indexes_a_wider_one_serves
from models.level import Level
from models.login_failures import LoginFailure
from models.member import Fan, LevelChange, Member, MemberFieldDef, MemberIdentity, Tag, member_tags
from models.merchant import Merchant, Store
from models.sandbox import (SandboxCard, SandboxCardCode, SandboxGrant, SandboxMassMessage, SandboxMassRecipient,
                            SandboxMedia, SandboxOutbox, SandboxUser)
from models.sandbox_alipay_cards import SandboxAlipayCard, SandboxAlipayCardRequest, SandboxAlipayCardTemplate
from models.sandbox_alipay_life import SandboxLifeFollow, SandboxLifeMessage
from models.sandbox_alipay_vouchers import (SandboxAlipayVoucher, SandboxAlipayVoucherActivity,
                                             SandboxAlipayVoucherRequest)
from models.notification_counts import NotificationRate, RejectedNotification
from models.payments import Order, OrderRefund, PaymentNotification
from models.reports import ReportBuiltDay, ReportDaily
from models.recruitment import Attribution, GuideChange, RecruitSettings, RecruitSource, ReferralReward
from models.rewards import RewardGrant, RewardRule, reward_rule_stores
from models.points import PointsAllocation, PointsLot, PointsTransaction
from models.points_mall import GiftExchange, PointsGift
from models.sends import MassQuota, MessagingSettings, Send, SendRecipient, WechatMassCall
from models.staff import Staff, staff_stores
from models.stored_value import StoredValueSettings, TopupRule
from models.wallet import Wallet, WalletPosting, WalletTransaction
from models.wechat import KeywordReply, SharedToken, WechatCallbackNonce, WechatInbound, WechatSettings
from models.wechat_cards import WechatCardHolding, WechatMemberCard

drop_merchant_indexes_a_wider_one_serves(Base.metadata)

__all__ = [
    "AuditLog", "Base", "Fan", "Level", "LevelChange", "Member", "MemberFieldDef", "MemberIdentity",
    "Merchant", "PointsAllocation", "PointsLot", "PointsTransaction", "Staff", "Store", "Tag",
    "Wallet", "WalletPosting", "WalletTransaction", "member_tags", "staff_stores",
    "KeywordReply", "NoticeDelivery", "SandboxGrant", "SandboxOutbox", "SandboxUser", "SharedToken", "SmsCode",
    "WechatInbound", "WechatSettings", "CouponCode", "CouponTemplate", "Verification", "coupon_template_stores",
    "ApiKey", "api_key_stores", "BulkIssue", "Card", "CardRefund", "CardTemplate", "ClaimLink", "GiftCardBatch",
    "Transfer", "card_template_stores", "Order", "OrderRefund", "PaymentNotification", "BalanceDiscountRule",
    "Checkout", "CheckoutRefund", "CheckoutSettings", "PointsMultiplierDay",
    "RewardGrant", "RewardRule", "reward_rule_stores", "Audience", "MassQuota", "MessagingSettings", "Send",
    "SendRecipient", "WechatMassCall", "SandboxMassMessage", "SandboxMassRecipient", "SandboxMedia",
    "Campaign", "CampaignChunk", "CampaignRun", "CampaignTarget", "MessageAllowance", "LoginFailure",
    "WechatCallbackNonce", "NotificationRate", "RejectedNotification", "MemberCardBatch", "MemberCardStock",
    "CommissionEntry", "CommissionRule", "Attribution", "GuideChange", "RecruitSettings", "RecruitSource",
    "RecruitSmsBatch", "RecruitSmsInvitee", "SmsOptOut",
    "ReferralReward", "ReportBuiltDay", "ReportDaily", "SandboxCard", "SandboxCardCode", "WechatCardHolding",
    "WechatMemberCard", "CardPackagePush",
    "AlipayCardHolding", "AlipayCardTemplate", "SandboxAlipayCard", "SandboxAlipayCardRequest",
    "SandboxAlipayCardTemplate",
    "AlipayLifeSettings", "SandboxLifeFollow", "SandboxLifeMessage",
    "AlipayVoucherActivity", "AlipayVoucherDeposit", "SandboxAlipayVoucher", "SandboxAlipayVoucherActivity",
    "SandboxAlipayVoucherRequest",
]

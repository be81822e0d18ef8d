"""The back office's menu, defined once: groups of screens, the way merchants know them from Youzan and Weimob.

A new screen adds one line to its group in `MENU`. Nobody writes a permission here: an item is shown when the
signed-in staff member may open its view, by the very permission its `@requires(...)` checks on the server, so
the menu and the views cannot disagree. The layout renders `menu()` as a sidebar on a desktop and as a drawer on a
phone; the current screen and its group are the item whose address is the longest prefix of the request's path.
"""
from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from backoffice import blueprint


@dataclass(frozen=True)
class Item:
    label: str
    endpoint: str


@dataclass(frozen=True)
class Group:
    key: str  # also names the group's icon (templates/backoffice/_icons.html)
    label: str
    items: tuple


MENU = (
    Group("overview", _l("概况"), (
        Item(_l("概览"), "backoffice.dashboard"),
    )),
    Group("members", _l("会员"), (
        Item(_l("会员列表"), "backoffice.members"),
        Item(_l("会员等级"), "backoffice.levels"),
        Item(_l("微信粉丝"), "backoffice.fans"),
        Item(_l("付费会员"), "backoffice.membership_plans_page"),
        Item(_l("招募推广"), "backoffice.recruitment"),
        Item(_l("导购分配"), "backoffice.guides_page"),
        Item(_l("招募设置"), "backoffice.recruit_settings"),
    )),
    Group("coupons", _l("卡券"), (
        Item(_l("优惠券"), "backoffice.coupons"),
        Item(_l("次卡/时长卡"), "backoffice.cards"),
        Item(_l("礼品卡"), "backoffice.gift_cards"),
        Item(_l("权益卡"), "backoffice.benefit_cards"),
        Item(_l("实体卡"), "backoffice.card_stock"),
        Item(_l("积分商城"), "backoffice.points_mall"),
        Item(_l("卡包会员卡"), "backoffice.wechat_card"),
        Item(_l("发券发卡"), "backoffice.coupon_issue_list"),
    )),
    Group("wallet", _l("储值"), (
        Item(_l("储值设置"), "backoffice.stored_value"),
        Item(_l("充值档位"), "backoffice.topup_rules"),
        Item(_l("储值折上折"), "backoffice.balance_discounts"),
    )),
    Group("till", _l("收银"), (
        Item(_l("收银记录"), "backoffice.checkouts"),
        Item(_l("订单"), "backoffice.orders"),
        Item(_l("支付通知"), "backoffice.payment_notifications"),
        Item(_l("收银设置"), "backoffice.checkout_settings_page"),
        Item(_l("开放接口"), "backoffice.api_keys"),
    )),
    Group("marketing", _l("营销"), (
        Item(_l("人群"), "backoffice.audiences"),
        Item(_l("群发"), "backoffice.sends"),
        Item(_l("营销活动"), "backoffice.campaigns"),
        Item(_l("营销规则"), "backoffice.reward_rules_page"),
        Item(_l("批量发券"), "backoffice.coupon_bulk_list"),
        Item(_l("公众号"), "backoffice.wechat_settings"),
        Item(_l("支付宝生活号"), "backoffice.alipay_life_settings"),
    )),
    Group("reports", _l("数据"), (
        Item(_l("报表"), "backoffice.reports_index"),
        Item(_l("销售报表"), "backoffice.report_sales"),
        Item(_l("会员报表"), "backoffice.report_members"),
        Item(_l("储值报表"), "backoffice.report_stored_value"),  # its day report (储值日报) is linked from it
        Item(_l("积分报表"), "backoffice.report_points"),
        Item(_l("优惠券报表"), "backoffice.report_coupons"),
        Item(_l("卡报表"), "backoffice.report_cards"),
        Item(_l("核销记录"), "backoffice.verifications"),
        Item(_l("积分查询"), "backoffice.points_records"),
        Item(_l("渠道分析"), "backoffice.channel_report_page"),
        Item(_l("店员绩效"), "backoffice.staff_performance"),
        Item(_l("提成明细"), "backoffice.commission_statement"),
    )),
    Group("settings", _l("设置"), (
        Item(_l("商户设置"), "backoffice.settings"),
        Item(_l("门店"), "backoffice.stores"),
        Item(_l("员工"), "backoffice.staff_list"),
        Item(_l("提成规则"), "backoffice.commission_rules_page"),
        Item(_l("操作日志"), "backoffice.audit_log"),
    )),
)

# The dashboard's shortcuts: the tasks of a shop's day, shown to whoever may do them.
SHORTCUTS = (
    Item(_l("新增会员"), "backoffice.member_new"),
    Item(_l("查找会员"), "backoffice.members"),
    Item(_l("会员等级"), "backoffice.levels"),
    Item(_l("门店"), "backoffice.stores"),
    Item(_l("员工"), "backoffice.staff_list"),
    Item(_l("设置"), "backoffice.settings"),
    Item(_l("操作日志"), "backoffice.audit_log"),
)


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    active: bool = False


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    links: tuple
    active: bool


def required_permission(endpoint):
    """What the view behind `endpoint` checks (`common.requires` records it); None for a view open to anyone
    signed in."""
    return getattr(current_app.view_functions[endpoint], "permission", None)


def may_open(user, endpoint):
    permission = required_permission(endpoint)
    return permission is None or user.can(permission)


def menu(user=None, path=None):
    """The groups `user` may see, each with the items they may open; the current one marked active."""
    user = user if user is not None else current_user
    path = path if path is not None else request.path
    visible = [(group, [(item, url_for(item.endpoint)) for item in group.items if may_open(user, item.endpoint)])
               for group in MENU]
    current = _current_url([url for _group, links in visible for _item, url in links], path)
    return [Section(group.key, group.label, tuple(Link(item.label, url, url == current) for item, url in links),
                    any(url == current for _item, url in links))
            for group, links in visible if links]


def shortcuts(user=None):
    user = user if user is not None else current_user
    return [Link(item.label, url_for(item.endpoint)) for item in SHORTCUTS if may_open(user, item.endpoint)]


def _current_url(urls, path):
    """The item whose address is `path` or the longest one `path` lies under (a list's new, edit and detail
    pages belong to the list). The dashboard's address, the blueprint's root, only matches itself."""
    def under(url):
        return path == url or (not url.endswith("/") and path.startswith(url + "/"))

    return max((url for url in urls if under(url)), key=len, default=None)


@blueprint.context_processor
def navigation():
    return {"backoffice_menu": menu, "backoffice_shortcuts": shortcuts}

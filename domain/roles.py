"""Staff roles and what each may do. The table is the single source for every permission check."""
OWNER, ADMIN, OPERATOR, CUSTOMER_SERVICE, GUIDE, CASHIER, VERIFIER = (
    "owner", "admin", "operator", "customer_service", "guide", "cashier", "verifier",
)
ALL_ROLES = (OWNER, ADMIN, OPERATOR, CUSTOMER_SERVICE, GUIDE, CASHIER, VERIFIER)

# Roles that act only in the stores they are assigned to.
STORE_BOUND_ROLES = frozenset({GUIDE, CASHIER, VERIFIER})

ROLE_LABELS = {
    OWNER: "店主", ADMIN: "管理员", OPERATOR: "运营", CUSTOMER_SERVICE: "客服",
    GUIDE: "导购", CASHIER: "收银员", VERIFIER: "核销员",
}

_MANAGERS = frozenset({OWNER, ADMIN})
PERMISSIONS = {
    "backoffice.enter": frozenset({OWNER, ADMIN, OPERATOR, CUSTOMER_SERVICE, GUIDE, CASHIER}),
    "stores.manage": _MANAGERS,
    "staff.manage": _MANAGERS,
    "levels.manage": _MANAGERS,
    "settings.manage": _MANAGERS,
    "members.view": frozenset({OWNER, ADMIN, OPERATOR, CUSTOMER_SERVICE, GUIDE, CASHIER}),
    "members.create": frozenset({OWNER, ADMIN, OPERATOR, CUSTOMER_SERVICE, GUIDE, CASHIER}),
    "members.edit": frozenset({OWNER, ADMIN, OPERATOR, CUSTOMER_SERVICE}),
    "members.set_level": _MANAGERS,
    "points.adjust": frozenset({OWNER, ADMIN, OPERATOR}),
    "wallet.freeze": _MANAGERS,
    "audit.view": _MANAGERS,
    "cards.manage": _MANAGERS,  # create and edit coupon and card templates, campaigns
    "cards.issue": frozenset({OWNER, ADMIN, OPERATOR, CUSTOMER_SERVICE, CASHIER}),  # give one to a member
    "cards.refund": _MANAGERS,
    "cards.loss": frozenset({OWNER, ADMIN, OPERATOR, CUSTOMER_SERVICE, CASHIER}),  # report lost, replace
    "api_keys.manage": _MANAGERS,
    "reports.view": frozenset({OWNER, ADMIN, OPERATOR}),
    "audiences.manage": frozenset({OWNER, ADMIN, OPERATOR}),  # build, save and export audiences (人群)
    "sends.manage": frozenset({OWNER, ADMIN, OPERATOR}),  # write, preview, send and cancel sends (群发)
    "sends.confirm": _MANAGERS,  # let a send to more than 10,000 members go
    "campaigns.manage": _MANAGERS,  # create, edit, switch on, pause and end campaigns (营销活动): they give things away
    "orders.refund": _MANAGERS,  # money reports: prepaid balances, daily movements
    "recruitment.manage": frozenset({OWNER, ADMIN, OPERATOR}),  # join codes, 招募推广 links, referral rewards, 渠道
    "guides.reassign": _MANAGERS,  # move members between guides (专属导购), one by one or in bulk
    "commission.manage": _MANAGERS,  # commission rules and statements (业务员提成): money owed to staff
    "card_stock.manage": _MANAGERS,  # make and export physical member card batches (制卡)
    "wallet.counter_topup": frozenset({OWNER, ADMIN, CASHIER}),  # take a top-up at the counter (门店充值)
    # 手动增减积分 on the staff page, only as far as the merchant's 收银设置 switches allow (seed 000 §6)
    "points.counter_adjust": frozenset({OWNER, ADMIN, OPERATOR, CASHIER}),
    # 积分兑换 on the staff page: exchange a points-mall gift for a member and hand it over, or cancel an unclaimed one
    "points_mall.exchange_for_member": frozenset({OWNER, ADMIN, OPERATOR, CASHIER}),
}


def can(role, permission):
    return role in PERMISSIONS.get(permission, frozenset())


def is_store_bound(role):
    return role in STORE_BOUND_ROLES


def sees_only_own_guided_members(role):
    """A guide works their own customers; everyone else who may view sees the whole merchant."""
    return role == GUIDE

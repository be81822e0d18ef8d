"""The demo merchant that `make run` loads: two stores, one staff member per role, three levels, members with history."""
import random
import sys
from datetime import date, timedelta

from flask import current_app, has_app_context

from domain import credentials, roles
from domain.clock import now_utc
from models import Merchant
from demo import campaigns as demo_campaigns, catalogue as demo_catalogue, recruitment as demo_recruitment
from sandbox import alipay_keys, wechat_state as wechat_sandbox
from services.audiences import filters as audience_filters, saved as saved_audiences
from services.card_stock import batches as card_batches, states as card_states
from services.outreach import settings as messaging_settings
from services.rewards import gifts as gift_rules, rules as reward_rules
from services.members import levels, fields as member_fields, members
from services.merchant import merchants, staff, stores
from services.points import ledger as points
from services.points_mall import card_gifts, gifts as points_gifts
from services.till import settings as till_settings
from services.wallet import journal as wallet
from services.wechat.settings import settings_for

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo1234"
DEMO_STAFF = [
    ("owner", "王店主", roles.OWNER, []),
    ("admin", "李管理", roles.ADMIN, []),
    ("operator", "赵运营", roles.OPERATOR, []),
    ("cs", "钱客服", roles.CUSTOMER_SERVICE, []),
    ("guide", "孙导购", roles.GUIDE, [0]),
    ("cashier", "周收银", roles.CASHIER, [0]),
    ("verifier", "吴核销", roles.VERIFIER, [1]),
]
DEMO_LEVELS = [
    dict(rank=1, name="普通会员", discount_percent=100, points_multiplier_tenths=10, benefits_note="消费每 1 元积 1 分"),
    dict(rank=2, name="银卡会员", min_spend=100000, min_visits=10, min_topup=50000, discount_percent=95,
         points_multiplier_tenths=12, benefits_note="全场 9.5 折，积分 1.2 倍"),
    dict(rank=3, name="金卡会员", min_spend=500000, min_visits=30, min_topup=200000, discount_percent=88,
         points_multiplier_tenths=15, benefits_note="全场 8.8 折，积分 1.5 倍，生日赠饮"),
]
DEMO_REGISTRATION_POINTS = 100
DEMO_UPGRADE_POINTS = 300
DEMO_TEMPLATE_IDS = {"points_changed": "demo-tpl-points", "balance_changed": "demo-tpl-balance",
                     "level_up": "demo-tpl-level"}
DEMO_MEMBERS = [
    ("13800138001", "张伟", "male", date(1990, 3, 12)), ("13800138002", "王芳", "female", date(1988, 7, 2)),
    ("13800138003", "李娜", "female", date(1995, 11, 23)), ("13800138004", "刘洋", "male", date(1992, 1, 30)),
    ("13800138005", "陈静", "female", date(1985, 3, 8)), ("13800138006", "杨磊", "male", None),
    ("13800138007", "黄敏", "female", date(2000, 5, 20)), ("13800138008", "赵强", "male", date(1979, 9, 9)),
    ("13800138009", "吴婷", "female", date(1998, 12, 1)), ("13800138010", "周杰", "male", date(1993, 6, 18)),
    ("13800138011", "徐丽", "female", date(1991, 8, 15)), ("13800138012", "孙浩", "male", date(1987, 4, 4)),
]


def load(session):
    """Create the demo merchant unless it exists. Returns (merchant, created)."""
    existing = session.query(Merchant).filter_by(slug=DEMO_SLUG).one_or_none()
    if existing is not None:
        sandbox_channels(session, existing)
        return existing, False
    merchant = merchants.create_merchant(session, DEMO_SLUG, "演示咖啡")
    shop_list = [stores.create_store(session, merchant.id, "人民广场店", "上海市黄浦区人民大道 1 号"),
                 stores.create_store(session, merchant.id, "陆家嘴店", "上海市浦东新区世纪大道 100 号")]
    team = {}
    for username, name, role, store_indexes in DEMO_STAFF:
        team[username] = staff.create_staff(session, merchant.id, username=username, name=name, role=role,
                                            password=DEMO_PASSWORD, store_ids=[shop_list[i].id for i in store_indexes])
    for spec in DEMO_LEVELS:
        levels.save_level(session, team["owner"], None, **spec)
    _fields(session, team["owner"])
    _upgrade_gift(session, team["owner"])
    people = _members(session, merchant, shop_list, team)
    cash, latte, *_rest = demo_catalogue.load(session, merchant, team["owner"], people)
    _outreach(session, team["owner"])
    _card_stock(session, team["owner"], shop_list[0])
    _counter_points(session, merchant)
    _points_mall(session, team["owner"])
    demo_campaigns.load(session, team["owner"], cash, latte)
    demo_recruitment.load(session, team["owner"], cash)
    sandbox_channels(session, merchant)
    return merchant, True


def sandbox_channels(session, merchant):
    """With the sandbox on: a sandbox official account and Alipay app, a registration gift and notice templates."""
    if not (has_app_context() and current_app.config.get("SANDBOX_ENABLED")):
        return
    first_time = not merchant.wechat_app_id
    wechat_sandbox.provision_account(session, merchant)
    _replace_unreadable_alipay_key(merchant)
    alipay_keys.provision_merchant(session, merchant)
    if first_time:  # later edits in the back office are the merchant's and stay
        merchant.wechat_message_mode = "safe"  # the sandbox phone then sends what WeChat sends in safe mode
        settings = settings_for(session, merchant.id)
        session.add(gift_rules.points_rule(merchant.id, "registration", "开卡礼", DEMO_REGISTRATION_POINTS))
        settings.template_ids = settings.template_ids or dict(DEMO_TEMPLATE_IDS)
    session.flush()


def _replace_unreadable_alipay_key(merchant):
    """A private key that does not parse (stored before keys were checked, or written straight to the database)
    would stop the start-up here; the sandbox app gets a fresh keypair instead, and the operator is told."""
    problem = credentials.problem("alipay_private_key", merchant.alipay_private_key)
    if problem:
        print(f"seed-demo: merchant '{merchant.slug}': the stored Alipay private key is unreadable ({problem}); "
              "a new sandbox keypair replaces it", file=sys.stderr)
        merchant.alipay_private_key = None


def _upgrade_gift(session, owner):
    """升级礼 of the top level: the demo members who reach it show「升级礼：…」in their points history."""
    top = levels.list_levels(session, owner.merchant_id)[-1]
    reward_rules.save(session, owner, None, kind="level_up", name=f"{top.name}升级礼", level_id=top.id, min_paid=0,
                      rewards={"points": DEMO_UPGRADE_POINTS})


def _outreach(session, owner):
    """Two saved audiences to send to (群发), and the SMS signature."""
    for name, values in (("沉睡会员（30 天未到店）", {"not_visited_days": "30"}),
                         ("女性会员", {"genders": ["female"]})):
        saved_audiences.save(session, owner, None, name=name, filters=audience_filters.parse(values))
    messaging_settings.save(session, owner, sms_signature="演示咖啡", own_words_text="", sms_fallback=True)


def _card_stock(session, owner, store):
    """实体卡: a printed batch of member cards with barcodes and PINs, 50 of them handed to the first store, where
    the cashier issues them to members at the counter."""
    batch = card_batches.make_batch(session, owner, name="首批实体会员卡", quantity=200, prefix="YS",
                                    with_barcode=True, with_pin=True)
    card_states.issue_to_store(session, owner, batch.id, store_id=store.id, count=50)


def _counter_points(session, merchant):
    """手动增减积分: cashiers may add and deduct a member's points at the counter, with a reason."""
    row = till_settings.settings_of(session, merchant.id)
    row.staff_add_points = row.staff_deduct_points = True
    session.flush()


def _points_mall(session, owner):
    """积分商城: a mug every level may exchange (cheaper for higher levels), a bag already gone, a box only gold
    members may have (0 for the others: the refusal names their level), and the demo count card, in H5 and at the
    counter (积分兑换)."""
    by_name = {level.name: str(level.id) for level in levels.list_levels(session, owner.merchant_id)}
    for number, name, stock, prices in (
            ("G001", "品牌马克杯", 20, {"普通会员": 500, "银卡会员": 400, "金卡会员": 300}),
            ("G002", "帆布袋", 0, {"普通会员": 200, "银卡会员": 200, "金卡会员": 200}),
            ("G003", "金卡会员礼盒", 5, {"普通会员": 0, "银卡会员": 0, "金卡会员": 800})):
        points_gifts.save(session, owner, None, points_gifts.GiftValues(
            number=number, name=name, stock=stock, prices={by_name[level]: points for level, points in prices.items()}))
    count_card = next((choice for choice in card_gifts.choices(session, owner.merchant_id)
                       if choice.kind == "count"), None)
    if count_card is not None:  # a card beside the gifts: exchanged, it goes straight into the card package
        points_gifts.save(session, owner, None, points_gifts.GiftValues(
            number="C001", name=count_card.title[:40], stock=50,
            prices={level_id: 1500 for level_id in by_name.values()}, card_template_id=count_card.template_id))


def _fields(session, owner):
    member_fields.save_field(session, owner, None, key="taste", label="口味偏好", field_type="select",
                             options_text="美式,拿铁,卡布奇诺,其他", position=1)
    member_fields.save_field(session, owner, None, key="company", label="公司", field_type="text", position=2)


def _members(session, merchant, shop_list, team):
    rng = random.Random(20261123)
    vip = members.ensure_tag(session, merchant.id, "VIP")
    office = members.ensure_tag(session, merchant.id, "白领")
    people = []
    for index, (mobile, name, gender, birthday) in enumerate(DEMO_MEMBERS):
        member = members.create_member(
            session, merchant.id, mobile=mobile, name=name, gender=gender, birthday=birthday,
            custom_fields={"taste": rng.choice(["美式", "拿铁", "卡布奇诺"])},
            guide_id=team["guide"].id if index % 3 == 0 else None, home_store_id=shop_list[index % 2].id,
            tag_ids=[vip.id] if index % 4 == 0 else ([office.id] if index % 4 == 1 else []), actor=team["owner"])
        members.bind_identity(session, member, "card_no", f"8800{index + 1:06d}")
        _history(session, merchant, member, team, rng, index)
        people.append(member)
    return people


def _history(session, merchant, member, team, rng, index):
    visits = rng.randint(0, 35)
    spend = visits * rng.randint(2500, 18000)
    member.visit_count, member.total_spend = visits, spend
    member.last_visit_at = now_utc() - timedelta(days=rng.randint(0, 120)) if visits else None
    if visits:
        points.earn(session, merchant, member.id, spend // 100, key=f"demo:earn:{member.id}",
                    reference=("demo", member.id), reason="历史消费积分")
        if index % 2 == 0:
            points.adjust(session, merchant, member.id, -min(50, spend // 100), key=f"demo:adjust:{member.id}",
                          reason="积分兑换礼品", operator=team["operator"])
    if index % 3 != 2:
        topup = rng.choice([10000, 50000, 100000])
        member.total_topup = topup
        purse = wallet.member_wallet(session, merchant.id, member.id)
        wallet.credit(session, merchant.id, purse.id, topup, topup // 10, key=f"demo:topup:{member.id}",
                      note="充值送 10%", operator=team["cashier"])
        wallet.debit(session, merchant.id, purse.id, rng.randint(1000, topup // 2), key=f"demo:spend:{member.id}",
                     note="门店消费", operator=team["cashier"])
    levels.apply_upgrade(session, member)

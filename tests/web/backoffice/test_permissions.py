"""Back office: who may open which screen. Every view checks the role on the server."""
import pytest

from domain import roles
from models import AuditLog
from services.campaigns import setup as campaign_setup
from services.card_stock import batches as card_stock
from services.members import fields as member_fields
from services.outreach import compose
from services.points import ledger as points
from services.points_mall import exchanges, gifts
from services.recruitment import sources as recruit_sources
from services.wallet import journal as wallet_service
from tests.web.helpers import count

# (method, URL with {placeholders}, permission the role needs)
ENDPOINTS = [
    ("GET", "/backoffice/", "backoffice.enter"),
    ("GET", "/backoffice/stores", "stores.manage"),
    ("GET", "/backoffice/stores/new", "stores.manage"),
    ("POST", "/backoffice/stores/new", "stores.manage"),
    ("GET", "/backoffice/stores/{store}/edit", "stores.manage"),
    ("POST", "/backoffice/stores/{store}/edit", "stores.manage"),
    ("GET", "/backoffice/staff", "staff.manage"),
    ("GET", "/backoffice/staff/new", "staff.manage"),
    ("POST", "/backoffice/staff/new", "staff.manage"),
    ("GET", "/backoffice/staff/{staff}/edit", "staff.manage"),
    ("POST", "/backoffice/staff/{staff}/edit", "staff.manage"),
    ("GET", "/backoffice/levels", "levels.manage"),
    ("GET", "/backoffice/levels/new", "levels.manage"),
    ("POST", "/backoffice/levels/new", "levels.manage"),
    ("GET", "/backoffice/levels/{level}/edit", "levels.manage"),
    ("POST", "/backoffice/levels/{level}/edit", "levels.manage"),
    ("GET", "/backoffice/members", "members.view"),
    ("GET", "/backoffice/members/new", "members.create"),
    ("POST", "/backoffice/members/new", "members.create"),
    ("GET", "/backoffice/members/{member}", "members.view"),
    ("GET", "/backoffice/members/{member}/edit", "members.edit"),
    ("POST", "/backoffice/members/{member}/edit", "members.edit"),
    ("GET", "/backoffice/members/{member}/points", "points.adjust"),
    ("POST", "/backoffice/members/{member}/points", "points.adjust"),
    ("GET", "/backoffice/members/{member}/level", "members.set_level"),
    ("POST", "/backoffice/members/{member}/level", "members.set_level"),
    ("POST", "/backoffice/members/{member}/wallet/freeze", "wallet.freeze"),
    ("POST", "/backoffice/members/{member}/card", "members.edit"),
    ("POST", "/backoffice/members/{member}/guide", "guides.reassign"),
    ("GET", "/backoffice/guides", "guides.reassign"),
    ("POST", "/backoffice/guides/move", "guides.reassign"),
    ("GET", "/backoffice/settings", "settings.manage"),
    ("POST", "/backoffice/settings", "settings.manage"),
    ("POST", "/backoffice/settings/credentials", "settings.manage"),
    ("GET", "/backoffice/wechat-card", "settings.manage"),
    ("POST", "/backoffice/wechat-card", "settings.manage"),
    ("GET", "/backoffice/alipay-life", "settings.manage"),
    ("POST", "/backoffice/alipay-life", "settings.manage"),
    ("GET", "/backoffice/settings/fields/new", "settings.manage"),
    ("POST", "/backoffice/settings/fields/new", "settings.manage"),
    ("GET", "/backoffice/settings/fields/{field}/edit", "settings.manage"),
    ("POST", "/backoffice/settings/fields/{field}/edit", "settings.manage"),
    ("GET", "/backoffice/audit", "audit.view"),
    ("GET", "/backoffice/audiences", "audiences.manage"),
    ("GET", "/backoffice/audiences/build", "audiences.manage"),
    ("GET", "/backoffice/audiences/count", "audiences.manage"),
    ("POST", "/backoffice/audiences/save", "audiences.manage"),
    ("GET", "/backoffice/audiences/export?fmt=csv", "audiences.manage"),
    ("GET", "/backoffice/sends", "sends.manage"),
    ("GET", "/backoffice/sends/new", "sends.manage"),
    ("POST", "/backoffice/sends/new", "sends.manage"),
    ("GET", "/backoffice/sends/settings", "sends.manage"),
    ("POST", "/backoffice/sends/settings", "sends.manage"),
    ("GET", "/backoffice/sends/{send}", "sends.manage"),
    ("GET", "/backoffice/sends/{send}/edit", "sends.manage"),
    ("POST", "/backoffice/sends/{send}/edit", "sends.manage"),
    ("GET", "/backoffice/sends/{send}/progress.json", "sends.manage"),
    ("POST", "/backoffice/sends/{send}/preview", "sends.manage"),
    ("POST", "/backoffice/sends/{send}/submit", "sends.manage"),
    ("POST", "/backoffice/sends/{send}/cancel", "sends.manage"),
    ("POST", "/backoffice/sends/{send}/confirm", "sends.confirm"),
    ("GET", "/backoffice/campaigns", "reports.view"),
    ("GET", "/backoffice/campaigns/new?kind=birthday", "campaigns.manage"),
    ("POST", "/backoffice/campaigns/new?kind=birthday", "campaigns.manage"),
    ("GET", "/backoffice/campaigns/{campaign}", "reports.view"),
    ("GET", "/backoffice/campaigns/{campaign}/edit", "campaigns.manage"),
    ("POST", "/backoffice/campaigns/{campaign}/edit", "campaigns.manage"),
    ("POST", "/backoffice/campaigns/{campaign}/switch-on", "campaigns.manage"),
    ("POST", "/backoffice/campaigns/{campaign}/pause", "campaigns.manage"),
    ("POST", "/backoffice/campaigns/{campaign}/resume", "campaigns.manage"),
    ("POST", "/backoffice/campaigns/{campaign}/end", "campaigns.manage"),
    ("GET", "/backoffice/campaigns/{campaign}/report.csv", "reports.view"),
    ("GET", "/backoffice/campaigns/{campaign}/report.xlsx", "reports.view"),
    ("GET", "/backoffice/recruitment", "recruitment.manage"),
    ("GET", "/backoffice/recruitment/code.png?owner=store:{store}", "recruitment.manage"),
    ("GET", "/backoffice/recruitment/code.svg?owner=staff:{staff}", "recruitment.manage"),
    ("GET", "/backoffice/recruitment/poster?owner=store:{store}", "recruitment.manage"),
    ("GET", "/backoffice/recruitment/channels", "recruitment.manage"),
    ("GET", "/backoffice/recruitment/channels/poster.png?owner=staff:{staff}", "recruitment.manage"),
    ("GET", "/backoffice/recruitment/sms", "recruitment.manage"),
    ("POST", "/backoffice/recruitment/sms", "recruitment.manage"),
    ("GET", "/backoffice/recruitment/settings", "recruitment.manage"),
    ("POST", "/backoffice/recruitment/settings", "recruitment.manage"),
    ("GET", "/backoffice/recruitment/settings/preview", "recruitment.manage"),
    ("GET", "/backoffice/members/{member}/invitees", "members.view"),
    ("GET", "/backoffice/reports", "reports.view"),
    ("GET", "/backoffice/reports/sales", "reports.view"),
    ("GET", "/backoffice/reports/members", "reports.view"),
    ("GET", "/backoffice/reports/stored-value", "reports.view"),
    ("GET", "/backoffice/reports/points", "reports.view"),
    ("GET", "/backoffice/reports/coupons", "reports.view"),
    ("GET", "/backoffice/reports/cards", "reports.view"),
    ("GET", "/backoffice/reports/cards/timed-holders", "reports.view"),
    ("GET", "/backoffice/reports/cards/gift-buyers", "reports.view"),
    ("GET", "/backoffice/reports/staff-performance", "reports.view"),
    ("GET", "/backoffice/reports/staff-performance.csv", "reports.view"),
    ("GET", "/backoffice/reports/staff-performance.xlsx", "reports.view"),
    ("GET", "/backoffice/commission", "commission.manage"),
    ("GET", "/backoffice/commission.csv", "commission.manage"),
    ("GET", "/backoffice/commission.xlsx?staff_id={staff}", "commission.manage"),
    ("GET", "/backoffice/commission/rules", "commission.manage"),
    ("POST", "/backoffice/commission/rules", "commission.manage"),
    ("GET", "/backoffice/membership", "cards.manage"),
    ("GET", "/backoffice/membership/new", "cards.manage"),
    ("POST", "/backoffice/membership/new", "cards.manage"),
    ("GET", "/backoffice/membership/holders", "cards.manage"),
    ("GET", "/backoffice/membership/refunds", "cards.manage"),
    ("POST", "/backoffice/coupons/1/alipay-voucher", "cards.manage"),  # refused before the coupon is looked up
    ("POST", "/backoffice/coupons/1/alipay-voucher/stop", "cards.manage"),
    ("GET", "/backoffice/fans", "members.view"),
    ("GET", "/backoffice/fans.csv", "members.view"),
    ("GET", "/backoffice/card-stock", "card_stock.manage"),
    ("GET", "/backoffice/card-stock/new", "card_stock.manage"),
    ("POST", "/backoffice/card-stock/new", "card_stock.manage"),
    ("GET", "/backoffice/card-stock/{card_batch}", "card_stock.manage"),
    ("POST", "/backoffice/card-stock/{card_batch}/issue", "card_stock.manage"),
    ("POST", "/backoffice/card-stock/{card_batch}/resume", "card_stock.manage"),
    ("GET", "/backoffice/card-stock/{card_batch}/export.csv", "card_stock.manage"),
    ("GET", "/backoffice/card-stock/{card_batch}/export.xlsx", "card_stock.manage"),
    ("POST", "/backoffice/card-stock/cards/{stock_card}/issue", "card_stock.manage"),
    ("POST", "/backoffice/card-stock/cards/{stock_card}/take-back", "card_stock.manage"),
    ("GET", "/backoffice/points-mall", "cards.manage"),
    ("GET", "/backoffice/points-mall/new", "cards.manage"),
    ("POST", "/backoffice/points-mall/new", "cards.manage"),
    ("GET", "/backoffice/points-mall/{gift}/edit", "cards.manage"),
    ("POST", "/backoffice/points-mall/{gift}/edit", "cards.manage"),
    ("POST", "/backoffice/points-mall/exchanges/{gift_exchange}/cancel", "cards.manage"),
    ("GET", "/backoffice/points-mall/exchanges", "cards.manage"),
    ("GET", "/backoffice/points-mall/exchanges.csv", "cards.manage"),
    ("GET", "/backoffice/points/records", "reports.view"),
    ("GET", "/backoffice/points/records?format=csv", "reports.view"),
    ("GET", "/backoffice/reports/channels", "reports.view"),
    ("GET", "/backoffice/reports/channels/staff", "reports.view"),
    ("GET", "/backoffice/reports/channels/export.csv", "reports.view"),
    ("GET", "/backoffice/reports/channels/export.xlsx?view=staff", "reports.view"),
    ("GET", "/backoffice/reports/channels/source/{source}", "reports.view"),
    ("GET", "/backoffice/reports/channels/staff/{staff}", "reports.view"),
    ("GET", "/backoffice/reports/channels/assisted/{staff}", "reports.view"),
    ("GET", "/backoffice/reports/channels/natural", "reports.view"),
]
# role -> [(method, URL)] of every screen it may not open
FORBIDDEN = {role: [(method, url) for method, url, permission in ENDPOINTS if not roles.can(role, permission)]
             for role in roles.ALL_ROLES}
# Something a form would accept, so that a missing check would show up as a change.
POST_DATA = {
    "name": "越权修改", "rank": "9", "discount": "5", "multiplier": "5", "mobile": "13700000000", "gender": "unknown",
    "status": "disabled", "username": "intruder", "password": "password123", "role": roles.OWNER,
    "direction": "add", "points": "999", "reason": "越权", "note": "越权", "idempotency_key": "points-adjust:x",
    "frozen": "1", "key": "wallet-freeze:x", "card_no": "X1", "timezone": "UTC", "points_expiry_mode": "never",
    "key_": "", "label": "越权", "field_type": "text", "active": "y", "wechat_app_secret": "stolen",
}


@pytest.fixture()
def ids(make, db, merchant, owner, store):
    member = make.member(merchant, mobile="13800138000")
    purse = wallet_service.member_wallet(db.session, merchant.id, member.id)
    field = member_fields.save_field(db.session, owner, None, key="plate_no", label="车牌号", field_type="text")
    level = member.level
    send = compose.save_draft(db.session, owner, None, {"title": "权限检查", "text": "你好"})
    campaign = campaign_setup.save(db.session, owner, None, name="权限检查", kind="birthday",
                                   schedule={"mode": "days_before", "days_before": 3, "hour": 9},
                                   rewards={"points": 10})
    source = recruit_sources.for_store(db.session, store)
    card_batch = card_stock.make_batch(db.session, owner, name="权限检查", quantity=2)
    stock_card = db.session.scalars(card_stock.cards_query(merchant.id, card_batch.id)).first()
    gift = gifts.save(db.session, owner, None, gifts.GiftValues(number="G1", name="权限检查", stock=2,
                                                                prices={str(level.id): 10}))
    points.earn(db.session, merchant, member.id, 10, key="permissions:points")
    gift_exchange = exchanges.exchange(db.session, merchant, gift.id, member.id, key="permissions:exchange")
    db.session.commit()
    return {"card_batch": card_batch.id, "stock_card": stock_card.id, "source": source.id, "store": store.id, "staff": owner.id, "level": level.id, "member": member.id, "field": field.id,
            "wallet": purse.id, "member_obj": member, "send": send.id, "campaign": campaign.id, "gift": gift.id,
            "gift_exchange": gift_exchange.id}


@pytest.mark.parametrize("role", [role for role in roles.ALL_ROLES if FORBIDDEN[role]])
def test_is_a_role_without_the_permission_refused_with_403(sign_in_as, client, ids, role):
    """Every screen the role may not open, in one signed-in session (one set of records): 403 with the message,
    nothing audited. All wrong answers are listed at once."""
    sign_in_as(role)
    before = count(AuditLog)
    data = {**POST_DATA, "wallet_id": str(ids["wallet"]), "level_id": str(ids["level"])}
    wrong = []
    for method, url in FORBIDDEN[role]:
        response = client.open(url.format(**ids), method=method, data=data if method == "POST" else None)
        if response.status_code != 403 or "您没有权限进行此操作" not in response.get_data(as_text=True):
            wrong.append((method, url, response.status_code))
    assert wrong == []
    assert count(AuditLog) == before


@pytest.mark.parametrize("role", [r for r in roles.ALL_ROLES if roles.can(r, "backoffice.enter")])
def test_can_each_role_open_every_screen_it_is_allowed(sign_in_as, client, db, ids, role):
    person = sign_in_as(role)
    member = ids["member_obj"]
    member.guide_id = person.id if role == roles.GUIDE else None  # a guide sees their own customers
    db.session.commit()
    for method, url, permission in ENDPOINTS:
        if method == "GET" and roles.can(role, permission):
            response = client.get(url.format(**ids))
            assert response.status_code == 200, (role, url)


@pytest.mark.parametrize("url", ["/backoffice/", "/backoffice/members", "/backoffice/settings", "/backoffice/audit"])
def test_is_an_anonymous_visitor_sent_to_the_login_page(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and "/backoffice/login" in response.location


def test_can_a_cashier_adjust_points(sign_in_as, client, ids):
    sign_in_as(roles.CASHIER)
    response = client.post(f"/backoffice/members/{ids['member']}/points", data=POST_DATA)
    assert response.status_code == 403
    assert ids["member_obj"].points_balance == 0

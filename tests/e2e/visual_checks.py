"""The visual regression guard's shared part: one browser per test module, the demo merchant seeded once, and the
checks every page must pass (issue 21), with a full-page screenshot kept per page and viewport in ARTIFACTS.

Checks, measured in the page by the browser itself:
- nothing scrolls sideways (document width within the viewport);
- on member and staff pages, no visible tap target under 32 px in either dimension;
- no raw JSON in the visible text;
- on a phone, no table wider than its box (columns hidden in a box that scrolls sideways);
- no English words in the visible text beyond ALLOWED_LATIN (brands, units, format names, the demo data's names).
A test collects every problem of its page and fails once, naming the page and each problem.
"""
import contextlib
import re
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.e2e.conftest import WECHAT_UA, launched_chromium
from tests.e2e.test_backoffice_e2e import ARTIFACTS

PHONE = dict(viewport={"width": 375, "height": 667}, user_agent=WECHAT_UA, device_scale_factor=2, is_mobile=True,
             has_touch=True)
DESKTOP = dict(viewport={"width": 1366, "height": 768}, device_scale_factor=1)
MIN_TAP = 32
PHONE_WIDTH_UP_TO = 600
RAW_JSON = re.compile(r'\{"[A-Za-z_]+"\s*:')
# Latin words a Chinese page may show: product and format names merchants use as they are, WeChat's own field
# names on its settings screens, and the demo data's own names (its tag, a card title, the merchant code, the staff
# usernames). Compared case-insensitively; words of one or two letters (ID, QR, H5, kg) are never flagged.
ALLOWED_LATIN = {
    "vip", "app", "appid", "appsecret", "api", "csv", "xlsx", "excel", "png", "svg", "jpg", "jpeg", "pdf", "sms",
    "pos", "pin", "url", "token", "encodingaeskey", "aes", "oauth", "rsa", "sdk", "jssdk", "cny", "rmb", "plus",
    "openid", "unionid", "demo", "owner", "admin", "operator", "cashier", "guide", "verifier", "mch", "utc", "gmt",
}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")
URL_OR_EMAIL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\S+|/[\w\-./?=&%#<>]+")

# In the page: visible tap targets smaller than MIN_TAP px. Exclusions and groupings, all explicit:
# - a link inside running text (a <p> or <li> whose text is longer than the link's own) is read, not tapped alone;
# - a form control and its <label>s are one target (tapping the label focuses or ticks the control, as WeUI's
#   check cells and its `<label class="weui-cell">` rows do): the largest of them is measured;
# - elements outside the page (WeUI's off-screen check inputs), without a box or invisible are not targets.
SMALL_TARGETS_JS = """(min) => {
  const width = document.documentElement.scrollWidth;
  const visible = (el) => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'
      && parseFloat(s.opacity || '1') > 0 && r.right > 0 && r.left < width && r.bottom + scrollY > 0;
  };
  const inRunningText = (el) => {
    const host = el.tagName === 'A' && el.parentElement && el.parentElement.closest('p, li');
    return !!host && host.textContent.trim().length > el.textContent.trim().length;
  };
  const name = (el) => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.getAttribute('name') || '').trim();
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' + text.slice(0, 20) + '"';
  };
  const size = (el) => { const r = el.getBoundingClientRect(); return Math.min(r.width, r.height); };
  const out = [];
  for (const el of document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, [role=button]')) {
    let target = el;
    if (['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName)) {
      const group = [el, ...(el.labels || [])].filter(visible);
      if (!group.length) continue;
      target = group.reduce((best, item) => size(item) > size(best) ? item : best);
    } else if (!visible(el) || inRunningText(el)) {
      continue;
    }
    const r = target.getBoundingClientRect();
    if (r.width < min - 0.5 || r.height < min - 0.5) out.push(name(el) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
  }
  return out;
}"""
# In the page: tables wider than the box that holds them on a phone, so columns sit off-screen in a box that scrolls
# sideways with no sign of it (issue 21, item 6: on a phone, rows become cards with the key fields visible).
CLIPPED_TABLES_JS = """() => {
  const out = [];
  for (const table of document.querySelectorAll('table')) {
    const r = table.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(table).visibility === 'hidden') continue;
    let box = table.parentElement;
    while (box && box !== document.body && getComputedStyle(box).overflowX === 'visible') box = box.parentElement;
    const screen = Math.min(window.innerWidth, document.documentElement.clientWidth);
    const right = Math.min(screen, box && box !== document.body ? box.getBoundingClientRect().right : screen);
    if (r.right <= right + 1) continue;
    const hidden = Array.from(table.querySelectorAll('thead th, tr:first-child th'))
      .filter((th) => th.getBoundingClientRect().right > right + 1).map((th) => th.innerText.trim()).filter(Boolean);
    out.push((table.id ? '#' + table.id : table.className ? '.' + table.className.split(' ')[0] : 'table')
             + ' ' + Math.round(r.width) + 'px wide in ' + Math.round(right - r.left) + 'px, cut off: '
             + (hidden.join(' / ') || 'its right part'));
  }
  return out;
}"""
# In the page: the visible text, without what is data rather than words: code/monospace elements, scripts, and
# anything marked data-visual-code (ids, keys, openids a page shows on purpose).
VISIBLE_TEXT_JS = """() => {
  const skip = 'script, style, noscript, template, code, kbd, samp, pre, .mono, [data-visual-code]';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest(skip) || !node.textContent.trim()) continue;
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || el.getClientRects().length === 0) continue;
    if (getComputedStyle(el).fontFamily.toLowerCase().includes('monospace')) continue;
    parts.push(node.textContent.trim());
  }
  return parts.join('\\n');
}"""


# --- checks ------------------------------------------------------------------------------------------------------

def horizontal_scroll(page):
    # the layout viewport (clientWidth), not innerWidth: a phone browser zooms out to fit a page too wide for it,
    # and innerWidth grows with the zoom
    width, inner = page.evaluate("[document.documentElement.scrollWidth,"
                                 " Math.min(window.innerWidth, document.documentElement.clientWidth)]")
    return [f"横向滚动: page is {width}px wide in a {inner}px viewport"] if width > inner else []


def small_tap_targets(page):
    found = page.evaluate(SMALL_TARGETS_JS, MIN_TAP)
    return [f"tap target under {MIN_TAP}px: {item}" for item in found]


def clipped_tables(page):
    return [f"table cut off on a phone: {item}" for item in page.evaluate(CLIPPED_TABLES_JS)]


def raw_json(page):
    text = page.evaluate("document.body.innerText")
    return [f"raw JSON in text: {match.group(0)}…" for match in RAW_JSON.finditer(text)][:5]


def english_words(page):
    text = URL_OR_EMAIL.sub(" ", page.evaluate(VISIBLE_TEXT_JS))
    words = sorted({word for word in LATIN_WORD.findall(text)
                    if word.isalpha() and len(word) >= 3 and word.lower() not in ALLOWED_LATIN
                    and not _code_like(word)})
    return [f"English in visible text: {', '.join(words[:15])}"] if words else []


def _code_like(word):
    """A coupon or pick-up code that happens to hold letters only (1 in 100 of them): upper case, 8 or more."""
    return len(word) >= 8 and word.isupper()


def problems_on(page, *, tap_targets):
    found = horizontal_scroll(page) + raw_json(page) + english_words(page)
    if page.viewport_size["width"] < PHONE_WIDTH_UP_TO:
        found += clipped_tables(page)
    return found + (small_tap_targets(page) if tap_targets else [])


def check_page(page, url, artefact, *, tap_targets, ready=None):
    """Open the page (or use the one `ready` leads to), keep its screenshot, and fail listing every problem."""
    if ready is None:
        response = page.goto(url)
        assert response is not None and response.status < 400, f"{url} answered {response and response.status}"
    else:
        ready(page)
    page.wait_for_load_state("load")  # scripts have run; waiting for network idle would cost half a second a page
    shoot(page, artefact)
    found = problems_on(page, tap_targets=tap_targets)
    if url is not None and urlsplit(page.url).path != urlsplit(url).path:
        found.insert(0, f"redirected: the screenshot shows {page.url}, not the page asked for")
    assert not found, f"{artefact} ({page.url}):\n  " + "\n  ".join(found)


def shoot(page, artefact):
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "visual").mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "visual" / f"{artefact}.png"), full_page=True)


# --- browser and data, once per module ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shop(app):
    """The demo merchant's data, seeded once for a module of page checks (import this fixture there)."""
    with demo_shop(app) as seeded:
        yield seeded


@pytest.fixture(scope="module")
def chromium(shop):
    """One Chromium for a module's pages (each role gets its own context from it)."""
    with launched_chromium() as opened:
        yield opened


def new_page(chromium, options):
    context = chromium.new_context(locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


@contextlib.contextmanager
def demo_shop(app):
    """The demo merchant exactly as `make run` seeds it, plus a till payment, an unpaid order and a points-mall
    exchange waiting to be picked up of its first member (so 消费记录, 我的订单 and 我的兑换 have something), and a sandbox WeChat user bound to that member. Emptied afterwards."""
    from extensions import db
    from tests.conftest import _emptying

    with app.app_context():
        try:
            yield _seed(db.session, app)
        finally:
            db.session.remove()
            with db.engine.begin() as connection:
                connection.exec_driver_sql(_emptying(connection, db.metadata))


def _seed(session, app):
    from demo import data as demo_data
    from models import (Campaign, Card, CardTemplate, CouponCode, CouponTemplate, Member, MemberCardBatch,
                        PointsGift, Staff, Store)
    from sandbox import wechat_state
    from services.members import members
    from services.orders import card_sales
    from services.points import ledger as points
    from services.points_mall import exchanges
    from services.till import payment
    from services.wallet import counter_topup, stored_value

    merchant, _created = demo_data.load(session)
    session.commit()
    first = session.scalars(select(Member).where(Member.merchant_id == merchant.id).order_by(Member.id)).first()
    cashier = session.scalars(select(Staff).where(Staff.merchant_id == merchant.id, Staff.username == "cashier")).one()
    store = session.scalars(select(Store).where(Store.merchant_id == merchant.id).order_by(Store.id)).first()
    person = wechat_state.create_wechat_user(session, merchant.wechat_app_id, "张伟")
    members.bind_identity(session, first, "wechat_openid", person.user_key, app_id=merchant.wechat_app_id)
    checkout = payment.pay(session, merchant, cashier, store_id=store.id, member_id=first.id, amount=6800,
                           tender="balance", choice=None, seed="visual", key="visual:checkout")
    count_template = _first(session, CardTemplate, merchant, CardTemplate.kind == "count")
    order = card_sales.create_order(session, merchant, first.id, template_id=count_template.id, channel="wechat",
                                    key="visual:order")
    stranger = wechat_state.create_wechat_user(session, merchant.wechat_app_id, "新朋友")
    topup = counter_topup.take_by_hand(session, merchant, cashier, store_id=store.id, member_id=first.id,
                                       tender="cash", key="visual:topup",
                                       rule_id=stored_value.rules_in_force(session, merchant)[0].id)
    mug = _first(session, PointsGift, merchant, PointsGift.number == "G001")
    points.earn(session, merchant, first.id, 1000, key="visual:points")
    gift_exchange = exchanges.exchange(session, merchant, mug.id, first.id, key="visual:exchange")
    session.commit()
    by_member = dict(merchant_id=merchant.id)
    return SimpleNamespace(
        base=app.config["PUBLIC_BASE_URL"], slug=merchant.slug, merchant_id=merchant.id, member_id=first.id,
        wechat_user_id=person.id, stranger_user_id=stranger.id, store_id=store.id, checkout_id=checkout.id,
        order_id=order.id, count_template_id=count_template.id, topup_order_id=topup.id,
        points_gift_id=mug.id, gift_exchange_id=gift_exchange.id,
        card_batch_id=_first(session, MemberCardBatch, merchant).id,
        campaign_id=_first(session, Campaign, merchant).id,
        coupon_code_id=session.scalars(select(CouponCode.id).filter_by(member_id=first.id, **by_member)
                                       .order_by(CouponCode.id)).first(),
        points_coupon_id=_first(session, CouponTemplate, merchant, CouponTemplate.free_claim.is_(False),
                                CouponTemplate.price.is_(None)).id,
        paid_coupon_id=_first(session, CouponTemplate, merchant, CouponTemplate.price.is_not(None)).id,
        count_card_id=session.scalars(select(Card.id).filter_by(member_id=first.id, kind="count", **by_member)).first(),
        gift_card_id=session.scalars(select(Card.id).filter_by(member_id=first.id, kind="gift", **by_member)).first(),
        gift_template_id=_first(session, CardTemplate, merchant, CardTemplate.kind == "gift").id,
        benefit_template_id=_first(session, CardTemplate, merchant, CardTemplate.kind == "benefit").id,
    )


def _first(session, model, merchant, *conditions):
    return session.scalars(select(model).where(model.merchant_id == merchant.id, *conditions).order_by(model.id)).first()


# --- signing in -------------------------------------------------------------------------------------------------

def member_page(chromium, shop, user_id=None):
    """A phone inside "WeChat" as the demo member: the sandbox's silent OAuth, as the simulated phone does it."""
    page = new_page(chromium, PHONE)
    page.context.add_cookies([
        {"name": "sandbox_wechat_user", "value": str(user_id or shop.wechat_user_id), "url": shop.base},
        {"name": "sandbox_client", "value": "wechat", "url": shop.base}])
    page.goto(f"{shop.base}/h5/{shop.slug}/")
    page.wait_for_load_state("networkidle")
    return page


def staff_page(chromium, shop, username="cashier"):
    page = new_page(chromium, PHONE)
    _sign_in(page, f"{shop.base}/staff/login", shop.slug, username)
    return page


def backoffice_page(chromium, shop, options):
    page = new_page(chromium, options)
    _sign_in(page, f"{shop.base}/backoffice/login", shop.slug, "owner")
    return page


def _sign_in(page, url, slug, username):
    from demo.data import DEMO_PASSWORD

    page.goto(url)
    page.fill("input[name=merchant]", slug)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, f"{username} could not sign in at {url}"

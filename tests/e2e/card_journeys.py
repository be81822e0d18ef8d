"""What the card-package journeys share: a shop whose member card is synced (WeChat or Alipay), the periodic push
run as a worker would, a member's earlier top-up, and a cashier charging the member's balance at the staff till."""
from domain import roles
from jobs.wechat import push_card_packages_everywhere
from models import Member
from services.wallet import journal as wallet
from services.wechat_cards import face
from tests.e2e.conftest import sign_in_to_staff_page
from tests.e2e.phones import wechat_phone
from tests.factories import PASSWORD
from tests.web.member_h5.test_h5_support import provision

CASHIER = "till"


def card_shop(make, db, slug, name, sync):
    """A shop with a cashier, sandbox WeChat and Alipay, a 100-point 开卡礼 and its card face synced by `sync`."""
    merchant = make.merchant(slug=slug, name=name)
    store = make.store(merchant, "总店")
    make.staff(merchant, role=roles.CASHIER, username=CASHIER, stores_=[store])
    provision(db, merchant, registration_points=100)
    face.save(db.session, make.staff(merchant, role=roles.OWNER), merchant, **face.defaults(merchant))
    db.session.commit()  # the sandbox (another thread) reads the account and the face
    assert sync(db.session, merchant) is True
    db.session.commit()
    return merchant


def push_now(db):
    """What the scheduler's 2-second job does on a worker."""
    push_card_packages_everywhere(db.session)
    db.session.commit()


def topped_up(db, merchant, member, fen, key):
    """The member's balance, topped up earlier (and the card told)."""
    purse = wallet.member_wallet(db.session, merchant.id, member.id)
    wallet.credit(db.session, merchant.id, purse.id, fen, key=key)
    db.session.commit()
    push_now(db)


def charge_balance_at_till(browser, live_server, slug, code, yuan):
    """A cashier on a phone: the staff till, the member by `code`, the balance tender, the receipt."""
    till = wechat_phone(browser)
    sign_in_to_staff_page(till, live_server, slug, CASHIER, PASSWORD)
    till.click("#tab-till")
    till.wait_for_url(f"{live_server}/staff/checkout")
    till.fill("input[name=amount]", str(yuan))
    till.fill("input[name=code]", code)
    till.click("#quote-member")
    till.wait_for_selector("#quote-steps")
    assert till.is_checked("#tender-balance")
    till.click("#confirm-pay")
    till.wait_for_url(f"{live_server}/staff/checkouts/*")
    receipt = till.text_content("#receipt-head")
    till.context.close()
    return receipt


def points_now(db, member_id):
    db.session.expire_all()
    return db.session.get(Member, member_id).points_balance

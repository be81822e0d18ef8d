"""Official-account jobs: the slow work the callback must not do before replying."""
import logging

from jobs.base import each_in_own_transaction, job
from models import Merchant
from services.card_push import push as card_push
from services.wechat import fans
from services.wechat_cards import activation as wechat_card_activation, sync as wechat_card_sync
from channels.wechat import client_for

log = logging.getLogger(__name__)


@job(queue="default", timeout=60)
def sync_fan_profile(session, merchant_id, openid):
    """After a follow: ask the API who the fan is (unionid, how they found the account)."""
    merchant = session.get(Merchant, merchant_id)
    if merchant is None or not merchant.wechat_app_secret:
        return None
    info = client_for(merchant).user.get(openid)
    fan = fans.update_profile(session, merchant, openid, info)
    log.info("fan profile synced for merchant %s", merchant_id)
    return fan.id if fan is not None else None


@job(queue="default", timeout=60)
def activate_wechat_card(session, merchant_id, card_id, code):
    """After user_get_card or submit_membercard_user_info from a member's openid: activate their card in WeChat (a
    refusal raises, and the job is tried again)."""
    merchant = session.get(Merchant, merchant_id)
    if merchant is None or not merchant.wechat_app_secret:
        return None
    holding = wechat_card_activation.activate_known_member(session, merchant, card_id, code)
    session.commit()
    return holding.id if holding is not None else None


CARD_PUSH_SECONDS = 50  # one run's share; the next period's run (on another worker) takes the rows it left


@job(queue="default", timeout=120, retries=(10,))
def push_card_packages_everywhere(session):
    """Periodic (every 2 s): members' new balance, points and level to the cards in their card packages, each
    member's changes since the last run in one call."""
    counts = card_push.push_everywhere(session, CARD_PUSH_SECONDS)
    if any(counts.values()):
        log.info("card packages: %(pushed)d pushed, %(changed)d changed meanwhile, %(failed)d failed", counts)
    return counts


@job(queue="default", timeout=300)
def retry_wechat_card_syncs(session):
    """Periodic (every 10 minutes): a card save WeChat refused or could not be reached for is tried again, one
    merchant per transaction; what WeChat says stays on the card page."""
    due = wechat_card_sync.due_for_retry(session)

    def retry(merchant_id):
        merchant = session.get(Merchant, merchant_id)
        return "synced" if merchant is not None and wechat_card_sync.sync(session, merchant) else "refused"

    return each_in_own_transaction(session, due, retry, "sync the WeChat member card of merchant")

"""Official-account jobs: the slow work the callback must not do before replying."""
import logging

from jobs.base import job
from models import Merchant
from services.wechat import fans
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

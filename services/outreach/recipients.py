"""A send's recipient rows: marking a set of them at once, and the tallies the progress bar and report read."""
from sqlalchemy import func, select, update

from models import SendRecipient
from services.shared.id_lists import among  # noqa: F401 - the sends' own callers name it here


def mark(session, ids, **values):
    """One UPDATE for these recipient rows (a batch of at most 10,000 ids)."""
    if ids:
        session.execute(update(SendRecipient).where(among(session, SendRecipient.id, ids)).values(**values)
                        .execution_options(synchronize_session=False))


def tallies(session, merchant_id, send_ids):
    """{send_id: {(channel, status, reason): members}} for these sends of the merchant, in one grouped query."""
    found = {send_id: {} for send_id in send_ids}
    if not send_ids:
        return found
    rows = session.execute(
        select(SendRecipient.send_id, SendRecipient.channel, SendRecipient.status, SendRecipient.reason, func.count())
        .where(SendRecipient.merchant_id == merchant_id, SendRecipient.send_id.in_(send_ids))
        .group_by(SendRecipient.send_id, SendRecipient.channel, SendRecipient.status, SendRecipient.reason))
    for send_id, channel, status, reason, members in rows:
        found[send_id][(channel, status, reason)] = members
    return found


def of_send(send):
    """Conditions for a send's rows, led by the merchant as the unique index (merchant_id, send_id, member_id) is."""
    return (SendRecipient.merchant_id == send.merchant_id, SendRecipient.send_id == send.id)


def count(session, send):
    return session.scalar(select(func.count()).select_from(SendRecipient).where(*of_send(send)))


def handled(session, send):
    return session.scalar(select(func.count()).select_from(SendRecipient).where(
        *of_send(send), SendRecipient.status != "queued"))

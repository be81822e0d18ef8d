"""Links that carry their source: a mass message's or a campaign's link into the member pages gets `src=<token>`,
which the member pages remember (member_h5/join_links.py), so a join, a claim or a purchase that follows the tap is
credited to the send or the campaign (渠道分析)."""
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from services.recruitment import sources
from services.shared import host

PARAM = "src"


def with_source(url, token):
    """`url` with `src=token` in its query (an earlier src replaced)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != PARAM]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode([*query, (PARAM, token)]), parts.fragment))


def send_source(session, send):
    return sources.for_send(session, send.merchant_id, send.id, send.title or f"群发 #{send.id}")


def send_token(session, send):
    return send_source(session, send).token


def campaign_token(session, campaign):
    name = campaign.name or f"活动 #{campaign.id}"
    return sources.for_campaign(session, campaign.merchant_id, campaign.id, name).token


def send_link(session, merchant, send, url):
    """`url` carrying the send's source when it opens this merchant's member pages (a link the merchant typed into
    an article may point anywhere else: it is left as it was)."""
    base = host.external_url("member_h5.index", merchant_slug=merchant.slug).rstrip("/") + "/"  # …/h5/<slug>/
    return with_source(url, send_token(session, send)) if url and url.startswith(base) else url

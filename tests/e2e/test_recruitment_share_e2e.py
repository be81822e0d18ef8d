"""A member page opened in "WeChat" (the browser with WeChat's user agent, as the simulated phone's member) loads
the share script, which fetches a signed `wx.config` for the page and the tracked links to share, and loads the
JS-SDK, with no error and nothing blocked; outside WeChat the script does nothing."""
import pytest

from tests.e2e import visual_checks as visual
from tests.e2e.visual_checks import chromium, shop  # noqa: F401 - module fixtures: the demo data, one browser

pytestmark = pytest.mark.e2e


def test_does_a_member_page_in_wechat_configure_the_share_with_tracked_links(chromium, shop):
    page = visual.member_page(chromium, shop)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        with page.expect_response(lambda answer: "/share-config.json" in answer.url) as answered:
            page.goto(f"{shop.base}/h5/{shop.slug}/member")
        answer = answered.value
        assert answer.status == 200
        body = answer.json()
        assert body["config"]["jsApiList"] == ["updateAppMessageShareData", "updateTimelineShareData"]
        assert f"/h5/{shop.slug}/j/" in body["chat"]["link"] and f"/h5/{shop.slug}/j/" in body["timeline"]["link"]
        assert body["chat"]["link"] != body["timeline"]["link"]  # 微信 and 朋友圈 are counted apart
        page.wait_for_function("() => typeof window.wx === 'object' && typeof window.wx.config === 'function'")
        assert errors == []
    finally:
        page.context.close()

"""The visual guard's checks themselves, on small pages written here: each catches what it should, and the few
exclusions (running-text links, a control's label, code, URLs, the allow-list) let through only what they say."""
import pytest

from tests.e2e import visual_checks as visual

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def page():
    with visual.launched_chromium() as chromium:
        opened = visual.new_page(chromium, visual.PHONE)
        yield opened
        opened.context.close()


def _show(page, body):
    page.set_content(f"<!doctype html><html><head><meta name='viewport' content='width=device-width'></head>"
                     f"<body style='margin:0;font-family:sans-serif'>{body}</body></html>")


def test_does_it_catch_a_page_wider_than_the_phone(page):
    _show(page, "<div style='width:500px'>宽</div>")
    assert visual.horizontal_scroll(page)
    _show(page, "<div>不宽</div>")
    assert not visual.horizontal_scroll(page)


def test_does_it_catch_small_targets_but_not_links_in_running_text_or_labelled_checks(page):
    _show(page, "<a href='#' style='font-size:12px'>返回</a>"
                "<p>请阅读 <a href='#'>会员须知</a> 后再领取。</p>"
                "<label style='display:block;padding:12px'><input type='checkbox' style='position:absolute;"
                "left:-9999px'>同意</label>"
                "<button style='height:44px;width:120px'>领取</button>")
    found = visual.small_tap_targets(page)
    assert len(found) == 1 and '"返回"' in found[0]


def test_does_it_catch_raw_json_and_english_but_not_codes_urls_or_allowed_words(page):
    _show(page, '<p>{"birthday":"1990-03-12"}</p><p>Save settings</p>')
    assert visual.raw_json(page)
    assert "Save" in visual.english_words(page)[0] and "settings" in visual.english_words(page)[0]
    _show(page, "<p>VIP 会员 · 咖啡 Plus 权益卡 · 导出 CSV</p><code>wx3fabcdefde</code>"
                "<p>回调地址 http://127.0.0.1:5000/wechat/demo/callback</p><p>券码 ABCD-EFGH-2345</p>"
                "<p>券码 FCFEXZRNXTQEXTZK</p>")
    assert not visual.raw_json(page) and not visual.english_words(page)


def test_does_it_catch_a_table_cut_off_on_a_phone(page):
    _show(page, "<div style='overflow-x:auto'><table style='width:700px'><thead><tr><th style='width:300px'>手机号"
                "</th><th style='width:400px'>储值余额</th></tr></thead></table></div>")
    found = visual.clipped_tables(page)
    assert len(found) == 1 and "储值余额" in found[0] and "手机号" not in found[0]

"""The rules of reaching members: a marketing SMS's 70 characters with signature and tail, sensitive words,
quiet hours in the merchant's timezone, WeChat's mass-message month, opt-out replies."""
from datetime import datetime, timezone

import pytest

from domain import outreach
from domain.errors import DomainError

UTC = timezone.utc


def test_is_the_sms_the_signature_the_body_and_the_tail():
    assert outreach.check_sms(" 老王烧烤 ", "本周六全场8折") == "【老王烧烤】本周六全场8折回T退订"


def test_do_seventy_characters_count_the_signature_and_the_tail():
    shop = "老王烧烤"  # 【老王烧烤】 is 6, 回T退订 is 4: 60 left for the body
    assert len(outreach.check_sms(shop, "好" * 60)) == 70
    with pytest.raises(DomainError, match="共 71 字，超过 70 字；正文最多 60 字"):
        outreach.check_sms(shop, "好" * 61)


def test_does_an_emoji_count_as_two():
    shop = "老王烧烤"
    assert outreach.check_sms(shop, "好" * 58 + "🎉")
    with pytest.raises(DomainError, match="超过 70 字"):
        outreach.check_sms(shop, "好" * 59 + "🎉")


@pytest.mark.parametrize("body, word", [("欢迎参加革命", "革命"), ("爆 炸价", "爆炸"), ("全场\u3000爆\u3000炸", "爆炸"),
                                        ("本店烤全羊", "烤全羊")])
def test_is_a_sensitive_word_refused_and_named(body, word):
    with pytest.raises(DomainError, match=f"敏感词“{word}”"):
        outreach.check_sms("店", body, own_words=["烤全羊"])


@pytest.mark.parametrize("body, message", [("", "请填写"), ("   ", "请填写"), ("a\x00b", "控制字符"),
                                           ("x" * 10_000, "超过 70 字")])
def test_is_bad_content_refused_with_a_clear_message(body, message):
    with pytest.raises(DomainError, match=message):
        outreach.check_sms("店", body)


def test_are_own_words_cleaned_and_limited():
    assert outreach.clean_own_words("烤全羊，啤酒\n 烤全羊 ,, ") == ["烤全羊", "啤酒"]
    with pytest.raises(DomainError):
        outreach.clean_own_words(",".join(f"w{n}" for n in range(201)))


@pytest.mark.parametrize("utc, expected", [
    (datetime(2026, 12, 6, 2, 0, tzinfo=UTC), datetime(2026, 12, 6, 2, 0, tzinfo=UTC)),  # 10:00 Shanghai: now
    (datetime(2026, 12, 6, 12, 59, tzinfo=UTC), datetime(2026, 12, 6, 12, 59, tzinfo=UTC)),  # 20:59: now
    (datetime(2026, 12, 6, 13, 0, tzinfo=UTC), datetime(2026, 12, 7, 0, 0, tzinfo=UTC)),  # 21:00 -> 08:00 next day
    (datetime(2026, 12, 6, 16, 30, tzinfo=UTC), datetime(2026, 12, 7, 0, 0, tzinfo=UTC)),  # 00:30 local, UTC still
    (datetime(2026, 12, 6, 23, 59, tzinfo=UTC), datetime(2026, 12, 7, 0, 0, tzinfo=UTC)),  # 07:59 -> 08:00 same day
    (datetime(2026, 12, 31, 15, 0, tzinfo=UTC), datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),  # 23:00 New Year's Eve
])
def test_do_quiet_hours_hold_marketing_sms_until_eight_in_shanghai(utc, expected):
    assert outreach.sms_send_start(utc, "Asia/Shanghai") == expected


def test_is_the_mass_month_the_merchants_local_month():
    assert outreach.mass_month(datetime(2026, 11, 30, 16, 30, tzinfo=UTC), "Asia/Shanghai") == "2026-12"
    assert outreach.mass_month(datetime(2026, 11, 30, 16, 30, tzinfo=UTC), "UTC") == "2026-11"


@pytest.mark.parametrize("reply, out", [("T", True), (" t ", True), ("退订", True), ("TD", True), ("好的", False),
                                        ("", False)])
def test_is_a_reply_an_opt_out(reply, out):
    assert outreach.is_opt_out_reply(reply) is out

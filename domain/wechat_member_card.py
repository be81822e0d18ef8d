"""WeChat's rules for a member card (会员卡) in the card package, shared by our service and the sandbox that plays
WeChat: the colour palette (card/getcolors), the length limits of the face's texts, and the cells a card opens.

WeChat counts a text's limit in Chinese characters and stores it as UTF-8 bytes (title is string(27), "at most 9
Chinese characters"), so a limit of n characters is n * 3 bytes: 9 Chinese characters or 27 ASCII ones.
"""

# card/getcolors: the only colours a card may have, by WeChat's name.
COLORS = {
    "Color010": "#63b359", "Color020": "#2c9f67", "Color030": "#509fc9", "Color040": "#5885cf",
    "Color050": "#9062c0", "Color060": "#d09a45", "Color070": "#e4b138", "Color080": "#ee903c",
    "Color081": "#f08500", "Color082": "#a9d92d", "Color090": "#dd6549", "Color100": "#cc463d",
    "Color101": "#cf3e36", "Color102": "#5E6671",
}
DEFAULT_COLOR = "Color010"

# Limits in Chinese characters (WeChat's card/create field table).
LIMITS = {
    "title": 9,          # base_info.title
    "brand_name": 12,    # base_info.brand_name
    "notice": 16,        # base_info.notice
    "description": 1024,  # base_info.description
    "prerogative": 1024,  # member_card.prerogative (特权说明)
    "cell_name": 5,      # custom_url_name / promotion_url_name / custom_cell1.name
    "cell_tips": 6,      # custom_url_sub_title / promotion_url_sub_title / custom_cell1.tips
}
URL_BYTES = 128  # logo_url and every cell's url

# The member pages a cell may open, in the order the merchant sees them; their names are the cells' labels.
CELLS = {"balance": "余额", "points": "积分", "coupons": "优惠券", "membership": "付费会员"}
MAX_CELLS = 3  # WeChat's card has three such entries: custom_url, promotion_url and custom_cell1
CELL_SLOTS = ("custom_url", "promotion_url", "custom_cell1")


def text_fits(text, chinese_chars):
    """Whether WeChat takes this text for a field of at most `chinese_chars` Chinese characters."""
    return len((text or "").encode("utf-8")) <= chinese_chars * 3


# The card's first custom field shows the member's level (WeChat's FIELD_NAME_TYPE_LEVEL: "等级" on the card); its
# value holds at most 6 Chinese characters.
LEVEL_FIELD = "FIELD_NAME_TYPE_LEVEL"
FIELD_VALUE_CHARS = 6


def clip_text(text, chinese_chars):
    """The longest start of `text` WeChat takes for such a field."""
    text = text or ""
    while text and not text_fits(text, chinese_chars):
        text = text[:-1]
    return text


def fit_text(text, chinese_chars):
    """The same, ending in … when it had to be cut (… takes the room of one Chinese character)."""
    text = text or ""
    return text if text_fits(text, chinese_chars) else clip_text(text, chinese_chars - 1) + "…"


def color_hex(name):
    """The colour a card of this palette name shows (WeChat's default green for an unknown name)."""
    return COLORS.get(name, COLORS[DEFAULT_COLOR])

"""分享海报: the share poster (a PNG drawn with Pillow: the merchant's card face, a headline, the QR of the channel's
link and who invites), the small card picture a WeChat share shows, and the join code's QR as PNG or SVG bytes.

Chinese needs a CJK font on the server (Debian's fonts-wqy-zenhei, installed by `make setup`, or Noto CJK); the
setting POSTER_FONT_PATH names another. Without one the poster is refused rather than drawn as empty boxes."""
import functools
import io
import os
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from domain.errors import DomainError
from domain.money import format_yuan
from services.members import levels
from services.recruitment import promotion
from services.shared import host

# The member card as the member centre draws it (static/css/h5.css .h5-card): a slate gradient.
MEMBER_CARD_COLOURS = ("#2b3a55", "#56637d")
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)
POSTER_SIZE = (750, 1334)  # a phone screen at 2x: what WeChat shows full width
THUMB_SIZE = 300
INK, GREY, WHITE = (34, 34, 34), (120, 120, 120), (255, 255, 255)


class PosterUnavailable(DomainError):
    code = "poster_unavailable"
    http_status = 503


@dataclass(frozen=True)
class CardFace:
    """What the poster's card shows, as the member centre shows the card."""

    merchant_name: str
    card_title: str  # the entry level's name, or the paid membership's title
    colours: tuple
    price_text: str = ""  # a paid membership's price: ¥99.00 / 365天


@dataclass(frozen=True)
class Poster:
    face: CardFace
    headline: str
    call_to_action: str  # under the QR: 长按识别二维码 领取会员卡
    inviter: str = ""  # 推荐人：张三 · 东门店


def face_of(session, merchant, target):
    """The card face of the free member card (the merchant's entry level) or of a paid membership."""
    template = target.template
    if template is None:
        base = levels.base_level(session, merchant.id)
        return CardFace(merchant.name, base.name if base is not None else "会员卡", MEMBER_CARD_COLOURS)
    colour = _hex(template.cover_color) or MEMBER_CARD_COLOURS[0]
    price = f"¥{format_yuan(template.price or 0)}" + (f" / {template.valid_days}天" if template.valid_days else "")
    return CardFace(merchant.name, template.title, (colour, _lighter(colour)), price)


def poster_of(session, merchant, owner, target, headline):
    face = face_of(session, merchant, target)
    action = "长按识别二维码 开通付费会员" if target.kind == "paid_membership" else "长按识别二维码 领取会员卡"
    inviter = ""
    if owner.kind == "staff":
        inviter = f"推荐人：{owner.staff.name}" + (f" · {owner.store.name}" if owner.store else "")
    elif owner.kind == "store":
        inviter = f"门店：{owner.store.name}"
    return Poster(face, headline, action, inviter)


def channel_poster_png(session, merchant, owner, target, link_of):
    """分享海报 of an owner's 'poster' channel as PNG bytes, its QR holding `link_of(source)` (the web layer knows
    the public address); raises PosterUnavailable when it cannot be drawn."""
    source = promotion.channel_source(session, owner, "poster", target)
    poster = poster_of(session, merchant, owner, target, promotion.headline_of(owner, target, merchant.name))
    return poster_png(poster, link_of(source))


@functools.lru_cache(maxsize=32)  # a staff page shows its poster on every visit: drawn once per process
def poster_png(poster, url):
    """The poster as PNG bytes: headline on the card colour, the card, the QR of `url`, the call to action."""
    width, height = POSTER_SIZE
    image = Image.new("RGB", POSTER_SIZE, (245, 246, 248))
    draw = ImageDraw.Draw(image)
    _gradient(image, (0, 0, width, 380), *poster.face.colours)
    headline = _wrapped(poster.headline, _font(44), width - 120)[:2]
    for index, line in enumerate(headline):
        _centred(draw, line, 56 + index * 60, _font(44), WHITE, width)
    card_top = 56 + len(headline) * 60 + 36
    _card(image, (60, card_top, width - 60, card_top + 370), poster.face, shadow=True)
    panel_top = card_top + 370 + 60
    draw.rounded_rectangle((135, panel_top, width - 135, panel_top + 480), radius=24, fill=WHITE)
    qr = qr_image(url, 420)
    image.paste(qr, ((width - qr.width) // 2, panel_top + 30 + (420 - qr.height) // 2))
    _centred(draw, poster.call_to_action, panel_top + 510, _font(30), INK, width)
    if poster.inviter:
        for index, line in enumerate(_wrapped(poster.inviter, _font(26), width - 120)[:2]):
            _centred(draw, line, panel_top + 560 + index * 36, _font(26), GREY, width)
    _centred(draw, f"{poster.face.merchant_name} · 会员中心"[:30], height - 64, _font(22), GREY, width)
    return _png(image)


@functools.lru_cache(maxsize=64)  # WeChat fetches it for every share
def thumb_png(face):
    """A square picture of the card for a WeChat share (WeChat shows it beside the title)."""
    image = Image.new("RGB", (THUMB_SIZE, THUMB_SIZE), WHITE)
    _card(image, (12, 62, THUMB_SIZE - 12, THUMB_SIZE - 62), face, scale=0.45)
    return _png(image)


def qr_image(url, size):
    """The QR of `url` as a black-on-white Pillow image at most `size` pixels wide, drawn module by module with
    whole pixels per module (crisp for a phone's scanner)."""
    matrix = qr_matrix(url)
    modules = len(matrix)
    cell = max(1, size // modules)
    drawn = Image.new("RGB", (modules * cell, modules * cell), WHITE)
    draw = ImageDraw.Draw(drawn)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                draw.rectangle((x * cell, y * cell, x * cell + cell - 1, y * cell + cell - 1), fill=(0, 0, 0))
    return drawn


def qr_matrix(url, border=2):
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=border)
    code.add_data(url)
    code.make(fit=True)
    return code.get_matrix()


def qr_png(url, size=600):
    """A join code for print as PNG bytes."""
    return _png(qr_image(url, size))


def qr_svg(url):
    """A join code for designers as SVG bytes (scales to any poster)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=10)
    code.add_data(url)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue()


# --- drawing ------------------------------------------------------------------------------------------------------

def _card(image, box, face, scale=1.0, shadow=False):
    left, top, right, bottom = box
    card = Image.new("RGB", (right - left, bottom - top))
    _gradient(card, (0, 0, card.width, card.height), *face.colours)
    mask = Image.new("L", card.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, card.width - 1, card.height - 1), radius=int(28 * scale) + 4,
                                           fill=255)
    if shadow:  # lifts the card off a band of its own colour
        pad = 40
        spread = Image.new("L", (card.width + 2 * pad, card.height + 2 * pad), 0)
        spread.paste(mask, (pad, pad))
        blur = spread.filter(ImageFilter.GaussianBlur(14)).point(lambda value: value * 40 // 100)
        image.paste((0, 0, 0), (left - pad, top - pad + 12), blur)
    image.paste(card, (left, top), mask)
    draw = ImageDraw.Draw(image)
    pad = int(36 * scale) + 8
    name_font, pill_font = _font(int(38 * scale) + 6), _font(int(26 * scale) + 4)
    title = _clipped(face.card_title, pill_font, (right - left) // 2)
    pill_width = int(pill_font.getlength(title)) + 2 * pad // 2
    name = _clipped(face.merchant_name, name_font, right - left - 3 * pad - pill_width)
    draw.text((left + pad, top + pad), name, font=name_font, fill=WHITE)
    pill = (right - pad - pill_width, top + pad, right - pad, top + pad + pill_font.size + 16)
    draw.rounded_rectangle(pill, radius=(pill[3] - pill[1]) // 2, outline=WHITE, width=2)
    draw.text((pill[0] + pad // 2, pill[1] + 7), title, font=pill_font, fill=WHITE)
    label_font = _font(int(60 * scale) + 8)
    draw.text((left + pad, bottom - pad - label_font.size - int(40 * scale)), "会员卡" if not face.price_text
              else face.price_text, font=label_font, fill=WHITE)
    draw.text((left + pad, bottom - pad - int(30 * scale)), "MEMBER CARD", font=_font(int(22 * scale) + 4),
              fill=(255, 255, 255))


def _gradient(image, box, start, end):
    left, top, right, bottom = box
    first, last = _rgb(start), _rgb(end)
    draw = ImageDraw.Draw(image)
    span = max(1, bottom - top - 1)
    for y in range(top, bottom):
        share = (y - top) / span
        colour = tuple(int(a + (b - a) * share) for a, b in zip(first, last))
        draw.line((left, y, right, y), fill=colour)


def _centred(draw, text, y, font, fill, width):
    draw.text(((width - font.getlength(text)) / 2, y), text, font=font, fill=fill)


def _wrapped(text, font, width):
    """Lines of `text` no wider than `width`, broken between any two characters (Chinese has no spaces)."""
    lines, line = [], ""
    for ch in text:
        if font.getlength(line + ch) > width and line:
            lines.append(line)
            line = ""
        line += ch
    return lines + ([line] if line else [])


def _clipped(text, font, width):
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


@functools.lru_cache(maxsize=32)
def _font(size):
    return ImageFont.truetype(font_path(), size)


@functools.lru_cache(maxsize=1)
def font_path():
    """The CJK font posters are drawn with; PosterUnavailable when the server has none."""
    configured = host.setting("POSTER_FONT_PATH")
    for path in ([configured] if configured else []) + list(FONT_CANDIDATES):
        if path and os.path.isfile(path):
            return path
    raise PosterUnavailable("服务器未安装中文字体，暂时无法生成海报（请运行 make setup 安装 fonts-wqy-zenhei）")


def _png(image):
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _hex(value):
    value = (value or "").strip()
    if len(value) == 7 and value.startswith("#") and all(ch in "0123456789abcdefABCDEF" for ch in value[1:]):
        return value
    return None


def _rgb(value):
    value = _hex(value) or MEMBER_CARD_COLOURS[0]
    return tuple(int(value[i:i + 2], 16) for i in (1, 3, 5))


def _lighter(value):
    return "#" + "".join(f"{min(255, c + (255 - c) * 35 // 100):02x}" for c in _rgb(value))

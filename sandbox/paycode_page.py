"""The simulated phone's 付款码 page (/sandbox/paycode): the payment code a WeChat or Alipay user shows at the
till, as a number, a barcode (Code 128, set C: the codes have an even number of digits) and a QR code, for a
person trying the till in `make run`. Each visit shows a fresh code of the chosen kind (sandbox/paycodes.py:
pays at once, asks for a password, insufficient funds, expired)."""
from flask import render_template, request
from markupsafe import Markup

from sandbox import blueprint, paycodes
from services.members import qr as member_qr

CHANNEL_NAMES = {"wechat": "微信", "alipay": "支付宝"}
# Code 128 bar/space widths of symbols 0-105 (the standard table), then the stop pattern.
CODE128 = ("212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 112232 122132 "
           "122231 113222 123122 123221 223211 221132 221231 213212 223112 312131 311222 321122 321221 312212 "
           "322112 322211 212123 212321 232121 111323 131123 131321 112313 132113 132311 211313 231113 231311 "
           "112133 112331 132131 113123 113321 133121 313121 211331 231131 213113 213311 213131 311123 311321 "
           "331121 312113 312311 332111 314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 "
           "112412 122114 122411 142112 142211 241211 221114 413111 241112 134111 111242 121142 121241 114212 "
           "124112 124211 411212 421112 421211 212141 214121 412121 111143 111341 131141 114113 114311 411113 "
           "411311 113141 114131 311141 411131 211412 211214 211232").split()
START_C, STOP, QUIET = 105, "2331112", 10


def barcode_svg(digits):
    """An even-length digit string as a Code 128 set C barcode in SVG: start C, digit pairs, checksum, stop."""
    values = [int(digits[i:i + 2]) for i in range(0, len(digits), 2)]
    check = (START_C + sum(position * value for position, value in enumerate(values, start=1))) % 103
    widths = "".join(CODE128[v] for v in (START_C, *values, check)) + STOP
    x, bars = QUIET, []
    for index, width in enumerate(int(w) for w in widths):
        if index % 2 == 0:  # bars and spaces alternate, starting with a bar
            bars.append(f"M{x} 0h{width}v40h-{width}z")
        x += width
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {x + QUIET} 40" preserveAspectRatio="none" '
            f'shape-rendering="crispEdges" role="img" aria-label="条形码"><rect width="{x + QUIET}" height="40" '
            f'fill="#fff"/><path d="{"".join(bars)}"/></svg>')


@blueprint.route("/paycode")
def paycode():
    channel = request.args.get("channel") if request.args.get("channel") in CHANNEL_NAMES else "wechat"
    kind = request.args.get("kind") if request.args.get("kind") in paycodes.KINDS else "success"
    code = paycodes.new_code(channel, kind)
    return render_template("sandbox/paycode.html", channel=channel, kind=kind, code=code,
                           spaced=" ".join(code[i:i + 4] for i in range(0, len(code), 4)),
                           qr=Markup(member_qr.svg(code, label="付款码")), barcode=Markup(barcode_svg(code)),
                           kinds=paycodes.KINDS,
                           channels=CHANNEL_NAMES)

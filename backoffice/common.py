"""What every back-office view needs: permission checks and form helpers (the unit of work is web/boundary.py)."""
import functools
import io

import qrcode
import qrcode.image.svg
from flask import abort, current_app, flash, request, send_file
from flask_login import current_user, login_required
from qrcode.image.pure import PyPNGImage

from domain.errors import DomainError, NotFound
from extensions import db
from models import Store
from services.shared.tenancy import scoped


def requires(permission):
    """Logged in, and the role may do this. Checked on the server for every action.

    The view keeps its permission as `.permission`, which the menu (backoffice/navigation.py) reads to show only
    what the staff member may open.
    """

    def decorate(view):
        @functools.wraps(view)
        @login_required
        def guarded(*args, **kwargs):
            if not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        guarded.permission = permission
        return guarded

    return decorate


def merchant_id():
    return current_user.merchant_id


def template_form(make_form, template, data_of, new_data=None):
    """A coupon or card template's form: bound to the POST, else filled from the template (or with a new one's
    defaults); the "usable at" choices are this merchant's stores."""
    if request.method == "POST":
        form = make_form()
    elif template is not None:
        form = make_form(data=data_of(template))
    else:
        form = make_form(data=new_data)
    form.store_ids.choices = store_choices()
    return form


def store_choices():
    """This merchant's stores for a template's "usable at" multi-select, in the order they were opened."""
    return [(s.id, s.name) for s in db.session.scalars(scoped(Store, merchant_id()).order_by(Store.id))]


def flash_domain_error(exc: DomainError):
    if isinstance(exc, NotFound):
        abort(404)
    flash(exc.message, "warning")


def run_and_flash(action, done_message):
    """Run one change a button asked for: say `done_message`, or roll back and say why it was refused (a NotFound
    is a 404). The caller redirects to the page the button was on."""
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        flash_domain_error(exc)
    else:
        flash(done_message, "success")


# Where a printed claim QR code hangs; the member page counts claims by it.
QR_CHANNELS = {"poster_qr": "海报二维码", "shop_qr": "店内二维码"}
# Claim QR codes as files for print: PNG for most tools, SVG for designers scaling posters.
QR_FILES = {"png": (PyPNGImage, "image/png"), "svg": (qrcode.image.svg.SvgPathImage, "image/svg+xml")}


def claim_qr_download(template, name, claim_url, fmt):
    """A template's claim QR for the `?channel=` it will be printed for (posters by default; unknown: 404),
    downloaded as `<name>-<id>-<channel>.<fmt>`."""
    channel = request.args.get("channel", "poster_qr")
    if channel not in QR_CHANNELS:
        abort(404)
    return qr_download(claim_url(template, channel), f"{name}-{template.id}-{channel}", fmt)


def member_page_url(path):
    """The absolute URL of a page of this merchant's member H5, for a QR code that phones will scan."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/h5/{current_user.merchant.slug}/{path}"


def qr_download(data, name, fmt):
    """A QR code of `data` as a downloaded `name.png` or `name.svg`."""
    code = qrcode.QRCode(border=2, box_size=10)
    code.add_data(data)
    factory, mimetype = QR_FILES[fmt]
    buffer = io.BytesIO()
    code.make_image(image_factory=factory).save(buffer)
    buffer.seek(0)
    return send_file(buffer, mimetype=mimetype, as_attachment=True, download_name=f"{name}.{fmt}")


def parse_int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default

"""The site root (/). In development, with the sandbox on, a start page linking to everything a newcomer tries first
(the same list `make run` prints); in production the root belongs to the merchants' staff, so it opens the back-office
login. Members never come here: their links lead straight to /h5/<merchant>/."""
from flask import Blueprint, current_app, redirect, render_template, url_for

blueprint = Blueprint("home", __name__)
DEMO_MERCHANT = "demo"  # the merchant `flask seed-demo` creates (demo/data.py)


def register(app):
    app.register_blueprint(blueprint)


@blueprint.route("/")
def index():
    if not current_app.config.get("SANDBOX_ENABLED"):
        return redirect(url_for("backoffice.login"))
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    member_centre = url_for("member_h5.index", merchant_slug=DEMO_MERCHANT)
    return render_template("home/index.html", merchant=DEMO_MERCHANT, member_centre=member_centre,
                           member_centre_on_phone=url_for("sandbox.phone_open", url=base + member_centre))

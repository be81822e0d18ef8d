"""The short join link /j/<token> (no merchant in the address): what an invitation SMS carries, since one SMS holds
70 characters with the signature and 回T退订. It finds the token's merchant and goes on to the full tracked link
/h5/<slug>/j/<token> (member_h5/join_links.py), which remembers the source and opens the claim."""
from flask import Blueprint, abort, redirect, url_for

from extensions import db
from services.recruitment import promotion

blueprint = Blueprint("member_short", __name__)


@blueprint.route("/j/<token>")
def join(token):
    slug = promotion.merchant_slug_of_token(db.session, token)
    if slug is None:
        abort(404)
    return redirect(url_for("member_h5.join_link", merchant_slug=slug, token=token))

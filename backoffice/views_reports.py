"""报表: the page that lists every report."""
from flask import render_template

from backoffice import blueprint
from backoffice.common import requires


@blueprint.route("/reports")
@requires("reports.view")
def reports_index():
    return render_template("backoffice/reports/index.html")

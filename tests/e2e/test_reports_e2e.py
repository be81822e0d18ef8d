"""The dashboard and every report on a 375 x 667 phone, as the demo owner: each opens, its charts are drawn by
ECharts (an SVG with shapes in every chart box, none wider than the screen), nothing scrolls sideways, and the
CSV export link answers a file. Screenshots: test-artifacts/visual/report-<name>-phone.png."""
import pytest

from tests.e2e import visual_checks as visual
from tests.e2e.visual_checks import chromium, shop  # noqa: F401 - module fixtures: the demo data, one browser

pytestmark = pytest.mark.e2e

REPORTS = [
    ("dashboard", "/backoffice/", 1),
    ("sales", "/backoffice/reports/sales", 2),
    ("members", "/backoffice/reports/members", 2),
    ("stored-value", "/backoffice/reports/stored-value", 2),
    ("points", "/backoffice/reports/points", 1),
    ("coupons", "/backoffice/reports/coupons", 2),
    ("cards", "/backoffice/reports/cards", 2),
]


@pytest.fixture(scope="module")
def owner_on_phone(chromium, shop):
    page = visual.backoffice_page(chromium, shop, visual.PHONE)
    yield page
    page.context.close()


def _charts(page):
    """[(width, shapes drawn)] of every chart box on the page."""
    return page.eval_on_selector_all(".report-chart", """boxes => boxes.map(box => {
        const svg = box.querySelector('svg');
        return [box.getBoundingClientRect().width,
                svg ? svg.querySelectorAll('path, rect, circle').length : 0,
                box.getAttribute('data-drawn')];
    })""")


@pytest.mark.parametrize("name,path,charts", REPORTS, ids=[r[0] for r in REPORTS])
def test_is_the_report_readable_with_its_charts_drawn_on_a_phone(owner_on_phone, shop, name, path, charts):
    page = owner_on_phone
    visual.check_page(page, shop.base + path, f"report-{name}-phone", tap_targets=False)
    page.wait_for_selector(".report-chart[data-drawn='1']")
    drawn = _charts(page)
    assert len(drawn) >= charts, drawn
    for width, shapes, flag in drawn:
        assert flag == "1" and shapes > 3 and 0 < width <= 375, drawn
    export = page.query_selector("#export-csv")
    if export is not None:
        response = page.request.get(shop.base + export.get_attribute("href"))
        assert response.ok and response.headers["content-type"].startswith("text/csv")

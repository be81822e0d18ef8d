"""Front-end files: every vendored library is loaded by a page (none is dead weight), every page's stylesheet lives
in static/css/ (no inline <style> block), and the member and staff layouts build on the one base page."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"


def templates():
    return {path.relative_to(TEMPLATES).as_posix(): path.read_text() for path in TEMPLATES.rglob("*.html")}


def vendored():
    """The files scripts/vendor.sh copies into static/vendor/."""
    script = (ROOT / "scripts" / "vendor.sh").read_text()
    files = re.findall(r'"[^":]+:([^"]+)"', script.split("files=(", 1)[1].split(")", 1)[0])
    return set(files) | set(re.findall(r"^wx_dst=static/vendor/(\S+)$", script, re.M))


def test_is_every_vendored_file_loaded_by_some_page_and_every_loaded_one_vendored():
    text = "\n".join(templates().values())
    loaded = set(re.findall(r"filename='vendor/([^']+)'", text))
    assert vendored() == loaded
    assert "weui.min.js" not in text and "weui.js" not in (ROOT / "package.json").read_text()


def test_is_every_stylesheet_a_file_in_static_css():
    pages = templates()
    assert [name for name, text in pages.items() if "<style" in text] == []
    sheets = set(re.findall(r"filename='(css/[^']+\.css)'", "\n".join(pages.values())))
    assert sheets == {path.relative_to(STATIC).as_posix() for path in (STATIC / "css").glob("*.css")}


def test_do_the_member_and_staff_layouts_extend_the_base_page():
    pages = templates()
    for layout in ("member_h5/layout.html", "staff_h5/layout.html", "backoffice/layout.html"):
        assert pages[layout].startswith('{% extends "base.html" %}'), layout
        assert not re.search(r"<html|<head[ >]", pages[layout]), layout

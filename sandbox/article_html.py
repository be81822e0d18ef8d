"""An article body (图文正文) as the sandbox's article page shows it: the merchant's HTML through a whitelist.

Allowed tags keep only harmless attributes (links and images to http(s) or this site's own paths); every other
tag is dropped with its text kept, and script, style and the like are dropped with their content. Text is escaped.
"""
from html.parser import HTMLParser

from markupsafe import Markup, escape

ALLOWED = {"p", "br", "strong", "b", "em", "i", "u", "s", "span", "section", "div", "h1", "h2", "h3", "h4", "ul",
           "ol", "li", "blockquote", "hr", "img", "a", "table", "thead", "tbody", "tr", "td", "th", "sup", "sub"}
VOID = {"br", "hr", "img"}
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "textarea", "select"}
ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt", "width", "height"}, "td": {"colspan", "rowspan"},
              "th": {"colspan", "rowspan"}}
URL_ATTRIBUTES = {"href", "src"}


def safe_url(value):
    value = (value or "").strip()
    return value.startswith(("http://", "https://")) or (value.startswith("/") and not value.startswith("//"))


class _Cleaner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.open, self.skipping = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in DROPPED_WITH_CONTENT:
            self.skipping += 1
            return
        if self.skipping or tag not in ALLOWED:
            return
        kept = []
        for name, value in attrs:
            if name in ATTRIBUTES.get(tag, ()) and value is not None and (name not in URL_ATTRIBUTES
                                                                          or safe_url(value)):
                kept.append(f' {name}="{escape(value)}"')
        if tag == "a":
            kept.append(' rel="noopener noreferrer"')
        self.out.append(f"<{tag}{''.join(kept)}>")
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.open and self.open[-1] == tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in DROPPED_WITH_CONTENT:
            self.skipping = max(self.skipping - 1, 0)
            return
        if self.skipping or tag not in self.open:
            return
        while self.open:  # close what the author left open inside it
            inner = self.open.pop()
            self.out.append(f"</{inner}>")
            if inner == tag:
                break

    def handle_data(self, data):
        if not self.skipping:
            self.out.append(str(escape(data)))


def clean(html):
    """The body as safe Markup: whitelisted tags and attributes, everything else escaped or dropped."""
    cleaner = _Cleaner()
    cleaner.feed(html or "")
    cleaner.close()
    cleaner.out.extend(f"</{tag}>" for tag in reversed(cleaner.open))
    return Markup("".join(cleaner.out))

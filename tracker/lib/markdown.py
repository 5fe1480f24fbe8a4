"""Markdown rendered safely, for any app: `render_markdown(text)` in Python,
`{% load markdown %}{{ text|markdown }}` in templates (registered as a template
library in settings).

Two layers, so a gap in one is caught by the other:
1. Python-Markdown with its raw-HTML handling removed: `<script>` typed in a
   section comes out as the text "<script>", never as a tag;
2. nh3 (ammonia) cleans the generated HTML against an allow-list of tags and
   attributes; links keep only http, https and mailto (no `javascript:`, no
   `data:`) and get rel="noopener noreferrer nofollow". No images: the
   Content-Security-Policy would block outside ones and they can track readers.
"""

import re
import threading

import markdown as python_markdown
import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"
# Longer input is cut before rendering: a section is prose, not a data dump, and
# this bounds the work one request can cause.
MAX_LENGTH = 100_000

_SCHEME = re.compile(r"^([^/?#]*?):")


def _safe_attribute(tag: str, name: str, value: str) -> str | None:
    """Drop a link whose scheme, once whitespace and control characters are
    taken out ("java\tscript:"), is not an allowed one (nh3 reads such a value
    as a harmless relative URL; browsers might not)."""
    if name != "href":
        return value
    compact = re.sub(r"[\x00-\x20\x7f]+", "", value).lower()
    scheme = _SCHEME.match(compact)
    if scheme and scheme.group(1) not in URL_SCHEMES:
        return None
    return value


_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    link_rel=LINK_REL,
    strip_comments=True,
    attribute_filter=_safe_attribute,
)


class _EscapeRawHtml(Extension):
    """Treat raw HTML in the source as text (Python-Markdown passes it through
    by default)."""

    def extendMarkdown(self, md: python_markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


_local = threading.local()


def _converter() -> python_markdown.Markdown:
    """This thread's converter, reset: building one (its parser and every
    extension) costs more than converting a section, and Python-Markdown's
    reset() clears all a conversion leaves behind. A converter is not safe to
    share between threads, so each thread has its own."""
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = python_markdown.Markdown(
            extensions=[
                _EscapeRawHtml(),
                "fenced_code",
                "tables",
                "sane_lists",
                "nl2br",
            ],
            # Column alignment as an attribute: style attributes are not allowed.
            extension_configs={"tables": {"use_align_attribute": True}},
            output_format="html",
        )
    return converter.reset()


# NUL and the other C0 controls but tab and newline: they have no business in
# prose and confuse parsers.
_CONTROLS = dict.fromkeys(c for c in range(32) if chr(c) not in "\n\t")


def render_markdown(text: str | None) -> SafeString:
    """Markdown to sanitized HTML, safe to place in a page as it is."""
    if not text:
        return mark_safe("")
    html = _converter().convert(text[:MAX_LENGTH].translate(_CONTROLS))
    # Safe: the allow-list sanitizer above produced it.
    return mark_safe(_CLEANER.clean(html))


register = template.Library()


@register.filter(name="markdown")
def markdown_filter(value: str | None) -> SafeString:
    return render_markdown(value)

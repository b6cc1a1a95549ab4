"""Markdown written by Customer Care, rendered to HTML that is safe to show anywhere.

``markdown`` renders (raw HTML in the source is escaped, not passed through), then ``nh3`` keeps
only an allow-list of tags and attributes and only http, https and mailto links, and marks every
link ``rel="noopener noreferrer nofollow"``. Rendering is deterministic, so it happens once, on write.
"""

from __future__ import annotations

import markdown as md
import nh3

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "span", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}
MAX_LENGTH = 100_000


class _EscapeHtml(md.extensions.Extension):  # type: ignore[misc]  # the library ships no types
    """Raw HTML in the Markdown source is shown as text, never interpreted."""

    def extendMarkdown(self, parser: md.Markdown) -> None:
        parser.preprocessors.deregister("html_block")
        parser.inlinePatterns.deregister("html")


def render_markdown(text: str) -> str:
    html = md.markdown(text, extensions=["extra", "sane_lists", _EscapeHtml()], output_format="html")
    return nh3.clean(
        html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer nofollow"
    )

"""Editor Markdown to safe HTML: the one renderer for pages, previews and imports."""

import functools
import re
from html import unescape

import nh3
from markdown_it import MarkdownIt

# CommonMark with raw HTML switched off: an editor's "<script>" shows as text.
_parser = MarkdownIt("commonmark", {"html": False, "typographer": False})

# The sanitiser is the guarantee; the parser settings above are only the first line.
# Only plain content tags survive, links keep http(s) and site-relative URLs, and
# every attribute not listed here (on*, style, …) is dropped.
ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "cite", "code", "em", "hr",
    "li", "ol", "p", "pre", "strong", "sub", "sup", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = {"http", "https"}

# A second parser that keeps every link, so that validation can name the bad ones.
_link_finder = MarkdownIt("commonmark", {"html": False})
_link_finder.validateLink = lambda url: True

# A sentence's last character: a full stop, question or exclamation mark before white space and a capital
# or a digit, perhaps with quotation marks or a bracket between (the closing one is left out of a teaser).
_SENTENCE_END = re.compile(r"[.!?](?=[\"”’)]?\s+[\"“(]?[A-Z0-9])")


def render_markdown(text: str) -> str:
    """Render an editor's Markdown to sanitised HTML."""
    text = text or ""
    tokens = _tokens_with_every_link(text)
    if _disallowed(tokens):
        # _parser reads some of these otherwise (a javascript: link as plain text): parsed its way.
        return sanitise_html(_parser.render(text))
    # With only allowed links, both parsers read the text alike: the text validated before it is saved
    # (disallowed_links, then render_markdown) is parsed once.
    return sanitise_html(_parser.renderer.render(tokens, _parser.options, {}))


def sanitise_html(html: str) -> str:
    """Keep only the tags, attributes and URL schemes listed above."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def plain_text(html: str) -> str:
    """The visible text of rendered HTML, with white space folded."""
    return " ".join(unescape(nh3.clean(html, tags=set())).split())


def first_sentence(html: str) -> str:
    """The first sentence of rendered HTML, as plain text, for a collapsed panel."""
    return first_sentence_of_text(plain_text(html))


def first_sentence_of_text(text: str) -> str:
    """The first sentence of plain text (not HTML), with white space folded: a teaser for a list."""
    end = _SENTENCE_END.search(text)
    return " ".join((text[: end.end()] if end else text).split())


def disallowed_links(text: str) -> list[str]:
    """Link and image addresses in Markdown that are neither http(s) nor site-relative."""
    return _disallowed(_tokens_with_every_link(text or ""))


@functools.lru_cache(maxsize=64)
def _tokens_with_every_link(text: str) -> tuple:
    # Read-only once made: rendering tokens does not change them.
    return tuple(_link_finder.parse(text))


def _disallowed(tokens: tuple) -> list[str]:
    found = []
    for token in tokens:
        for child in token.children or []:
            url = child.attrGet("href") or child.attrGet("src")
            if url is None:
                continue
            url = str(url).strip()
            if url.startswith(("/", "#")) and not url.startswith("//"):
                continue
            if url.lower().startswith(("http://", "https://")):
                continue
            found.append(url)
    return found

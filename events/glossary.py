"""Key terms marked where a lesson first uses them, with their definitions at hand."""

import html
import re
from collections.abc import Iterable

from django.utils.html import format_html
from django.utils.text import slugify

TAG_OR_TEXT = re.compile(r"(<[^>]*>)")


def term_anchor(term: str) -> str:
    return f"term-{slugify(term)}"


def mark_first_uses(blocks: Iterable[tuple[object, str]], terms: Iterable) -> dict[object, str]:
    """
    The blocks of sanitised HTML, in page order, with the first use of each key term in
    the whole lesson marked: a link to its glossary entry that describes it with its
    definition (shown on hover, focus or tap). Text inside links is left alone.
    """
    remaining = sorted(terms, key=lambda term: -len(term.term))  # "Great Leap Forward" before "Leap"
    marked = {}
    for key, block in blocks:
        pieces = TAG_OR_TEXT.split(block)
        inside_link = False
        for index, piece in enumerate(pieces):
            if piece.startswith("<"):
                inside_link = bool(re.match(r"<a[\s>]", piece)) or (inside_link and not piece.startswith("</a"))
            elif remaining and not inside_link and piece.strip():
                pieces[index] = _mark_text(piece, remaining)
        marked[key] = "".join(pieces)
    return marked


def _mark_text(text: str, remaining: list) -> str:
    """Mark, left to right, the first use of each remaining term in one run of text."""
    out = []
    while True:
        found = None
        for term in remaining:
            match = re.search(rf"\b{re.escape(html.escape(term.term, quote=False))}\b", text, re.IGNORECASE)
            if match and (found is None or match.start() < found[1].start()):
                found = (term, match)
        if found is None:
            out.append(text)
            return "".join(out)
        term, match = found
        out += [text[: match.start()], _marked(term, match.group(0))]
        text = text[match.end() :]
        remaining.remove(term)


def _marked(term, text: str) -> str:
    anchor = term_anchor(term.term)
    return format_html(
        '<span class="term"><a class="term-link" href="#{}" aria-describedby="{}-definition">{}</a>'
        '<span class="term-definition" role="tooltip" id="{}-definition">{}</span></span>',
        anchor,
        anchor,
        html.unescape(text),
        anchor,
        term.definition,
    )

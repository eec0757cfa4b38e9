"""Identifiers that show a reading is a real, findable work: ISBNs and DOIs."""

import re

DOI = re.compile(r"^10\.\d{4,9}/\S+$")


def normalise_isbn(value: str) -> str:
    """An ISBN without spaces, hyphens and prefix, e.g. "ISBN 978-1-4985-1166-7" -> "9781498511667"."""
    value = re.sub(r"^\s*ISBN(?:-1[03])?:?\s*", "", value, flags=re.IGNORECASE)
    return re.sub(r"[\s-]", "", value).upper()


def isbn_problem(value: str) -> str | None:
    """Why an ISBN-10 or ISBN-13 is not valid, or None when it is."""
    isbn = normalise_isbn(value)
    if len(isbn) == 10 and re.fullmatch(r"\d{9}[\dX]", isbn):
        total = sum((10 - position) * (10 if char == "X" else int(char)) for position, char in enumerate(isbn))
        return None if total % 11 == 0 else "its check digit is wrong: check it against the book"
    if len(isbn) == 13 and isbn.isdigit():
        total = sum((3 if position % 2 else 1) * int(char) for position, char in enumerate(isbn))
        return None if total % 10 == 0 else "its check digit is wrong: check it against the book"
    return "an ISBN has 10 or 13 digits (the last of an ISBN-10 may be X)"


def normalise_doi(value: str) -> str:
    """A DOI without its resolver prefix, e.g. "https://doi.org/10.1000/xyz" -> "10.1000/xyz"."""
    return re.sub(r"^\s*(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", "", value, flags=re.IGNORECASE).strip()


def doi_problem(value: str) -> str | None:
    return None if DOI.match(normalise_doi(value)) else "a DOI looks like 10.1234/abcd"

"""What a lesson needs before the public may see it: the checks the importer and the admin share."""

from collections.abc import Iterable

from .models import Reading


def reading_problems(readings: Iterable[Reading]) -> list[str]:
    """One message for each reading that cannot be published yet; empty when all can."""
    return [
        f"Reading “{reading.title}”: {problem}."
        for reading in readings
        if (problem := reading.identifier_problem) is not None
    ]

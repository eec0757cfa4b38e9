"""axe-core's WCAG 2.2 A and AA rules, run in the page (axe ships inside the wheel, so it works offline)."""

from axe_playwright_python.sync_playwright import Axe

WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}


def axe_violations(page) -> list:
    """Each violation as (rule, impact, the elements it found); empty when the page passes."""
    result = Axe().run(page, options=WCAG_AA).response
    return [(v["id"], v["impact"], [node["target"] for node in v["nodes"]]) for v in result["violations"]]

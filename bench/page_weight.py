"""What the first load of a page transfers, measured in Debian's Chromium with an empty cache.

    .venv/bin/python -m bench.page_weight http://127.0.0.1:8201/lessons/a-lesson/ [--forwarded-https] [--json]

Sizes are the encoded (compressed, as sent) response bodies, so they depend on the server
compressing what Chromium's Accept-Encoding asks for. The budget: HTML, CSS and JavaScript together
at most 60 KB, no web fonts and no request to another origin.
"""

import argparse
import json
import sys
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from bench.lighthouse import parse_header

CHROMIUM = "/usr/bin/chromium"
# 60 KB in decimal kilobytes, the stricter reading.
BUDGET_BYTES = 60_000
KINDS = ("html", "css", "js", "font", "image", "other")
RESOURCE_KINDS = {"document": "html", "stylesheet": "css", "script": "js", "font": "font", "image": "image"}


def origin(url: str) -> tuple[str, str]:
    """The scheme and host:port of url."""
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def first_load_weight(url: str, headers: dict[str, str] | None = None, forwarded_https: bool = False) -> dict:
    """Bytes transferred by the first load of url in a fresh browser context, by kind, and the budget's verdict.

    Returns {"bytes": {kind: encoded body bytes}, "decoded_bytes": {...}, "requests": {kind: count},
    "html_css_js": total, "budget": 60000, "within_budget": bool, "font_requests": n,
    "other_origin_requests": [urls], "headers_bytes": n, "resources": [one dict per response]}.
    headers go with every request; forwarded_https adds X-Forwarded-Proto: https, as the HTTPS proxy in front
    of a production server (DJANGO_DEBUG=0) does, so that it answers over plain HTTP instead of redirecting.
    """
    headers = {**(headers or {}), **({"X-Forwarded-Proto": "https"} if forwarded_https else {})}
    finished = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            context = browser.new_context(extra_http_headers=headers)
            page = context.new_page()
            # Failed requests count too: a blocked font or an unreachable other origin is still a request.
            page.on("requestfinished", lambda request: finished.append(request))
            page.on("requestfailed", lambda request: finished.append(request))
            page.goto(url, wait_until="networkidle")
            resources = [describe(request) for request in finished]
            context.close()
        finally:
            browser.close()

    return tally(url, resources)


def tally(url: str, resources: list[dict]) -> dict:
    """Add up the resources (as made by describe) of the first load of url against the budget."""
    page_origin = origin(url)
    result = {
        "url": url,
        "bytes": dict.fromkeys(KINDS, 0),
        "decoded_bytes": dict.fromkeys(KINDS, 0),
        "requests": dict.fromkeys(KINDS, 0),
        "headers_bytes": 0,
    }
    for resource in resources:
        kind = resource["kind"]
        result["bytes"][kind] += resource["bytes"]
        result["decoded_bytes"][kind] += resource["decoded_bytes"]
        result["requests"][kind] += 1
        result["headers_bytes"] += resource["headers_bytes"]
    result["html_css_js"] = sum(result["bytes"][kind] for kind in ("html", "css", "js"))
    result["budget"] = BUDGET_BYTES
    result["within_budget"] = result["html_css_js"] <= BUDGET_BYTES
    result["font_requests"] = result["requests"]["font"]
    result["other_origin_requests"] = [
        resource["url"]
        for resource in resources
        if origin(resource["url"]) != page_origin and urlsplit(resource["url"]).scheme not in ("data", "blob")
    ]
    result["resources"] = resources
    return result


def kind_of(request, response) -> str:
    """html, css, js, font or image by what the browser loaded it as; a favicon ("other" to Chromium) is an image."""
    kind = RESOURCE_KINDS.get(request.resource_type, "other")
    if kind == "other" and response and response.headers.get("content-type", "").startswith("image/"):
        return "image"
    return kind


def describe(request) -> dict:
    """One finished request: its kind, status and sizes (encoded body as sent, decoded body, headers)."""
    response = request.response()
    try:
        sizes = request.sizes()
    except Exception:  # A request that failed before any response has no sizes.
        sizes = {"responseBodySize": 0, "responseHeadersSize": 0}
    try:
        decoded = len(response.body()) if response else 0
    except Exception:  # A redirect has no body to read.
        decoded = 0
    return {
        "url": request.url,
        "kind": kind_of(request, response),
        "status": response.status if response else None,
        "failure": request.failure,
        "content_encoding": response.headers.get("content-encoding", "") if response else "",
        "bytes": max(sizes["responseBodySize"], 0),
        "decoded_bytes": decoded,
        "headers_bytes": max(sizes["responseHeadersSize"], 0),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.page_weight", description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument(
        "--header",
        action="append",
        type=parse_header,
        default=[],
        help="'Name: value' sent with every request, e.g. 'X-Forwarded-Proto: https' for a production server",
    )
    parser.add_argument(
        "--forwarded-https",
        action="store_true",
        help="send X-Forwarded-Proto: https, so that a production server (DJANGO_DEBUG=0) answers over plain HTTP",
    )
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    args = parser.parse_args(argv)
    result = first_load_weight(args.url, headers=dict(args.header), forwarded_https=args.forwarded_https)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0 if result["within_budget"] else 1
    print(f"First load of {args.url}")
    for resource in result["resources"]:
        encoding = resource["content_encoding"] or "identity"
        print(
            f"  {resource['kind']:5} {resource['bytes']:>7} B  ({resource['decoded_bytes']:>7} B decoded, {encoding})"
            f"  {resource['url']}"
        )
    print("  " + ", ".join(f"{kind} {result['bytes'][kind]} B" for kind in KINDS))
    verdict = "within" if result["within_budget"] else "OVER"
    print(f"  HTML + CSS + JS: {result['html_css_js']} B, {verdict} the budget of {result['budget']} B")
    print(f"  font requests: {result['font_requests']}; other-origin requests: {len(result['other_origin_requests'])}")
    for other in result["other_origin_requests"]:
        print(f"    {other}")
    ok = result["within_budget"] and not result["font_requests"] and not result["other_origin_requests"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

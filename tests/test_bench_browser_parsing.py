"""The benchmark's Lighthouse and page-weight tools read their numbers right (no browser needed)."""

import argparse
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import lighthouse, page_weight


def lighthouse_report(performance, accessibility=1.0, failing=()):
    """A Lighthouse JSON report cut down to what the tool reads."""
    audits = {
        "first-contentful-paint": {"score": 1, "numericValue": 900.5},
        "color-contrast": {"score": 0 if "color-contrast" in failing else 1},
        "errors-in-console": {"score": 1},
        "robots-txt": {"score": None, "scoreDisplayMode": "notApplicable"},
        "meta-description": {"score": 0 if "meta-description" in failing else 1},
    }
    return {
        "categories": {
            "performance": {"score": performance, "auditRefs": [{"id": "first-contentful-paint"}]},
            "accessibility": {"score": accessibility, "auditRefs": [{"id": "color-contrast"}]},
            "best-practices": {"score": 1.0, "auditRefs": [{"id": "errors-in-console"}]},
            "seo": {"score": 0.92, "auditRefs": [{"id": "robots-txt"}, {"id": "meta-description"}]},
        },
        "audits": audits,
    }


def test_lighthouse_scores_are_medians_with_each_run_and_the_failed_audits(monkeypatch):
    reports = iter(
        [
            lighthouse_report(0.82),
            lighthouse_report(0.99, accessibility=0.95, failing=["color-contrast", "meta-description"]),
            lighthouse_report(0.96),
        ]
    )
    monkeypatch.setattr(lighthouse, "run_lighthouse", lambda url, headers=None: next(reports))

    result = lighthouse.lighthouse_scores("http://127.0.0.1:8201/", runs=3)

    assert [run["performance"] for run in result["runs"]] == [82, 99, 96]
    assert result["performance"] == 96
    assert result["accessibility"] == 100
    assert result["best-practices"] == 100
    assert result["seo"] == 92
    assert result["failed_audits"] == {
        "accessibility": ["color-contrast"],
        "best-practices": [],
        "seo": ["meta-description"],
    }
    assert result["runs"][0]["metrics"]["fcp_ms"] == 900.5


def test_a_lighthouse_run_that_failed_is_made_again_and_three_failures_are_reported(monkeypatch):
    outcomes = iter([RuntimeError("NO_NAVSTART"), lighthouse_report(0.99), lighthouse_report(0.97)])

    def run_lighthouse(url, headers=None):
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(lighthouse, "run_lighthouse", run_lighthouse)
    assert [run["performance"] for run in lighthouse.lighthouse_scores("http://127.0.0.1:8201/", runs=2)["runs"]] == [
        99,
        97,
    ]

    failures = []

    def always_failing(url, headers=None):
        failures.append(url)
        raise RuntimeError("NO_NAVSTART")

    monkeypatch.setattr(lighthouse, "run_lighthouse", always_failing)
    with pytest.raises(RuntimeError, match="NO_NAVSTART"):
        lighthouse.lighthouse_scores("http://127.0.0.1:8201/", runs=3)
    assert len(failures) == lighthouse.RUN_ATTEMPTS


def test_a_category_lighthouse_could_not_score_is_none(monkeypatch):
    monkeypatch.setattr(lighthouse, "run_lighthouse", lambda url, headers=None: lighthouse_report(None))

    assert lighthouse.lighthouse_scores("http://127.0.0.1:8201/", runs=1)["performance"] is None


def test_header_option_needs_a_name_and_a_value():
    assert lighthouse.parse_header("X-Forwarded-Proto: https") == ("X-Forwarded-Proto", "https")
    with pytest.raises(argparse.ArgumentTypeError):
        lighthouse.parse_header("no colon")


def test_forwarded_https_proxy_tells_the_server_every_request_came_over_https():
    class Echo(BaseHTTPRequestHandler):
        def do_GET(self):
            body = f"{self.path} {self.headers.get('X-Forwarded-Proto')}".encode()
            self.send_response(404 if self.path == "/robots.txt" else 200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            pass

    upstream = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    try:
        with lighthouse.behind_https_proxy(f"http://127.0.0.1:{upstream.server_port}/lessons/a/") as url:
            assert url.startswith("http://127.0.0.1:") and url.endswith("/lessons/a/")
            assert urllib.request.urlopen(url).read() == b"/lessons/a/ https"
            with pytest.raises(urllib.error.HTTPError) as error:
                urllib.request.urlopen(url.replace("/lessons/a/", "/robots.txt"))
            assert error.value.code == 404
            assert error.value.read() == b"/robots.txt https"
    finally:
        upstream.shutdown()
        upstream.server_close()


def test_forwarded_https_proxy_says_nothing_when_the_browser_drops_a_connection(capfd):
    with lighthouse.behind_https_proxy("http://127.0.0.1:9/") as url:
        port = int(url.split(":")[2].split("/")[0])
        for _ in range(3):
            browser = socket.create_connection(("127.0.0.1", port))
            browser.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the request not finished
            browser.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            browser.close()  # reset, as Chromium does with a connection it no longer needs
        time.sleep(0.5)

    assert "Traceback" not in capfd.readouterr().err


def resource(url, kind, size, decoded=None):
    return {"url": url, "kind": kind, "bytes": size, "decoded_bytes": decoded or size, "headers_bytes": 100}


def test_page_weight_adds_html_css_and_js_against_the_budget_and_flags_fonts_and_other_origins():
    result = page_weight.tally(
        "http://127.0.0.1:8201/lessons/a/",
        [
            resource("http://127.0.0.1:8201/lessons/a/", "html", 5_000, 17_000),
            resource("http://127.0.0.1:8201/static/css/site.css", "css", 4_000),
            resource("http://127.0.0.1:8201/static/js/htmx.js", "js", 16_000),
            resource("http://127.0.0.1:8201/static/img/favicon.svg", "image", 600),
            resource("https://fonts.example.com/a.woff2", "font", 30_000),
            resource("data:image/svg+xml,abc", "image", 0),
        ],
    )

    assert result["html_css_js"] == 25_000
    assert result["within_budget"]
    assert result["bytes"]["image"] == 600
    assert result["decoded_bytes"]["html"] == 17_000
    assert result["font_requests"] == 1
    assert result["other_origin_requests"] == ["https://fonts.example.com/a.woff2"]


def test_page_weight_over_sixty_kilobytes_is_over_budget():
    result = page_weight.tally(
        "http://127.0.0.1:8201/",
        [resource("http://127.0.0.1:8201/", "html", 30_000), resource("http://127.0.0.1:8201/a.js", "js", 30_001)],
    )

    assert not result["within_budget"]

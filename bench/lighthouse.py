"""Lighthouse scores of a page, with Debian's Chromium and Lighthouse's default (mobile) settings.

    .venv/bin/python -m bench.lighthouse http://127.0.0.1:8201/ [--runs 3] [--forwarded-https] [--json]

--forwarded-https scores a production server (DJANGO_DEBUG=0, which redirects plain HTTP) as served
behind its HTTPS proxy: Lighthouse goes through a local proxy that adds X-Forwarded-Proto: https.

Lighthouse 12.8.2 is the last version that runs on Node 20; it is installed by exact version into a
cache folder that every clone shares, as they share pip's cache and Debian's Chromium (BENCH_NODE_DIR,
by default ~/.cache/history-site/lighthouse-12.8.2). The performance score is noisy on two cores, so
every score is the median of several runs; never gate a test on it.
"""

import argparse
import contextlib
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

LIGHTHOUSE_VERSION = "12.8.2"
CHROMIUM = "/usr/bin/chromium"
USER_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
NODE_DIR = Path(os.environ.get("BENCH_NODE_DIR") or USER_CACHE / "history-site" / f"lighthouse-{LIGHTHOUSE_VERSION}")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
# Categories whose failing audits are listed: these scores are stable and each point is a fixable audit.
LISTED_CATEGORIES = ("accessibility", "best-practices", "seo")
METRICS = {
    "first-contentful-paint": "fcp_ms",
    "largest-contentful-paint": "lcp_ms",
    "total-blocking-time": "tbt_ms",
    "speed-index": "speed_index_ms",
    "cumulative-layout-shift": "cls",
}


def lighthouse_bin(node_dir: Path = NODE_DIR) -> Path:
    """Where npm puts the lighthouse command inside node_dir."""
    return node_dir / "node_modules" / ".bin" / "lighthouse"


def installed_version(node_dir: Path = NODE_DIR) -> str | None:
    """The version of Lighthouse installed in node_dir, or None."""
    try:
        package = json.loads((node_dir / "node_modules" / "lighthouse" / "package.json").read_text())
    except (OSError, ValueError):
        return None
    return package.get("version")


def ensure_lighthouse(node_dir: Path = NODE_DIR) -> Path:
    """Install lighthouse@12.8.2 into node_dir with npm unless it is there already; return its command."""
    command = lighthouse_bin(node_dir)
    if command.exists() and installed_version(node_dir) == LIGHTHOUSE_VERSION:
        return command
    node_dir.mkdir(parents=True, exist_ok=True)
    # An exact install, not `npm ci`: the lockfile Lighthouse ships is rejected by npm on Node 20.
    install = ["npm", "install", "--prefix", str(node_dir), "-E", f"lighthouse@{LIGHTHOUSE_VERSION}"]
    subprocess.run([*install, "--no-audit", "--no-fund"], check=True, stdout=subprocess.DEVNULL)
    return command


def run_lighthouse(url: str, headers: dict[str, str] | None = None, timeout: int = 180) -> dict:
    """Run Lighthouse once on url and return its JSON report (the Lighthouse result object)."""
    command = ensure_lighthouse()
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as folder:
        report = Path(folder) / "report.json"
        args = [
            str(command),
            url,
            "--chrome-flags=--headless=new --no-sandbox",
            f"--only-categories={','.join(CATEGORIES)}",
            "--output=json",
            f"--output-path={report}",
            "--disable-full-page-screenshot",
            "--quiet",
        ]
        if headers:
            args.append(f"--extra-headers={json.dumps(headers)}")
        # Lighthouse 12's CLI has no --chrome-path: chrome-launcher reads CHROME_PATH.
        env = {**os.environ, "CHROME_PATH": CHROMIUM}
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)
        if done.returncode or not report.exists():
            raise RuntimeError(f"Lighthouse failed on {url} (exit {done.returncode}): {done.stderr[-2000:]}")
        return json.loads(report.read_text())


RUN_ATTEMPTS = 3


def recorded_run(url: str, headers: dict[str, str] | None = None) -> dict:
    """run_lighthouse(), again when it fails: now and then Lighthouse fails to record a page load
    ("NO_NAVSTART"), and one run that failed must not lose the others."""
    for _ in range(RUN_ATTEMPTS - 1):
        try:
            return run_lighthouse(url, headers)
        except RuntimeError:
            pass
    return run_lighthouse(url, headers)


def summarise(report: dict) -> dict:
    """One run's scores (0–100 ints, None when Lighthouse could not score), key metrics and failed audits."""
    run = {}
    for category in CATEGORIES:
        score = report["categories"][category]["score"]
        run[category] = None if score is None else round(score * 100)
    audits = report["audits"]
    run["metrics"] = {
        name: audits[audit_id].get("numericValue") for audit_id, name in METRICS.items() if audit_id in audits
    }
    run["failed_audits"] = {
        category: sorted(
            ref["id"]
            for ref in report["categories"][category]["auditRefs"]
            if isinstance(audits[ref["id"]].get("score"), int | float) and audits[ref["id"]]["score"] < 1
        )
        for category in LISTED_CATEGORIES
    }
    if report.get("runtimeError"):
        run["runtime_error"] = report["runtimeError"].get("message")
    return run


def lighthouse_scores(
    url: str, runs: int = 3, headers: dict[str, str] | None = None, forwarded_https: bool = False
) -> dict:
    """Median Lighthouse scores of url over several runs, each run's scores, and the audits that failed.

    forwarded_https: url is a production server (DJANGO_DEBUG=0) reached over plain HTTP; Lighthouse
    goes through behind_https_proxy() so that the server answers as it does behind its HTTPS proxy.
    headers go with the page's own requests (not with Lighthouse's fetch of /robots.txt).
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    with behind_https_proxy(url) if forwarded_https else contextlib.nullcontext(url) as target:
        per_run = [summarise(recorded_run(target, headers)) for _ in range(runs)]
    result: dict = {}
    for category in CATEGORIES:
        scores = [run[category] for run in per_run if run[category] is not None]
        result[category] = round(statistics.median(scores)) if scores else None
    result["runs"] = per_run
    result["failed_audits"] = {
        category: sorted({audit for run in per_run for audit in run["failed_audits"][category]})
        for category in LISTED_CATEGORIES
    }
    return result


HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}


@contextlib.contextmanager
def behind_https_proxy(url: str) -> Iterator[str]:
    """Serve url's origin through a local proxy that, like the HTTPS proxy in production, adds
    X-Forwarded-Proto: https to every request; yield url on the proxy.

    Lighthouse's --extra-headers reach the page's requests but not its own fetch of /robots.txt,
    which a production server would then redirect to HTTPS.
    """
    upstream = urlsplit(url)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
            headers |= {"X-Forwarded-Proto": "https", "X-Forwarded-For": self.client_address[0]}
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port or 80, timeout=60)
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                content = response.read()
            finally:
                connection.close()
            self.send_response_only(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP | {"content-length"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        do_GET = do_HEAD = do_POST = forward

        def log_message(self, format, *args) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address) -> None:
            # The browser closes connections it no longer needs, now and then while the proxy reads
            # from them: nothing went wrong, and no traceback belongs in the benchmark's output.
            if not isinstance(sys.exception(), ConnectionError):
                super().handle_error(request, client_address)

    server = Server((upstream.hostname, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield urlunsplit(upstream._replace(netloc=f"{upstream.hostname}:{server.server_port}"))
    finally:
        server.shutdown()
        server.server_close()


def parse_header(text: str) -> tuple[str, str]:
    """'Name: value' as (name, value)."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected 'Name: value', got {text!r}")
    return name.strip(), value.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lighthouse", description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--runs", type=int, default=3)
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
        help="reach a production server (DJANGO_DEBUG=0) over plain HTTP through a proxy that says the request came "
        "over HTTPS, as the site's HTTPS proxy does; scores the page as served over HTTPS, robots.txt included",
    )
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    args = parser.parse_args(argv)
    result = lighthouse_scores(
        args.url, runs=args.runs, headers=dict(args.header) or None, forwarded_https=args.forwarded_https
    )
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"Lighthouse {LIGHTHOUSE_VERSION}, mobile, median of {args.runs}: {args.url}")
    for category in CATEGORIES:
        each = ", ".join(str(run[category]) for run in result["runs"])
        print(f"  {category:15} {result[category]!s:>4}   (runs: {each})")
    for category, audits in result["failed_audits"].items():
        if audits:
            print(f"  failed in {category}: {', '.join(audits)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

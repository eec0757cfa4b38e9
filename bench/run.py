"""`make bench`: the production server under load, every figure a ratio to a static baseline.

The Makefile passes `make serve`'s gunicorn command line (GUNICORN_COMMAND) after `--`; this
script adds only `--bind 127.0.0.1:<port>`. For SQLite and then PostgreSQL with Redis it makes a
fresh database, fills it with bench/generator.py, and drives the server with wrk
(bench/report.lua) from a second process. The baseline is WhiteNoise serving a byte-identical
saved copy of a lesson page from the same gunicorn. It writes BENCHMARKS.md and
bench/results.json, then exits 1 naming every budget missed.

    .venv/bin/python -m bench.run -- .venv/bin/gunicorn history_site.wsgi --workers 3 --threads 4 ...

BENCH_DURATION (seconds per wrk run, default 1), BENCH_ROUNDS (default 3), BENCH_GROWTH_ROUNDS
(default BENCH_ROUNDS + 2), BENCH_SIZES (default 10,1000,10000) and BENCH_DATABASES (default
sqlite,postgres) shrink a trial run.
"""

import argparse
import concurrent.futures
import contextlib
import gzip
import http.client
import importlib.metadata
import json
import math
import os
import platform
import re
import resource
import secrets
import shlex
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
LUA = ROOT / "bench" / "report.lua"
BENCHMARKS = ROOT / "BENCHMARKS.md"
RESULTS = ROOT / "bench" / "results.json"
BASELINE_DIR = ROOT / "staticfiles" / "bench-baseline"
BASELINE_PATH = "/static/bench-baseline/lesson.html"
SEED_PATH = "/lessons/ussrs-withdrawal-from-china/"
ADMIN_SLUG = "bench-admin-lesson"
HOST = "127.0.0.1"
PORT = int(os.environ.get("BENCH_PORT", "8100"))
POSTGRES_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
# Each size of the scale curve but the largest is kept in a copy of its own when the fill reaches it,
# with a PostgreSQL database, a Redis database and a port of its own (postgres_url, redis_url,
# port_of). The smallest is measured in the same rounds as the largest, each run right after the
# largest's: growth compares figures taken seconds apart.
DURATION = int(os.environ.get("BENCH_DURATION", "1"))  # wrk takes whole seconds
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
# The scale scenarios compared for growth, at the largest and the smallest size: a run of one second
# moves by a tenth either way on a shared machine, more than the margin of a budget of 1.2×.
GROWTH_ROUNDS = max(ROUNDS, int(os.environ.get("BENCH_GROWTH_ROUNDS", ROUNDS + 2)))
SIZES = [int(size) for size in os.environ.get("BENCH_SIZES", "10,1000,10000").split(",")]
DATABASES = os.environ.get("BENCH_DATABASES", "sqlite,postgres").split(",")
LARGEST, SMALLEST_SIZE = SIZES[-1], SIZES[0]
IMPORT_DOCUMENTS = int(os.environ.get("BENCH_IMPORT_DOCUMENTS", "1000"))
# Every request comes as from the HTTPS proxy in front of the site (docs/deploy.md).
PROXY_HEADER = ("X-Forwarded-Proto", "https")
PROXY_HEADERS = (": ".join(PROXY_HEADER),)
GZIP = "Accept-Encoding: gzip"
CHANGES_START = "<!-- changes-to-meet-budgets:start -->"
CHANGES_END = "<!-- changes-to-meet-budgets:end -->"


class BenchmarkError(Exception):
    """The benchmark itself went wrong (a page answered 404, wrk failed): its figures mean nothing."""


# Parsing: tested in tests/test_bench_harness.py without a server.


def parse_wrk_summary(output: str) -> dict:
    """The figures from bench/report.lua's `BENCH key=value ...` line in wrk's output."""
    for line in output.splitlines():
        if line.startswith("BENCH "):
            values = dict(item.split("=", 1) for item in line.split()[1:])
            summary = {key: int(value) for key, value in values.items() if not key.startswith("status_")}
            summary["statuses"] = {
                int(key[7:]): int(value) for key, value in values.items() if key.startswith("status_")
            }
            return summary
    raise BenchmarkError(f"wrk printed no BENCH summary line:\n{output}")


def cpu_ticks(stat_text: str) -> int:
    """utime + stime (fields 14 and 15) of a /proc/PID/stat line, in clock ticks. The command name
    (field 2) may hold spaces and brackets, so the fields are counted after its last ")"."""
    fields = stat_text[stat_text.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state).
    return int(fields[11]) + int(fields[12])


def parent_pid(stat_text: str) -> int:
    return int(stat_text[stat_text.rindex(")") + 2 :].split()[1])


def resident_mb(status_text: str) -> float:
    """VmRSS from /proc/PID/status, in megabytes (MiB)."""
    match = re.search(r"^VmRSS:\s+(\d+) kB", status_text, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else 0.0


def cold_path(path: str, run: str, thread: int, number: int) -> str:
    """The address bench/report.lua asks for in a cold run: a parameter no other request had, made of
    the run's own token, wrk's thread and the request's number in that thread."""
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}bench={run}-{thread}-{number}"


def cpu_ms_per_request(ticks: int, answered: int, connections: int) -> float:
    """CPU milliseconds per request: the server's ticks over the requests wrk saw answered and the one
    request per connection that was on its way when wrk stopped (the server finished it too)."""
    return ticks * 1000 / os.sysconf("SC_CLK_TCK") / (answered + connections)


def paired_growth(largest: list[float], smallest: list[float]) -> float:
    """The median of each round's ratio of CPU per request at the largest size to the smallest's, the
    two measured seconds apart: a figure that the machine's drift between rounds moves less than the
    ratio of the medians, which may compare two rounds minutes apart."""
    return statistics.median(large / small for large, small in zip(largest, smallest, strict=True) if small)


def growth(key: str, result: dict) -> float | None:
    """A scale scenario's CPU per request at the largest size over the smallest's, over the rounds'
    pairs (paired_growth); None where the sizes were not compared."""
    smallest = result.get("smallest_runs", {}).get(key)
    if not smallest:
        return None
    return paired_growth([run["cpu_ms"] for run in result["scenarios"][key]["runs"]], smallest)


def median_figures(runs: list[dict]) -> dict:
    """The median of each figure over the rounds of one scenario."""
    keys = ["rps", "p50_ms", "p99_ms", "cpu_ms"]
    return {key: statistics.median(run[key] for run in runs) for key in keys}


def paired_ratios(runs: list[dict], baseline_runs: list[dict]) -> dict:
    """The median over the rounds of each ratio to the baseline (ratios()), each round's run compared
    with the baseline's in the same round: p99 and requests/s move with the machine from one second
    to the next, and one slow second in either would otherwise decide the ratio of the medians."""
    # Only the baselines and the scale scenarios run every round (GROWTH_ROUNDS).
    each = [ratios(run, baseline) for run, baseline in zip(runs, baseline_runs, strict=False)]
    return {figure: statistics.median(ratio[figure] for ratio in each) for figure in each[0]}


def ratios(figures: dict, baseline: dict) -> dict:
    """A scenario's figures as multiples of the baseline's (CPU 2.0 = twice the baseline's CPU per request)."""
    return {
        "cpu": figures["cpu_ms"] / baseline["cpu_ms"] if baseline["cpu_ms"] else math.inf,
        "rps": figures["rps"] / baseline["rps"] if baseline["rps"] else 0.0,
        "p99": figures["p99_ms"] / baseline["p99_ms"] if baseline["p99_ms"] else math.inf,
    }


@dataclass(frozen=True)
class Budget:
    scenario: str
    label: str
    cpu: float | None = None  # at most this many times the baseline's CPU ms per request
    baseline: str = "baseline"
    min_rps: float | None = None  # at least this share of the baseline's requests/s
    max_p99: float | None = None  # p99 at most this many times the baseline's
    growth: float | None = None  # CPU per request at the largest size at most this many times at the smallest
    p50_ms: float | None = None
    p99_ms: float | None = None

    def describe(self) -> str:
        parts = []
        if self.cpu is not None:
            parts.append(f"CPU ≤ {self.cpu:g}×" + (" gzip baseline" if self.baseline != "baseline" else ""))
        if self.min_rps is not None:
            parts.append(f"req/s ≥ {self.min_rps:.0%}")
        if self.max_p99 is not None:
            parts.append(f"p99 ≤ {self.max_p99:g}×")
        if self.growth is not None:
            parts.append(f"≤ {self.growth:g}× its cost at the smallest size")
        if self.p50_ms is not None:
            parts.append(f"p50 ≤ {self.p50_ms:g} ms, p99 ≤ {self.p99_ms:g} ms")
        return "; ".join(parts)


BUDGETS = [
    Budget("lesson-warm", "Lesson page, warm cache", cpu=1.3, min_rps=0.75, max_p99=2.0),
    Budget("lesson-gzip-warm", "Lesson page, warm cache, gzip", cpu=1.5, baseline="baseline-gzip"),
    Budget("lesson-cold", "Lesson page, no cache", cpu=8),
    Budget("panel-cold", "Panel fragment, no cache", cpu=3),
    Budget("index-cold", "Index, first page", cpu=8, growth=1.2),
    Budget("index-last-cold", "Index, last page", cpu=8, growth=1.2),
    Budget("search-common-cold", "Search, common word", cpu=15, growth=1.5),
    Budget("search-rare-cold", "Search, rare word", cpu=15, growth=1.5),
    Budget("search-common-1conn", "Search, common word, one connection", p50_ms=20, p99_ms=40),
    Budget("search-rare-1conn", "Search, rare word, one connection", p50_ms=20, p99_ms=40),
    Budget("timeline-cold", "Timeline", cpu=10, growth=1.2),
]
WORKER_MB = 120
IMPORT_SECONDS = 60


def budget_misses(database: str, result: dict) -> list[str]:
    """Each budget one database's results miss, as a sentence naming the scenario."""
    misses = [miss for budget in BUDGETS for miss in missed(budget, database, result)]
    for number, mb in enumerate(result.get("memory_mb", []), start=1):
        if mb > WORKER_MB:
            misses.append(
                f"Memory, gunicorn worker {number} ({database}): {mb:.0f} MB resident, budget {WORKER_MB} MB"
            )
    return misses


def missed(budget: Budget, database: str, result: dict) -> list[str]:
    figures = result["scenarios"].get(budget.scenario)
    if figures is None:
        return []
    sizes = sorted(result.get("scale", {}), key=int)
    size = f", {int(sizes[-1]):,} lessons" if budget.growth is not None and sizes else ""
    name = f"{budget.label}{size} ({database})"
    median = figures["median"]
    ratio = paired_ratios(figures["runs"], result["scenarios"][budget.baseline]["runs"])
    misses = []
    if budget.cpu is not None and ratio["cpu"] > budget.cpu:
        misses.append(f"{name}: {ratio['cpu']:.2f}× the static baseline's CPU per request, budget {budget.cpu:g}×")
    if budget.min_rps is not None and ratio["rps"] < budget.min_rps:
        misses.append(f"{name}: {ratio['rps']:.0%} of the baseline's requests/s, budget ≥ {budget.min_rps:.0%}")
    if budget.max_p99 is not None and ratio["p99"] > budget.max_p99:
        misses.append(f"{name}: p99 {ratio['p99']:.2f}× the baseline's, budget {budget.max_p99:g}×")
    if budget.p50_ms is not None and (median["p50_ms"] > budget.p50_ms or median["p99_ms"] > budget.p99_ms):
        misses.append(
            f"{name}: p50 {median['p50_ms']:.1f} ms, p99 {median['p99_ms']:.1f} ms, "
            f"budget {budget.p50_ms:g} ms and {budget.p99_ms:g} ms"
        )
    grown = growth(budget.scenario, result) if budget.growth is not None else None
    if grown is not None and grown > budget.growth:
        misses.append(
            f"{name}: {grown:.2f}× its CPU per request at {int(sizes[0]):,} lessons, budget {budget.growth:g}×"
        )
    return misses


def import_misses(imported: dict) -> list[str]:
    if imported.get("seconds") is not None and imported["seconds"] > IMPORT_SECONDS:
        return [
            f"Import of {imported['documents']:,} documents: {imported['seconds']:.1f} s, budget {IMPORT_SECONDS} s"
        ]
    return []


LIGHTHOUSE_MINIMUMS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 95}


def browser_misses(database: str, weight: dict, scores: dict) -> list[str]:
    """Lighthouse scores below their minimums, pages over the page-weight budget, and either of them
    not measured: a budget that was not measured has not held."""
    misses = []
    for page, result in scores.items():
        if not isinstance(result, dict):
            misses.append(f"Lighthouse, {page} page ({database}): {result}")
            continue
        for category, minimum in LIGHTHOUSE_MINIMUMS.items():
            score = result.get(category)
            if score is None or score < minimum:
                misses.append(
                    f"Lighthouse {category}, {page} page ({database}): "
                    f"{'not scored' if score is None else score}, budget {minimum}"
                )
    for page, result in weight.items():
        if not isinstance(result, dict):
            misses.append(f"Page weight, {page} page ({database}): {result}")
            continue
        if not result.get("within_budget", True):
            misses.append(
                f"Page weight, {page} page ({database}): {result['html_css_js']:,} bytes of HTML, CSS and JS, "
                f"budget {result['budget']:,}"
            )
        if result.get("font_requests") or result.get("other_origin_requests"):
            misses.append(
                f"Page weight, {page} page ({database}): {result.get('font_requests', 0)} fonts and "
                f"{len(result.get('other_origin_requests', []))} requests to other origins, budget none"
            )
    return misses


def keep_changes_section(old_text: str | None) -> str:
    """The text an engineer wrote between the markers in the last BENCHMARKS.md, kept across runs."""
    if old_text and CHANGES_START in old_text and CHANGES_END in old_text:
        return old_text.split(CHANGES_START, 1)[1].split(CHANGES_END, 1)[0].strip("\n")
    return "(None yet. For each fix, write what changed and the figures before and after.)"


# The server and wrk.


@dataclass
class Scenario:
    key: str
    label: str
    path: str
    cold: bool = False
    headers: tuple[str, ...] = ()
    threads: int = 2
    connections: int = 8
    seconds: int = 0  # longer than the others' runs, for a slow page
    rounds: int = ROUNDS

    def wrk_command(self, duration: int, run: str = "<run>", port: int = PORT) -> list[str]:
        duration = max(duration, self.seconds)
        command = ["wrk", f"-t{self.threads}", f"-c{self.connections}", f"-d{duration}s", "--timeout", "30s"]
        for header in PROXY_HEADERS + self.headers:
            command += ["-H", header]
        command += ["-s", str(LUA.relative_to(ROOT)), f"http://{HOST}:{port}{self.path}"]
        return command + (["--", "cold", run] if self.cold else ["--", "warm"])


@dataclass
class Server:
    command: list[str]
    env: dict
    log: Path
    port: int = PORT
    process: subprocess.Popen | None = None
    log_file: object = field(default=None, repr=False)
    pids: list[int] = field(default_factory=list)  # the master's and the workers', once they answer

    def start(self) -> None:
        self.log_file = self.log.open("ab")
        self.process = subprocess.Popen(
            [*self.command, "--bind", f"{HOST}:{self.port}"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        workers = int(self.command[self.command.index("--workers") + 1]) if "--workers" in self.command else 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchmarkError(f"gunicorn stopped at start; see {self.log}")
            if len(self.workers()) >= workers:
                try:
                    if fetch("/healthz", port=self.port)[0] == 200:
                        break
                except OSError:
                    pass
            time.sleep(0.2)
        else:
            raise BenchmarkError(f"gunicorn did not answer within a minute; see {self.log}")
        self.pids = [self.process.pid, *self.workers()]
        self.wait_until_idle()  # every worker has finished importing the project

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.log_file:
            self.log_file.close()
        self.process = None

    def workers(self) -> list[int]:
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if parent_pid((entry / "stat").read_text()) == self.process.pid:
                        children.append(int(entry.name))
                except (OSError, ValueError):
                    pass
        return children

    def cpu_ticks(self) -> int:
        total = 0
        for pid in self.pids:
            try:
                total += cpu_ticks(Path(f"/proc/{pid}/stat").read_text())
            except OSError:  # a worker that has exited: look for the one gunicorn started instead
                self.pids = [self.process.pid, *self.workers()]
        return total

    def wait_until_idle(self, timeout: float = 30) -> None:
        """Until the server spends no more than a clock tick of CPU in 50 ms."""
        deadline = time.monotonic() + timeout
        ticks = self.cpu_ticks()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            ticks, previous = self.cpu_ticks(), ticks
            if ticks - previous <= 1:
                return

    def worker_memory_mb(self) -> list[float]:
        return [round(resident_mb(Path(f"/proc/{pid}/status").read_text()), 1) for pid in sorted(self.workers())]


def fetch(path: str, headers: tuple[str, ...] = (), port: int = PORT) -> tuple[int, bytes, str]:
    """The status, the body as sent and its Content-Encoding."""
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request("GET", path, headers=dict(h.split(": ", 1) for h in PROXY_HEADERS + headers))
        response = connection.getresponse()
        return response.status, response.read(), response.getheader("Content-Encoding", "")
    finally:
        connection.close()


def fetch_checked(path: str, headers: tuple[str, ...] = (), port: int = PORT) -> tuple[bytes, str]:
    status, body, encoding = fetch(path, headers, port)
    if status != 200:
        raise BenchmarkError(f"GET {path} answered {status}, not 200: the benchmark would measure the wrong page")
    return body, encoding


def measure(server: Server, scenario: Scenario, duration: int) -> dict:
    # A warm run starts with the page in the cache; a cold run's address must answer 200 too.
    run = secrets.token_hex(4)  # a cold run's addresses are new to the cache, whatever ran before
    path = cold_path(scenario.path, run, 0, 0) if scenario.cold else scenario.path
    fetch_checked(path, scenario.headers, server.port)
    # No wait for the server to be idle: the run before ended with it, and the request above is answered.
    before = server.cpu_ticks()
    command = scenario.wrk_command(duration, run, server.port)
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    # When wrk stops, each connection has a request on its way that the server still serves: its CPU
    # time is counted once the server is idle again, and the request with it (cpu_ms_per_request).
    server.wait_until_idle()
    after = server.cpu_ticks()
    if finished.returncode != 0:
        raise BenchmarkError(f"{shlex.join(command)} failed:\n{finished.stderr}")
    summary = parse_wrk_summary(finished.stdout)
    if not summary["requests"]:
        raise BenchmarkError(f"BENCHMARK FAILURE in {scenario.label}: no answer within the run's {duration} s")
    if summary["non2xx"] or summary["socket_errors"]:
        raise BenchmarkError(
            f"BENCHMARK FAILURE in {scenario.label}: {summary['requests']} requests, {summary['non2xx']} "
            f"answered other than 2xx {summary['statuses']}, {summary['socket_errors']} socket errors"
        )
    return {
        "requests": summary["requests"],
        "rps": summary["requests"] / (summary["duration_us"] / 1e6),
        "p50_ms": summary["p50_us"] / 1000,
        "p99_ms": summary["p99_us"] / 1000,
        "cpu_ms": cpu_ms_per_request(after - before, summary["requests"], scenario.connections),
    }


def run_rounds(measured: list[tuple[Server, Scenario]], duration: float) -> dict:
    """Every scenario once per round, on its server, round after round, then the medians."""
    runs = {scenario.key: [] for _, scenario in measured}
    # Not measured: a few requests, so that every worker has compiled each page's templates.
    sent = {}
    for server, scenario in measured:
        for number in range(2 if scenario.connections == 1 else 6):
            path = cold_path(scenario.path, secrets.token_hex(4), 0, number) if scenario.cold else scenario.path
            body, encoding = fetch_checked(path, scenario.headers, server.port)
        sent[scenario.key] = {"bytes": len(body), "content_encoding": encoding or "none"}
    for round_number in range(max(scenario.rounds for _, scenario in measured)):
        for server, scenario in measured:
            if round_number < scenario.rounds:
                runs[scenario.key].append(measure(server, scenario, duration))
    results = {}
    for _, scenario in measured:
        median = median_figures(runs[scenario.key])
        results[scenario.key] = {
            "label": scenario.label,
            "median": median,
            "runs": runs[scenario.key],
            "response": sent[scenario.key],
        }
        print(
            f"  {scenario.label:<60} {median['rps']:8.0f} req/s  p50 {median['p50_ms']:7.1f} ms  "
            f"p99 {median['p99_ms']:7.1f} ms  {median['cpu_ms']:7.2f} CPU ms/req",
            flush=True,
        )
    return results


# Setting up a database.


def manage(env: dict, *args: str) -> str:
    finished = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if finished.returncode != 0:
        raise BenchmarkError(f"manage.py {' '.join(args[:3])} failed:\n{finished.stdout}\n{finished.stderr}")
    return finished.stdout


def generator(env: dict, *args: str) -> None:
    finished = subprocess.run([PY, "-m", "bench.generator", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if finished.returncode != 0:
        raise BenchmarkError(f"bench.generator {' '.join(args)} failed:\n{finished.stdout}\n{finished.stderr}")


def generator_words(env: dict) -> tuple[str, str]:
    """The generator's common and rare words (its module needs Django set up, so not imported here)."""
    code = (
        "import django; django.setup(); from bench.generator import COMMON_WORD, RARE_WORD; "
        "print(COMMON_WORD, RARE_WORD)"
    )
    finished = subprocess.run([PY, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    common, rare = finished.stdout.split()
    return common, rare


def production_env(database: str, scratch: Path, size: int) -> dict:
    """The settings of `make serve`, for the benchmark's database at a size of the scale curve: the one
    filled to the largest size, or the copy made when the fill reached a smaller one."""
    env = dict(os.environ)
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=HOST,
        DJANGO_SETTINGS_MODULE="history_site.settings",
        PYTHONPATH=os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(ROOT)])),
    )
    env.pop("REDIS_URL", None)
    if database == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{scratch / f'lessons-{size}.sqlite3'}"
        env["DJANGO_CACHE_DIR"] = page_cache_folder(scratch)
    else:
        env["DATABASE_URL"] = postgres_url(size)
        env["REDIS_URL"] = redis_url(size)
    return env


def postgres_url(size: int) -> str:
    return POSTGRES_URL if size == LARGEST else f"{POSTGRES_URL}_{size}"


def redis_url(size: int) -> str:
    base, number = REDIS_URL.rsplit("/", 1)
    return REDIS_URL if size == LARGEST else f"{base}/{int(number) + 1 + SIZES.index(size)}"


def port_of(size: int) -> int:
    return PORT if size == LARGEST else PORT + 1 + SIZES.index(size)


def page_cache_folder(scratch: Path) -> str:
    """The one-server page cache in memory (tmpfs), as docs/deploy.md sets it up: the no-cache runs
    write thousands of pages a second, and on a disk each file made and removed costs the kernel
    more than writing the page (this machine's disk is mounted with online discard). In the scratch
    folder where there is no /dev/shm."""
    memory = Path("/dev/shm")
    if not memory.is_dir():
        return str(scratch / "cache")
    folder = tempfile.mkdtemp(prefix="history-bench-cache-", dir=memory)
    MEMORY_FOLDERS.append(folder)
    return folder


MEMORY_FOLDERS: list[str] = []  # removed when the benchmark ends


def fresh_postgres(url: str, template: str | None = None) -> None:
    """An empty database at url, or a copy of the database named template."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def copy_database(database: str, source: dict, copy: dict) -> None:
    """The database of source's settings as it is now, for the server with copy's settings."""
    if database == "sqlite":
        source_path, copy_path = (env["DATABASE_URL"].removeprefix("sqlite:///") for env in (source, copy))
        with (
            contextlib.closing(sqlite3.connect(source_path)) as original,
            contextlib.closing(sqlite3.connect(copy_path)) as duplicate,
        ):
            original.backup(duplicate)
    else:
        fresh_postgres(copy["DATABASE_URL"], template=source["DATABASE_URL"].rsplit("/", 1)[1])


def vacuum_postgres() -> None:
    """What autovacuum does soon after a bulk load in production: planner statistics, and the search
    index's pending entries merged into it (GIN fastupdate)."""
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5) as connection:
        connection.execute("VACUUM ANALYZE")


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def prepare_database(env: dict) -> None:
    manage(env, "migrate", "--noinput")
    manage(
        env,
        "import_lesson",
        "--publish",
        *sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("content/lessons/*.txt")),
    )


def editor_session(env: dict) -> tuple[str, str]:
    """A signed-in editor's session cookie, and the admin change page of the 30-section lesson."""
    code = f"""
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse
from events.models import Lesson
user, _ = get_user_model().objects.get_or_create(username="bench-editor", defaults={{"is_staff": True}})
user.groups.add(Group.objects.get(name="Editors"))
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
lesson = Lesson.objects.get(slug="{ADMIN_SLUG}")
print(f"{{settings.SESSION_COOKIE_NAME}}={{session.session_key}}")
print(reverse("admin:events_lesson_change", args=[lesson.pk]))
"""
    cookie, path = manage(env, "shell", "-c", code).split()[-2:]
    return cookie, path


def write_baseline(body: bytes) -> None:
    BASELINE_DIR.mkdir(parents=True, exist_ok=True)
    (BASELINE_DIR / "lesson.html").write_bytes(body)
    (BASELINE_DIR / "lesson.html.gz").write_bytes(gzip.compress(body, 9))


def baseline_scenarios() -> list[Scenario]:
    return [
        Scenario("baseline", "Static baseline (WhiteNoise, the saved lesson page)", BASELINE_PATH),
        Scenario("baseline-gzip", "Static baseline, gzip", BASELINE_PATH, headers=(GZIP,)),
    ]


def scale_scenarios(last_page: int, common: str, rare: str) -> list[Scenario]:
    return [
        Scenario("index-cold", "Index, first page, no cache", "/", cold=True),
        Scenario("index-last-cold", "Index, last page, no cache", f"/?page={last_page}", cold=True),
        Scenario("search-common-cold", f"Search “{common}”, no cache", f"/?q={common}", cold=True),
        Scenario("search-rare-cold", f"Search “{rare}”, no cache", f"/?q={rare}", cold=True),
        Scenario("timeline-cold", "Timeline, no cache", "/timeline/", cold=True),
    ]


def main_scenarios(panel: str, admin_path: str, cookie: str, common: str, rare: str) -> list[Scenario]:
    htmx = ("HX-Request: true",)
    one = {"threads": 1, "connections": 1}
    return [
        Scenario("lesson-warm", "Lesson page, warm cache", SEED_PATH),
        Scenario("lesson-gzip-warm", "Lesson page, warm cache, gzip", SEED_PATH, headers=(GZIP,)),
        Scenario("index-warm", "Index, first page, warm cache", "/"),
        Scenario("lesson-cold", "Lesson page, no cache", SEED_PATH, cold=True),
        Scenario("panel-cold", "Panel fragment (HX-Request), no cache", panel, cold=True, headers=htmx),
        Scenario("panel-warm", "Panel fragment (HX-Request), warm cache", panel, headers=htmx),
        Scenario("search-common-warm", f"Search “{common}”, warm cache", f"/?q={common}"),
        Scenario("search-rare-warm", f"Search “{rare}”, warm cache", f"/?q={rare}"),
        Scenario("search-common-1conn", f"Search “{common}”, no cache, one connection", f"/?q={common}", True, **one),
        Scenario("search-rare-1conn", f"Search “{rare}”, no cache, one connection", f"/?q={rare}", True, **one),
        Scenario("timeline-warm", "Timeline, warm cache", "/timeline/"),
        # One editor at a time.
        Scenario(
            "admin",
            "Admin change page, 30 sections, 10 readings (editor)",
            admin_path,
            headers=(cookie,),
            seconds=2,
            **one,
        ),
    ]


def last_index_page(port: int = PORT) -> int:
    match = re.search(rb"Page \d+ of (\d+)\.", fetch_checked("/", port=port)[0])
    return int(match.group(1)) if match else 1


SMALLEST = "smallest:"  # the key prefix of a scenario run on the copy at the smallest size


def smallest_scenarios(common: str, rare: str) -> list[Scenario]:
    """The scale scenarios on the copy at the smallest size, under keys of their own."""
    return [
        replace(scenario, key=SMALLEST + scenario.key, label=f"{scenario.label} ({SMALLEST_SIZE:,} lessons)")
        for scenario in scale_scenarios(last_index_page(port_of(SMALLEST_SIZE)), common, rare)
    ]


def fill_every_size(database: str, scratch: Path) -> tuple[dict[int, dict], dict]:
    """A fresh database filled to each size of the scale curve in turn, copied aside at each size but the
    largest: the settings of each size's database, and how long each step took."""
    envs = {size: production_env(database, scratch, size) for size in SIZES}
    env = envs[LARGEST]
    if database == "postgres":
        fresh_postgres(POSTGRES_URL)
        for size_env in envs.values():
            flush_redis(size_env["REDIS_URL"])
    timings = {}
    started = time.monotonic()
    prepare_database(env)
    # First, so that it is one of the lessons each size counts, and the last page is full at each.
    generator(env, "admin-lesson")
    for size in SIZES:
        generator(env, "fill", str(size))
        if database == "postgres":
            vacuum_postgres()
        if size != LARGEST:
            copy_database(database, env, envs[size])
        step = "set up" if size == SIZES[0] else f"fill to {size}"
        timings[step] = round(time.monotonic() - started, 1)
        print(f"  ({database}: {step}, {size:,} lessons, in {timings[step]} s)", flush=True)
        started = time.monotonic()
    return envs, timings


def bench_database(database: str, command: list[str], envs: dict[int, dict], scratch: Path, commands: set) -> dict:
    """Everything measured on one database, filled already: the scale curve, the scenarios, memory,
    the baseline's drift."""
    common, rare = generator_words(envs[LARGEST])
    servers = {
        size: Server(command, env, scratch / f"gunicorn-{database}-{size}.log", port=port_of(size))
        for size, env in envs.items()
    }
    server = servers[LARGEST]
    result = {"scale": {}, "timings": {}}
    try:
        # The baseline: the lesson page's exact bytes, served by WhiteNoise, which finds files at start.
        server.start()
        write_baseline(fetch_checked(SEED_PATH, port=server.port)[0])
        server.stop()
        # With more than one size, the smallest is measured on its copy in the same rounds as the largest.
        compared = len(SIZES) > 1
        for size in SIZES[1:] if compared else SIZES:
            started = time.monotonic()
            server = servers[size]
            server.start()
            scale = scale_scenarios(last_index_page(server.port), common, rare)
            scenarios = [(server, s) for s in baseline_scenarios()]
            if size == LARGEST:
                # Every scenario, interleaved: the warm lesson page first, right after the baselines that
                # its requests/s and p99 are compared with, round by round (paired_ratios).
                cookie, admin_path = editor_session(envs[LARGEST])
                page = fetch_checked(SEED_PATH, port=server.port)[0]
                panels = re.findall(rf"{SEED_PATH}panels/([\w-]+)/".encode(), page)
                if not panels:
                    raise BenchmarkError(f"{SEED_PATH} links to no panel")
                panel = f"{SEED_PATH}panels/{panels[0].decode()}/"
                main = main_scenarios(panel, admin_path, f"Cookie: {cookie}", common, rare)
                scenarios += [(server, s) for s in main]
            if size == LARGEST and compared:
                # Each scale scenario's run at the smallest size right after its own, so that the two are as
                # close in time as they can be; these and the baselines for GROWTH_ROUNDS rounds.
                small_server = servers[SMALLEST_SIZE]
                small_server.start()
                smallest = {s.key.removeprefix(SMALLEST): s for s in smallest_scenarios(common, rare)}
                scenarios = [
                    (server, replace(s, rounds=GROWTH_ROUNDS) if s.key.startswith("baseline") else s)
                    for _, s in scenarios
                ]
                for scenario in scale:
                    scenarios.append((server, replace(scenario, rounds=GROWTH_ROUNDS)))
                    scenarios.append((small_server, replace(smallest[scenario.key], rounds=GROWTH_ROUNDS)))
            else:
                scenarios += [(server, s) for s in scale]
            beside = f" and {SMALLEST_SIZE:,}" if compared and size == LARGEST else ""
            print(f"{database}, {size:,}{beside} lessons:", flush=True)
            measured = run_rounds(scenarios, DURATION)
            # The session key is no one's business.
            commands.update(
                re.sub(r"Cookie: [^\s']+", "Cookie: sessionid=…", shlex.join(s.wrk_command(DURATION)))
                for _, s in scenarios
            )
            at_smallest = {k.removeprefix(SMALLEST): v for k, v in measured.items() if k.startswith(SMALLEST)}
            measured = {key: value for key, value in measured.items() if not key.startswith(SMALLEST)}
            medians = {key: value["median"] for key, value in measured.items()}
            result["scale"][str(size)] = medians
            baselines = {key: medians[key] for key in ("baseline", "baseline-gzip")}
            if at_smallest:
                result["scale"][str(SMALLEST_SIZE)] = baselines | {k: v["median"] for k, v in at_smallest.items()}
                # Each round's CPU ms per request at the smallest size, beside the largest's in "scenarios".
                result["smallest_runs"] = {k: [run["cpu_ms"] for run in v["runs"]] for k, v in at_smallest.items()}
            result.setdefault("baseline_start", baselines)
            if size != LARGEST:
                server.stop()
            result["timings"][f"runs at {size}"] = round(time.monotonic() - started, 1)
        result["scenarios"] = measured
        print(f"{database}, the baseline again:", flush=True)
        end = run_rounds([(server, s) for s in baseline_scenarios()], DURATION)
        result["baseline_end"] = {key: value["median"] for key, value in end.items()}
        result["memory_mb"] = server.worker_memory_mb()
        for key, value in result["scenarios"].items():
            baseline = result["scenarios"]["baseline-gzip" if "gzip" in key else "baseline"]
            value["ratio"] = paired_ratios(value["runs"], baseline["runs"])
        if database == DATABASES[0]:
            result["page_weight"], result["lighthouse"] = browser_figures()
    finally:
        for each in servers.values():
            each.stop()
    return result


def browser_figures() -> tuple[dict, dict]:
    """Page weight and Lighthouse scores of the index and the lesson page, through a proxy that
    sends X-Forwarded-Proto as the HTTPS proxy in front of a school's server does (Lighthouse's own
    requests, robots.txt included, need it too). One page at a time: with another Lighthouse run beside
    it on the two cores, the lesson page scored 97, 90 and 88 for performance."""
    from bench.lighthouse import lighthouse_scores
    from bench.page_weight import first_load_weight

    weight, scores = {}, {}
    for name, path in [("index", "/"), ("lesson", SEED_PATH)]:
        url = f"http://{HOST}:{PORT}{path}"
        try:
            weight[name] = first_load_weight(url, forwarded_https=True)
        except Exception as error:  # a browser problem must not lose the server figures
            weight[name] = f"not measured ({error})"
        try:
            scores[name] = lighthouse_scores(url, runs=3, forwarded_https=True)  # each run tried 3 times
        except Exception as error:
            scores[name] = f"not measured ({' '.join(str(error).split())})"
    return weight, scores


def prepare_import(scratch: Path) -> tuple[dict, list[str]]:
    """A fresh SQLite database and IMPORT_DOCUMENTS generated lesson documents for bench_import."""
    folder = scratch / "documents"
    (scratch / "import").mkdir()
    env = production_env("sqlite", scratch / "import", LARGEST)
    manage(env, "migrate", "--noinput")
    generator(env, "documents", str(folder), str(IMPORT_DOCUMENTS))
    return env, sorted(str(path) for path in folder.iterdir())


def bench_import(env: dict, files: list[str]) -> dict:
    """Import the documents into the fresh database with import_lesson, timed."""
    started, used = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    manage(env, "import_lesson", "--publish", *files)
    seconds = time.monotonic() - started
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime  # on either core
    return {
        "documents": len(files),
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "documents_per_second": round(len(files) / seconds),
    }


# The reports.


def machine(command: list[str]) -> dict:
    model = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
    versions = {
        "Python": platform.python_version(),
        **{name: importlib.metadata.version(name) for name in ("Django", "gunicorn", "whitenoise")},
        "SQLite": sqlite3.sqlite_version,
        "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[1],
    }
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL.rsplit("/", 1)[0] + "/postgres", connect_timeout=5) as connection:
            versions["PostgreSQL"] = connection.execute("SHOW server_version").fetchone()[0]
        import redis

        versions["Redis"] = redis.Redis.from_url(REDIS_URL).info("server")["redis_version"]
    except Exception as error:
        versions["PostgreSQL/Redis"] = f"unknown ({error})"
    return {
        "cores": os.cpu_count(),
        "cpu": model.group(1) if model else platform.processor(),
        "kernel": platform.release(),
        "versions": versions,
        "gunicorn_command": shlex.join([*command, "--bind", f"{HOST}:{PORT}"]),
    }


def scenario_table(result: dict) -> list[str]:
    budgets = {budget.scenario: budget for budget in BUDGETS}
    rows = [
        "| Scenario | req/s | p50 ms | p99 ms | CPU ms/req | CPU ratio | req/s ratio | p99 ratio | bytes sent "
        "| Budget | OK |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for key, value in result["scenarios"].items():
        median, ratio = value["median"], value["ratio"]
        budget = budgets.get(key)
        ok = ("✗" if missed(budget, "", result) else "✓") if budget else ""
        sent = value.get("response", {"bytes": 0, "content_encoding": "none"})
        encoding = "" if sent["content_encoding"] == "none" else f" ({sent['content_encoding']})"
        rows.append(
            f"| {value['label']} | {median['rps']:.0f} | {median['p50_ms']:.1f} | {median['p99_ms']:.1f} | "
            f"{median['cpu_ms']:.2f} | {ratio['cpu']:.2f}× | {ratio['rps']:.2f} | {ratio['p99']:.2f}× | "
            f"{sent['bytes']:,}{encoding} | {budget.describe() if budget else 'report it'} | {ok} |"
        )
    return rows


def scale_table(result: dict) -> list[str]:
    sizes = sorted(result["scale"], key=int)
    paired = result.get("smallest_runs", {})
    heading = " | largest ÷ smallest: median of the rounds' pairs (budgets), of the medians" if paired else ""
    rows = [
        "| Scenario | "
        + " | ".join(f"{int(size):,} lessons: CPU ms/req (ratio), req/s" for size in sizes)
        + f"{heading} |",
        "|---|" + "---:|" * (len(sizes) + bool(paired)),
    ]
    keys = [key for key in result["scale"][sizes[0]] if not key.startswith("baseline")]
    for key in keys:
        cells = []
        for size in sizes:
            figures, baseline = result["scale"][size][key], result["scale"][size]["baseline"]
            cells.append(
                f"{figures['cpu_ms']:.2f} ({figures['cpu_ms'] / baseline['cpu_ms']:.1f}×), {figures['rps']:.0f}"
            )
        if key in paired:
            of_medians = result["scale"][sizes[-1]][key]["cpu_ms"] / result["scale"][sizes[0]][key]["cpu_ms"]
            cells.append(f"{growth(key, result):.2f}, {of_medians:.2f}")
        rows.append(f"| {result['scenarios'][key]['label']} | " + " | ".join(cells) + " |")
    return rows


def browser_tables(weight: dict, scores: dict) -> list[str]:
    lines = [
        "### Page weight (first load, compressed bytes as sent)",
        "",
        "| Page | HTML | CSS | JS | HTML + CSS + JS | all | fonts | requests to other origins |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for page, result in weight.items():
        if isinstance(result, dict):
            sizes = result["bytes"]
            lines.append(
                f"| {page} | {sizes['html']:,} | {sizes['css']:,} | {sizes['js']:,} | {result['html_css_js']:,} | "
                f"{sum(sizes.values()):,} | {result['font_requests']} | {len(result['other_origin_requests'])} |"
            )
        else:
            lines.append(f"| {page} | {result} | | | | | | |")
    lines += [
        "",
        "### Lighthouse (median of 3 runs, mobile)",
        "",
        "| Page | performance | accessibility | best practices | SEO | failed audits |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for page, result in scores.items():
        if isinstance(result, dict):
            failed = ", ".join(a for audits in result.get("failed_audits", {}).values() for a in audits) or "none"
            cells = " | ".join(str(result.get(category)) for category in LIGHTHOUSE_MINIMUMS)
            lines.append(f"| {page} | {cells} | {failed} |")
        else:
            lines.append(f"| {page} | {result} | | | | |")
    return lines + [""]


def markdown(report: dict, changes: str) -> str:
    info = report["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/run.py); do not edit by hand, except between the markers of "
        "“Changes made to meet the budgets”, which the next run keeps.",
        "",
        "`make bench` runs the production server exactly as `make serve` does (gunicorn, WhiteNoise, "
        "DJANGO_DEBUG=0) on a fresh database that bench/generator.py fills, and drives it with wrk from a "
        "second process on 127.0.0.1. Every figure is compared with a static baseline from the same run: "
        "WhiteNoise serving a byte-identical saved copy of the lesson page from the same gunicorn. "
        "CPU ms/req is the user + system time of the gunicorn master and workers (from /proc) per request "
        "served, counted until the server is idle again after wrk stops (with the one request each "
        "connection still had on its way); SQLite runs inside the workers, so its work is counted, while "
        "PostgreSQL's and Redis's own processes are not. After each fill, PostgreSQL gets the VACUUM ANALYZE "
        "that autovacuum would soon run in production. "
        f"Each scenario runs {ROUNDS} times, interleaved with the others, for {DURATION:g} s; the tables show "
        "the medians, and each ratio to the baseline is the median of the rounds' ratios, each round's run "
        "to the baseline's in that round (the warm lesson page's runs come right after the baselines'). "
        f"The scale scenarios compared for growth run {GROWTH_ROUNDS} times at the largest and "
        "the smallest size, alone with the baselines in the rounds past the others'. Both databases are "
        "filled side by side before anything is measured, while the "
        "documents to import are written; the fill stops at each size of the scale curve but the largest "
        "to copy the database aside, and each copy is served by a gunicorn of its own with the same "
        "command. Each scale scenario runs on the smallest size right after its run at the largest, and "
        "each “at most N× its cost at the smallest size” is the median of the rounds' ratios of the two, "
        "taken seconds apart. "
        "“No cache” adds a new `?bench=` parameter to every request so each one "
        "misses the page cache (and then writes it there); “warm cache” asks for one address, cached by a "
        "first request. The generated lessons are rendered as saving them in the admin would have "
        "(events/rendering.py). On SQLite the page cache is a folder in memory (tmpfs, /dev/shm), as "
        "docs/deploy.md sets it up for one server; on PostgreSQL it is Redis. Budgets gate "
        "on the CPU ratio; `make bench` exits 1 and names each scenario that misses one.",
        "",
        "Run it with `make bench` (it installs Debian's wrk; PostgreSQL must answer at "
        f"{POSTGRES_URL.rsplit('/', 1)[0]} and Redis at {REDIS_URL.rsplit('/', 1)[0]}; it uses the database "
        f"`{POSTGRES_URL.rsplit('/', 1)[1]}` and its copies "
        f"{', '.join(f'`{postgres_url(size).rsplit("/", 1)[1]}`' for size in SIZES[:-1])}, Redis databases "
        f"{REDIS_URL.rsplit('/', 1)[1]} to {int(REDIS_URL.rsplit('/', 1)[1]) + len(SIZES) - 1}, and ports "
        f"{PORT} to {PORT + len(SIZES) - 1}). "
        "For a quicker trial: `BENCH_DATABASES=sqlite BENCH_SIZES=10,1000 BENCH_ROUNDS=1 "
        "BENCH_IMPORT_DOCUMENTS=0 make bench`; such a run says so below.",
        "",
        f"Run on {report['date']} in {report['seconds'] / 60:.1f} minutes"
        + (f" with {', '.join(report['trial'])}." if report.get("trial") else "."),
        "",
        "## Changes made to meet the budgets",
        "",
        CHANGES_START,
        changes,
        CHANGES_END,
        "",
        "## Budgets missed",
        "",
        *([f"- {miss}" for miss in report["misses"]] or ["None."]),
        "",
        "## The machine",
        "",
        f"- {info['cores']} cores: {info['cpu']}; Linux {info['kernel']}",
        *[f"- {name} {version}" for name, version in info["versions"].items()],
        "",
        "## The exact commands",
        "",
        "```",
        "make bench   # .venv/bin/python -m bench.run -- <GUNICORN_COMMAND from the Makefile>",
        "python manage.py collectstatic --noinput --verbosity 0   # with DJANGO_DEBUG=0",
        "# For each database, with DJANGO_DEBUG=0 and a fresh DATABASE_URL:",
        "python manage.py migrate --noinput",
        "python manage.py import_lesson --publish content/lessons/*.txt",
        "python -m bench.generator admin-lesson",
        *[
            f"python -m bench.generator fill {size}"
            + ("" if size == LARGEST else f"   # then copied aside, served on port {port_of(size)}")
            for size in SIZES
        ],
        "# The server:",
        info["gunicorn_command"],
        "# The load, each run three times:",
        *sorted(report["wrk_commands"]),
        "# The import, timed, into a fresh SQLite database:",
        f"python -m bench.generator documents DIR {IMPORT_DOCUMENTS}",
        "python manage.py import_lesson --publish DIR/*.txt",
        "```",
        "",
    ]
    names = {"sqlite": "SQLite (file cache in memory)", "postgres": "PostgreSQL with Redis as the cache"}
    for database, result in report["databases"].items():
        lines += [f"## {names.get(database, database)}", "", f"At {max(map(int, result['scale'])):,} lessons.", ""]
        lines += scenario_table(result) + [""]
        lines += ["### Scale curve (no cache)", ""] + scale_table(result) + [""]
        start, end = result["baseline_start"], result["baseline_end"]
        lines += [
            "### Baseline drift",
            "",
            "| Baseline | start: req/s, CPU ms/req | end: req/s, CPU ms/req |",
            "|---|---:|---:|",
            *[
                f"| {key} | {start[key]['rps']:.0f}, {start[key]['cpu_ms']:.3f} | "
                f"{end[key]['rps']:.0f}, {end[key]['cpu_ms']:.3f} |"
                for key in start
            ],
            "",
            "### Memory",
            "",
            "Resident size of each gunicorn worker after the run: "
            + ", ".join(f"{mb:.0f} MB" for mb in result["memory_mb"])
            + f" (budget {WORKER_MB} MB each).",
            "",
            "### Set-up and run times (s)",
            "",
            ", ".join(f"{name}: {seconds}" for name, seconds in result["timings"].items()),
            "",
        ]
        if "page_weight" in result:
            lines += browser_tables(result["page_weight"], result["lighthouse"])
    imported = report.get("import")
    if imported:
        lines += [
            "## Import",
            "",
            f"{imported['documents']:,} lesson documents imported with `import_lesson --publish` into a fresh "
            f"SQLite database in {imported['seconds']} s ({imported.get('cpu_seconds', '?')} s of CPU, the lessons "
            f"rendered on every core): {imported['documents_per_second']} documents per second "
            f"(budget: under {IMPORT_SECONDS} s).",
            "",
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="make serve's gunicorn command, without --bind")
    command = parser.parse_args().command
    command = command[1:] if command[:1] == ["--"] else command
    if not command:
        parser.error("give make serve's gunicorn command after --")
    started = time.monotonic()
    report = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(command)}
    report["databases"], report["misses"] = {}, []
    commands: set = set()
    scratch = Path(tempfile.mkdtemp(prefix="history-bench-"))
    try:
        # Filling the databases and writing the documents to import keeps a core busy for minutes and the
        # other one only part of the time: they run side by side, before anything is measured.
        print(f"Filling {', '.join(DATABASES)} to {', '.join(f'{size:,}' for size in SIZES)} lessons:", flush=True)
        # Once, before the fills (which would otherwise write the same files at the same time).
        manage(production_env(DATABASES[0], scratch, LARGEST), "collectstatic", "--noinput", "--verbosity", "0")
        with concurrent.futures.ThreadPoolExecutor(len(DATABASES) + 1) as pool:
            for database in DATABASES:
                (scratch / database).mkdir()
            fills = {database: pool.submit(fill_every_size, database, scratch / database) for database in DATABASES}
            to_import = pool.submit(prepare_import, scratch) if IMPORT_DOCUMENTS else None
            filled = {database: fill.result() for database, fill in fills.items()}
            to_import = to_import and to_import.result()
        for database in DATABASES:
            envs, fill_timings = filled[database]
            result = bench_database(database, command, envs, scratch / database, commands)
            result["timings"] = fill_timings | result["timings"]
            report["databases"][database] = result
            name = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[database]
            report["misses"] += budget_misses(name, result)
            report["misses"] += browser_misses(name, result.get("page_weight", {}), result.get("lighthouse", {}))
        if to_import:
            print("Import:", flush=True)
            report["import"] = bench_import(*to_import)
            print(f"  {report['import']}", flush=True)
            report["misses"] += import_misses(report["import"])
    except BenchmarkError as error:
        print(f"\nBENCHMARK FAILED: {error}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(BASELINE_DIR, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
        for folder in MEMORY_FOLDERS:
            shutil.rmtree(folder, ignore_errors=True)
    report["seconds"] = round(time.monotonic() - started)
    report["trial"] = [f"{name}={os.environ[name]}" for name in sorted(os.environ) if name.startswith("BENCH_")]
    report["wrk_commands"] = sorted(commands)
    old = BENCHMARKS.read_text() if BENCHMARKS.exists() else None
    BENCHMARKS.write_text(markdown(report, keep_changes_section(old)) + "\n")
    RESULTS.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nWrote {BENCHMARKS.relative_to(ROOT)} and {RESULTS.relative_to(ROOT)} in {report['seconds']} s.")
    for database, result in report["databases"].items():
        print(f"\n{database}:\n" + "\n".join(scenario_table(result)))
    if report["misses"]:
        print("\nBudgets missed:\n" + "\n".join(f"  {miss}" for miss in report["misses"]), file=sys.stderr)
        return 1
    print("\nEvery budget met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The benchmark harness's own arithmetic (bench/run.py), without a server: `make bench` runs the benchmark."""

import os
import statistics
from pathlib import Path

import pytest

from bench import run

SUMMARY = """Running 2s test @ http://127.0.0.1:8100/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.91ms    0.52ms  12.10ms   91.20%
BENCH requests=4210 duration_us=2000512 non2xx=3 socket_errors=0 p50_us=1830 p99_us=5210 status_404=2 status_301=1
Requests/sec:   2104.45
"""
# /proc/PID/stat of a gunicorn worker: the command name holds a space and brackets.
STAT = (
    "4242 (gunicorn: worker [history_site.wsgi]) S 4200 4200 4200 0 -1 4194624 9051 0 0 0 "
    "1530 287 0 0 20 0 5 0 123456 250000000 17000 18446744073709551615 1 1 0 0 0 0 0 16781312 16386 0 0 0 17 1 0 0"
)


def test_wrk_summary_line_is_read_with_the_statuses_that_were_not_2xx():
    summary = run.parse_wrk_summary(SUMMARY)
    assert summary["requests"] == 4210
    assert summary["duration_us"] == 2000512
    assert summary["non2xx"] == 3
    assert summary["p50_us"] == 1830
    assert summary["p99_us"] == 5210
    assert summary["statuses"] == {404: 2, 301: 1}


def test_wrk_output_without_a_summary_line_is_a_benchmark_failure():
    with pytest.raises(run.BenchmarkError, match="no BENCH summary"):
        run.parse_wrk_summary("unable to connect to 127.0.0.1:8100 Connection refused\n")


def test_cpu_ticks_are_user_plus_system_time_counted_after_the_command_name():
    assert run.cpu_ticks(STAT) == 1530 + 287
    assert run.parent_pid(STAT) == 4200


def test_cpu_per_request_counts_the_request_each_connection_had_on_its_way():
    ticks_per_second = os.sysconf("SC_CLK_TCK")
    # One second of CPU over 92 answered requests and 8 that wrk stopped waiting for.
    assert run.cpu_ms_per_request(ticks_per_second, answered=92, connections=8) == pytest.approx(10.0)


def test_resident_size_is_read_from_proc_status():
    assert run.resident_mb("Name:\tgunicorn\nVmRSS:\t   73728 kB\nRssAnon:\t 60000 kB\n") == 72.0


def test_cold_address_adds_a_new_parameter_with_the_right_separator():
    assert run.cold_path("/timeline/", "a1b2", 2, 17) == "/timeline/?bench=a1b2-2-17"
    assert run.cold_path("/?q=council", "a1b2", 1, 3) == "/?q=council&bench=a1b2-1-3"


def test_cold_addresses_differ_between_requests_threads_and_runs():
    addresses = {run.cold_path("/", token, thread, n) for token in ("r1", "r2") for thread in (1, 2) for n in (1, 2)}
    assert len(addresses) == 8


def test_lua_script_builds_the_same_cold_address():
    lua = (Path(run.ROOT) / "bench" / "report.lua").read_text()
    assert 'path:find("?", 1, true) and "&" or "?"' in lua
    assert '"bench=" .. run .. "-" .. thread_id .. "-" .. n' in lua


def test_a_cold_run_gives_wrk_its_token():
    scenario = run.Scenario("timeline-cold", "Timeline, no cache", "/timeline/", cold=True)
    assert scenario.wrk_command(1, "a1b2")[-3:] == ["--", "cold", "a1b2"]
    assert run.Scenario("timeline-warm", "Timeline", "/timeline/").wrk_command(1)[-2:] == ["--", "warm"]


def test_paired_growth_is_the_median_of_each_rounds_ratio():
    # A slow second in round 3 at the largest size moves the ratio of the medians, not the pairs'.
    assert run.paired_growth([4.0, 4.2, 6.2], [4.0, 3.5, 6.0]) == pytest.approx(1.0333, abs=1e-3)
    assert run.paired_growth([2.0], [1.0]) == 2.0


def test_medians_are_taken_figure_by_figure():
    runs = [
        {"rps": 100, "p50_ms": 3, "p99_ms": 30, "cpu_ms": 2.0},
        {"rps": 300, "p50_ms": 1, "p99_ms": 10, "cpu_ms": 1.0},
        {"rps": 200, "p50_ms": 2, "p99_ms": 90, "cpu_ms": 5.0},
    ]
    assert run.median_figures(runs) == {"rps": 200, "p50_ms": 2, "p99_ms": 30, "cpu_ms": 2.0}


def figures(rps: float, cpu_ms: float, p50_ms: float = 1.0, p99_ms: float = 5.0) -> dict:
    """A scenario's figures from one round."""
    run_figures = {"rps": rps, "p50_ms": p50_ms, "p99_ms": p99_ms, "cpu_ms": cpu_ms}
    return {"median": run_figures, "runs": [run_figures]}


def results(**scenarios) -> dict:
    baselines = {"baseline": figures(4000, 0.4), "baseline-gzip": figures(3000, 0.5)}
    return {"scenarios": {**baselines, **{key.replace("_", "-"): value for key, value in scenarios.items()}}}


def test_ratios_compare_with_the_baseline():
    ratio = run.ratios(figures(2000, 1.2, p99_ms=10)["median"], figures(4000, 0.4)["median"])
    assert ratio["cpu"] == pytest.approx(3.0)
    assert ratio["rps"] == pytest.approx(0.5)
    assert ratio["p99"] == pytest.approx(2.0)


def test_a_met_budget_names_nothing():
    assert run.budget_misses("SQLite", results(lesson_warm=figures(3500, 0.48), panel_cold=figures(500, 1.1))) == []


def test_a_missed_cpu_budget_names_the_scenario_and_the_figures():
    misses = run.budget_misses("SQLite", results(panel_cold=figures(500, 1.6)))
    assert misses == ["Panel fragment, no cache (SQLite): 4.00× the static baseline's CPU per request, budget 3×"]


def test_the_lesson_page_is_also_held_to_the_baselines_requests_per_second_and_p99():
    misses = run.budget_misses("PostgreSQL", results(lesson_warm=figures(2000, 0.4, p99_ms=20)))
    assert len(misses) == 2
    assert "Lesson page, warm cache (PostgreSQL): 50% of the baseline's requests/s" in misses[0]
    assert "p99 4.00× the baseline's, budget 2×" in misses[1]


def test_each_rounds_run_is_compared_with_the_baselines_run_in_the_same_round():
    # A slow second in the first round of the lesson page and the last of the baseline: the medians'
    # p99s are 23.6 against 8.0 ms (2.95×); round by round, 2.95×, 1.19× and 1.20×.
    def measured(p99s: list[float], cpu_ms: float) -> dict:
        runs = [{"rps": 4500, "p50_ms": 1.3, "p99_ms": p99, "cpu_ms": cpu_ms} for p99 in p99s]
        return {"median": run.median_figures(runs), "runs": runs}

    result = results(lesson_warm=measured([23.6, 7.5, 33.1], 0.4))
    result["scenarios"]["baseline"] = measured([8.0, 6.3, 27.5], 0.35)
    assert run.budget_misses("SQLite", result) == []

    result["scenarios"]["lesson-warm"] = measured([23.6, 17.5, 33.1], 0.4)
    assert run.budget_misses("SQLite", result) == [
        "Lesson page, warm cache (SQLite): p99 2.78× the baseline's, budget 2×"
    ]


def test_the_gzip_lesson_page_is_compared_with_the_gzip_baseline():
    # 0.7 ms is 1.75× the plain baseline's 0.4 ms but 1.4× the gzip baseline's 0.5 ms.
    assert run.budget_misses("SQLite", results(lesson_gzip_warm=figures(2500, 0.7))) == []


def scaled(largest: list[float], smallest: list[float]) -> dict:
    """The timeline's results with each round's CPU ms per request at 10,000 and at 10 lessons."""
    runs = [figures(400, cpu_ms)["median"] for cpu_ms in largest]
    result = results(timeline_cold={"median": run.median_figures(runs), "runs": runs})
    result["scale"] = {
        "10": {"timeline-cold": {"cpu_ms": statistics.median(smallest)}},
        "10000": {"timeline-cold": {"cpu_ms": statistics.median(largest)}},
    }
    result["smallest_runs"] = {"timeline-cold": smallest}
    return result


def test_growth_with_the_number_of_lessons_is_checked_against_the_smallest_size():
    assert run.budget_misses("SQLite", scaled([2.0], [1.0])) == [
        "Timeline, 10,000 lessons (SQLite): 2.00× its CPU per request at 10 lessons, budget 1.2×"
    ]


def test_growth_is_the_median_of_the_rounds_pairs_where_both_sizes_ran_in_each_round():
    # The medians, 3.0 against 2.4, would be 1.25×: they come from rounds minutes apart, on a machine
    # that was slower in the last rounds. Each round's pair is 1.0× to 1.1×.
    slower_later = scaled([2.0, 2.1, 3.0, 3.1, 3.2], [2.0, 2.0, 2.9, 3.0, 2.4])
    assert run.budget_misses("SQLite", slower_later) == []

    grown = scaled([2.6, 2.6, 3.9, 3.9, 3.0], [2.0, 2.0, 3.0, 3.0, 2.4])
    assert run.budget_misses("SQLite", grown) == [
        "Timeline, 10,000 lessons (SQLite): 1.30× its CPU per request at 10 lessons, budget 1.2×"
    ]


def test_search_on_one_connection_is_held_to_milliseconds():
    misses = run.budget_misses("SQLite", results(search_rare_1conn=figures(50, 9, p50_ms=25, p99_ms=30)))
    assert misses == ["Search, rare word, one connection (SQLite): p50 25.0 ms, p99 30.0 ms, budget 20 ms and 40 ms"]


def test_each_worker_over_the_memory_budget_is_named():
    result = results()
    result["memory_mb"] = [90.0, 130.4, 80.0]
    assert run.budget_misses("SQLite", result) == [
        "Memory, gunicorn worker 2 (SQLite): 130 MB resident, budget 120 MB"
    ]


def test_a_slow_import_and_low_lighthouse_scores_are_named():
    assert run.import_misses({"documents": 1000, "seconds": 75.0}) == [
        "Import of 1,000 documents: 75.0 s, budget 60 s"
    ]
    assert run.import_misses({"documents": 1000, "seconds": 20.0}) == []
    scores = {"index": {"performance": 97, "accessibility": 100, "best-practices": 100, "seo": 90}}
    assert run.browser_misses("SQLite", {}, scores) == ["Lighthouse seo, index page (SQLite): 90, budget 95"]
    assert run.browser_misses(
        "SQLite", {"lesson": "not measured (no browser)"}, {"index": "not measured (NO_NAVSTART)"}
    ) == [
        "Lighthouse, index page (SQLite): not measured (NO_NAVSTART)",
        "Page weight, lesson page (SQLite): not measured (no browser)",
    ]


def test_the_changes_written_between_the_markers_survive_the_next_run():
    old = f"# Benchmarks\nold table\n{run.CHANGES_START}\n- Cached the timeline: 31× → 0.9×.\n{run.CHANGES_END}\nold"
    kept = run.keep_changes_section(old)
    assert kept == "- Cached the timeline: 31× → 0.9×."
    report = {
        "date": "today",
        "seconds": 300,
        "misses": [],
        "wrk_commands": [],
        "databases": {},
        "machine": {"cores": 2, "cpu": "CPU", "kernel": "6", "versions": {}, "gunicorn_command": "gunicorn"},
    }
    new = run.markdown(report, kept)
    assert f"{run.CHANGES_START}\n- Cached the timeline: 31× → 0.9×.\n{run.CHANGES_END}" in new
    assert "old table" not in new


def test_a_first_run_starts_the_changes_section_empty():
    assert run.keep_changes_section(None).startswith("(None yet.")

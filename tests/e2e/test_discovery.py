#!/usr/bin/python3
"""Task discovery end to end: the exporter pages through the fake API's
GetCdbDataSyncTaskList, publishes the task series, serves /sd, and a real
Prometheus scrapes the discovered tasks through http_sd_configs and /probe,
split over two shards with hashmod."""

from __future__ import annotations

import json
import sys
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import select, value_of  # noqa: E402

SCENARIO = harness.SCENARIOS / "discovery.json"
TASKS = json.loads(SCENARIO.read_text("utf-8"))["tasks"]


def src_type_of(task: dict) -> str:
    return str(task["type"]) if int(task["type"]) in (1, 2, 10) else "2"


def write_discovery_config(workdir: Path, api_port: int, discovery: list[str],
                           jobs: list[tuple[int, int]] | None = None) -> Path:
    lines = ["api:", f"  endpoint: http://127.0.0.1:{api_port}/v2/index.php",
             "  region: ap-guangzhou", "  rate_limit: 0", "discovery:"]
    lines += [f"  {line}" for line in discovery]
    if jobs:
        lines.append("jobs:")
        for job_id, src_type in jobs:
            lines += [f"  - job_id: {job_id}", f"    src_type: {src_type}"]
    path = workdir / "config.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def wait_for_listing(port: int) -> None:
    def listed() -> bool:
        return harness.http_get(f"http://127.0.0.1:{port}/sd")[0] == 200
    harness.wait_until(listed, 20, "the first task listing")


class DiscoveryTest(unittest.TestCase):
    """Every task of the scenario, with /metrics scraping them too."""

    @classmethod
    def setUpClass(cls):
        cls._tempdir = harness.TempDir()
        cls.workdir = cls._tempdir.__enter__()
        cls.addClassCleanup(cls._tempdir.__exit__, None, None, None)
        cls.fake, cls.api_port = harness.start_fake_api(cls.workdir, "discovery.json")
        cls.addClassCleanup(cls.fake.stop)
        config = write_discovery_config(
            cls.workdir, cls.api_port, ["interval: 1m", "name_pattern: '^sync-prod-'"],
            jobs=[(206, 2)])
        cls.exporter, cls.port = harness.start_exporter(cls.workdir, config)
        cls.addClassCleanup(cls.exporter.stop)
        wait_for_listing(cls.port)
        cls.expected = [task for task in TASKS if task["jobName"].startswith("sync-prod-")]

    def test_pages_through_the_list(self):
        _, body = harness.http_get(f"http://127.0.0.1:{self.api_port}/__fake/requests")
        listings = [r["params"] for r in json.loads(body)
                    if r["params"]["Action"] == "GetCdbDataSyncTaskList"]
        self.assertEqual([p["offset"] for p in listings], ["0", "100", "200"])
        self.assertTrue(all(p["limit"] == "100" for p in listings))
        self.assertFalse(any(name.startswith("status.") for p in listings for name in p))

    def test_sd_lists_filtered_tasks(self):
        status, body = harness.http_get(f"http://127.0.0.1:{self.port}/sd")
        self.assertEqual(status, 200)
        groups = json.loads(body)
        self.assertEqual(len(groups), len(self.expected))
        by_job = {group["labels"]["__param_job_id"]: group for group in groups}
        for task in self.expected:
            group = by_job[str(task["jobId"])]
            self.assertEqual(group["targets"], [f"127.0.0.1:{self.port}"])
            self.assertEqual(group["labels"]["__metrics_path__"], "/probe")
            self.assertEqual(group["labels"]["__param_src_type"], src_type_of(task))
            self.assertEqual(group["labels"]["instance"], f"{task['jobId']}/{src_type_of(task)}")
            self.assertEqual(group["labels"]["__meta_cdb_sync_task_name"], task["jobName"])
            self.assertEqual(group["labels"]["__meta_cdb_sync_task_status"], str(task["status"]))
        self.assertEqual(by_job["1002"]["labels"]["__meta_cdb_sync_task_name"],
                         'sync-prod-"quoted"-中文')

    def test_task_series(self):
        _, text = harness.http_get(f"http://127.0.0.1:{self.port}/metrics")
        samples = harness.parse_exposition(text)
        self.assertEqual(value_of(samples, "cdb_sync_exporter_discovery_tasks"), len(self.expected))
        self.assertEqual(value_of(samples, "cdb_sync_exporter_discovery_last_listing_successful"), 1)
        task = next(t for t in self.expected if t["jobId"] in (1005, "1005"))
        job = {"job_id": "1005", "src_type": src_type_of(task)}
        states = {labels["status"]: value
                  for labels, value in select(samples, "cdb_sync_task_status", **job)}
        self.assertEqual(len(states), 10)
        self.assertEqual([name for name, value in states.items() if value == 1], ["check_passed"])
        self.assertAlmostEqual(value_of(samples, "cdb_sync_task_progress_ratio", **job),
                               float(task["progress"]) / 100)
        flags = {labels["flag"]: value
                 for labels, value in select(samples, "cdb_sync_task_check_flag", **job)}
        names = ["not_checked", "passed", "failed"]
        flag = task["detail"]["checkInfo"]["checkFlag"]
        self.assertEqual(flags, {name: int(i == flag) for i, name in enumerate(names)})
        info = select(samples, "cdb_sync_task_info", job_id="1002")
        self.assertEqual(info[0][0]["name"], 'sync-prod-"quoted"-中文')
        # A test task is filtered out by the name pattern.
        self.assertEqual(select(samples, "cdb_sync_task_info", job_id="1001"), [])

    def test_metrics_scrapes_discovered_and_configured_jobs(self):
        _, text = harness.http_get(f"http://127.0.0.1:{self.port}/metrics")
        samples = harness.parse_exposition(text)
        up = select(samples, "cdb_sync_check_up")
        self.assertEqual(len(up), len(self.expected) + 1)
        self.assertEqual(value_of(samples, "cdb_sync_check_current_step",
                                  job_id="1002", src_type="2"), 12)
        # Job 206 is configured but not in the scenario: it is called too,
        # and the fake API replies that the task does not exist.
        self.assertEqual(value_of(samples, "cdb_sync_check_api_code",
                                  job_id="206", src_type="2"), 9591)

    def test_status_page_shows_discovered_tasks(self):
        _, page = harness.http_get(f"http://127.0.0.1:{self.port}/")
        self.assertIn('data-job-id="1003" data-src-type="2" data-state="failed"', page)
        self.assertIn('data-job-id="206"', page)


class DiscoveryErrorsTest(unittest.TestCase):
    def setUp(self):
        self._tempdir = harness.TempDir()
        self.workdir = self._tempdir.__enter__()
        self.addCleanup(self._tempdir.__exit__, None, None, None)

    def test_sd_without_discovery_is_empty(self):
        fake, api_port = harness.start_fake_api(self.workdir, "discovery.json")
        self.addCleanup(fake.stop)
        config = harness.write_config(self.workdir, api_port, [(206, 2)])
        exporter, port = harness.start_exporter(self.workdir, config)
        self.addCleanup(exporter.stop)
        status, body = harness.http_get(f"http://127.0.0.1:{port}/sd")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body), [])
        _, text = harness.http_get(f"http://127.0.0.1:{port}/metrics")
        self.assertNotIn("cdb_sync_exporter_discovery_", text)
        self.assertNotIn("cdb_sync_task_", text)

    def test_failed_listing_is_503_and_counted(self):
        # Nothing listens on the API port, so every listing fails.
        config = write_discovery_config(self.workdir, harness.free_port(), ["interval: 10s"])
        exporter, port = harness.start_exporter(self.workdir, config)
        self.addCleanup(exporter.stop)

        def failed() -> bool:
            return "listing the tasks failed" in exporter.stderr()
        harness.wait_until(failed, 20, "a failed listing in the log")
        status, body = harness.http_get(f"http://127.0.0.1:{port}/sd")
        self.assertEqual(status, 503)
        self.assertIn("has not succeeded yet", body)
        _, text = harness.http_get(f"http://127.0.0.1:{port}/metrics")
        samples = harness.parse_exposition(text)
        self.assertEqual(value_of(samples, "cdb_sync_exporter_discovery_last_listing_successful"), 0)

    def test_reload_turns_discovery_off(self):
        fake, api_port = harness.start_fake_api(self.workdir, "discovery.json")
        self.addCleanup(fake.stop)
        config = write_discovery_config(self.workdir, api_port, ["statuses: [4]"])
        exporter, port = harness.start_exporter(self.workdir, config)
        self.addCleanup(exporter.stop)
        wait_for_listing(port)
        _, body = harness.http_get(f"http://127.0.0.1:{port}/sd")
        self.assertEqual(len(json.loads(body)), sum(1 for t in TASKS if t["status"] == 4))

        harness.write_config(self.workdir, api_port, [(206, 2)])
        status, _ = harness.http_get(f"http://127.0.0.1:{port}/-/reload", method="POST")
        self.assertEqual(status, 200)
        harness.wait_until(lambda: harness.http_get(f"http://127.0.0.1:{port}/sd")[1] == "[]\n",
                           10, "/sd to list no targets after the reload")
        # The discovery thread wakes once a second to notice the reload.
        harness.wait_until(
            lambda: "cdb_sync_exporter_discovery_" not in harness.http_get(
                f"http://127.0.0.1:{port}/metrics")[1],
            10, "the discovery gauges to leave /metrics")
        _, text = harness.http_get(f"http://127.0.0.1:{port}/metrics")
        self.assertNotIn("cdb_sync_task_", text)


class HttpServiceDiscoveryTest(unittest.TestCase):
    """A real Prometheus takes its targets from /sd and splits them over two
    shards with hashmod, the way two Prometheus servers would."""

    def test_two_shards_cover_every_task_once(self):
        with harness.TempDir() as workdir:
            fake, api_port = harness.start_fake_api(workdir, "discovery.json")
            self.addCleanup(fake.stop)
            config = write_discovery_config(
                workdir, api_port,
                ["statuses: [2, 3, 4]", "include_in_metrics: false"])
            exporter, port = harness.start_exporter(workdir, config)
            self.addCleanup(exporter.stop)
            wait_for_listing(port)
            _, body = harness.http_get(f"http://127.0.0.1:{port}/sd")
            expected = {group["labels"]["instance"] for group in json.loads(body)}
            self.assertGreater(len(expected), 50)

            shards = []
            for shard in (0, 1):
                shards += [
                    f"  - job_name: cdb_sync_tasks_shard{shard}",
                    "    scrape_interval: 2s",
                    "    scrape_timeout: 2s",
                    "    http_sd_configs:",
                    f"      - url: http://127.0.0.1:{port}/sd",
                    "        refresh_interval: 5s",
                    "    relabel_configs:",
                    "      - source_labels: [__param_job_id, __param_src_type]",
                    "        modulus: 2",
                    "        target_label: __tmp_shard",
                    "        action: hashmod",
                    "      - source_labels: [__tmp_shard]",
                    f"        regex: '{shard}'",
                    "        action: keep",
                ]
            prometheus, prometheus_port = harness.start_prometheus_config(
                workdir, "scrape_configs:\n" + "\n".join(shards) + "\n",
                name="prometheus-sd")
            self.addCleanup(prometheus.stop)

            def all_scraped() -> bool:
                try:
                    return len(harness.prometheus_query(
                        prometheus_port, "cdb_sync_check_up")) == len(expected)
                except (OSError, AssertionError):
                    return False
            harness.wait_until(all_scraped, 60, "Prometheus to scrape every discovered task")

            results = harness.prometheus_query(prometheus_port, "cdb_sync_check_up")
            by_shard: dict[str, set[str]] = {}
            for result in results:
                by_shard.setdefault(result["metric"]["job"], set()).add(result["metric"]["instance"])
                self.assertEqual(result["metric"]["instance"],
                                 f"{result['metric']['job_id']}/{result['metric']['src_type']}")
            self.assertEqual(set(by_shard), {"cdb_sync_tasks_shard0", "cdb_sync_tasks_shard1"})
            shard0, shard1 = by_shard["cdb_sync_tasks_shard0"], by_shard["cdb_sync_tasks_shard1"]
            self.assertFalse(shard0 & shard1)
            self.assertEqual(shard0 | shard1, expected)
            # Job 1003's check reply is the failing example.
            failed = harness.prometheus_query(
                prometheus_port, 'cdb_sync_check_errno{job_id="1003"}')
            self.assertEqual(failed[0]["value"][1], "1")
            # Each target's scrape succeeded, not just the probe's API call.
            up = harness.prometheus_query(prometheus_port, 'up{job=~"cdb_sync_tasks_shard.*"} == 1')
            self.assertEqual(len(up), len(expected))


if __name__ == "__main__":
    unittest.main()

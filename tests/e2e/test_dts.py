#!/usr/bin/python3
"""DTS (API 3.0) jobs end to end. The exporter signs DescribeCheckSyncJobResult
and DescribeMigrationCheckJob with TC3-HMAC-SHA256, and the fake API checks
each signature with its own code. The replies become the same series as an
API 2.0 task's, with an api label instead of src_type. A real Prometheus
evaluates the alert rules on them."""

from __future__ import annotations

import json
import subprocess
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import select, value_of  # noqa: E402

SYNC = "dts_sync_check"
MIGRATION = "dts_migration_check"

# The DTS jobs of tests/fake_api/scenarios/dts.json, as (api, job id).
DTS_JOBS = [
    (SYNC, "sync-pass01"), (SYNC, "sync-run01"), (SYNC, "sync-fail01"),
    (MIGRATION, "dts-pass01"), (MIGRATION, "dts-fail01"), (MIGRATION, "dts-run01"),
    (SYNC, "sync-auth01"), (SYNC, "sync-throttle01"), (MIGRATION, "dts-gone01"),
    (SYNC, "sync-internal01"),
]


def write_dts_config(workdir: Path, api_port: int, jobs=DTS_JOBS) -> Path:
    """The configuration of these tests: task 206 beside the DTS jobs, with
    one quick retry."""
    return harness.write_config(workdir, api_port, [(206, 2)] + list(jobs),
                                retries=1, retry_backoff="10ms")


def api3_requests(api_port: int) -> list[dict]:
    _, body = harness.http_get(f"http://127.0.0.1:{api_port}/__fake/requests")
    return [entry for entry in json.loads(body) if entry.get("api") == "3.0"]


class DtsEndToEndTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tempdir = harness.TempDir()
        cls.workdir = cls._tempdir.__enter__()
        cls.addClassCleanup(cls._tempdir.__exit__, None, None, None)
        cls.fake, cls.api_port = harness.start_fake_api(cls.workdir, "dts.json")
        cls.addClassCleanup(cls.fake.stop)
        config = write_dts_config(cls.workdir, cls.api_port)
        cls.exporter, cls.port = harness.start_exporter(cls.workdir, config)
        cls.addClassCleanup(cls.exporter.stop)
        status, cls.text = harness.http_get(f"http://127.0.0.1:{cls.port}/metrics")
        assert status == 200, cls.text
        cls.samples = harness.parse_exposition(cls.text)

    def value(self, name: str, kind: str, job_id: str, **labels) -> float:
        return value_of(self.samples, name, job_id=job_id, api=kind, **labels)

    def step_states(self, kind: str, job_id: str) -> list[str]:
        found = select(self.samples, "cdb_sync_check_step_status", job_id=job_id, api=kind)
        on = sorted((int(labels["step"]), labels["status"]) for labels, value in found if value == 1)
        self.assertEqual(len(on), len(found) // 4, f"one state per step for {job_id}")
        return [status for _, status in on]

    def test_sync_checks(self):
        # success: 5 of 5 steps, finished, errno 0.
        self.assertEqual(self.value("cdb_sync_check_up", SYNC, "sync-pass01"), 1)
        self.assertEqual(self.value("cdb_sync_check_steps", SYNC, "sync-pass01"), 5)
        self.assertEqual(self.value("cdb_sync_check_current_step", SYNC, "sync-pass01"), 5)
        self.assertEqual(self.value("cdb_sync_check_finished", SYNC, "sync-pass01"), 1)
        self.assertEqual(self.value("cdb_sync_check_errno", SYNC, "sync-pass01"), 0)
        self.assertEqual(self.step_states(SYNC, "sync-pass01"), ["success"] * 5)
        # running at step 3 of 5.
        self.assertEqual(self.value("cdb_sync_check_current_step", SYNC, "sync-run01"), 3)
        self.assertEqual(self.value("cdb_sync_check_finished", SYNC, "sync-run01"), 0)
        self.assertEqual(self.step_states(SYNC, "sync-run01"),
                         ["success", "success", "pending", "pending", "pending"])
        # failed at step 3: errno -1 and the step's error as the check's error.
        self.assertEqual(self.value("cdb_sync_check_finished", SYNC, "sync-fail01"), 1)
        self.assertEqual(self.value("cdb_sync_check_errno", SYNC, "sync-fail01"), -1)
        self.assertEqual(self.step_states(SYNC, "sync-fail01"),
                         ["success", "success", "failed", "pending", "pending"])
        info = select(self.samples, "cdb_sync_check_info", job_id="sync-fail01", api=SYNC)
        self.assertEqual(len(info), 1)
        self.assertTrue(info[0][0]["error"], "the failed step's message becomes the error")

    def test_migration_checks(self):
        self.assertEqual(self.value("cdb_sync_check_finished", MIGRATION, "dts-pass01"), 1)
        self.assertEqual(self.value("cdb_sync_check_errno", MIGRATION, "dts-pass01"), 0)
        self.assertEqual(self.value("cdb_sync_check_steps", MIGRATION, "dts-pass01"), 4)
        self.assertEqual(self.step_states(MIGRATION, "dts-pass01"), ["success"] * 4)
        # checkNotPass: finished with errno -1; failed and blocked steps fail.
        self.assertEqual(self.value("cdb_sync_check_errno", MIGRATION, "dts-fail01"), -1)
        self.assertEqual(self.value("cdb_sync_check_current_step", MIGRATION, "dts-fail01"), 2)
        self.assertEqual(self.step_states(MIGRATION, "dts-fail01"),
                         ["success", "failed", "failed", "pending"])
        self.assertEqual(self.value("cdb_sync_check_finished", MIGRATION, "dts-run01"), 0)
        self.assertEqual(self.value("cdb_sync_check_current_step", MIGRATION, "dts-run01"), 2)

    def test_errors_become_outcomes(self):
        expected = {
            (SYNC, "sync-auth01"): ("api_error", "AuthFailure.SignatureFailure"),
            (SYNC, "sync-throttle01"): ("throttled", "RequestLimitExceeded"),
            (MIGRATION, "dts-gone01"): ("api_error", "ResourceNotFound"),
            (SYNC, "sync-internal01"): ("api_error", "InternalError"),
        }
        for (kind, job_id), (outcome, code) in expected.items():
            with self.subTest(job_id=job_id):
                self.assertEqual(self.value("cdb_sync_check_up", kind, job_id), 0)
                self.assertEqual(self.value("cdb_sync_check_outcome", kind, job_id, outcome=outcome), 1)
                error = select(self.samples, "cdb_sync_check_api_error_info", job_id=job_id, api=kind)
                self.assertEqual([labels["code_desc"] for labels, _ in error], [code])
                self.assertFalse(select(self.samples, "cdb_sync_check_api_code", job_id=job_id))
                self.assertFalse(select(self.samples, "cdb_sync_check_steps", job_id=job_id))

    def test_retries_only_what_may_pass(self):
        counts: dict[str, int] = {}
        for entry in api3_requests(self.api_port):
            counts[entry["job_id"]] = counts.get(entry["job_id"], 0) + 1
        # One scrape so far (setUpClass); api.retries is 1.
        self.assertEqual(counts.get("sync-throttle01"), 2)
        self.assertEqual(counts.get("sync-internal01"), 2)
        self.assertEqual(counts.get("sync-auth01"), 1)
        self.assertEqual(counts.get("dts-gone01"), 1)
        self.assertEqual(counts.get("sync-pass01"), 1)

    def test_requests_signed_and_addressed(self):
        entries = api3_requests(self.api_port)
        self.assertTrue(entries)
        by_job = {entry["job_id"]: entry for entry in entries}
        self.assertEqual(by_job["sync-pass01"]["action"], "DescribeCheckSyncJobResult")
        self.assertEqual(by_job["dts-pass01"]["action"], "DescribeMigrationCheckJob")
        for entry in entries:
            self.assertTrue(entry["verified"], entry)
            self.assertEqual(entry["version"], "2021-12-06")
            self.assertEqual(entry["region"], "ap-shanghai")
            self.assertFalse(entry["token_sent"])

    def test_api_2_task_keeps_its_labels(self):
        self.assertEqual(value_of(self.samples, "cdb_sync_check_current_step",
                                  job_id="206", src_type="2"), 12)
        for _, labels, _ in self.samples:
            if labels.get("job_id") == "206":
                self.assertNotIn("api", labels)
            elif "job_id" in labels:
                self.assertNotIn("src_type", labels)

    def test_promtool_accepts_exposition(self):
        result = subprocess.run(["promtool", "check", "metrics"], input=self.text,
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_probe_dts_job(self):
        status, text = harness.http_get(
            f"http://127.0.0.1:{self.port}/probe?api={MIGRATION}&job_id=dts-fail01")
        self.assertEqual(status, 200, text)
        samples = harness.parse_exposition(text)
        self.assertEqual({(labels["job_id"], labels["api"]) for _, labels, _ in samples},
                         {("dts-fail01", MIGRATION)})
        self.assertEqual(value_of(samples, "cdb_sync_check_errno", job_id="dts-fail01"), -1)
        status, text = harness.http_get(
            f"http://127.0.0.1:{self.port}/probe?api={MIGRATION}&job_id=dts-fail01&src_type=2")
        self.assertEqual(status, 400)
        self.assertIn("src_type applies only to API 2.0 jobs", text)

    def test_status_page_lists_dts_jobs(self):
        status, page = harness.http_get(f"http://127.0.0.1:{self.port}/")
        self.assertEqual(status, 200)
        self.assertIn('data-job-id="dts-fail01" data-api="dts_migration_check" data-state="failed"', page)
        self.assertIn('data-job-id="sync-pass01" data-api="dts_sync_check" data-state="passed"', page)
        self.assertIn('data-job-id="sync-auth01" data-api="dts_sync_check" data-state="unreachable"', page)
        self.assertIn("code AuthFailure.SignatureFailure", page)


class DtsHugeErrorTest(unittest.TestCase):
    """An error reply whose Code, Message and RequestId are 100 KB each is
    reported with cut label values and a short log line."""

    def test_log_line_and_labels_are_cut(self):
        huge = "x" * 100_000
        body = json.dumps({"Response": {"Error": {"Code": "InvalidParameter." + huge, "Message": huge},
                                        "RequestId": huge}})
        with harness.TempDir() as workdir:
            scenario = workdir / "huge.json"
            scenario.write_text(json.dumps({"dts_jobs": {"sync-huge01": {"body": body}}}))
            fake, api_port = harness.start_fake_api(workdir, str(scenario))
            try:
                config = write_dts_config(workdir, api_port, jobs=[(SYNC, "sync-huge01")])
                exporter, port = harness.start_exporter(workdir, config)
                try:
                    _, text = harness.http_get(f"http://127.0.0.1:{port}/metrics")
                finally:
                    exporter.stop()
                log = exporter.stderr()
            finally:
                fake.stop()

        [line] = [line for line in log.splitlines()
                  if "API call for job failed" in line and "job_id=sync-huge01" in line]
        self.assertLess(len(line), 4096, line[:300])
        samples = harness.parse_exposition(text)
        [(labels, _)] = select(samples, "cdb_sync_check_api_error_info", job_id="sync-huge01")
        self.assertLessEqual(len(labels["code_desc"].encode()), 1024)
        self.assertTrue(labels["code_desc"].startswith("InvalidParameter.xxx"))
        self.assertLessEqual(len(labels["message"].encode()), 1024)


class DtsSignatureTest(unittest.TestCase):
    """The fake API rejects what a wrong key or token signs, so the passing
    requests above really were signed correctly."""

    def test_wrong_secret_key_is_rejected(self):
        with harness.TempDir() as workdir:
            fake, api_port = harness.start_fake_api(workdir, "dts.json")
            try:
                config = write_dts_config(workdir, api_port, jobs=[(SYNC, "sync-pass01")])
                env = harness.credentials_env(secret_key=harness.TEST_SECRET_KEY + "x")
                exporter, port = harness.start_exporter(workdir, config, env=env)
                try:
                    _, text = harness.http_get(f"http://127.0.0.1:{port}/metrics")
                finally:
                    exporter.stop()
            finally:
                fake.stop()
        samples = harness.parse_exposition(text)
        error = select(samples, "cdb_sync_check_api_error_info", job_id="sync-pass01", api=SYNC)
        self.assertEqual([labels["code_desc"] for labels, _ in error],
                         ["AuthFailure.SignatureFailure"])
        self.assertNotIn(harness.TEST_SECRET_KEY, text)

    def test_session_token_is_sent(self):
        with harness.TempDir() as workdir:
            token_env = dict(harness.credentials_env(), TENCENTCLOUD_SESSION_TOKEN="e2e-token-1")
            fake = harness.Process(
                [sys.executable, str(harness.FAKE_API), "--scenario",
                 str(harness.SCENARIOS / "dts.json"), "--port", "0",
                 "--port-file", str(workdir / "fake.port")],
                token_env, workdir, "fake_api")
            try:
                harness.wait_until(lambda: (workdir / "fake.port").exists() or not fake.alive(),
                                   10, "the fake API's port file")
                api_port = int((workdir / "fake.port").read_text())
                config = write_dts_config(workdir, api_port, jobs=[(MIGRATION, "dts-pass01")])
                exporter, port = harness.start_exporter(workdir, config, env=token_env)
                try:
                    _, text = harness.http_get(f"http://127.0.0.1:{port}/metrics")
                finally:
                    exporter.stop()
                entries = api3_requests(api_port)
            finally:
                fake.stop()
        samples = harness.parse_exposition(text)
        self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id="dts-pass01"), 1)
        self.assertTrue(entries and all(entry["token_sent"] for entry in entries), entries)
        self.assertNotIn("e2e-token-1", text)


class DtsDiscoveryTest(unittest.TestCase):
    """discovery.apis lists DTS sync and migration jobs with DescribeSyncJobs
    and DescribeMigrationJobs. The jobs are scraped on /metrics and served on
    /sd as /probe targets with the api parameter."""

    def test_lists_and_scrapes_dts_jobs(self):
        with harness.TempDir() as workdir:
            fake, api_port = harness.start_fake_api(workdir, "dts.json")
            exporter = None
            try:
                config = workdir / "discovery.yml"
                config.write_text("\n".join([
                    "api:",
                    f"  endpoint: http://127.0.0.1:{api_port}/v2/index.php",
                    "  region: ap-guangzhou",
                    "  retries: 0",
                    "dts:",
                    f"  endpoint: http://127.0.0.1:{api_port}/",
                    "discovery:",
                    "  apis: [dts_sync_check, dts_migration_check]",
                    "  name_pattern: '^(?:orders to|billing to|inventory|legacy crm) '",
                ]) + "\n")
                exporter, port = harness.start_exporter(workdir, config)
                base = f"http://127.0.0.1:{port}"
                harness.wait_until(lambda: harness.http_get(f"{base}/sd")[0] == 200, 15,
                                   "the first listing")
                _, sd = harness.http_get(f"{base}/sd")
                _, text = harness.http_get(f"{base}/metrics")
                listed = {(entry["action"], entry["params"].get("Limit"))
                          for entry in api3_requests(api_port) if entry["action"].endswith("Jobs")}
            finally:
                if exporter is not None:
                    exporter.stop()
                fake.stop()

        self.assertEqual(listed, {("DescribeSyncJobs", 100), ("DescribeMigrationJobs", 100)})
        # The name pattern keeps four of the nine listed jobs.
        targets = {(group["labels"]["__param_job_id"], group["labels"]["__param_api"])
                   for group in json.loads(sd)}
        expected = {("sync-pass01", SYNC), ("sync-fail01", SYNC),
                    ("dts-pass01", MIGRATION), ("dts-fail01", MIGRATION)}
        self.assertEqual(targets, expected, sd)
        for group in json.loads(sd):
            self.assertEqual(group["labels"]["instance"],
                             f'{group["labels"]["__param_job_id"]}/{group["labels"]["__param_api"]}')
            self.assertNotIn("__param_src_type", group["labels"])
        samples = harness.parse_exposition(text)
        scraped = {(labels["job_id"], labels["api"])
                   for labels, _ in select(samples, "cdb_sync_check_up")}
        self.assertEqual(scraped, expected)
        self.assertEqual(value_of(samples, "cdb_sync_check_errno", job_id="dts-fail01"), -1)
        names = {labels["job_id"]: labels["name"] for labels, _ in select(samples, "cdb_sync_task_info")}
        self.assertEqual(names, {"sync-pass01": "orders to reporting", "sync-fail01": "billing to archive",
                                 "dts-pass01": "inventory migration", "dts-fail01": "legacy crm migration"})
        # The API 2.0 task-list series have no meaning for DTS jobs.
        self.assertFalse(select(samples, "cdb_sync_task_status"))
        self.assertEqual(value_of(samples, "cdb_sync_exporter_discovery_tasks"), 4)


class DtsAlertsTest(unittest.TestCase):
    """The alert rules, evaluated by a real Prometheus on the exporter's DTS
    series, fire for the failed checks and the failing calls, and for
    nothing that passed."""

    def test_check_failed_fires_for_failed_dts_checks(self):
        with harness.TempDir() as workdir:
            fake, api_port = harness.start_fake_api(workdir, "dts.json")
            exporter = prometheus = None
            try:
                config = write_dts_config(workdir, api_port)
                exporter, port = harness.start_exporter(workdir, config)
                prometheus, prometheus_port = harness.start_prometheus_with_rules(
                    workdir, port, [harness.REPO / "deploy/prometheus/cdb_sync_alerts.yml"])

                def firing() -> set[tuple[str, str]]:
                    reply = harness.prometheus_api(prometheus_port, "/api/v1/query", {
                        "query": 'ALERTS{alertname="CdbSyncCheckFailed",alertstate="firing"}'})
                    return {(series["metric"].get("job_id", ""), series["metric"].get("api", ""))
                            for series in reply["data"]["result"]}

                expected = {("sync-fail01", SYNC), ("dts-fail01", MIGRATION)}
                harness.wait_until(lambda: expected <= firing(), 30, "CdbSyncCheckFailed for both")
                self.assertEqual(firing(), expected)
            finally:
                for process in (prometheus, exporter, fake):
                    if process is not None:
                        process.stop()


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/python3
"""Fault injection: the exporter against a fake API that misbehaves in one
way per test. Every test checks that the scrape returns within its deadline,
that the faulty job is down with the right outcome, that the healthy control
job in the same scrape is intact, and that the process is still alive.

Run through ctest, or directly with CDB_SYNC_EXPORTER set to the binary.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import unittest
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import select, value_of  # noqa: E402

CONTROL_JOB = 300
# Prometheus' scrape timeout for these tests; the exporter's deadline is
# 0.5 s earlier.
SCRAPE_TIMEOUT_SECONDS = 3.0


class FaultTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tempdir = harness.TempDir()
        cls.workdir = cls._tempdir.__enter__()
        cls.addClassCleanup(cls._tempdir.__exit__, None, None, None)
        cls.fake, cls.api_port = harness.start_fake_api(cls.workdir, "faults.json")
        cls.addClassCleanup(cls.fake.stop)

    def scrape_with_fault(self, job_id: int, also=(), **api):
        """Scrapes an exporter configured with the control job and `job_id`;
        returns the samples and the number of API requests per job."""
        harness.http_get(f"http://127.0.0.1:{self.api_port}/__fake/reset", method="POST")
        config = harness.write_config(self.workdir, self.api_port,
                                      [(CONTROL_JOB, 2), (job_id, 2)]
                                      + [(other, 2) for other in also],
                                      retry_backoff="50ms", **api)
        exporter, port = harness.start_exporter(self.workdir, config)
        self.addCleanup(exporter.stop)

        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/metrics",
            headers={"X-Prometheus-Scrape-Timeout-Seconds": str(SCRAPE_TIMEOUT_SECONDS)})
        started = time.monotonic()
        with urllib.request.urlopen(request, timeout=SCRAPE_TIMEOUT_SECONDS + 5) as response:
            text = response.read().decode("utf-8")
        elapsed = time.monotonic() - started

        self.assertLess(elapsed, SCRAPE_TIMEOUT_SECONDS, "the scrape missed its deadline")
        self.assertTrue(exporter.alive(), exporter.stderr())
        samples = harness.parse_exposition(text)
        self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id=str(CONTROL_JOB)), 1)
        self.assertEqual(
            value_of(samples, "cdb_sync_check_current_step", job_id=str(CONTROL_JOB)), 12)
        result = subprocess.run(["promtool", "check", "metrics"], input=text,
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

        _, body = harness.http_get(f"http://127.0.0.1:{self.api_port}/__fake/requests")
        attempts = {}
        for entry in json.loads(body):
            job = int(entry["params"]["jobId"])
            attempts[job] = attempts.get(job, 0) + 1
        return samples, attempts

    def assert_down(self, samples, job_id: int, outcome: str, code: int | None = None):
        self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id=str(job_id)), 0)
        outcomes = select(samples, "cdb_sync_check_outcome", job_id=str(job_id))
        self.assertEqual([labels["outcome"] for labels, _ in outcomes], [outcome])
        codes = [value for _, value in select(samples, "cdb_sync_check_api_code",
                                              job_id=str(job_id))]
        self.assertEqual(codes, [] if code is None else [code])
        self.assertEqual(select(samples, "cdb_sync_check_steps", job_id=str(job_id)), [])

    def test_reset_mid_body(self):
        samples, attempts = self.scrape_with_fault(301)
        self.assert_down(samples, 301, "network_error")
        self.assertEqual(attempts[301], 3)  # retried twice

    def test_close_before_reply(self):
        samples, _ = self.scrape_with_fault(302)
        # When the request went out on a reused keep-alive connection, libcurl
        # sends it again by itself on a fresh one, with the same Nonce; the
        # fake has seen that Nonce and returns 4500 (replay), which is final.
        outcome = select(samples, "cdb_sync_check_outcome", job_id="302")[0][0]["outcome"]
        if outcome == "api_error":
            self.assert_down(samples, 302, "api_error", 4500)
        else:
            self.assert_down(samples, 302, "network_error")

    def test_accept_and_stall(self):
        samples, _ = self.scrape_with_fault(303)
        self.assert_down(samples, 303, "timeout")

    def test_stalled_body(self):
        samples, _ = self.scrape_with_fault(304)
        self.assert_down(samples, 304, "timeout")

    def test_dripping_body(self):
        samples, _ = self.scrape_with_fault(305)
        self.assert_down(samples, 305, "timeout")

    def test_server_error_with_html(self):
        samples, attempts = self.scrape_with_fault(306)
        self.assert_down(samples, 306, "http_error")
        self.assertEqual(attempts[306], 3)

    def test_oversize_body(self):
        samples, attempts = self.scrape_with_fault(307)
        self.assert_down(samples, 307, "parse_error")
        self.assertEqual(attempts[307], 1)

    def test_oversize_body_within_raised_cap(self):
        samples, _ = self.scrape_with_fault(307, max_response_size="6MiB")
        self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id="307"), 1)

    def test_invalid_utf8_is_repaired(self):
        samples, _ = self.scrape_with_fault(308)
        self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id="308"), 1)
        names = [labels["step_name"] for labels, _ in
                 select(samples, "cdb_sync_check_step_errno", job_id="308")]
        self.assertEqual(len(names), 12)
        self.assertTrue(all(name.startswith("\ufffd") for name in names), names)

    def test_throttled(self):
        samples, attempts = self.scrape_with_fault(309)
        self.assert_down(samples, 309, "throttled", 4400)
        self.assertEqual(attempts[309], 3)

    def test_auth_failure_not_retried(self):
        samples, attempts = self.scrape_with_fault(310)
        self.assert_down(samples, 310, "api_error", 4100)
        self.assertEqual(attempts[310], 1)

    def test_invalid_parameter(self):
        samples, attempts = self.scrape_with_fault(311)
        self.assert_down(samples, 311, "api_error", 9003)
        self.assertEqual(attempts[311], 1)

    def test_task_not_exist(self):
        samples, attempts = self.scrape_with_fault(312)
        self.assert_down(samples, 312, "api_error", 9591)
        self.assertEqual(attempts[312], 1)

    def test_server_busy_retried(self):
        samples, attempts = self.scrape_with_fault(313)
        self.assert_down(samples, 313, "api_error", 6000)
        self.assertEqual(attempts[313], 3)

    def test_throttled_then_success(self):
        samples, attempts = self.scrape_with_fault(314)
        self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id="314"), 1)
        self.assertEqual(attempts[314], 2)

    def test_bad_gateway_then_success(self):
        samples, attempts = self.scrape_with_fault(315)
        self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id="315"), 1)
        self.assertEqual(attempts[315], 2)

    def test_retry_not_held_back_by_stalled_job(self):
        # Job 303 stalls until the deadline; job 315's retry must not wait
        # for it.
        samples, attempts = self.scrape_with_fault(315, also=(303,))
        self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id="315"), 1)
        self.assertEqual(attempts[315], 2)
        self.assert_down(samples, 303, "timeout")

    def test_retry_later_then_success(self):
        samples, attempts = self.scrape_with_fault(316)
        self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id="316"), 1)
        self.assertEqual(attempts[316], 2)

    def test_auth_failure_then_success_not_retried(self):
        samples, attempts = self.scrape_with_fault(317)
        self.assert_down(samples, 317, "api_error", 4100)
        self.assertEqual(attempts[317], 1)

    def test_wrong_types(self):
        samples, _ = self.scrape_with_fault(318)
        self.assert_down(samples, 318, "parse_error")

    def test_truncated_json(self):
        samples, _ = self.scrape_with_fault(319)
        self.assert_down(samples, 319, "parse_error")

    def test_trailing_garbage(self):
        samples, _ = self.scrape_with_fault(320)
        self.assert_down(samples, 320, "parse_error")

    def test_non_json(self):
        samples, attempts = self.scrape_with_fault(321)
        self.assert_down(samples, 321, "parse_error")
        self.assertEqual(attempts[321], 1)


class EndpointFaultTest(unittest.TestCase):
    """Faults of the endpoint itself, where every job shares the failure."""

    def test_connection_refused(self):
        with harness.TempDir() as workdir:
            config = harness.write_config(workdir, harness.free_port(), [(300, 2), (301, 2)],
                                          retry_backoff="50ms")
            exporter, port = harness.start_exporter(workdir, config)
            self.addCleanup(exporter.stop)
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/metrics",
                headers={"X-Prometheus-Scrape-Timeout-Seconds": "3"})
            started = time.monotonic()
            with urllib.request.urlopen(request, timeout=10) as response:
                samples = harness.parse_exposition(response.read().decode("utf-8"))
            self.assertLess(time.monotonic() - started, 3)
            for job_id in ("300", "301"):
                self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id=job_id), 0)
                self.assertEqual(
                    select(samples, "cdb_sync_check_outcome", job_id=job_id)[0][0]["outcome"],
                    "network_error")
            self.assertTrue(exporter.alive())

    @unittest.skipUnless(shutil.which("unshare") and shutil.which("ip") and shutil.which("curl"),
                         "unshare, ip and curl are needed for a private network namespace")
    def test_unresolvable_host(self):
        # The exporter runs in a network namespace of its own with only a
        # loopback interface, so its DNS lookup fails at once and no packet
        # leaves the machine.
        with harness.TempDir() as workdir:
            config = workdir / "config.yml"
            config.write_text(
                "api:\n  endpoint: http://cdb-sync-test-host.invalid/v2/index.php\n"
                "  region: ap-guangzhou\n  retry_backoff: 50ms\n"
                "jobs:\n  - job_id: 300\n    src_type: 2\n")
            script = f"""
set -e
ip link set lo up
"{harness.exporter_binary()}" --config-file="{config}" \\
    --web-listen-address=127.0.0.1:10025 2>"{workdir}/exporter.stderr" &
exporter=$!
for _ in $(seq 100); do
  curl -fsS http://127.0.0.1:10025/-/healthy >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS -H 'X-Prometheus-Scrape-Timeout-Seconds: 3' http://127.0.0.1:10025/metrics
kill -0 $exporter
kill $exporter
wait $exporter
"""
            result = subprocess.run(["unshare", "-n", "sh", "-c", script],
                                    env=harness.credentials_env(), capture_output=True,
                                    text=True, timeout=60)
            if result.returncode != 0 and "unshare failed" in result.stderr:
                self.skipTest("creating a network namespace is not permitted here")
            self.assertEqual(result.returncode, 0, result.stderr)
            samples = harness.parse_exposition(result.stdout)
            self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id="300"), 0)
            self.assertEqual(
                select(samples, "cdb_sync_check_outcome", job_id="300")[0][0]["outcome"],
                "network_error")


if __name__ == "__main__":
    unittest.main()

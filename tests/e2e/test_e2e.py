#!/usr/bin/python3
"""End-to-end tests: the exporter binary against the fake API on 127.0.0.1,
scraped over HTTP, checked by promtool and by a real Prometheus server.

Run through ctest, or directly with CDB_SYNC_EXPORTER set to the binary:
    CDB_SYNC_EXPORTER=build/exporter/cdb_sync_exporter python3 tests/e2e/test_e2e.py
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import select, value_of  # noqa: E402

# Every job of the e2e scenario, with the srcType the exporter sends.
ALL_JOBS = [(job_id, 2) for job_id in range(206, 220)] + [(220, 10)]


class ScrapeAllJobsTest(unittest.TestCase):
    """One exporter with every fixture job; scraped once for the class."""

    @classmethod
    def setUpClass(cls):
        cls._tempdir = harness.TempDir()
        cls.workdir = cls._tempdir.__enter__()
        cls.addClassCleanup(cls._tempdir.__exit__, None, None, None)
        cls.fake, cls.api_port = harness.start_fake_api(cls.workdir)
        cls.addClassCleanup(cls.fake.stop)
        config = harness.write_config(cls.workdir, cls.api_port, ALL_JOBS)
        cls.exporter, cls.port = harness.start_exporter(
            cls.workdir, config, extra_args=["--log-level=debug"])
        cls.addClassCleanup(cls.exporter.stop)
        status, cls.text = harness.http_get(f"http://127.0.0.1:{cls.port}/metrics")
        assert status == 200, status
        cls.samples = harness.parse_exposition(cls.text)

    def outcome(self, job_id: int) -> str:
        found = select(self.samples, "cdb_sync_check_outcome", job_id=str(job_id))
        self.assertEqual(len(found), 1, found)
        return found[0][0]["outcome"]

    def test_documented_example(self):
        job = {"job_id": "206", "src_type": "2"}
        self.assertEqual(value_of(self.samples, "cdb_sync_check_up", **job), 1)
        self.assertEqual(value_of(self.samples, "cdb_sync_check_api_code", **job), 0)
        self.assertEqual(value_of(self.samples, "cdb_sync_check_current_step", **job), 12)
        self.assertEqual(value_of(self.samples, "cdb_sync_check_steps", **job), 12)
        self.assertEqual(value_of(self.samples, "cdb_sync_check_errno", **job), 0)
        self.assertEqual(value_of(self.samples, "cdb_sync_check_finished", **job), 1)
        info = select(self.samples, "cdb_sync_check_info", **job)
        self.assertEqual(len(info), 1)
        self.assertEqual(info[0][0]["step_comment"], "释放dfw权限")
        self.assertEqual(info[0][0]["error"], "自建同步检查成功")
        self.assertEqual(self.outcome(206), "success")

    def test_documented_example_steps(self):
        steps = select(self.samples, "cdb_sync_check_step_errno", job_id="206")
        self.assertEqual(len(steps), 12)
        self.assertEqual(value_of(self.samples, "cdb_sync_check_step_errno",
                                  job_id="206", step="1", step_name="检查参数"), 0)
        self.assertEqual(value_of(self.samples, "cdb_sync_check_step_errno",
                                  job_id="206", step="12", step_name="释放源数据库访问权限"), 0)
        for step in range(1, 13):
            states = select(self.samples, "cdb_sync_check_step_status",
                            job_id="206", step=str(step))
            self.assertEqual(len(states), 4, states)
            self.assertEqual({labels["status"]: value for labels, value in states},
                             {"success": 1, "failed": 0, "pending": 0, "unknown": 0})

    def test_failed_check(self):
        self.assertEqual(value_of(self.samples, "cdb_sync_check_up", job_id="207"), 1)
        self.assertEqual(value_of(self.samples, "cdb_sync_check_errno", job_id="207"), 1)
        self.assertEqual(value_of(self.samples, "cdb_sync_check_current_step", job_id="207"), 8)
        self.assertEqual(value_of(self.samples, "cdb_sync_check_step_status",
                                  job_id="207", step="8", status="failed"), 1)
        self.assertEqual(value_of(self.samples, "cdb_sync_check_step_status",
                                  job_id="207", step="9", status="pending"), 1)

    def test_running_check(self):
        self.assertEqual(value_of(self.samples, "cdb_sync_check_finished", job_id="208"), 0)
        self.assertEqual(value_of(self.samples, "cdb_sync_check_current_step", job_id="208"), 4)

    def test_string_numbers_and_array_data(self):
        self.assertEqual(value_of(self.samples, "cdb_sync_check_up", job_id="209"), 1)
        self.assertEqual(value_of(self.samples, "cdb_sync_check_steps", job_id="209"), 3)
        self.assertEqual(value_of(self.samples, "cdb_sync_check_current_step", job_id="209"), 2)
        self.assertEqual(value_of(self.samples, "cdb_sync_check_step_errno",
                                  job_id="209", step="2"), -1)
        self.assertEqual(value_of(self.samples, "cdb_sync_check_step_status",
                                  job_id="209", step="3", status="pending"), 1)

    def test_escapes_and_unknown_state(self):
        info = select(self.samples, "cdb_sync_check_info", job_id="210")
        self.assertEqual(len(info), 1)
        self.assertIn('"db1"."t1"', info[0][0]["error"])
        self.assertIn("\npath C:\\mysql\\data", info[0][0]["error"])
        self.assertEqual(value_of(self.samples, "cdb_sync_check_step_status",
                                  job_id="210", step="2", status="unknown"), 1)
        self.assertEqual(value_of(self.samples, "cdb_sync_check_step_errno",
                                  job_id="210", step="2"), 7)
        same_name = select(self.samples, "cdb_sync_check_step_errno",
                           job_id="210", step_name="检查源其他项")
        self.assertEqual(sorted(labels["step"] for labels, _ in same_name), ["3", "4"])

    def test_no_data_yet(self):
        self.assertEqual(value_of(self.samples, "cdb_sync_check_up", job_id="211"), 1)
        self.assertEqual(select(self.samples, "cdb_sync_check_current_step", job_id="211"), [])
        self.assertEqual(select(self.samples, "cdb_sync_check_info", job_id="211"), [])

    def test_failures_are_isolated_per_job(self):
        expected = {
            212: ("http_error", None),
            213: ("parse_error", None),
            214: ("parse_error", None),
            215: ("parse_error", None),
            216: ("parse_error", None),
            217: ("api_error", 9003),
            218: ("api_error", 9591),
            219: ("parse_error", None),
            220: ("api_error", 9591),
        }
        for job_id, (outcome, code) in expected.items():
            with self.subTest(job_id=job_id):
                self.assertEqual(self.outcome(job_id), outcome)
                self.assertEqual(value_of(self.samples, "cdb_sync_check_up", job_id=str(job_id)), 0)
                codes = select(self.samples, "cdb_sync_check_api_code", job_id=str(job_id))
                self.assertEqual([value for _, value in codes], [] if code is None else [code])
                self.assertEqual(select(self.samples, "cdb_sync_check_steps", job_id=str(job_id)), [])
                self.assertEqual(select(self.samples, "cdb_sync_check_step_status",
                                        job_id=str(job_id)), [])

    def test_every_job_has_up_and_duration(self):
        for job_id, src_type in ALL_JOBS:
            with self.subTest(job_id=job_id):
                labels = {"job_id": str(job_id), "src_type": str(src_type)}
                value_of(self.samples, "cdb_sync_check_up", **labels)
                duration = value_of(self.samples, "cdb_sync_check_scrape_duration_seconds", **labels)
                self.assertGreater(duration, 0)
                self.assertLess(duration, 5)

    def test_no_duplicate_series(self):
        keys = [(name, tuple(sorted(labels.items()))) for name, labels, _ in self.samples]
        self.assertEqual(len(keys), len(set(keys)))

    def test_build_info(self):
        found = select(self.samples, "cdb_sync_exporter_build_info")
        self.assertEqual(len(found), 1)
        self.assertRegex(found[0][0]["version"], r"^\d+\.\d+\.\d+$")
        self.assertTrue(found[0][0]["revision"])

    def test_promtool_accepts_exposition(self):
        result = subprocess.run(["promtool", "check", "metrics"], input=self.text,
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_every_request_was_signed_correctly(self):
        status, body = harness.http_get(f"http://127.0.0.1:{self.api_port}/__fake/requests")
        self.assertEqual(status, 200)
        requests = json.loads(body)
        self.assertGreaterEqual(len(requests), len(ALL_JOBS))
        self.assertTrue(all(request["verified"] for request in requests),
                        [r for r in requests if not r["verified"]])
        nonces = [request["params"]["Nonce"] for request in requests]
        self.assertEqual(len(nonces), len(set(nonces)))
        self.assertTrue(all(request["method"] == "GET" for request in requests))

    def test_status_page_lists_jobs(self):
        status, page = harness.http_get(f"http://127.0.0.1:{self.port}/")
        self.assertEqual(status, 200)
        self.assertIn('href="/metrics"', page)
        for job_id, _ in ALL_JOBS:
            self.assertIn(f"<td>{job_id}</td>", page)

    def test_other_methods_on_metrics_are_405(self):
        for method in ("POST", "PUT", "DELETE"):
            with self.subTest(method=method):
                request = urllib.request.Request(
                    f"http://127.0.0.1:{self.port}/metrics", method=method, data=b"")
                with self.assertRaises(urllib.error.HTTPError) as raised:
                    urllib.request.urlopen(request, timeout=10)
                self.assertEqual(raised.exception.code, 405)
                self.assertEqual(raised.exception.headers["Allow"], "GET, HEAD")

    def test_unknown_path_is_404(self):
        status, _ = harness.http_get(f"http://127.0.0.1:{self.port}/nope")
        self.assertEqual(status, 404)

    def test_secrets_never_logged(self):
        harness.http_get(f"http://127.0.0.1:{self.port}/metrics")
        log = self.exporter.stderr()
        self.assertIn("level=debug", log)
        self.assertNotIn(harness.TEST_SECRET_KEY, log)
        self.assertNotIn(harness.TEST_SECRET_ID, log)
        self.assertNotIn("Signature", log)
        self.assertNotIn(harness.TEST_SECRET_KEY, self.text)

    def test_failures_logged_once_with_code(self):
        harness.http_get(f"http://127.0.0.1:{self.port}/metrics")
        log = self.exporter.stderr()
        failures = [line for line in log.splitlines()
                    if "level=warn" in line and "job_id=218 " in line]
        self.assertEqual(len(failures), 1, failures)
        self.assertIn("code=9591", failures[0])
        self.assertIn("code_desc=TaskNotExist", failures[0])

    def test_fresh_nonce_on_every_scrape(self):
        harness.http_get(f"http://127.0.0.1:{self.api_port}/__fake/reset", method="POST")
        for _ in range(2):
            status, text = harness.http_get(f"http://127.0.0.1:{self.port}/metrics")
            self.assertEqual(status, 200)
            samples = harness.parse_exposition(text)
            self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id="206"), 1)
        _, body = harness.http_get(f"http://127.0.0.1:{self.api_port}/__fake/requests")
        requests = json.loads(body)
        self.assertTrue(all(request["verified"] for request in requests))
        per_job = {}
        for request in requests:
            job_id = int(request["params"]["jobId"])
            per_job[job_id] = per_job.get(job_id, 0) + 1
        # Job 212 returns HTTP 502, which is retried twice per scrape; every
        # other reply is final, whatever its error.
        expected = {job_id: 2 for job_id, _ in ALL_JOBS}
        expected[212] = 6
        self.assertEqual(per_job, expected)


class ExporterVariantsTest(unittest.TestCase):
    """Each test starts its own exporter with a different setting."""

    def setUp(self):
        self._tempdir = harness.TempDir()
        self.workdir = self._tempdir.__enter__()
        self.addCleanup(self._tempdir.__exit__, None, None, None)
        self.fake, self.api_port = harness.start_fake_api(self.workdir)
        self.addCleanup(self.fake.stop)

    def scrape(self, port: int):
        status, text = harness.http_get(f"http://127.0.0.1:{port}/metrics")
        self.assertEqual(status, 200)
        return harness.parse_exposition(text)

    def test_post_with_hmac_sha1(self):
        config = harness.write_config(self.workdir, self.api_port, [(206, 2)],
                                      http_method="POST", signature_method="HmacSHA1")
        exporter, port = harness.start_exporter(self.workdir, config)
        self.addCleanup(exporter.stop)
        samples = self.scrape(port)
        self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id="206"), 1)
        _, body = harness.http_get(f"http://127.0.0.1:{self.api_port}/__fake/requests")
        requests = json.loads(body)
        self.assertEqual([r["method"] for r in requests], ["POST"])
        self.assertEqual(requests[0]["params"]["SignatureMethod"], "HmacSHA1")
        self.assertTrue(requests[0]["verified"])

    def test_rate_limit_throttles_instead_of_queueing(self):
        # Two starts at once, then one every 500 ms. A 1.5 s scrape timeout
        # leaves 1 s, and an attempt needs 100 ms of it, so three of the ten
        # jobs are called (at 0, 0 and 500 ms) and seven report throttled.
        jobs = [(job_id, 2) for job_id in range(206, 216)]
        config = harness.write_config(self.workdir, self.api_port, jobs,
                                      rate_limit=2, rate_limit_burst=2, retries=0)
        exporter, port = harness.start_exporter(self.workdir, config)
        self.addCleanup(exporter.stop)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/metrics",
            headers={"X-Prometheus-Scrape-Timeout-Seconds": "1.5"})
        with urllib.request.urlopen(request, timeout=10) as response:
            samples = harness.parse_exposition(response.read().decode("utf-8"))

        throttled = select(samples, "cdb_sync_check_outcome", outcome="throttled")
        self.assertEqual(len(throttled), 7, throttled)
        self.assertEqual(value_of(samples, "cdb_sync_exporter_rate_limited_total"), 7)
        # A throttled job was never sent, so it has no API code.
        for labels, _ in throttled:
            self.assertEqual(select(samples, "cdb_sync_check_api_code",
                                    job_id=labels["job_id"]), [])
        _, body = harness.http_get(f"http://127.0.0.1:{self.api_port}/__fake/requests")
        self.assertEqual(len(json.loads(body)), 3)

        # Later scrapes call the jobs not called yet first, so within a few
        # scrapes every job has had a call, not only the first in the list.
        for _ in range(5):
            time.sleep(1)  # two more starts
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        _, body = harness.http_get(f"http://127.0.0.1:{self.api_port}/__fake/requests")
        called = {int(r["params"]["jobId"]) for r in json.loads(body)}
        self.assertEqual(called, {job_id for job_id, _ in jobs})

    def test_short_budget_is_timeout_not_throttled(self):
        config = harness.write_config(self.workdir, self.api_port, [(206, 2)])
        exporter, port = harness.start_exporter(self.workdir, config)
        self.addCleanup(exporter.stop)
        # 0.6 s less the 0.5 s offset leaves less than the 100 ms an attempt
        # needs, which the rate limit is not to blame for.
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/metrics",
            headers={"X-Prometheus-Scrape-Timeout-Seconds": "0.6"})
        with urllib.request.urlopen(request, timeout=10) as response:
            samples = harness.parse_exposition(response.read().decode("utf-8"))
        outcome = select(samples, "cdb_sync_check_outcome", job_id="206")
        self.assertEqual(outcome[0][0]["outcome"], "timeout")
        self.assertEqual(value_of(samples, "cdb_sync_exporter_rate_limited_total"), 0)

    def test_cache_serves_only_successes(self):
        # Job 206 succeeds and is served from the cache on the second scrape.
        # Job 218's reply is an API error (task not found), so it is fetched
        # again every time.
        config = harness.write_config(self.workdir, self.api_port, [(206, 2), (218, 2)],
                                      cache_ttl="1m", retries=0)
        exporter, port = harness.start_exporter(self.workdir, config)
        self.addCleanup(exporter.stop)
        first = self.scrape(port)
        second = self.scrape(port)

        _, body = harness.http_get(f"http://127.0.0.1:{self.api_port}/__fake/requests")
        calls = [request["params"]["jobId"] for request in json.loads(body)]
        self.assertEqual(calls.count("206"), 1)
        self.assertEqual(calls.count("218"), 2)
        for samples in (first, second):
            self.assertEqual(value_of(samples, "cdb_sync_check_current_step", job_id="206"), 12)
            self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id="218"), 0)
        last_success = value_of(second, "cdb_sync_check_last_success_timestamp_seconds",
                                job_id="206")
        self.assertAlmostEqual(last_success, time.time(), delta=30)
        # The cached series carry the first call's time, not the second scrape's.
        self.assertEqual(last_success, value_of(
            first, "cdb_sync_check_last_success_timestamp_seconds", job_id="206"))
        self.assertEqual(select(second, "cdb_sync_check_last_success_timestamp_seconds",
                                job_id="218"), [])

    def test_wrong_key_reports_auth_failure(self):
        config = harness.write_config(self.workdir, self.api_port, [(206, 2)])
        wrong_key = "WrongKeyThatMustNotBeLogged000000"
        env = harness.credentials_env(secret_key=wrong_key)
        exporter, port = harness.start_exporter(self.workdir, config, env=env,
                                                extra_args=["--log-level=debug"])
        self.addCleanup(exporter.stop)
        samples = self.scrape(port)
        self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id="206"), 0)
        self.assertEqual(value_of(samples, "cdb_sync_check_api_code", job_id="206"), 4100)
        self.assertEqual(select(samples, "cdb_sync_check_outcome", job_id="206")[0][0]["outcome"],
                         "api_error")
        exporter.stop()
        log = exporter.stderr()
        self.assertIn("code=4100", log)
        self.assertNotIn(wrong_key, log)

    def test_dead_endpoint_reports_network_error(self):
        closed_port = harness.free_port()
        config = harness.write_config(self.workdir, closed_port, [(206, 2), (207, 2)],
                                      timeout="2s")
        exporter, port = harness.start_exporter(self.workdir, config)
        self.addCleanup(exporter.stop)
        samples = self.scrape(port)
        for job_id in ("206", "207"):
            self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id=job_id), 0)
            self.assertEqual(select(samples, "cdb_sync_check_outcome", job_id=job_id)[0][0]["outcome"],
                             "network_error")
        self.assertTrue(exporter.alive())

    def test_repeated_failure_logged_once(self):
        closed_port = harness.free_port()
        config = harness.write_config(self.workdir, closed_port, [(206, 2)])
        exporter, port = harness.start_exporter(self.workdir, config)
        self.addCleanup(exporter.stop)
        for _ in range(3):
            self.scrape(port)
        # A reload builds a new collector; the failure is still not news.
        request = urllib.request.Request(f"http://127.0.0.1:{port}/-/reload",
                                         method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10) as response:
            self.assertEqual(response.status, 200)
        self.scrape(port)
        exporter.stop()
        warnings = [line for line in exporter.stderr().splitlines()
                    if "level=warn" in line and "job_id=206 " in line]
        self.assertEqual(len(warnings), 1, warnings)

    def test_second_exporter_cannot_share_port(self):
        config = harness.write_config(self.workdir, self.api_port, [(206, 2)])
        exporter, port = harness.start_exporter(self.workdir, config)
        self.addCleanup(exporter.stop)
        result = harness.run_exporter(
            [f"--config-file={config}", f"--web-listen-address=127.0.0.1:{port}"])
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn(f"cannot listen on 127.0.0.1:{port}", result.stderr)

    def test_sigterm_ends_slow_scrape_quickly(self):
        fake, api_port = harness.start_fake_api(self.workdir, "slow.json", name="slow_api")
        self.addCleanup(fake.stop)
        config = harness.write_config(self.workdir, api_port, [(206, 2), (230, 2)],
                                      timeout="60s")
        exporter, port = harness.start_exporter(self.workdir, config)
        self.addCleanup(exporter.stop)
        scrape = threading.Thread(
            target=harness.http_get, args=(f"http://127.0.0.1:{port}/metrics",),
            kwargs={"timeout": 30}, daemon=True)
        scrape.start()
        time.sleep(1)  # let the scrape reach the API call that stalls for 30 s
        started = time.monotonic()
        exporter.popen.send_signal(signal.SIGTERM)
        # The stalled call would take 30 s; shutdown must not wait for it.
        self.assertEqual(exporter.popen.wait(timeout=10), 0)
        self.assertLess(time.monotonic() - started, 5)

    def test_session_token_is_sent(self):
        config = harness.write_config(self.workdir, self.api_port, [(206, 2)])
        env = harness.credentials_env()
        env["TENCENTCLOUD_SESSION_TOKEN"] = "session-token-value"
        exporter, port = harness.start_exporter(self.workdir, config, env=env)
        self.addCleanup(exporter.stop)
        samples = self.scrape(port)
        self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id="206"), 1)
        _, body = harness.http_get(f"http://127.0.0.1:{self.api_port}/__fake/requests")
        self.assertIn("Token", json.loads(body)[0]["params"])

    def test_custom_telemetry_path(self):
        config = harness.write_config(self.workdir, self.api_port, [(206, 2)])
        exporter, port = harness.start_exporter(self.workdir, config,
                                                extra_args=["--web-telemetry-path=/probe.metrics"])
        self.addCleanup(exporter.stop)
        status, text = harness.http_get(f"http://127.0.0.1:{port}/probe.metrics")
        self.assertEqual(status, 200)
        self.assertIn("cdb_sync_check_up", text)
        self.assertEqual(harness.http_get(f"http://127.0.0.1:{port}/probeXmetrics")[0], 404)

    def test_sigterm_exits_zero(self):
        config = harness.write_config(self.workdir, self.api_port, [(206, 2)])
        exporter, port = harness.start_exporter(self.workdir, config)
        self.scrape(port)
        self.assertEqual(exporter.stop(), 0)
        self.assertIn("msg=\"cdb_sync_exporter stopped\"", exporter.stderr())


class OperationsTest(unittest.TestCase):
    """Deadlines, reloads, credential files, log format and self-metrics."""

    def setUp(self):
        self._tempdir = harness.TempDir()
        self.workdir = self._tempdir.__enter__()
        self.addCleanup(self._tempdir.__exit__, None, None, None)
        self.fake, self.api_port = harness.start_fake_api(self.workdir)
        self.addCleanup(self.fake.stop)

    def start(self, jobs, env=None, extra_args=None, **api):
        config = harness.write_config(self.workdir, self.api_port, jobs, **api)
        exporter, port = harness.start_exporter(self.workdir, config, env=env,
                                                extra_args=extra_args)
        self.addCleanup(exporter.stop)
        return config, exporter, port

    def scrape(self, port, headers=None):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                         headers=headers or {})
        with urllib.request.urlopen(request, timeout=60) as response:
            return harness.parse_exposition(response.read().decode("utf-8"))

    def post(self, url):
        request = urllib.request.Request(url, method="POST", data=b"")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")

    def test_scrape_timeout_header_bounds_the_scrape(self):
        fake, api_port = harness.start_fake_api(self.workdir, "slow.json", name="slow_api")
        self.addCleanup(fake.stop)
        config = harness.write_config(self.workdir, api_port, [(206, 2), (230, 2)],
                                      timeout="60s")
        exporter, port = harness.start_exporter(self.workdir, config)
        self.addCleanup(exporter.stop)
        started = time.monotonic()
        samples = self.scrape(port, {"X-Prometheus-Scrape-Timeout-Seconds": "2"})
        elapsed = time.monotonic() - started
        # 2 s minus the default 0.5 s offset, with room for a slow machine.
        self.assertLess(elapsed, 2.0)
        self.assertGreater(elapsed, 1.2)
        self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id="206"), 1)
        self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id="230"), 0)
        self.assertEqual(select(samples, "cdb_sync_check_outcome", job_id="230")[0][0]["outcome"],
                         "timeout")
        self.assertTrue(exporter.alive())

    def test_reload_by_post_and_sighup(self):
        config, exporter, port = self.start([(206, 2)])
        self.assertEqual(harness.http_get(f"http://127.0.0.1:{port}/-/ready")[0], 200)
        samples = self.scrape(port)
        self.assertEqual(value_of(samples, "cdb_sync_exporter_config_last_reload_successful"), 1)

        harness.write_config(self.workdir, self.api_port, [(206, 2), (207, 2)])
        status, body = self.post(f"http://127.0.0.1:{port}/-/reload")
        self.assertEqual(status, 200, body)
        samples = self.scrape(port)
        self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id="207"), 1)

        config.write_text("api: {region: r}\njobs: [{job_id: 1, src_type: 3}]\n")
        status, body = self.post(f"http://127.0.0.1:{port}/-/reload")
        self.assertEqual(status, 500)
        self.assertIn("jobs[0].src_type", body)
        samples = self.scrape(port)
        # The previous configuration keeps serving.
        self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id="207"), 1)
        self.assertEqual(value_of(samples, "cdb_sync_exporter_config_last_reload_successful"), 0)

        harness.write_config(self.workdir, self.api_port, [(208, 2)])
        exporter.popen.send_signal(signal.SIGHUP)
        harness.wait_until(
            lambda: select(self.scrape(port), "cdb_sync_check_up", job_id="208"), 10,
            "the SIGHUP reload")
        samples = self.scrape(port)
        self.assertEqual(select(samples, "cdb_sync_check_up", job_id="207"), [])
        self.assertEqual(value_of(samples, "cdb_sync_exporter_config_last_reload_successful"), 1)
        self.assertTrue(exporter.alive())

    def test_reload_needs_post(self):
        _, _, port = self.start([(206, 2)])
        self.assertEqual(harness.http_get(f"http://127.0.0.1:{port}/-/reload")[0], 405)
        # `curl -X POST` sends no body and no Content-Length.
        import http.client
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.putrequest("POST", "/-/reload")
        connection.endheaders()
        self.assertEqual(connection.getresponse().status, 200)
        connection.close()

    def test_credentials_from_files_reread_on_reload(self):
        id_file = self.workdir / "secret_id"
        key_file = self.workdir / "secret_key"
        id_file.write_text(harness.TEST_SECRET_ID + "\n")
        key_file.write_text("a-wrong-key-at-first\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("TENCENTCLOUD_")}
        _, exporter, port = self.start([(206, 2)], env=env,
                                       secret_id_file=str(id_file),
                                       secret_key_file=str(key_file))
        self.assertEqual(value_of(self.scrape(port), "cdb_sync_check_api_code", job_id="206"), 4100)
        # Rotate the key, then reload.
        key_file.write_text(harness.TEST_SECRET_KEY + "\n")
        self.assertEqual(self.post(f"http://127.0.0.1:{port}/-/reload")[0], 200)
        self.assertEqual(value_of(self.scrape(port), "cdb_sync_check_up", job_id="206"), 1)
        exporter.stop()
        self.assertNotIn(harness.TEST_SECRET_KEY, exporter.stderr())

    def test_self_metrics_count_attempts(self):
        _, _, port = self.start([(206, 2), (212, 2)], retry_backoff="10ms")
        samples = self.scrape(port)
        self.assertEqual(value_of(samples, "cdb_sync_exporter_api_requests_total",
                                  outcome="success"), 1)
        # Job 212 returns HTTP 502: one attempt and two retries.
        self.assertEqual(value_of(samples, "cdb_sync_exporter_api_requests_total",
                                  outcome="http_error"), 3)
        self.assertEqual(value_of(samples, "cdb_sync_exporter_api_request_duration_seconds_count"), 4)

    def test_json_log_format(self):
        _, exporter, port = self.start([(206, 2), (218, 2)],
                                       extra_args=["--log-format=json", "--log-level=debug"])
        self.scrape(port)
        exporter.stop()
        lines = exporter.stderr().splitlines()
        self.assertTrue(lines)
        records = [json.loads(line) for line in lines]
        self.assertTrue(all({"ts", "level", "msg"} <= record.keys() for record in records))
        failures = [r for r in records if r.get("job_id") == "218" and r["level"] == "warn"]
        self.assertEqual(len(failures), 1)
        self.assertEqual(failures[0]["code"], "9591")


class SecretsTest(unittest.TestCase):
    """The secret key, the session token and signatures appear nowhere the
    exporter writes, even at debug level and while calls fail."""

    KEY = "SecretKeyThatMustNeverAppear000000"
    TOKEN = "SessionTokenThatMustNeverAppear0000"

    def test_secrets_appear_nowhere(self):
        with harness.TempDir() as workdir:
            fake, api_port = harness.start_fake_api(workdir)
            self.addCleanup(fake.stop)
            env = harness.credentials_env(secret_key=self.KEY)
            env["TENCENTCLOUD_SESSION_TOKEN"] = self.TOKEN
            outputs = []
            # An authentication failure (the fake has another key), then an
            # endpoint where nothing listens.
            for endpoint_port in (api_port, harness.free_port()):
                config = harness.write_config(workdir, endpoint_port, [(206, 2), (218, 2)],
                                              retry_backoff="10ms")
                exporter, port = harness.start_exporter(workdir, config, env=env,
                                                         extra_args=["--log-level=debug"])
                for path in ("/metrics", "/", "/-/healthy", "/-/ready", "/nope", "/metrics"):
                    outputs.append(harness.http_get(f"http://127.0.0.1:{port}{path}")[1])
                outputs.append(harness.http_get(f"http://127.0.0.1:{port}/-/reload",
                                                method="POST")[1])
                outputs.append(Path(f"/proc/{exporter.popen.pid}/cmdline").read_bytes()
                               .decode("utf-8", "replace"))
                exporter.stop()
                outputs.append(exporter.stderr())
            self.assertIn("code=4100", outputs[8])
            everything = "\n".join(outputs)
            self.assertIn("level=debug", everything)
            # "Signature=" would start the signature parameter of a request.
            for secret in (self.KEY, self.TOKEN, "Signature="):
                self.assertNotIn(secret, everything)
            self.assertNotIn(harness.TEST_SECRET_ID, everything)


class StartupErrorTest(unittest.TestCase):
    """Start-up failures print one clear line and exit 1, never abort."""

    def setUp(self):
        self._tempdir = harness.TempDir()
        self.workdir = self._tempdir.__enter__()
        self.addCleanup(self._tempdir.__exit__, None, None, None)

    def assert_fails_with(self, args, expected, env=None):
        result = harness.run_exporter(args, env=env)
        self.assertEqual(result.returncode, 1, result.stderr)
        for part in expected:
            self.assertIn(part, result.stderr)
        self.assertNotIn("terminate called", result.stderr)
        return result

    def test_invalid_src_type(self):
        config = harness.write_config(self.workdir, 1, [(206, 3)])
        self.assert_fails_with([f"--config-file={config}"],
                               ["jobs[0].src_type", "invalid value 3"])

    def test_missing_config_file(self):
        self.assert_fails_with(["--config-file=/nonexistent.yml"],
                               ["/nonexistent.yml", "--config-file"])

    def test_missing_credentials(self):
        config = harness.write_config(self.workdir, 1, [(206, 2)])
        env = {k: v for k, v in os.environ.items() if not k.startswith("TENCENTCLOUD_")}
        self.assert_fails_with([f"--config-file={config}"], ["TENCENTCLOUD_SECRET_ID"], env=env)

    def test_port_in_use(self):
        config = harness.write_config(self.workdir, 1, [(206, 2)])
        import socket
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            sock.listen()
            port = sock.getsockname()[1]
            self.assert_fails_with(
                [f"--config-file={config}", f"--web-listen-address=127.0.0.1:{port}"],
                ["cannot listen on 127.0.0.1:" + str(port), "--web-listen-address"])

    def test_bad_listen_address(self):
        config = harness.write_config(self.workdir, 1, [(206, 2)])
        self.assert_fails_with([f"--config-file={config}", "--web-listen-address=nonsense"],
                               ["--web-listen-address", "nonsense"])

    def test_bad_log_level(self):
        self.assert_fails_with(["--log-level=loud"], ["--log-level", "loud"])

    def test_bad_log_format(self):
        self.assert_fails_with(["--log-format=xml"], ["--log-format", "xml"])

    def test_bad_scrape_timeout_offset(self):
        self.assert_fails_with(["--scrape-timeout-offset=-1"], ["--scrape-timeout-offset"])

    def test_version(self):
        result = harness.run_exporter(["--version"])
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, r"\d+\.\d+\.\d+ \(revision ")

    def test_help_documents_every_flag(self):
        result = harness.run_exporter(["--help"])
        self.assertEqual(result.returncode, 0)
        for flag in ("config_file", "web_listen_address", "web_telemetry_path", "log_level"):
            self.assertIn(flag, result.stdout + result.stderr)
        # Only the exporter's own flags, not gflags' internal ones.
        self.assertNotIn("tryfromenv", result.stdout + result.stderr)

    def test_reserved_telemetry_path(self):
        config = harness.write_config(self.workdir, 1, [(206, 2)])
        self.assert_fails_with([f"--config-file={config}", "--web-telemetry-path=/-/healthy"],
                               ["--web-telemetry-path", "/-/"])


@unittest.skipUnless(shutil.which("prometheus"), "the prometheus package is not installed")
class PrometheusScrapeTest(unittest.TestCase):
    """A real Prometheus server scrapes the exporter and returns the series to a query."""

    def test_prometheus_reads_current_step(self):
        with harness.TempDir() as workdir:
            fake, api_port = harness.start_fake_api(workdir)
            self.addCleanup(fake.stop)
            config = harness.write_config(workdir, api_port, [(206, 2), (207, 2)])
            exporter, port = harness.start_exporter(workdir, config)
            self.addCleanup(exporter.stop)
            prometheus, prometheus_port = harness.start_prometheus(workdir, port)
            self.addCleanup(prometheus.stop)

            found = []

            def has_result() -> bool:
                found[:] = harness.prometheus_query(
                    prometheus_port, 'cdb_sync_check_current_step{job_id="206"}')
                return bool(found)

            harness.wait_until(has_result, 30, "Prometheus to store the first scrape")
            self.assertEqual(len(found), 1)
            self.assertEqual(found[0]["value"][1], "12")
            self.assertEqual(found[0]["metric"]["src_type"], "2")
            up = harness.prometheus_query(prometheus_port, 'up{job="cdb_sync"}')
            self.assertEqual(up[0]["value"][1], "1")
            failed = harness.prometheus_query(
                prometheus_port, 'cdb_sync_check_step_status{status="failed"} == 1')
            self.assertEqual([r["metric"]["job_id"] for r in failed], ["207"])


if __name__ == "__main__":
    unittest.main()

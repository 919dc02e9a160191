#!/usr/bin/python3
"""/probe, the multi-target endpoint: one job's series per request, parameter
validation, the scrape-timeout header, and a real Prometheus scraping it with
the relabelling configuration from the README."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import unittest
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from harness import select, value_of  # noqa: E402

# The scrape configuration the README shows, with the exporter's address
# filled in by the test.
PROBE_SCRAPE_CONFIG = """\
scrape_configs:
  - job_name: cdb_sync_probe
    metrics_path: /probe
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs:
      - targets: ['206', '207']
        labels: {__src_type: '2'}
      - targets: ['206']
        labels: {__src_type: '1'}
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_job_id
      - source_labels: [__src_type]
        target_label: __param_src_type
      - source_labels: [__param_job_id, __param_src_type]
        separator: '/'
        target_label: instance
      - target_label: __address__
        replacement: EXPORTER
"""


def get(url: str, headers: dict[str, str] | None = None,
        method: str = "GET") -> tuple[int, str, dict]:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace"), dict(error.headers)


class ProbeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tempdir = harness.TempDir()
        cls.workdir = cls._tempdir.__enter__()
        cls.addClassCleanup(cls._tempdir.__exit__, None, None, None)
        cls.fake, cls.api_port = harness.start_fake_api(cls.workdir, "slow.json")
        cls.addClassCleanup(cls.fake.stop)
        # Only job 206 is configured; /probe serves other jobs too.
        config = harness.write_config(cls.workdir, cls.api_port, [(206, 2)], retries=0)
        cls.exporter, cls.port = harness.start_exporter(cls.workdir, config)
        cls.addClassCleanup(cls.exporter.stop)
        cls.base = f"http://127.0.0.1:{cls.port}"

    def test_one_job_only(self):
        status, text, headers = get(f"{self.base}/probe?job_id=206&src_type=2")
        self.assertEqual(status, 200, text)
        self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        samples = harness.parse_exposition(text)
        self.assertEqual({labels["job_id"] for _, labels, _ in samples}, {"206"})
        self.assertEqual(value_of(samples, "cdb_sync_check_current_step",
                                  job_id="206", src_type="2"), 12)
        names = {name for name, _, _ in samples}
        self.assertFalse([name for name in names if name.startswith("cdb_sync_exporter_")])

    def test_unconfigured_job(self):
        # Job 999 is not in the fake API's scenario, so it replies with code 9591.
        status, text, _ = get(f"{self.base}/probe?job_id=999&src_type=10")
        self.assertEqual(status, 200, text)
        samples = harness.parse_exposition(text)
        self.assertEqual(value_of(samples, "cdb_sync_check_up", job_id="999", src_type="10"), 0)
        self.assertEqual(value_of(samples, "cdb_sync_check_api_code",
                                  job_id="999", src_type="10"), 9591)

    def test_promtool_accepts_probe_output(self):
        _, text, _ = get(f"{self.base}/probe?job_id=206&src_type=2")
        result = subprocess.run(["promtool", "check", "metrics"], input=text,
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_invalid_requests_get_400(self):
        cases = {
            "": "missing parameter job_id",
            "?job_id=206": "missing parameter src_type",
            "?job_id=abc&src_type=2": 'invalid job_id "abc"',
            "?job_id=0&src_type=2": 'invalid job_id "0"',
            "?job_id=206&src_type=3": 'invalid src_type "3"',
            "?job_id=206&job_id=207&src_type=2": "job_id is given more than once",
            "?job_id=206&job_id=206&src_type=2": "job_id is given more than once",
            "?job_id=206&src_type=2&src_type=2": "src_type is given more than once",
            "?job_id=%32%30%36&src_type=2&job_id=206": "job_id is given more than once",
            "?job_id=206&src_type=2&target=example.com": 'unknown parameter "target"',
        }
        for query, message in cases.items():
            with self.subTest(query=query):
                status, text, _ = get(f"{self.base}/probe{query}")
                self.assertEqual(status, 400)
                self.assertIn(message, text)
                self.assertIn("/probe?job_id=206&src_type=2", text)

    def test_bodyless_post_gets_405(self):
        # curl -X POST sends no Content-Length, and cpp-httplib alone responds
        # to that with 400.
        for path in ("/probe?job_id=206&src_type=2", "/metrics", "/sd", "/"):
            with self.subTest(path=path):
                with socket.create_connection(("127.0.0.1", self.port), timeout=10) as connection:
                    connection.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                    reply = b""
                    while chunk := connection.recv(4096):
                        reply += chunk
                status_line = reply.split(b"\r\n", 1)[0].decode()
                self.assertEqual(status_line, "HTTP/1.1 405 Method Not Allowed", reply[:300])
                self.assertIn(b"Allow: GET, HEAD", reply)

    def test_other_methods_get_405(self):
        for method in ("POST", "PUT", "DELETE"):
            with self.subTest(method=method):
                status, _, headers = get(f"{self.base}/probe?job_id=206&src_type=2",
                                         method=method)
                self.assertEqual(status, 405)
                self.assertEqual(headers["Allow"], "GET, HEAD")

    def test_scrape_timeout_header(self):
        # Job 230's reply takes 30 s; Prometheus' 2 s timeout ends the call.
        started = time.monotonic()
        status, text, _ = get(f"{self.base}/probe?job_id=230&src_type=2",
                              headers={"X-Prometheus-Scrape-Timeout-Seconds": "2"})
        elapsed = time.monotonic() - started
        self.assertEqual(status, 200)
        self.assertLess(elapsed, 2.0)
        samples = harness.parse_exposition(text)
        outcome = select(samples, "cdb_sync_check_outcome", job_id="230")
        self.assertEqual(outcome[0][0]["outcome"], "timeout")

    def test_prometheus_relabelling(self):
        prometheus, port = harness.start_prometheus_config(
            self.workdir,
            PROBE_SCRAPE_CONFIG.replace("EXPORTER", f"127.0.0.1:{self.port}"),
            name="prometheus-probe")
        self.addCleanup(prometheus.stop)

        def scraped() -> bool:
            try:
                return len(harness.prometheus_query(port, "cdb_sync_check_up")) == 3
            except (OSError, AssertionError):
                return False

        harness.wait_until(scraped, 30, "Prometheus to scrape three /probe targets")
        results = harness.prometheus_query(port, "cdb_sync_check_current_step")
        found = {(r["metric"]["job_id"], r["metric"]["src_type"], r["metric"]["instance"],
                  r["metric"]["job"]): r["value"][1] for r in results}
        self.assertEqual(found[("206", "2", "206/2", "cdb_sync_probe")], "12")
        self.assertEqual(found[("206", "1", "206/1", "cdb_sync_probe")], "12")
        # Job 207 is not in slow.json, so the fake API replies with code 9591.
        up = harness.prometheus_query(port, 'cdb_sync_check_up{job_id="207"}')
        self.assertEqual(up[0]["value"][1], "0")
        self.assertEqual(up[0]["metric"]["instance"], "207/2")
        scrape_up = harness.prometheus_query(port, 'up{job="cdb_sync_probe"}')
        self.assertEqual(sorted(r["value"][1] for r in scrape_up), ["1", "1", "1"])


if __name__ == "__main__":
    unittest.main()

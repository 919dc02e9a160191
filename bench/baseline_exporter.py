#!/usr/bin/python3
"""A baseline for bench/load: the exporter a user might write without this
project, with Debian's python3-prometheus-client and python3-requests.

A custom collector calls GetCdbDataSyncTaskCheckInfo for every job on every
scrape and publishes the same cdb_sync_check_* series as cdb_sync_exporter.
Each request is signed with API 2.0 HmacSHA256 (standard library hmac). With
--workers 1 the jobs are fetched one after another; with more, from a
ThreadPoolExecutor. Each thread keeps one requests.Session, so connections
are reused across calls, which is cheaper than a plain requests.get per call.

Credentials come from TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY.
The server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import random
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import requests
from prometheus_client import start_http_server
from prometheus_client.core import REGISTRY, GaugeMetricFamily

STEP_STATES = {0: "success", -1: "failed", -2: "pending"}


def sign(method: str, host: str, path: str, params: dict[str, str], secret_key: str) -> str:
    """Return the API 2.0 signature: base64 HMAC-SHA256 of METHOD host path ?
    sorted name=value pairs, with '_' in names replaced by '.'."""
    query = "&".join(f"{name.replace('_', '.')}={value}" for name, value in sorted(params.items()))
    message = f"{method}{host}{path}?{query}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class CheckInfoCollector:
    def __init__(self, endpoint: str, region: str, jobs: list[tuple[int, int]],
                 workers: int, timeout: float):
        url = urllib.parse.urlsplit(endpoint)
        self.endpoint = endpoint
        self.host = url.netloc
        self.path = url.path
        self.region = region
        self.jobs = jobs
        self.timeout = timeout
        self.secret_id = os.environ["TENCENTCLOUD_SECRET_ID"]
        self.secret_key = os.environ["TENCENTCLOUD_SECRET_KEY"]
        self.pool = ThreadPoolExecutor(workers) if workers > 1 else None
        self.local = threading.local()

    def session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def fetch(self, job_id: int, src_type: int) -> tuple[dict | None, float]:
        params = {
            "Action": "GetCdbDataSyncTaskCheckInfo",
            "Nonce": str(random.randint(1, 2**63 - 1)),
            "Region": self.region,
            "SecretId": self.secret_id,
            "SignatureMethod": "HmacSHA256",
            "Timestamp": str(int(time.time())),
            "jobId": str(job_id),
            "srcType": str(src_type),
        }
        params["Signature"] = sign("GET", self.host, self.path, params, self.secret_key)
        started = time.monotonic()
        try:
            response = self.session().get(self.endpoint, params=params, timeout=self.timeout)
            reply = response.json() if response.status_code == 200 else None
        except (requests.RequestException, ValueError):
            reply = None
        return reply, time.monotonic() - started

    def describe(self):
        # Without describe(), register() would call collect(), and so the API
        # for every job, once at start-up.
        return []

    def collect(self):
        if self.pool:
            results = list(self.pool.map(lambda job: self.fetch(*job), self.jobs))
        else:
            results = [self.fetch(*job) for job in self.jobs]

        labels = ["job_id", "src_type"]
        up = GaugeMetricFamily("cdb_sync_check_up", "1 if the API call succeeded.", labels=labels)
        outcome = GaugeMetricFamily("cdb_sync_check_outcome", "Outcome of the API call.",
                                    labels=labels + ["outcome"])
        api_code = GaugeMetricFamily("cdb_sync_check_api_code", "The reply's code.", labels=labels)
        current_step = GaugeMetricFamily("cdb_sync_check_current_step", "stepNow.", labels=labels)
        steps = GaugeMetricFamily("cdb_sync_check_steps", "stepAll.", labels=labels)
        errno = GaugeMetricFamily("cdb_sync_check_errno", "The check's errno.", labels=labels)
        finished = GaugeMetricFamily("cdb_sync_check_finished", "check_finished.", labels=labels)
        step_errno = GaugeMetricFamily("cdb_sync_check_step_errno", "Each step's errno.",
                                       labels=labels + ["step", "step_name"])
        step_status = GaugeMetricFamily("cdb_sync_check_step_status", "Each step's state.",
                                        labels=labels + ["step", "step_name", "status"])
        info = GaugeMetricFamily("cdb_sync_check_info", "The check's texts.",
                                 labels=labels + ["step_comment", "error"])
        duration = GaugeMetricFamily("cdb_sync_check_scrape_duration_seconds",
                                     "Duration of the API call.", labels=labels)

        for (job_id, src_type), (reply, seconds) in zip(self.jobs, results):
            job = [str(job_id), str(src_type)]
            duration.add_metric(job, seconds)
            ok = reply is not None and reply.get("code") == 0
            up.add_metric(job, 1 if ok else 0)
            outcome.add_metric(job + ["success" if ok else "error"], 1)
            if reply is None:
                continue
            api_code.add_metric(job, reply.get("code", -1))
            data = reply.get("data")
            if not ok or not data:
                continue
            current_step.add_metric(job, int(data["stepNow"]))
            steps.add_metric(job, int(data["stepAll"]))
            errno.add_metric(job, int(data["errno"]))
            finished.add_metric(job, int(data["check_finished"]))
            info.add_metric(job + [data.get("stepComment", ""), data.get("error", "")], 1)
            for position, step in enumerate(data.get("stepInfo") or [], start=1):
                step_labels = job + [str(position), step.get("stepName", "")]
                code = int(step.get("errno", 0))
                step_errno.add_metric(step_labels, code)
                state = STEP_STATES.get(code, "unknown")
                for status in ("success", "failed", "pending", "unknown"):
                    step_status.add_metric(step_labels + [status], 1 if status == state else 0)

        yield from (up, outcome, api_code, current_step, steps, errno, finished,
                    step_errno, step_status, info, duration)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True,
                        help="API 2.0 URL, e.g. http://127.0.0.1:8080/v2/index.php")
    parser.add_argument("--region", default="ap-guangzhou")
    parser.add_argument("--jobs", type=int, required=True,
                        help="number of jobs: job ids 1..N, src_type 2")
    parser.add_argument("--workers", type=int, default=1,
                        help="API calls in flight at once (1: one after another)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per API call")
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1 to serve on")
    args = parser.parse_args()

    jobs = [(job_id, 2) for job_id in range(1, args.jobs + 1)]
    REGISTRY.register(CheckInfoCollector(args.endpoint, args.region, jobs, args.workers,
                                         args.timeout))
    start_http_server(args.port, addr="127.0.0.1")
    threading.Event().wait()


if __name__ == "__main__":
    main()

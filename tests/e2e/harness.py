"""Processes and helpers for the end-to-end tests: the fake API, the exporter
binary and a Prometheus server, all on 127.0.0.1, plus a parser for the text
exposition format."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FAKE_API = REPO / "tests" / "fake_api" / "fake_api.py"
SCENARIOS = REPO / "tests" / "fake_api" / "scenarios"

TEST_SECRET_ID = "AKIDe2eTestSecretId0000000000000000"
TEST_SECRET_KEY = "e2eTestSecretKeyDoNotLeak00000000"


def exporter_binary() -> Path:
    path = os.environ.get("CDB_SYNC_EXPORTER")
    if not path:
        sys.exit("set CDB_SYNC_EXPORTER to the cdb_sync_exporter binary")
    return Path(path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(url: str, timeout: float = 10.0, method: str = "GET") -> tuple[int, str]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Process:
    """A child process whose stderr goes to a file, stopped with SIGTERM."""

    def __init__(self, args: list[str], env: dict[str, str], workdir: Path, name: str):
        self.stderr_path = workdir / f"{name}.stderr"
        self.stdout_path = workdir / f"{name}.stdout"
        self._stderr = open(self.stderr_path, "wb")
        self._stdout = open(self.stdout_path, "wb")
        self.popen = subprocess.Popen(
            args, env=env, stdout=self._stdout, stderr=self._stderr, stdin=subprocess.DEVNULL
        )

    def stderr(self) -> str:
        return self.stderr_path.read_text("utf-8", "replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 10.0) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._stderr.close()
        self._stdout.close()
        return self.popen.returncode


def credentials_env(secret_id: str = TEST_SECRET_ID, secret_key: str = TEST_SECRET_KEY) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TENCENTCLOUD_")}
    env["TENCENTCLOUD_SECRET_ID"] = secret_id
    env["TENCENTCLOUD_SECRET_KEY"] = secret_key
    return env


def start_fake_api(workdir: Path, scenario: str = "e2e.json",
                   name: str = "fake_api") -> tuple[Process, int]:
    port_file = workdir / f"{name}.port"
    process = Process(
        [sys.executable, str(FAKE_API), "--scenario", str(SCENARIOS / scenario),
         "--port", "0", "--port-file", str(port_file)],
        credentials_env(), workdir, name)
    try:
        wait_until(lambda: port_file.exists() or not process.alive(), 10, "the fake API's port file")
    except AssertionError:
        process.stop()
        raise
    if not process.alive():
        raise AssertionError("fake API did not start:\n" + process.stderr())
    return process, int(port_file.read_text())


def write_config(workdir: Path, api_port: int, jobs: list[tuple], **api) -> Path:
    """Writes config.yml for the fake API on api_port. A job is (job_id,
    src_type) for an API 2.0 task, or (api, job_id) for a DTS job, e.g.
    ("dts_sync_check", "sync-pass01"); DTS calls go to the same fake."""
    lines = ["api:",
             f"  endpoint: http://127.0.0.1:{api_port}/v2/index.php",
             "  region: ap-guangzhou"]
    lines += [f"  {key}: {value}" for key, value in api.items()]
    lines += ["dts:", f"  endpoint: http://127.0.0.1:{api_port}/", "  region: ap-shanghai"]
    lines.append("jobs:")
    for first, second in jobs:
        if isinstance(first, str) and first.startswith("dts_"):
            lines += [f"  - api: {first}", f"    job_id: {second}"]
        else:
            lines += [f"  - job_id: {first}", f"    src_type: {second}"]
    path = workdir / "config.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_exporter(args: list[str], env: dict[str, str] | None = None,
                 timeout: float = 10.0) -> subprocess.CompletedProcess:
    """Runs the exporter to completion, for start-up failures and --version."""
    return subprocess.run([str(exporter_binary())] + args, env=env or credentials_env(),
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def start_exporter(workdir: Path, config: Path, env: dict[str, str] | None = None,
                   extra_args: list[str] | None = None,
                   probe: bool = True) -> tuple[Process, int]:
    """Starts the exporter on a free port and waits until it serves. With
    probe=False (TLS or basic authentication) it waits only until the port
    accepts connections."""
    port = free_port()
    process = Process(
        [str(exporter_binary()), f"--config-file={config}",
         f"--web-listen-address=127.0.0.1:{port}"] + (extra_args or []),
        env or credentials_env(), workdir, "exporter")

    def healthy() -> bool:
        if not process.alive():
            return True
        try:
            if not probe:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return True
            return http_get(f"http://127.0.0.1:{port}/-/healthy", timeout=1)[0] == 200
        except OSError:
            return False

    try:
        wait_until(healthy, 10, "the exporter to answer /-/healthy")
    except AssertionError:
        # Without this, an exporter that never got healthy would outlive the test.
        process.stop()
        raise AssertionError("exporter did not answer /-/healthy within 10 s:\n" + process.stderr()) from None
    if not process.alive():
        raise AssertionError("exporter did not start:\n" + process.stderr())
    return process, port


def start_prometheus_config(workdir: Path, config_text: str,
                            name: str = "prometheus") -> tuple[Process, int]:
    """Starts Prometheus on a free 127.0.0.1 port with `config_text` as its
    configuration and its own storage under workdir, and waits until it is
    ready."""
    port = free_port()
    config = workdir / f"{name}.yml"
    config.write_text(config_text)
    process = Process(
        ["prometheus", f"--config.file={config}",
         f"--storage.tsdb.path={workdir / (name + '-tsdb')}",
         f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
        dict(os.environ), workdir, name)

    def ready() -> bool:
        if not process.alive():
            return True
        try:
            return http_get(f"http://127.0.0.1:{port}/-/ready", timeout=1)[0] == 200
        except OSError:
            return False

    try:
        wait_until(ready, 30, "Prometheus to be ready")
    except AssertionError:
        process.stop()
        raise
    if not process.alive():
        raise AssertionError("prometheus did not start:\n" + process.stderr())
    return process, port


def start_prometheus(workdir: Path, exporter_port: int) -> tuple[Process, int]:
    return start_prometheus_config(
        workdir,
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n  - job_name: cdb_sync\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{exporter_port}']\n")


def prometheus_query(port: int, query: str) -> list[dict]:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    status, body = http_get(url)
    if status != 200:
        raise AssertionError(f"query {query!r} failed with {status}: {body}")
    return json.loads(body)["data"]["result"]


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def _unescape(value: str) -> str:
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "\\": "\\", '"': '"'}[m.group(1)], value)


def parse_exposition(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Parses text exposition into (name, labels, value) samples. Raises on a
    line it cannot read, so a malformed exposition fails the test."""
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if not match:
            raise AssertionError(f"unreadable exposition line: {line!r}")
        name, label_text, value = match.groups()
        labels = {}
        if label_text:
            body = label_text[1:-1]
            position = 0
            while position < len(body):
                label = _LABEL.match(body, position)
                if not label:
                    raise AssertionError(f"unreadable labels in line: {line!r}")
                labels[label.group(1)] = _unescape(label.group(2))
                position = label.end()
        samples.append((name, labels, float(value)))
    return samples


def select(samples, name: str, **labels) -> list[tuple[dict[str, str], float]]:
    return [(sample_labels, value) for sample_name, sample_labels, value in samples
            if sample_name == name and all(sample_labels.get(k) == v for k, v in labels.items())]


def value_of(samples, name: str, **labels) -> float:
    found = select(samples, name, **labels)
    if len(found) != 1:
        raise AssertionError(f"expected one {name}{labels}, found {len(found)}: {found}")
    return found[0][1]


class TempDir:
    def __enter__(self) -> Path:
        self._directory = tempfile.TemporaryDirectory(prefix="cdb_sync_e2e_")
        return Path(self._directory.name)

    def __exit__(self, *exc) -> None:
        self._directory.cleanup()



def start_prometheus_with_rules(workdir: Path, exporter_port: int,
                                rule_files: list[Path]) -> tuple[Process, int]:
    """Starts Prometheus like start_prometheus, scraping the exporter as job
    cdb_sync every second, and also loads rule_files and evaluates their rules
    every second."""
    lines = ["global:", "  scrape_interval: 1s", "  scrape_timeout: 1s",
             "  evaluation_interval: 1s"]
    if rule_files:
        lines.append("rule_files:")
        lines += [f"  - {json.dumps(str(path))}" for path in rule_files]
    lines += ["scrape_configs:", "  - job_name: cdb_sync", "    static_configs:",
              f"      - targets: ['127.0.0.1:{exporter_port}']"]
    return start_prometheus_config(workdir, "\n".join(lines) + "\n")


def prometheus_api(port: int, path: str, params: dict[str, str] | None = None) -> dict:
    """Calls a Prometheus HTTP API path and returns the whole JSON reply, error
    replies (HTTP 400 and 422 for a bad query) included."""
    url = f"http://127.0.0.1:{port}{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    status, body = http_get(url)
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        raise AssertionError(f"{path} returned HTTP {status} with a body that is not JSON: {body[:500]}")

"""Self-test of the fake Tencent Cloud API server.

Checks the API 2.0 and API 3.0 (TC3-HMAC-SHA256) signing helpers against
published vectors, the reply files, the scenario keys, and a running
fake_api.py subprocess on 127.0.0.1: request verification of both API
versions, scenario replies, connection faults, reply sequences, the
test-support endpoints and start-up errors.

Run from the repository root:
    python3 -m unittest tests/fake_api/test_fake_api.py
"""

from __future__ import annotations

import collections
import datetime
import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import unittest.mock
import urllib.parse
import uuid
from pathlib import Path

FAKE_API_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(FAKE_API_DIR))

import fake_api  # noqa: E402  (the module sits beside this file, not on sys.path)

FAKE_API_SCRIPT = FAKE_API_DIR / "fake_api.py"
REPLIES_DIR = FAKE_API_DIR / "replies"
E2E_SCENARIO = FAKE_API_DIR / "scenarios" / "e2e.json"
DISCOVERY_SCENARIO = FAKE_API_DIR / "scenarios" / "discovery.json"
DEMO_SCENARIO = FAKE_API_DIR / "scenarios" / "demo.json"
SLOW_SCENARIO = FAKE_API_DIR / "scenarios" / "slow.json"
FAULTS_SCENARIO = FAKE_API_DIR / "scenarios" / "faults.json"
DTS_SCENARIO = FAKE_API_DIR / "scenarios" / "dts.json"
SEED_BODY = (REPLIES_DIR / "seed_response.json").read_bytes()

TEST_SECRET_ID = "AKIDfakeApiSelfTest0000000000000000"
TEST_SECRET_KEY = "fakeApiSelfTestKey00000000000000"
TEST_SESSION_TOKEN = "fake-api-self-test-session-token"
START_TIMEOUT_SECONDS = 10
STOP_TIMEOUT_SECONDS = 5

# API 2.0 documentation vector: SecretId, SecretKey and parameters.
DOC_SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA"
DOC_SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3Cozk1qA"
DOC_PARAMS = {
    "Action": "DescribeInstances",
    "InstanceIds.0": "ins-09dx96dg",
    "Nonce": "11886",
    "Region": "ap-guangzhou",
    "SecretId": DOC_SECRET_ID,
    "Timestamp": "1465185768",
}

# Vectors from the unit tests of Tencent's official Python SDK.
SDK_SECRET_KEY = "secretKeyBar"
SDK_PARAMS = {
    "Action": "DescribeInstances",
    "Nonce": "1290303896666895346",
    "Region": "ap-guangzhou",
    "SecretId": "secretIdFoo",
    "Timestamp": "1512393162",
    "Version": "2017-03-12",
}
SDK_VECTORS = [
    ("POST", "HmacSHA1", "p3n+pxBqF5JGZtDSxoVn5tGngf0="),
    ("GET", "HmacSHA1", "5HAq1BOKNLEE2/uauWnp6Zv9Z3c="),
    ("POST", "HmacSHA256", "B2T37FRSP6Fk0/q/cdfrTE0p3zX5ooB/2BPWZUFpsj4="),
]


def server_environment(**variables: str) -> dict[str, str]:
    """Return the current environment without Tencent Cloud credentials, plus variables."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("TENCENTCLOUD_")}
    environment.update(variables)
    return environment


def credentials_environment(**variables: str) -> dict[str, str]:
    return server_environment(
        TENCENTCLOUD_SECRET_ID=TEST_SECRET_ID, TENCENTCLOUD_SECRET_KEY=TEST_SECRET_KEY, **variables
    )


def load_reply(name: str) -> dict:
    return json.loads((REPLIES_DIR / name).read_text(encoding="utf-8"))


class FakeServerProcess:
    """fake_api.py running as a subprocess on 127.0.0.1 with a free port."""

    def __init__(self, environment: dict[str, str], scenario: Path = E2E_SCENARIO) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="fake_api_test_")
        directory = Path(self._directory.name)
        self.port_file = directory / "port"
        self._stdout = open(directory / "stdout", "w+b")
        self._stderr = open(directory / "stderr", "w+b")
        command = [
            sys.executable,
            str(FAKE_API_SCRIPT),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--port-file",
            str(self.port_file),
            "--scenario",
            str(scenario),
        ]
        self.process = subprocess.Popen(command, env=environment, stdout=self._stdout, stderr=self._stderr)
        try:
            self.port = self._wait_for_port()
        except RuntimeError:
            self.close()
            raise
        self.host = f"127.0.0.1:{self.port}"

    def _wait_for_port(self) -> int:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.port_file.exists():
                return int(self.port_file.read_text(encoding="ascii"))
            if self.process.poll() is not None:
                raise RuntimeError(f"fake API exited with code {self.process.returncode}: {self.stderr_text()}")
            time.sleep(0.02)
        raise RuntimeError(f"fake API wrote no port file within {START_TIMEOUT_SECONDS} s: {self.stderr_text()}")

    def stdout_text(self) -> str:
        self._stdout.seek(0)
        return self._stdout.read().decode("utf-8", errors="replace")

    def stderr_text(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", errors="replace")

    def stop(self, stop_signal: int = signal.SIGTERM) -> int:
        """Stop the process and return its exit code, killing it if it does not exit in time."""
        if self.process.poll() is None:
            self.process.send_signal(stop_signal)
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def close(self) -> None:
        self.stop()
        self._stdout.close()
        self._stderr.close()
        self._directory.cleanup()


class SigningTest(unittest.TestCase):
    def test_documented_vector_sha256(self):
        params = dict(DOC_PARAMS, SignatureMethod="HmacSHA256")
        signature = fake_api.sign("GET", "cvm.api.qcloud.com", "/v2/index.php", params, DOC_SECRET_KEY, "HmacSHA256")
        self.assertEqual(signature, "0EEm/HtGRr/VJXTAD9tYMth1Bzm3lLHz5RCDv1GdM8s=")

    def test_documented_vector_sha1(self):
        params = dict(DOC_PARAMS, SignatureMethod="HmacSHA1")
        signature = fake_api.sign("GET", "cvm.api.qcloud.com", "/v2/index.php", params, DOC_SECRET_KEY, "HmacSHA1")
        self.assertEqual(signature, "nPVnY6njQmwQ8ciqbPl5Qe+Oru4=")

    def test_documented_string_to_sign(self):
        params = dict(DOC_PARAMS, SignatureMethod="HmacSHA256")
        expected = (
            "GETcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg"
            "&Nonce=11886&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA"
            "&SignatureMethod=HmacSHA256&Timestamp=1465185768"
        )
        self.assertEqual(fake_api.string_to_sign("GET", "cvm.api.qcloud.com", "/v2/index.php", params), expected)

    def test_underscore_signs_as_dot(self):
        dotted = dict(DOC_PARAMS, SignatureMethod="HmacSHA256")
        underscored = {name.replace(".", "_"): value for name, value in dotted.items()}
        self.assertEqual(
            fake_api.sign("GET", "cvm.api.qcloud.com", "/v2/index.php", underscored, DOC_SECRET_KEY, "HmacSHA256"),
            "0EEm/HtGRr/VJXTAD9tYMth1Bzm3lLHz5RCDv1GdM8s=",
        )

    def test_sdk_vectors(self):
        for method, signature_method, expected in SDK_VECTORS:
            with self.subTest(method=method, signature_method=signature_method):
                params = dict(SDK_PARAMS, SignatureMethod=signature_method)
                signature = fake_api.sign(
                    method, "cvm.api.qcloud.com", "/v2/index.php", params, SDK_SECRET_KEY, signature_method
                )
                self.assertEqual(signature, expected)

    def test_signature_param_ignored(self):
        params = dict(DOC_PARAMS, SignatureMethod="HmacSHA1", Signature="anything")
        signature = fake_api.sign("GET", "cvm.api.qcloud.com", "/v2/index.php", params, DOC_SECRET_KEY, "HmacSHA1")
        self.assertEqual(signature, "nPVnY6njQmwQ8ciqbPl5Qe+Oru4=")

    def test_other_method_names_select_sha1(self):
        params = dict(DOC_PARAMS, SignatureMethod="HmacSHA1")
        sha1 = fake_api.sign("GET", "cvm.api.qcloud.com", "/v2/index.php", params, DOC_SECRET_KEY, "HmacSHA1")
        for signature_method in (None, "", "hmacsha256", "HmacSHA512"):
            with self.subTest(signature_method=signature_method):
                signature = fake_api.sign(
                    "GET", "cvm.api.qcloud.com", "/v2/index.php", params, DOC_SECRET_KEY, signature_method
                )
                self.assertEqual(signature, sha1)


class ParseFormTest(unittest.TestCase):
    def test_signed_query_round_trip(self):
        params = {"Action": "GetCdbDataSyncTaskCheckInfo", "Region": "ap-guangzhou", "jobName": "同步 a+b/c=d~"}
        query = fake_api.signed_query("GET", "127.0.0.1:1", "/v2/index.php", params, "id", "key")
        decoded, error = fake_api.parse_form(query)
        self.assertIsNone(error)
        self.assertEqual(decoded["jobName"], "同步 a+b/c=d~")
        self.assertIn("jobName=%E5%90%8C%E6%AD%A5%20a%2Bb%2Fc%3Dd~", query)

    def test_encoding_errors_are_auth_failures(self):
        cases = {
            "lower-case hex": "Region=ap%2dguangzhou",
            "raw plus": "Signature=ab+c",
            "raw slash": "Signature=ab/c",
            "raw equals sign": "Signature=abc=",
            "raw space": "Region=ap guangzhou",
            "raw non-ASCII byte": "Region=\xe5",
            "malformed escape": "Region=ap%2",
            "escape not hex": "Region=ap%GG",
            "invalid UTF-8": "Region=%FF",
            "lower-case hex in name": "Instance%5fIds=1",
        }
        for case, raw in cases.items():
            with self.subTest(case=case):
                _, error = fake_api.parse_form(raw)
                self.assertIsNotNone(error)
                self.assertEqual(error.code, fake_api.AUTH_FAILURE)

    def test_duplicate_name_is_invalid_parameter(self):
        for raw in ("Nonce=1&Nonce=2", "InstanceIds.0=a&InstanceIds_0=b"):
            with self.subTest(raw=raw):
                _, error = fake_api.parse_form(raw)
                self.assertEqual(error.code, fake_api.INVALID_PARAMETER)

    def test_duplicate_name_keeps_first_value(self):
        params, _ = fake_api.parse_form("Nonce=1&Nonce=2")
        self.assertEqual(params, {"Nonce": "1"})

    def test_empty_segments_skipped(self):
        params, error = fake_api.parse_form("&a=1&&b=&c")
        self.assertIsNone(error)
        self.assertEqual(params, {"a": "1", "b": "", "c": ""})

    def test_encoded_unreserved_accepted(self):
        params, error = fake_api.parse_form("Region=ap%2Dguangzhou")
        self.assertIsNone(error)
        self.assertEqual(params["Region"], "ap-guangzhou")


class ReplyFilesTest(unittest.TestCase):
    def test_documented_reply_passes_check(self):
        data = load_reply("seed_response.json")["data"]
        self.assertEqual(data["check_finished"], 1)
        self.assertEqual(data["errno"], 0)
        self.assertEqual(len(data["stepInfo"]), 12)
        self.assertEqual({step["errno"] for step in data["stepInfo"]}, {0})

    def test_failed_check_steps(self):
        data = load_reply("failed_check.json")["data"]
        self.assertEqual((data["check_finished"], data["errno"]), (1, 1))
        self.assertEqual((data["stepAll"], data["stepNow"]), (12, 8))
        self.assertEqual([step["errno"] for step in data["stepInfo"]], [0] * 7 + [-1] + [-2] * 4)
        self.assertTrue(data["stepInfo"][7]["error"])

    def test_running_check_steps(self):
        data = load_reply("running_check.json")["data"]
        self.assertEqual((data["check_finished"], data["errno"]), (0, 0))
        self.assertEqual((data["stepAll"], data["stepNow"]), (12, 4))
        self.assertEqual([step["errno"] for step in data["stepInfo"]], [0] * 3 + [-2] * 9)
        self.assertEqual(data["stepComment"], data["stepInfo"][3]["stepName"])

    def test_string_numbers_array_data(self):
        reply = load_reply("string_numbers_array_data.json")
        self.assertEqual(reply["code"], "0")
        self.assertIsInstance(reply["data"], list)
        self.assertEqual(len(reply["data"]), 1)
        data = reply["data"][0]
        self.assertEqual((data["stepAll"], data["stepNow"]), ("3", "2"))
        self.assertEqual([step["errno"] for step in data["stepInfo"]], ["0", "-1", "-2"])
        self.assertEqual(reply["requestId"], "x")
        self.assertEqual(data["extra"], {"nested": [1, 2, {"a": None}]})

    def test_escapes(self):
        raw = (REPLIES_DIR / "escapes.json").read_text(encoding="utf-8")
        for escape in ("\\u", '\\"', "\\\\", "\\n"):
            with self.subTest(escape=escape):
                self.assertIn(escape, raw)
        self.assertTrue(raw.isascii())
        reply = json.loads(raw)
        self.assertEqual(reply["code"], "0")
        self.assertIn('"db1"', reply["data"]["error"])
        self.assertIn("\n", reply["data"]["error"])
        self.assertIn("\\", reply["data"]["error"])
        step_names = [step["stepName"] for step in reply["data"]["stepInfo"]]
        self.assertEqual(len(step_names) - len(set(step_names)), 1)
        self.assertIn(7, [step["errno"] for step in reply["data"]["stepInfo"]])

    def test_error_replies(self):
        self.assertEqual(load_reply("no_data_yet.json"), {"code": 0, "message": "", "codeDesc": "Success", "data": []})
        task_not_exist = load_reply("task_not_exist.json")
        self.assertEqual(
            (task_not_exist["code"], task_not_exist["codeDesc"], task_not_exist["data"]),
            (9591, "TaskNotExist", []),
        )
        invalid_parameter = load_reply("invalid_parameter.json")
        self.assertEqual((invalid_parameter["code"], invalid_parameter["codeDesc"]), (9003, "InvalidParameter"))

    def test_broken_replies(self):
        with self.assertRaises(json.JSONDecodeError):
            load_reply("truncated.json")
        truncated = (REPLIES_DIR / "truncated.json").read_text(encoding="utf-8")
        self.assertIn('"stepInfo"', truncated)
        trailing = (REPLIES_DIR / "trailing_garbage.json").read_text(encoding="utf-8")
        document, end = json.JSONDecoder().raw_decode(trailing)
        self.assertEqual(document["code"], 0)
        self.assertEqual(trailing[end:].strip(), "garbage")
        self.assertGreater(load_reply("out_of_range.json")["data"]["stepAll"], 2**64)
        self.assertEqual(load_reply("wrong_types.json")["data"]["stepInfo"], "none")

    def test_retry_replies(self):
        expected = {
            "throttled.json": (4400, "RequestLimitExceeded"),
            "auth_failure.json": (4100, "AuthFailure"),
            "retry_later.json": (5100, "OperationFailed"),
            "server_busy.json": (6000, "InternalError"),
        }
        for name, (code, code_desc) in expected.items():
            with self.subTest(name=name):
                reply = load_reply(name)
                self.assertEqual(reply["code"], code)
                self.assertEqual(reply["codeDesc"], code_desc)
                self.assertTrue(reply["message"])
                self.assertEqual(reply["data"], [])

    def test_scenarios_load(self):
        for scenario in (E2E_SCENARIO, DEMO_SCENARIO):
            with self.subTest(scenario=scenario.name):
                jobs = fake_api.load_scenario(scenario)
                self.assertIn("206", jobs)
        self.assertEqual(set(fake_api.load_scenario(DEMO_SCENARIO)), {"206"})
        self.assertEqual(set(fake_api.load_scenario(E2E_SCENARIO)), {str(job) for job in range(206, 220)})
        self.assertEqual(set(fake_api.load_scenario(FAULTS_SCENARIO)), {str(job) for job in range(300, 322)})

    def test_delay_seconds(self):
        jobs = fake_api.load_scenario(SLOW_SCENARIO)
        self.assertEqual(jobs["206"].replies[0].delay_seconds, 0)
        self.assertEqual(jobs["230"].replies[0].delay_seconds, 30)
        for bad in (-1, "5", True, fake_api.MAX_DELAY_SECONDS + 1):
            with self.subTest(delay=bad), self.assertRaises(fake_api.StartupError):
                fake_api.load_job(SLOW_SCENARIO, "230", {"body": "{}", "delay_seconds": bad})


class ScenarioKeysTest(unittest.TestCase):
    """Validation and body changes of the scenario keys, loaded in-process."""

    SEED_SPEC = {"body_file": "../replies/seed_response.json"}
    # One "message" and twelve "stepName" values.
    SEED_TARGET_COUNT = 13

    def load(self, job: dict) -> fake_api.Job:
        return fake_api.load_job(FAULTS_SCENARIO, "400", job)

    def assert_rejected(self, job: dict, expected_text: str) -> None:
        with self.assertRaises(fake_api.StartupError) as context:
            self.load(job)
        self.assertIn(expected_text, str(context.exception))

    def test_every_fault_accepted(self):
        for fault in fake_api.FAULTS:
            with self.subTest(fault=fault):
                (reply,) = self.load(dict(self.SEED_SPEC, fault=fault)).replies
                self.assertEqual(reply.fault, fault)
                self.assertEqual(reply.body, SEED_BODY)

    def test_no_fault_by_default(self):
        (reply,) = self.load(self.SEED_SPEC).replies
        self.assertIsNone(reply.fault)

    def test_invalid_fault_rejected(self):
        for fault in ("reset", "", "DRIP_BODY", None, 1, ["drip_body"]):
            with self.subTest(fault=fault):
                self.assert_rejected(dict(self.SEED_SPEC, fault=fault), "'fault'")

    def test_pad_to_bytes_exact_size(self):
        (reply,) = self.load(dict(self.SEED_SPEC, pad_to_bytes=5000)).replies
        self.assertEqual(len(reply.body), 5000)
        padding_length = 5000 - len(SEED_BODY) - len(b'"pad":"",')
        self.assertEqual(reply.body, b'{"pad":"' + b"x" * padding_length + b'",' + SEED_BODY[1:])
        document = json.loads(reply.body)
        self.assertEqual(document.pop("pad"), "x" * padding_length)
        self.assertEqual(document, json.loads(SEED_BODY))
        self.assertEqual(reply.code, 0)

    def test_pad_to_bytes_empty_object(self):
        cases = {"{}": b'{"pad":"xx"}', " { } ": b' {"pad":"xx" } '}
        for body, expected in cases.items():
            with self.subTest(body=body):
                (reply,) = self.load({"body": body, "pad_to_bytes": len(expected)}).replies
                self.assertEqual(reply.body, expected)
                self.assertEqual(json.loads(reply.body), {"pad": "xx"})

    def test_pad_to_bytes_smallest_size(self):
        smallest_size = len('{"pad":"","code":0}')
        (reply,) = self.load({"body": '{"code":0}', "pad_to_bytes": smallest_size}).replies
        self.assertEqual(reply.body, b'{"pad":"","code":0}')
        self.assert_rejected({"body": '{"code":0}', "pad_to_bytes": smallest_size - 1}, "less than")

    def test_invalid_pad_to_bytes_rejected(self):
        for size in ("100", 1.5, True, None, 0, -1, fake_api.MAX_PAD_BYTES + 1):
            with self.subTest(size=size):
                self.assert_rejected(dict(self.SEED_SPEC, pad_to_bytes=size), "'pad_to_bytes'")

    def test_pad_to_bytes_needs_json_object(self):
        for body in ("not json", "[1, 2]", '"text"'):
            with self.subTest(body=body):
                self.assert_rejected({"body": body, "pad_to_bytes": 100}, "JSON object")
        self.assert_rejected({"body": '{"pad": 1}', "pad_to_bytes": 100}, "without a 'pad' field")

    def test_invalid_utf8_inserted(self):
        (reply,) = self.load(dict(self.SEED_SPEC, invalid_utf8=True)).replies
        self.assertEqual(reply.body.count(fake_api.INVALID_UTF8_BYTES), self.SEED_TARGET_COUNT)
        self.assertEqual(reply.body.replace(fake_api.INVALID_UTF8_BYTES, b""), SEED_BODY)
        self.assertIn(b'"message": "\xff\xfe"', reply.body)
        self.assertIn(b'"stepName": "\xff\xfe\xe6\xa3\x80', reply.body)  # before 检查参数
        with self.assertRaises(UnicodeDecodeError):
            reply.body.decode("utf-8")
        self.assertEqual(reply.code, 0)

    def test_invalid_utf8_false_keeps_body(self):
        (reply,) = self.load(dict(self.SEED_SPEC, invalid_utf8=False)).replies
        self.assertEqual(reply.body, SEED_BODY)

    def test_invalid_utf8_with_padding(self):
        (reply,) = self.load(dict(self.SEED_SPEC, invalid_utf8=True, pad_to_bytes=4096)).replies
        self.assertEqual(len(reply.body), 4096)
        self.assertTrue(reply.body.startswith(b'{"pad":"xxx'))
        self.assertEqual(reply.body.count(fake_api.INVALID_UTF8_BYTES), self.SEED_TARGET_COUNT)

    def test_invalid_utf8_rejected(self):
        for value in ("yes", 1, None):
            with self.subTest(value=value):
                self.assert_rejected(dict(self.SEED_SPEC, invalid_utf8=value), "'invalid_utf8'")
        cases = {
            "no target field": ('{"code": 0, "data": {"error": "x"}}', "string 'message' or 'stepName'"),
            "escaped key": ('{"\\u006dessage": "x"}', "without escapes"),
            "not JSON": ("not json", "JSON object"),
        }
        for case, (body, expected_text) in cases.items():
            with self.subTest(case=case):
                self.assert_rejected({"body": body, "invalid_utf8": True}, expected_text)

    def test_sequence_loads_in_order(self):
        job = self.load({"sequence": [{"body": "a"}, {"body": "b", "status": 503, "fault": "drip_body"}]})
        self.assertEqual([reply.body for reply in job.replies], [b"a", b"b"])
        self.assertEqual([reply.status for reply in job.replies], [200, 503])
        self.assertEqual([reply.fault for reply in job.replies], [None, "drip_body"])

    def test_invalid_sequence_rejected(self):
        cases = {
            "empty list": ({"sequence": []}, "non-empty list"),
            "object": ({"sequence": {"body": "a"}}, "non-empty list"),
            "string": ({"sequence": "a"}, "non-empty list"),
            "null": ({"sequence": None}, "non-empty list"),
            "item not an object": ({"sequence": [1]}, "sequence item 0"),
            "invalid item": ({"sequence": [{"body": "a"}, {"body": "b", "fault": "nope"}]}, "sequence item 1"),
            "with body": ({"sequence": [{"body": "a"}], "body": "b"}, "remove ['body']"),
            "nested sequence": ({"sequence": [{"sequence": [{"body": "a"}]}]}, "unknown keys ['sequence']"),
        }
        for case, (job, expected_text) in cases.items():
            with self.subTest(case=case):
                self.assert_rejected(job, expected_text)

    def test_misspelled_sequence_named(self):
        self.assert_rejected({"sequense": [{"body": "a"}]}, "'sequence' alone")


class JobTest(unittest.TestCase):
    @staticmethod
    def make_job(count: int) -> fake_api.Job:
        replies = tuple(fake_api.Reply(200, "text/plain", str(index).encode("ascii"), None) for index in range(count))
        return fake_api.Job(replies)

    def test_last_reply_repeats(self):
        job = self.make_job(2)
        self.assertEqual([job.next_reply().body for _ in range(4)], [b"0", b"1", b"1", b"1"])

    def test_rewind_restarts(self):
        job = self.make_job(2)
        job.next_reply()
        job.rewind()
        self.assertEqual(job.next_reply().body, b"0")

    def test_concurrent_requests_each_get_one_reply(self):
        job = self.make_job(100)
        served = collections.Counter()
        lock = threading.Lock()

        def request_many():
            for _ in range(50):
                body = job.next_reply().body
                with lock:
                    served[body] += 1

        threads = [threading.Thread(target=request_many) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for index in range(99):
            self.assertEqual(served[str(index).encode("ascii")], 1, index)
        self.assertEqual(served[b"99"], 8 * 50 - 99)


class ApiClientMixin:
    """HTTP helpers for tests that talk to a FakeServerProcess stored in cls.server."""

    server: FakeServerProcess

    def send(self, method: str, target: str, body: bytes | None = None, headers: dict | None = None):
        """Send one request on a new connection and return (status, content type, body)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=5)
        try:
            all_headers = {"Host": self.server.host}
            all_headers.update(headers or {})
            connection.request(method, target, body=body, headers=all_headers)
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type"), response.read()
        finally:
            connection.close()

    def send_encoded(self, method: str, encoded: str):
        """Send an encoded parameter string as GET query or POST form body."""
        if method == "GET":
            return self.send("GET", f"{fake_api.API_PATH}?{encoded}")
        form_headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.send("POST", fake_api.API_PATH, encoded.encode("ascii"), form_headers)

    def build(self, job_id: str = "206", src_type: str = "2", method: str = "GET", **options) -> dict[str, str]:
        """Return signed parameters for a check-info request. Other options go to signed_params."""
        params = {"Action": fake_api.CHECK_INFO_ACTION, "Region": "ap-guangzhou", "jobId": job_id, "srcType": src_type}
        params.update(options.pop("extra_params", {}))
        secret_id = options.pop("secret_id", TEST_SECRET_ID)
        secret_key = options.pop("secret_key", TEST_SECRET_KEY)
        host = options.pop("host", self.server.host)
        return fake_api.signed_params(method, host, fake_api.API_PATH, params, secret_id, secret_key, **options)

    def call(self, params: dict[str, str], method: str = "GET"):
        """Send correctly encoded params and return (status, content type, body)."""
        return self.send_encoded(method, fake_api.encode_query(params))

    def call_json(self, params: dict[str, str], method: str = "GET") -> dict:
        status, _, body = self.call(params, method)
        self.assertEqual(status, 200)
        return json.loads(body)

    def assert_api_error(self, reply: dict, code: int) -> None:
        self.assertEqual(reply["code"], code, reply)
        self.assertEqual(reply["codeDesc"], fake_api.CODE_DESCRIPTIONS[code])
        self.assertTrue(reply["message"])

    def request_log(self) -> list[dict]:
        status, _, body = self.send("GET", fake_api.REQUESTS_PATH)
        self.assertEqual(status, 200)
        return json.loads(body)


class TaskListTest(ApiClientMixin, unittest.TestCase):
    """GetCdbDataSyncTaskList over the discovery scenario's 230 tasks."""

    @classmethod
    def setUpClass(cls):
        cls.server = FakeServerProcess(credentials_environment(), DISCOVERY_SCENARIO)
        cls.addClassCleanup(cls.server.close)

    def list_tasks(self, **params: str) -> dict:
        return self.call_json(self.build(extra_params={"Action": "GetCdbDataSyncTaskList", **params}))

    def test_pages(self):
        first = self.list_tasks(limit="100", offset="0")
        self.assertEqual(first["data"]["totalCount"], 230)
        self.assertEqual([int(task["jobId"]) for task in first["data"]["jobList"]],
                         list(range(1001, 1101)))
        last = self.list_tasks(limit="100", offset="200")
        self.assertEqual(len(last["data"]["jobList"]), 30)
        self.assertEqual(len(self.list_tasks()["data"]["jobList"]), 20)

    def test_status_filter(self):
        filtered = self.list_tasks(limit="100", **{"status.0": "2", "status.1": "3"})
        self.assertEqual(filtered["data"]["totalCount"], 46)
        self.assertTrue(all(task["status"] in (2, 3) for task in filtered["data"]["jobList"]))

    def test_limit_over_100_rejected(self):
        self.assert_api_error(self.list_tasks(limit="101"), fake_api.INVALID_PARAMETER)

    def test_bad_offset_rejected(self):
        self.assert_api_error(self.list_tasks(offset="-1"), fake_api.INVALID_PARAMETER)


class ServerTest(ApiClientMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = FakeServerProcess(credentials_environment())
        cls.addClassCleanup(cls.server.close)

    def test_signed_get_returns_reply(self):
        status, content_type, body = self.call(self.build())
        self.assertEqual(status, 200)
        self.assertEqual(content_type, fake_api.JSON_CONTENT_TYPE)
        self.assertEqual(body, (REPLIES_DIR / "seed_response.json").read_bytes())

    def test_signed_post_returns_reply(self):
        status, _, body = self.call(self.build(method="POST"), method="POST")
        self.assertEqual(status, 200)
        self.assertEqual(body, (REPLIES_DIR / "seed_response.json").read_bytes())

    def test_sha1_signature_accepted(self):
        for signature_method in (None, "HmacSHA1"):
            with self.subTest(signature_method=signature_method):
                reply = self.call_json(self.build(signature_method=signature_method))
                self.assertEqual(reply["code"], 0)

    def test_wrong_key_rejected(self):
        reply = self.call_json(self.build(secret_key="not-the-key"))
        self.assert_api_error(reply, fake_api.AUTH_FAILURE)

    def test_get_signature_on_post_rejected(self):
        reply = self.call_json(self.build(method="GET"), method="POST")
        self.assert_api_error(reply, fake_api.AUTH_FAILURE)

    def test_host_without_port_rejected(self):
        reply = self.call_json(self.build(host="127.0.0.1"))
        self.assert_api_error(reply, fake_api.AUTH_FAILURE)

    def test_lower_case_hex_rejected(self):
        params = self.build()
        encoded = fake_api.encode_query(params)
        self.assertIn("%3D", encoded)  # every base64 HMAC-SHA256 signature ends with '='
        status, _, body = self.send_encoded("GET", encoded.replace("%3D", "%3d"))
        self.assertEqual(status, 200)
        self.assert_api_error(json.loads(body), fake_api.AUTH_FAILURE)
        # The encoding check runs before the nonce is recorded, so the correct
        # encoding of the same parameters still passes.
        self.assertEqual(self.call_json(params)["code"], 0)

    def test_raw_plus_in_signature_rejected(self):
        for _ in range(1000):
            params = self.build()
            if "+" in params["Signature"]:
                break
        else:
            self.fail("no signature with '+' in 1000 attempts")
        unsigned = {name: value for name, value in params.items() if name != "Signature"}
        raw_signature = urllib.parse.quote(params["Signature"], safe="+")
        encoded = f"{fake_api.encode_query(unsigned)}&Signature={raw_signature}"
        status, _, body = self.send_encoded("GET", encoded)
        self.assertEqual(status, 200)
        self.assert_api_error(json.loads(body), fake_api.AUTH_FAILURE)
        self.assertEqual(self.call_json(params)["code"], 0)

    def test_raw_equals_sign_rejected(self):
        params = self.build()
        unsigned = {name: value for name, value in params.items() if name != "Signature"}
        raw_signature = urllib.parse.quote(params["Signature"], safe="=")
        encoded = f"{fake_api.encode_query(unsigned)}&Signature={raw_signature}"
        _, _, body = self.send_encoded("GET", encoded)
        self.assert_api_error(json.loads(body), fake_api.AUTH_FAILURE)

    def test_replayed_nonce_rejected(self):
        params = self.build()
        self.assertEqual(self.call_json(params)["code"], 0)
        self.assert_api_error(self.call_json(params), fake_api.REQUEST_REPLAYED)

    def test_nonce_reuse_after_bad_signature(self):
        nonce = 424242000 + os.getpid()
        self.assert_api_error(self.call_json(self.build(nonce=nonce, secret_key="wrong")), fake_api.AUTH_FAILURE)
        self.assert_api_error(self.call_json(self.build(nonce=nonce)), fake_api.REQUEST_REPLAYED)

    def test_timestamp_skew(self):
        now = int(time.time())
        for offset in (-7300, 7300):
            with self.subTest(offset=offset):
                reply = self.call_json(self.build(timestamp=now + offset))
                self.assert_api_error(reply, fake_api.REQUEST_REPLAYED)
        for offset in (-7000, 7000):
            with self.subTest(offset=offset):
                self.assertEqual(self.call_json(self.build(timestamp=now + offset))["code"], 0)

    def test_wrong_secret_id_rejected(self):
        reply = self.call_json(self.build(secret_id="AKIDsomebodyElse"))
        self.assert_api_error(reply, fake_api.SECRET_ID_NOT_FOUND)

    def test_missing_common_params_rejected(self):
        for name in fake_api.REQUIRED_COMMON_PARAMS:
            with self.subTest(name=name):
                params = self.build()
                del params[name]
                reply = self.call_json(params)
                self.assert_api_error(reply, fake_api.INVALID_PARAMETER)
                self.assertIn(name, reply["message"])

    def test_invalid_nonce_rejected(self):
        for nonce in ("0", "-5", "12a", str(2**64)):
            with self.subTest(nonce=nonce):
                params = self.build()
                params["Nonce"] = nonce
                self.assert_api_error(self.call_json(params), fake_api.INVALID_PARAMETER)

    def test_invalid_timestamp_rejected(self):
        params = self.build()
        params["Timestamp"] = "1.5"
        self.assert_api_error(self.call_json(params), fake_api.INVALID_PARAMETER)

    def test_duplicate_param_rejected(self):
        params = self.build()
        encoded = fake_api.encode_query(params) + "&Region=ap-beijing"
        _, _, body = self.send_encoded("GET", encoded)
        self.assert_api_error(json.loads(body), fake_api.INVALID_PARAMETER)

    def test_other_action_rejected(self):
        params = self.build(extra_params={"Action": "DescribeDBInstances"})
        self.assert_api_error(self.call_json(params), fake_api.INVALID_PARAMETER)

    def test_src_type_3_rejected(self):
        reply = self.call_json(self.build(src_type="3"))
        self.assert_api_error(reply, fake_api.ACTION_INVALID_PARAMETER)

    def test_valid_src_types_accepted(self):
        for src_type in ("1", "2", "10"):
            with self.subTest(src_type=src_type):
                self.assertEqual(self.call_json(self.build(src_type=src_type))["code"], 0)

    def test_invalid_job_id_rejected(self):
        for job_id in ("", "abc", "-206", "2.5"):
            with self.subTest(job_id=job_id):
                reply = self.call_json(self.build(job_id=job_id))
                self.assert_api_error(reply, fake_api.ACTION_INVALID_PARAMETER)

    def test_unknown_job_not_found(self):
        reply = self.call_json(self.build(job_id="999"))
        self.assertEqual(
            reply, {"code": 9591, "message": "task not found", "codeDesc": "TaskNotExist", "data": []}
        )

    def test_job_212_bad_gateway(self):
        status, content_type, body = self.call(self.build(job_id="212"))
        self.assertEqual(status, 502)
        self.assertEqual(content_type, "text/html")
        self.assertEqual(body, b"<html>Bad Gateway</html>")

    def test_every_job_served_as_configured(self):
        scenario = json.loads(E2E_SCENARIO.read_text(encoding="utf-8"))
        for job_id, job in scenario["jobs"].items():
            with self.subTest(job_id=job_id):
                if "body_file" in job:
                    expected_body = (E2E_SCENARIO.parent / job["body_file"]).read_bytes()
                else:
                    expected_body = job["body"].encode("utf-8")
                status, content_type, body = self.call(self.build(job_id=job_id))
                self.assertEqual(status, job.get("status", 200))
                self.assertEqual(content_type, job.get("content_type", fake_api.JSON_CONTENT_TYPE))
                self.assertEqual(body, expected_body)

    def test_post_needs_form_content_type(self):
        body = fake_api.encode_query(self.build(method="POST")).encode("ascii")
        _, _, reply = self.send("POST", fake_api.API_PATH, body, {"Content-Type": "application/json"})
        self.assert_api_error(json.loads(reply), fake_api.INVALID_PARAMETER)

    def test_form_content_type_with_charset_accepted(self):
        body = fake_api.encode_query(self.build(method="POST")).encode("ascii")
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        _, _, reply = self.send("POST", fake_api.API_PATH, body, headers)
        self.assertEqual(json.loads(reply)["code"], 0)

    def test_request_log_redacts_signature(self):
        self.assertEqual(self.send("POST", fake_api.RESET_PATH, b"")[0], 200)
        good = self.build()
        bad = self.build(secret_key="wrong")
        self.call(good)
        self.call(bad, method="POST")
        status, _, raw_log = self.send("GET", fake_api.REQUESTS_PATH)
        self.assertEqual(status, 200)
        for signature in (good["Signature"], bad["Signature"]):
            self.assertNotIn(signature.encode("ascii"), raw_log)
            self.assertNotIn(fake_api.encode_component(signature).encode("ascii"), raw_log)
        entries = json.loads(raw_log)
        self.assertEqual(len(entries), 2)
        first, second = entries
        self.assertEqual((first["method"], first["code"], first["verified"]), ("GET", 0, True))
        self.assertEqual((second["method"], second["code"], second["verified"]), ("POST", 4100, False))
        for entry in entries:
            self.assertEqual(entry["path"], fake_api.API_PATH)
            self.assertEqual(entry["host"], self.server.host)
            self.assertEqual(entry["params"]["Signature"], "<redacted>")
            self.assertEqual(entry["params"]["jobId"], "206")

    def test_request_log_of_unparsed_reply(self):
        self.send("POST", fake_api.RESET_PATH, b"")
        self.call(self.build(job_id="219"))
        (entry,) = self.request_log()
        self.assertIsNone(entry["code"])
        self.assertTrue(entry["verified"])

    def test_reset_clears_log(self):
        self.call(self.build())
        self.assertTrue(self.request_log())
        self.assertEqual(self.send("POST", fake_api.RESET_PATH, b""), (200, fake_api.TEXT_CONTENT_TYPE, b"ok"))
        self.assertEqual(self.request_log(), [])

    def test_healthy(self):
        self.assertEqual(self.send("GET", fake_api.HEALTHY_PATH), (200, fake_api.TEXT_CONTENT_TYPE, b"ok"))

    def test_unknown_path_not_found(self):
        for path in ("/", "/v2/other.php", "/v2/index.php/extra"):
            with self.subTest(path=path):
                status, content_type, _ = self.send("GET", path)
                self.assertEqual(status, 404)
                self.assertTrue(content_type.startswith("text/plain"))

    def test_keep_alive_reuses_connection(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=5)
        try:
            first_socket = None
            for _ in range(3):
                target = f"{fake_api.API_PATH}?{fake_api.encode_query(self.build())}"
                connection.request("GET", target, headers={"Host": self.server.host})
                response = connection.getresponse()
                self.assertEqual(json.loads(response.read())["code"], 0)
                self.assertIsNotNone(response.getheader("Content-Length"))
                first_socket = first_socket or connection.sock
                self.assertIs(connection.sock, first_socket)
        finally:
            connection.close()


class SessionTokenTest(ApiClientMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        environment = credentials_environment(TENCENTCLOUD_SESSION_TOKEN=TEST_SESSION_TOKEN)
        cls.server = FakeServerProcess(environment, DEMO_SCENARIO)
        cls.addClassCleanup(cls.server.close)

    def test_matching_token_accepted(self):
        self.assertEqual(self.call_json(self.build(token=TEST_SESSION_TOKEN))["code"], 0)

    def test_missing_token_rejected(self):
        self.assert_api_error(self.call_json(self.build()), fake_api.AUTH_FAILURE)

    def test_wrong_token_rejected(self):
        self.assert_api_error(self.call_json(self.build(token="other-token")), fake_api.AUTH_FAILURE)

    def test_token_redacted_in_log(self):
        self.send("POST", fake_api.RESET_PATH, b"")
        self.call(self.build(token=TEST_SESSION_TOKEN))
        status, _, raw_log = self.send("GET", fake_api.REQUESTS_PATH)
        self.assertEqual(status, 200)
        self.assertNotIn(TEST_SESSION_TOKEN.encode("ascii"), raw_log)
        self.assertEqual(json.loads(raw_log)[0]["params"]["Token"], "<redacted>")


def receive_until_closed(connection: socket.socket) -> tuple[bytes, OSError | None]:
    """Read until the peer closes or the read fails, returning the bytes and the error (None after a FIN)."""
    data = b""
    while True:
        try:
            chunk = connection.recv(65536)
        except OSError as error:  # TimeoutError and ConnectionResetError included
            return data, error
        if not chunk:
            return data, None
        data += chunk


def split_response(data: bytes) -> tuple[dict[str, str], bytes]:
    """Split raw HTTP/1.1 response bytes into lower-case headers and the body received so far."""
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        raise AssertionError(f"no complete response head in {data[:200]!r}")
    headers = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers, body


class FaultScenarioTest(ApiClientMixin, unittest.TestCase):
    """Jobs of scenarios/faults.json served by a running fake."""

    @classmethod
    def setUpClass(cls):
        cls.server = FakeServerProcess(credentials_environment(), FAULTS_SCENARIO)
        cls.addClassCleanup(cls.server.close)

    def open_request(self, job_id: str, timeout: float, server: FakeServerProcess | None = None) -> socket.socket:
        """Send a signed GET request on a raw socket and return it, so the test can observe resets and stalls."""
        server = server or self.server
        params = self.build(job_id=job_id, host=server.host)
        target = f"{fake_api.API_PATH}?{fake_api.encode_query(params)}"
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
        self.addCleanup(connection.close)
        connection.sendall(f"GET {target} HTTP/1.1\r\nHost: {server.host}\r\n\r\n".encode("ascii"))
        return connection

    def wait_for_stderr(self, text: str, server: FakeServerProcess | None = None, timeout: float = 3) -> None:
        server = server or self.server
        deadline = time.monotonic() + timeout
        while text not in server.stderr_text():
            if time.monotonic() > deadline:
                self.fail(f"{text!r} not in the fake's stderr within {timeout} s:\n{server.stderr_text()}")
            time.sleep(0.02)

    def reset(self) -> None:
        self.assertEqual(self.send("POST", fake_api.RESET_PATH, b"")[0], 200)

    def test_healthy_control(self):
        self.assertEqual(self.call(self.build(job_id="300")), (200, fake_api.JSON_CONTENT_TYPE, SEED_BODY))

    def test_reset_mid_body(self):
        data, error = receive_until_closed(self.open_request("301", timeout=2))
        self.assertIsInstance(error, ConnectionResetError)
        self.assertTrue(data.startswith(b"HTTP/1.1 200 "), data[:100])
        headers, body = split_response(data)
        self.assertEqual(headers["content-length"], str(len(SEED_BODY)))
        self.assertEqual(body, SEED_BODY[: len(SEED_BODY) // 2])

    def test_close_before_reply(self):
        data, error = receive_until_closed(self.open_request("302", timeout=2))
        self.assertIsNone(error)
        self.assertEqual(data, b"")

    def test_stall_before_reply(self):
        connection = self.open_request("303", timeout=1)
        data, error = receive_until_closed(connection)
        self.assertIsInstance(error, TimeoutError)
        self.assertEqual(data, b"")
        client_port = connection.getsockname()[1]
        connection.close()
        self.wait_for_stderr(f"fault stall_before_reply: client 127.0.0.1:{client_port} closed the connection")

    def test_stall_mid_body(self):
        data, error = receive_until_closed(self.open_request("304", timeout=1))
        self.assertIsInstance(error, TimeoutError)
        headers, body = split_response(data)
        self.assertEqual(headers["content-length"], str(len(SEED_BODY)))
        self.assertEqual(body, SEED_BODY[: len(SEED_BODY) // 2])

    def test_stall_does_not_delay_stop(self):
        server = FakeServerProcess(credentials_environment(), FAULTS_SCENARIO)
        self.addCleanup(server.close)
        connection = self.open_request("303", timeout=2, server=server)
        self.wait_for_stderr("serving job 303 with fault stall_before_reply", server)
        started = time.monotonic()
        self.assertEqual(server.stop(), 0)
        self.assertLess(time.monotonic() - started, 2)
        self.assertEqual(receive_until_closed(connection), (b"", None))

    def test_drip_body(self):
        connection = self.open_request("305", timeout=2)
        data = b""
        while b"\r\n\r\n" not in data:
            data += connection.recv(65536)
        deadline = time.monotonic() + 1.2
        while time.monotonic() < deadline:
            connection.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                data += connection.recv(65536)
            except TimeoutError:
                break
        headers, body = split_response(data)
        self.assertEqual(headers["content-length"], str(len(SEED_BODY)))
        # At 0.5 s a byte, about 3 bytes arrive in 1.2 s, and fewer on a loaded machine.
        self.assertGreaterEqual(len(body), 1)
        self.assertLessEqual(len(body), 4)
        self.assertEqual(body, SEED_BODY[: len(body)])

    def test_fault_needs_valid_signature(self):
        for job_id in ("301", "302", "303", "304", "305"):
            with self.subTest(job_id=job_id):
                reply = self.call_json(self.build(job_id=job_id, secret_key="wrong"))
                self.assert_api_error(reply, fake_api.AUTH_FAILURE)

    def test_request_log_records_fault(self):
        self.reset()
        receive_until_closed(self.open_request("302", timeout=2))
        self.call(self.build(job_id="300"))
        self.call(self.build(job_id="302", secret_key="wrong"))
        entries = self.request_log()
        self.assertEqual([entry["params"]["jobId"] for entry in entries], ["302", "300", "302"])
        self.assertEqual([entry["fault"] for entry in entries], ["close_before_reply", None, None])
        self.assertEqual([entry["verified"] for entry in entries], [True, True, False])
        self.assertEqual([entry["code"] for entry in entries], [0, 0, fake_api.AUTH_FAILURE])

    def test_service_unavailable_html(self):
        status, content_type, body = self.call(self.build(job_id="306"))
        self.assertEqual(status, 503)
        self.assertEqual(content_type, "text/html")
        self.assertIn(b"503 Service Unavailable", body)

    def test_padded_reply(self):
        status, _, body = self.call(self.build(job_id="307"))
        self.assertEqual(status, 200)
        self.assertEqual(len(body), 5 * 1024 * 1024)
        document = json.loads(body)
        self.assertEqual(set(document.pop("pad")), {"x"})
        self.assertEqual(document, json.loads(SEED_BODY))

    def test_invalid_utf8_reply(self):
        status, _, body = self.call(self.build(job_id="308"))
        self.assertEqual(status, 200)
        self.assertEqual(body.count(b"\xff\xfe"), ScenarioKeysTest.SEED_TARGET_COUNT)
        self.assertEqual(body.replace(b"\xff\xfe", b""), SEED_BODY)

    def test_api_error_jobs_repeat(self):
        expected_codes = {"309": 4400, "310": 4100, "311": 9003, "312": 9591, "313": 6000}
        for job_id, code in expected_codes.items():
            with self.subTest(job_id=job_id):
                for _ in range(2):
                    self.assertEqual(self.call_json(self.build(job_id=job_id))["code"], code)

    def test_sequences_then_last_repeats(self):
        self.reset()
        first_replies = {
            "314": (200, (REPLIES_DIR / "throttled.json").read_bytes()),
            "315": (502, b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
            "316": (200, (REPLIES_DIR / "retry_later.json").read_bytes()),
            "317": (200, (REPLIES_DIR / "auth_failure.json").read_bytes()),
        }
        for job_id, (first_status, first_body) in first_replies.items():
            with self.subTest(job_id=job_id):
                status, _, body = self.call(self.build(job_id=job_id))
                self.assertEqual((status, body), (first_status, first_body))
                for _ in range(2):
                    status, _, body = self.call(self.build(job_id=job_id))
                    self.assertEqual((status, body), (200, SEED_BODY))

    def test_reset_restarts_sequence(self):
        self.reset()
        self.assertEqual(self.call_json(self.build(job_id="314"))["code"], 4400)
        self.assertEqual(self.call_json(self.build(job_id="314"))["code"], 0)
        self.reset()
        self.assertEqual(self.call_json(self.build(job_id="314"))["code"], 4400)

    def test_rejected_request_keeps_sequence_position(self):
        self.reset()
        self.call(self.build(job_id="314", secret_key="wrong"))
        self.assertEqual(self.call_json(self.build(job_id="314"))["code"], 4400)

    def test_broken_body_jobs(self):
        expected_bodies = {
            "318": (REPLIES_DIR / "wrong_types.json").read_bytes(),
            "319": (REPLIES_DIR / "truncated.json").read_bytes(),
            "320": (REPLIES_DIR / "trailing_garbage.json").read_bytes(),
            "321": b"not json",
        }
        for job_id, expected_body in expected_bodies.items():
            with self.subTest(job_id=job_id):
                self.assertEqual(self.call(self.build(job_id=job_id))[::2], (200, expected_body))


class InProcessServerTest(unittest.TestCase):
    """FakeApiServer in the test process, where handler threads outlive serve_forever() and limits can be patched."""

    def setUp(self):
        credentials = fake_api.Credentials(TEST_SECRET_ID, TEST_SECRET_KEY, None)
        self.api = fake_api.FakeApi(credentials, fake_api.load_scenario(FAULTS_SCENARIO))
        self.server = fake_api.FakeApiServer(("127.0.0.1", 0), socket.AF_INET, self.api)
        self.addCleanup(self.server.server_close)
        self.server_thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.server_thread.start()
        self.addCleanup(self.server.shutdown)

    def open_request(self, job_id: str) -> socket.socket:
        """Send a signed GET request on a raw socket with a 2 s timeout, and wait until the fake has logged it."""
        port = self.server.server_address[1]
        host = f"127.0.0.1:{port}"
        params = {"Action": fake_api.CHECK_INFO_ACTION, "Region": "ap-guangzhou", "jobId": job_id, "srcType": "2"}
        query = fake_api.signed_query("GET", host, fake_api.API_PATH, params, TEST_SECRET_ID, TEST_SECRET_KEY)
        connection = socket.create_connection(("127.0.0.1", port), timeout=2)
        self.addCleanup(connection.close)
        connection.sendall(f"GET {fake_api.API_PATH}?{query} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode("ascii"))
        deadline = time.monotonic() + 2
        while not self.api.request_log.snapshot() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(len(self.api.request_log.snapshot()), 1)
        return connection

    def test_shutdown_ends_stall(self):
        connection = self.open_request("303")
        self.server.shutdown()
        self.server_thread.join(2)
        self.assertFalse(self.server_thread.is_alive())
        # The 2 s socket timeout fails this check unless the stall ends on shutdown.
        self.assertEqual(receive_until_closed(connection), (b"", None))

    def test_stall_ends_after_max_delay(self):
        with unittest.mock.patch.object(fake_api, "MAX_DELAY_SECONDS", 0.5):
            connection = self.open_request("303")
            started = time.monotonic()
            self.assertEqual(receive_until_closed(connection), (b"", None))
        self.assertGreaterEqual(time.monotonic() - started, 0.3)

    def test_drip_sends_rest_after_max_delay(self):
        with unittest.mock.patch.object(fake_api, "MAX_DELAY_SECONDS", 1):
            connection = self.open_request("305")
            started = time.monotonic()
            data = b""
            while len(data.partition(b"\r\n\r\n")[2]) < len(SEED_BODY):
                # Without the cut-off, dripping the whole seed body would take over 15 minutes.
                self.assertLess(time.monotonic() - started, 3, "the drip went on past MAX_DELAY_SECONDS")
                chunk = connection.recv(65536)
                self.assertTrue(chunk, "the connection closed before the whole body arrived")
                data += chunk
        _, body = split_response(data)
        self.assertEqual(body, SEED_BODY)
        self.assertGreaterEqual(time.monotonic() - started, 0.8)


class StartupTest(unittest.TestCase):
    def run_fake(self, arguments: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess:
        command = [sys.executable, str(FAKE_API_SCRIPT), *arguments]
        return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=10)

    def test_missing_credentials_exit_2(self):
        result = self.run_fake(["--scenario", str(DEMO_SCENARIO)], server_environment())
        self.assertEqual(result.returncode, 2)
        self.assertIn("TENCENTCLOUD_SECRET_ID", result.stderr)
        self.assertIn("TENCENTCLOUD_SECRET_KEY", result.stderr)

    def test_non_loopback_host_exit_2(self):
        for host in ("0.0.0.0", "192.0.2.1", "example.com"):
            with self.subTest(host=host):
                result = self.run_fake(
                    ["--host", host, "--scenario", str(DEMO_SCENARIO)], credentials_environment()
                )
                self.assertEqual(result.returncode, 2)
                self.assertIn("--host", result.stderr)

    def test_bad_scenarios_exit_2(self):
        cases = {
            "missing body file": ({"jobs": {"206": {"body_file": "no_such_reply.json"}}}, "no_such_reply.json"),
            "unknown fault": ({"jobs": {"206": {"body": "{}", "fault": "reset"}}}, "fault"),
            "empty sequence": ({"jobs": {"206": {"sequence": []}}}, "sequence"),
            "unknown key": ({"jobs": {"206": {"body": "{}", "delay": 1}}}, "delay"),
            "both bodies": ({"jobs": {"206": {"body": "{}", "body_file": "x.json"}}}, "exactly one"),
            "job id not decimal": ({"jobs": {"job206": {"body": "{}"}}}, "job206"),
            "bad status": ({"jobs": {"206": {"body": "{}", "status": 99}}}, "status"),
            "no jobs key": ({"206": {"body": "{}"}}, "jobs"),
        }
        with tempfile.TemporaryDirectory(prefix="fake_api_test_") as directory:
            for case, (document, expected_text) in cases.items():
                with self.subTest(case=case):
                    scenario = Path(directory) / "scenario.json"
                    scenario.write_text(json.dumps(document), encoding="utf-8")
                    result = self.run_fake(["--scenario", str(scenario)], credentials_environment())
                    self.assertEqual(result.returncode, 2)
                    self.assertIn(expected_text, result.stderr)
            result = self.run_fake(["--scenario", f"{directory}/absent.json"], credentials_environment())
            self.assertEqual(result.returncode, 2)
            self.assertIn("absent.json", result.stderr)

    def test_stop_signals_exit_0(self):
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(stop_signal=stop_signal.name):
                server = FakeServerProcess(credentials_environment(), DEMO_SCENARIO)
                try:
                    expected_line = f"fake API listening on http://127.0.0.1:{server.port}/v2/index.php\n"
                    deadline = time.monotonic() + START_TIMEOUT_SECONDS
                    while server.stdout_text() != expected_line and time.monotonic() < deadline:
                        time.sleep(0.02)
                    self.assertEqual(server.stdout_text(), expected_line)
                    self.assertEqual(server.stop(stop_signal), 0)
                    self.assertFalse(server.port_file.exists())
                finally:
                    server.close()


# --- API 3.0 (DTS, TC3-HMAC-SHA256) ------------------------------------------

# TC3-HMAC-SHA256 documentation vector for service cvm. The payload contains
# the six-character escapes \u672a and so on, not the characters they encode.
TC3_DOC_SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
TC3_DOC_SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
TC3_DOC_HOST = "cvm.tencentcloudapi.com"
TC3_DOC_TIMESTAMP = 1551113065
TC3_DOC_PAYLOAD = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
TC3_DOC_PAYLOAD_HASH = "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
TC3_DOC_CANONICAL_REQUEST_HASH = "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
TC3_DOC_SIGNATURE = "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"

# The scenarios/dts.json job whose reply each check action is tested with.
DTS_REPLY_FILES = {
    "sync-pass01": "dts_sync_check_success.json",
    "sync-run01": "dts_sync_check_running.json",
    "sync-fail01": "dts_sync_check_failed.json",
    "dts-pass01": "dts_migration_check_pass.json",
    "dts-fail01": "dts_migration_check_not_pass.json",
    "dts-run01": "dts_migration_check_running.json",
    "sync-auth01": "dts_error_auth.json",
    "sync-throttle01": "dts_error_throttled.json",
    "dts-gone01": "dts_error_not_found.json",
    "sync-internal01": "dts_error_internal.json",
}
SYNC_JOB_IDS = ["sync-pass01", "sync-run01", "sync-fail01", "sync-auth01", "sync-throttle01", "sync-internal01"]
MIGRATION_JOB_IDS = ["dts-pass01", "dts-fail01", "dts-run01"]


def lower_case_keys(headers: dict[str, str]) -> dict[str, str]:
    """Return headers keyed by lower-case name, the form that verify_tc3_request takes."""
    return {name.lower(): value for name, value in headers.items()}


class Tc3SigningTest(unittest.TestCase):
    def sign_documented_vector(self, service: str = "cvm") -> fake_api.Tc3Signature:
        return fake_api.tc3_sign(
            TC3_DOC_SECRET_ID,
            TC3_DOC_SECRET_KEY,
            service,
            TC3_DOC_HOST,
            "application/json; charset=utf-8",
            TC3_DOC_TIMESTAMP,
            TC3_DOC_PAYLOAD,
        )

    def test_documented_vector(self):
        signed = self.sign_documented_vector()
        expected_canonical_request = (
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n"
            f"content-type;host\n{TC3_DOC_PAYLOAD_HASH}"
        )
        self.assertEqual(signed.canonical_request, expected_canonical_request)
        canonical_request_hash = hashlib.sha256(signed.canonical_request.encode("utf-8")).hexdigest()
        self.assertEqual(canonical_request_hash, TC3_DOC_CANONICAL_REQUEST_HASH)
        self.assertEqual(
            signed.string_to_sign,
            f"TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n{TC3_DOC_CANONICAL_REQUEST_HASH}",
        )
        self.assertEqual(signed.signature, TC3_DOC_SIGNATURE)
        self.assertEqual(
            signed.authorization,
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={TC3_DOC_SIGNATURE}",
        )

    def test_service_changes_signature(self):
        signed = self.sign_documented_vector(service="dts")
        self.assertNotEqual(signed.signature, TC3_DOC_SIGNATURE)
        self.assertIn("/2019-02-25/dts/tc3_request,", signed.authorization)
        self.assertIn("\n2019-02-25/dts/tc3_request\n", signed.string_to_sign)

    def test_canonical_headers_lower_cased_and_trimmed(self):
        canonical_request = fake_api.tc3_canonical_request(" CVM.TencentCloudAPI.com ", "Application/JSON ", b"")
        self.assertIn("\ncontent-type:application/json\nhost:cvm.tencentcloudapi.com\n\n", canonical_request)
        self.assertTrue(canonical_request.endswith(hashlib.sha256(b"").hexdigest()))

    def test_credential_date_is_utc(self):
        # 00:30 on 1 March in UTC+8 is still 29 February in UTC.
        local_time = datetime.datetime(2024, 3, 1, 0, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
        timestamp = int(local_time.timestamp())
        self.assertEqual(fake_api.utc_date(timestamp), "2024-02-29")
        credentials = fake_api.Credentials(TEST_SECRET_ID, TEST_SECRET_KEY, None)
        payload = b'{"JobId": "sync-pass01"}'
        utc_headers = fake_api.dts_request_headers(
            fake_api.SYNC_CHECK_ACTION, payload, "127.0.0.1:1", TEST_SECRET_ID, TEST_SECRET_KEY, timestamp=timestamp
        )
        self.assertIn("/2024-02-29/dts/tc3_request,", utc_headers["Authorization"])
        fake_api.verify_tc3_request(lower_case_keys(utc_headers), payload, credentials, now=timestamp)

        local_headers = fake_api.dts_request_headers(
            fake_api.SYNC_CHECK_ACTION,
            payload,
            "127.0.0.1:1",
            TEST_SECRET_ID,
            TEST_SECRET_KEY,
            timestamp=timestamp,
            date="2024-03-01",
        )
        with self.assertRaises(fake_api.Api3Error) as context:
            fake_api.verify_tc3_request(lower_case_keys(local_headers), payload, credentials, now=timestamp)
        self.assertEqual(context.exception.code, fake_api.TC3_SIGNATURE_FAILURE)
        self.assertIn("2024-02-29", context.exception.message)

    def test_request_headers(self):
        headers = fake_api.dts_request_headers(
            fake_api.SYNC_LIST_ACTION, b"{}", "127.0.0.1:1", TEST_SECRET_ID, TEST_SECRET_KEY, timestamp=1700000000
        )
        self.assertEqual(
            set(headers),
            {"Authorization", "Content-Type", "Host", "X-TC-Action", "X-TC-Timestamp", "X-TC-Version", "X-TC-Region"},
        )
        self.assertEqual(headers["Content-Type"], "application/json; charset=utf-8")
        self.assertEqual(headers["Host"], "127.0.0.1:1")
        self.assertEqual(headers["X-TC-Action"], "DescribeSyncJobs")
        self.assertEqual(headers["X-TC-Timestamp"], "1700000000")
        self.assertEqual(headers["X-TC-Version"], "2021-12-06")
        self.assertEqual(headers["X-TC-Region"], "ap-guangzhou")
        expected = fake_api.tc3_sign(
            TEST_SECRET_ID, TEST_SECRET_KEY, "dts", "127.0.0.1:1", headers["Content-Type"], 1700000000, b"{}"
        )
        self.assertEqual(headers["Authorization"], expected.authorization)

    def test_request_headers_token_and_no_region(self):
        headers = fake_api.dts_request_headers(
            fake_api.SYNC_LIST_ACTION, b"{}", "h", TEST_SECRET_ID, TEST_SECRET_KEY, region=None, token="t"
        )
        self.assertNotIn("X-TC-Region", headers)
        self.assertEqual(headers["X-TC-Token"], "t")


class DtsReplyFilesTest(unittest.TestCase):
    def test_sync_check_success(self):
        response = load_reply("dts_sync_check_success.json")["Response"]
        self.assertEqual(response["Status"], "success")
        self.assertEqual((response["StepCount"], response["StepCur"], response["Progress"]), (5, 5, 100))
        steps = response["StepInfos"]
        self.assertEqual([step["StepNo"] for step in steps], [1, 2, 3, 4, 5])
        self.assertEqual(
            [step["StepId"] for step in steps],
            ["ConnectDBCheck", "VersionCheck", "SrcPrivilegeCheck", "DstSpaceCheck", "BinlogParamCheck"],
        )
        self.assertEqual({step["Status"] for step in steps}, {"finished"})
        self.assertEqual({step["Progress"] for step in steps}, {100})
        self.assertEqual([step["Errors"] for step in steps], [[]] * 5)
        warnings = [warning for step in steps for warning in step["Warnings"]]
        self.assertEqual(len(warnings), 1)
        self.assertEqual(set(warnings[0]), {"Code", "Message", "Solution", "HelpDoc", "SkipInfo"})
        self.assertTrue(all(step["StepName"] and step["StartTime"] for step in steps))

    def test_sync_check_running(self):
        response = load_reply("dts_sync_check_running.json")["Response"]
        self.assertEqual(response["Status"], "running")
        self.assertEqual((response["StepCount"], response["StepCur"]), (5, 3))
        self.assertEqual(
            [step["Status"] for step in response["StepInfos"]],
            ["finished", "finished", "running", "notStarted", "notStarted"],
        )

    def test_sync_check_failed(self):
        response = load_reply("dts_sync_check_failed.json")["Response"]
        self.assertEqual(response["Status"], "failed")
        self.assertEqual(response["StepCur"], 3)
        steps = response["StepInfos"]
        self.assertEqual(
            [step["Status"] for step in steps], ["finished", "finished", "failed", "notStarted", "notStarted"]
        )
        (error,) = steps[2]["Errors"]
        self.assertIn("privilege", error["Message"])
        self.assertEqual(set(error), {"Code", "Message", "Solution", "HelpDoc", "SkipInfo"})

    def test_migration_check_pass(self):
        response = load_reply("dts_migration_check_pass.json")["Response"]
        self.assertEqual(response["Status"], "success")
        self.assertEqual(response["CheckFlag"], "checkPass")
        self.assertEqual(response["BriefMsg"], "success")
        steps = response["StepInfo"]
        self.assertEqual([step["StepNo"] for step in steps], [0, 1, 2, 3])
        self.assertEqual([step["StepStatus"] for step in steps], ["pass", "pass", "warning", "pass"])
        for step in steps:
            self.assertEqual((step["StepMessage"], step["DetailCheckItems"], step["HasSkipped"]), ("", [], False))
            self.assertTrue(step["StepId"])
            self.assertTrue(step["StepName"])

    def test_migration_check_not_pass(self):
        response = load_reply("dts_migration_check_not_pass.json")["Response"]
        self.assertEqual((response["Status"], response["CheckFlag"]), ("success", "checkNotPass"))
        self.assertTrue(response["BriefMsg"])
        steps = response["StepInfo"]
        self.assertEqual([step["StepStatus"] for step in steps], ["pass", "failed", "blocked", "notStarted"])
        self.assertTrue(steps[1]["StepMessage"])

    def test_migration_check_running(self):
        response = load_reply("dts_migration_check_running.json")["Response"]
        self.assertEqual((response["Status"], response["CheckFlag"]), ("running", ""))
        self.assertEqual([step["StepStatus"] for step in response["StepInfo"]], ["pass", "notStarted", "notStarted"])

    def test_error_replies(self):
        expected_codes = {
            "dts_error_auth.json": "AuthFailure.SignatureFailure",
            "dts_error_throttled.json": "RequestLimitExceeded",
            "dts_error_not_found.json": "ResourceNotFound",
            "dts_error_internal.json": "InternalError",
        }
        for name, code in expected_codes.items():
            with self.subTest(name=name):
                response = load_reply(name)["Response"]
                self.assertEqual(set(response), {"Error", "RequestId"})
                self.assertEqual(response["Error"]["Code"], code)
                self.assertTrue(response["Error"]["Message"])

    def test_every_reply_has_request_id(self):
        for name in DTS_REPLY_FILES.values():
            with self.subTest(name=name):
                document = load_reply(name)
                self.assertEqual(list(document), ["Response"])
                self.assertEqual(uuid.UUID(document["Response"]["RequestId"]).version, 4)


class DtsScenarioKeysTest(unittest.TestCase):
    """Validation of the API 3.0 scenario keys, loaded in-process."""

    def write_scenario(self, document: dict) -> Path:
        directory = tempfile.TemporaryDirectory(prefix="fake_api_test_")
        self.addCleanup(directory.cleanup)
        path = Path(directory.name) / "scenario.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        return path

    def assert_rejected(self, document: dict, expected_text: str) -> None:
        path = self.write_scenario(document)
        with self.assertRaises(fake_api.StartupError) as context:
            fake_api.load_scenario(path)
        self.assertIn(expected_text, str(context.exception))

    def test_dts_scenario_loads(self):
        self.assertEqual(set(fake_api.load_scenario(DTS_SCENARIO)), {"206"})
        dts = fake_api.load_dts_scenario(DTS_SCENARIO)
        self.assertEqual(set(dts.jobs), set(DTS_REPLY_FILES))
        self.assertEqual([job["JobId"] for job in dts.sync_job_list], SYNC_JOB_IDS)
        self.assertEqual([job["JobId"] for job in dts.migration_job_list], MIGRATION_JOB_IDS)
        self.assertEqual(dts.jobs["sync-throttle01"].replies[0].code, "RequestLimitExceeded")
        self.assertIsNone(dts.jobs["sync-pass01"].replies[0].code)

    def test_jobs_optional_with_dts_jobs(self):
        path = self.write_scenario({"dts_jobs": {"a": {"body": "{}"}}})
        self.assertEqual(fake_api.load_scenario(path), {})
        self.assertEqual(set(fake_api.load_dts_scenario(path).jobs), {"a"})
        self.assertEqual(fake_api.load_tasks(path), [])

    def test_older_scenarios_have_no_dts_jobs(self):
        dts = fake_api.load_dts_scenario(E2E_SCENARIO)
        self.assertEqual((dts.jobs, dts.sync_job_list, dts.migration_job_list), ({}, [], []))

    def test_valid_job_ids_accepted(self):
        for job_id in ("a", "0", "sync-abc_1", "A" * 64):
            with self.subTest(job_id=job_id):
                path = self.write_scenario({"dts_jobs": {job_id: {"body": "{}"}}})
                self.assertIn(job_id, fake_api.load_dts_scenario(path).jobs)

    def test_invalid_job_ids_rejected(self):
        for job_id in ("", "-abc", "_abc", "a" * 65, "a b", "a.b", "sync/1", "\u00e4bc"):
            with self.subTest(job_id=job_id):
                self.assert_rejected({"dts_jobs": {job_id: {"body": "{}"}}}, "JobId must be")

    def test_invalid_dts_job_rejected(self):
        cases = {
            "unknown fault": ({"dts_jobs": {"a": {"body": "{}", "fault": "reset"}}}, "DTS job a: 'fault'"),
            "empty sequence": ({"dts_jobs": {"a": {"sequence": []}}}, "non-empty list"),
            "not an object": ({"dts_jobs": {"a": "body"}}, "must be a JSON object"),
            "missing body file": ({"dts_jobs": {"a": {"body_file": "absent.json"}}}, "absent.json"),
        }
        for case, (document, expected_text) in cases.items():
            with self.subTest(case=case):
                self.assert_rejected(document, expected_text)

    def test_invalid_top_level_rejected(self):
        cases = {
            "neither jobs key": {"dts_sync_job_list": []},
            "dts_jobs a list": {"dts_jobs": []},
            "list key an object": {"dts_jobs": {}, "dts_sync_job_list": {}},
            "unknown key": {"dts_jobs": {}, "dts_job_list": []},
        }
        for case, document in cases.items():
            with self.subTest(case=case):
                self.assert_rejected(document, "'dts_jobs'")

    def test_list_entries_need_job_id(self):
        for key in ("dts_sync_job_list", "dts_migration_job_list"):
            for entries in ([{"JobName": "x"}], ["sync-1"], [None]):
                with self.subTest(key=key, entries=entries):
                    self.assert_rejected({"dts_jobs": {}, key: entries}, f"'{key}' must be a list of objects")


class DtsClientMixin(ApiClientMixin):
    """Helpers that send API 3.0 DTS requests to the FakeServerProcess in cls.server."""

    def dts_call(
        self,
        action: str,
        document: object = None,
        *,
        payload: bytes | None = None,
        path: str = "/",
        header_overrides: dict | None = None,
        **options,
    ):
        """Send a signed DTS request and return (status, content type, body).

        The body is payload, or else document as JSON ({} when None). Other
        options go to dts_request_headers. header_overrides replaces header
        values after signing, and a value of None removes the header.
        """
        if payload is None:
            payload = json.dumps({} if document is None else document).encode("utf-8")
        secret_id = options.pop("secret_id", TEST_SECRET_ID)
        secret_key = options.pop("secret_key", TEST_SECRET_KEY)
        host = options.pop("host", self.server.host)
        headers = fake_api.dts_request_headers(action, payload, host, secret_id, secret_key, **options)
        headers["Host"] = self.server.host
        for name, value in (header_overrides or {}).items():
            if value is None:
                headers.pop(name, None)
            else:
                headers[name] = value
        return self.send("POST", path, payload, headers)

    def dts_response(self, action: str, document: object = None, **options) -> dict:
        """Send a signed DTS request and return the "Response" object of its HTTP 200 JSON reply."""
        status, content_type, body = self.dts_call(action, document, **options)
        self.assertEqual(status, 200)
        self.assertEqual(content_type, fake_api.JSON_CONTENT_TYPE)
        document = json.loads(body)
        self.assertEqual(list(document), ["Response"])
        return document["Response"]

    def assert_dts_error(self, response: dict, code: str) -> None:
        self.assertIn("Error", response, response)
        self.assertEqual(response["Error"]["Code"], code, response)
        self.assertTrue(response["Error"]["Message"])
        self.assertEqual(uuid.UUID(response["RequestId"]).version, 4)

    def reset(self) -> None:
        self.assertEqual(self.send("POST", fake_api.RESET_PATH, b"")[0], 200)


class DtsServerTest(DtsClientMixin, unittest.TestCase):
    """API 3.0 requests to a fake serving scenarios/dts.json without a session token."""

    @classmethod
    def setUpClass(cls):
        cls.server = FakeServerProcess(credentials_environment(), DTS_SCENARIO)
        cls.addClassCleanup(cls.server.close)

    def test_sync_check_reply_sent_as_written(self):
        status, content_type, body = self.dts_call(fake_api.SYNC_CHECK_ACTION, {"JobId": "sync-pass01"})
        self.assertEqual(status, 200)
        self.assertEqual(content_type, fake_api.JSON_CONTENT_TYPE)
        self.assertEqual(body, (REPLIES_DIR / "dts_sync_check_success.json").read_bytes())

    def test_migration_check_reply_sent_as_written(self):
        status, _, body = self.dts_call(fake_api.MIGRATION_CHECK_ACTION, {"JobId": "dts-fail01"})
        self.assertEqual(status, 200)
        self.assertEqual(body, (REPLIES_DIR / "dts_migration_check_not_pass.json").read_bytes())

    def test_every_dts_job_served_as_configured(self):
        for job_id, name in DTS_REPLY_FILES.items():
            action = fake_api.SYNC_CHECK_ACTION if job_id.startswith("sync-") else fake_api.MIGRATION_CHECK_ACTION
            with self.subTest(job_id=job_id):
                expected = (200, fake_api.JSON_CONTENT_TYPE, (REPLIES_DIR / name).read_bytes())
                self.assertEqual(self.dts_call(action, {"JobId": job_id}), expected)

    def test_extra_body_keys_ignored(self):
        response = self.dts_response(fake_api.SYNC_CHECK_ACTION, {"JobId": "sync-run01", "Other": [1]})
        self.assertEqual(response["Status"], "running")

    def test_plain_json_content_type_accepted(self):
        response = self.dts_response(
            fake_api.SYNC_CHECK_ACTION, {"JobId": "sync-run01"}, content_type="application/json"
        )
        self.assertEqual(response["Status"], "running")

    def test_sync_list_default_page(self):
        response = self.dts_response(fake_api.SYNC_LIST_ACTION)
        self.assertEqual(set(response), {"TotalCount", "JobList", "RequestId"})
        self.assertEqual(response["TotalCount"], 6)
        self.assertEqual([job["JobId"] for job in response["JobList"]], SYNC_JOB_IDS)
        self.assertEqual(
            response["JobList"][0], {"JobId": "sync-pass01", "JobName": "orders to reporting", "Status": "running"}
        )
        self.assertEqual(uuid.UUID(response["RequestId"]).version, 4)

    def test_sync_list_pages(self):
        pages = [
            self.dts_response(fake_api.SYNC_LIST_ACTION, {"Limit": 4, "Offset": offset}) for offset in (0, 4, 8)
        ]
        self.assertEqual([page["TotalCount"] for page in pages], [6, 6, 6])
        self.assertEqual([job["JobId"] for job in pages[0]["JobList"]], SYNC_JOB_IDS[:4])
        self.assertEqual([job["JobId"] for job in pages[1]["JobList"]], SYNC_JOB_IDS[4:])
        self.assertEqual(pages[2]["JobList"], [])

    def test_migration_list_pages(self):
        response = self.dts_response(fake_api.MIGRATION_LIST_ACTION, {"Limit": 1, "Offset": 1})
        self.assertEqual(response["TotalCount"], 3)
        self.assertEqual([job["JobId"] for job in response["JobList"]], ["dts-fail01"])
        whole = self.dts_response(fake_api.MIGRATION_LIST_ACTION, {"Limit": 100})
        self.assertEqual([job["JobId"] for job in whole["JobList"]], MIGRATION_JOB_IDS)

    def test_list_limit_bounds(self):
        for limit in (1, 100):
            with self.subTest(limit=limit):
                response = self.dts_response(fake_api.SYNC_LIST_ACTION, {"Limit": limit})
                self.assertEqual(len(response["JobList"]), min(limit, 6))

    def test_bad_limit_rejected(self):
        for action in (fake_api.SYNC_LIST_ACTION, fake_api.MIGRATION_LIST_ACTION):
            for limit in (0, 101, -1, "5", 1.5, True, None):
                with self.subTest(action=action, limit=limit):
                    response = self.dts_response(action, {"Limit": limit})
                    self.assert_dts_error(response, fake_api.INVALID_PARAMETER_VALUE)
                    self.assertIn("Limit", response["Error"]["Message"])

    def test_bad_offset_rejected(self):
        for offset in (-1, "0", 2.0, False):
            with self.subTest(offset=offset):
                response = self.dts_response(fake_api.MIGRATION_LIST_ACTION, {"Offset": offset})
                self.assert_dts_error(response, fake_api.INVALID_PARAMETER_VALUE)
                self.assertIn("Offset", response["Error"]["Message"])

    def test_api2_served_on_same_port(self):
        self.assertEqual(self.call(self.build(job_id="206")), (200, fake_api.JSON_CONTENT_TYPE, SEED_BODY))

    def test_get_with_action_header_stays_api2(self):
        status, _, _ = self.send("GET", "/", headers={"X-TC-Action": fake_api.SYNC_LIST_ACTION})
        self.assertEqual(status, 404)

    def test_wrong_path_rejected(self):
        for path in ("/v2/index.php", "/dts", fake_api.RESET_PATH):
            with self.subTest(path=path):
                status, _, body = self.dts_call(fake_api.SYNC_LIST_ACTION, path=path)
                self.assertEqual(status, 200)
                response = json.loads(body)["Response"]
                self.assert_dts_error(response, fake_api.INVALID_PARAMETER_CODE)
                self.assertIn("path /", response["Error"]["Message"])

    def test_query_string_rejected(self):
        response = json.loads(self.dts_call(fake_api.SYNC_LIST_ACTION, path="/?Limit=1")[2])["Response"]
        self.assert_dts_error(response, fake_api.INVALID_PARAMETER_CODE)

    def test_malformed_authorization_rejected(self):
        good = fake_api.dts_request_headers(
            fake_api.SYNC_LIST_ACTION, b"{}", self.server.host, TEST_SECRET_ID, TEST_SECRET_KEY
        )["Authorization"]
        signature = good.rpartition("Signature=")[2]
        cases = {
            "missing": None,
            "empty": "",
            "other algorithm": good.replace("TC3-HMAC-SHA256", "HMAC-SHA256"),
            "upper-case signature": good.replace(signature, signature.upper()),
            "short signature": good[:-1],
            "no separator space": good.replace(", SignedHeaders", ",SignedHeaders"),
            "date not YYYY-MM-DD": good.replace(f"/{fake_api.utc_date(int(time.time()))}/", "/20240229/"),
            "no tc3_request": good.replace("/tc3_request", "/request"),
            "other service": good.replace("/dts/", "/cvm/"),
            "other signed headers": good.replace("content-type;host", "content-type;host;x-tc-action"),
        }
        for case, authorization in cases.items():
            with self.subTest(case=case):
                self.assertNotEqual(authorization, good)
                response = self.dts_response(
                    fake_api.SYNC_LIST_ACTION, payload=b"{}", header_overrides={"Authorization": authorization}
                )
                self.assert_dts_error(response, fake_api.TC3_INVALID_AUTHORIZATION)

    def test_wrong_key_rejected(self):
        response = self.dts_response(fake_api.SYNC_LIST_ACTION, secret_key="not-the-key")
        self.assert_dts_error(response, fake_api.TC3_SIGNATURE_FAILURE)

    def test_changed_body_rejected(self):
        headers = fake_api.dts_request_headers(
            fake_api.SYNC_CHECK_ACTION, b'{"JobId": "sync-pass01"}', self.server.host, TEST_SECRET_ID, TEST_SECRET_KEY
        )
        _, _, body = self.send("POST", "/", b'{"JobId": "sync-fail01"}', headers)
        self.assert_dts_error(json.loads(body)["Response"], fake_api.TC3_SIGNATURE_FAILURE)

    def test_signed_other_host_rejected(self):
        response = self.dts_response(fake_api.SYNC_LIST_ACTION, host="dts.tencentcloudapi.com")
        self.assert_dts_error(response, fake_api.TC3_SIGNATURE_FAILURE)

    def test_signed_other_content_type_rejected(self):
        response = self.dts_response(
            fake_api.SYNC_LIST_ACTION,
            content_type="application/json",
            header_overrides={"Content-Type": "application/json; charset=utf-8"},
        )
        self.assert_dts_error(response, fake_api.TC3_SIGNATURE_FAILURE)

    def test_unsupported_content_type_rejected(self):
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            with self.subTest(content_type=content_type):
                response = self.dts_response(fake_api.SYNC_LIST_ACTION, content_type=content_type)
                self.assert_dts_error(response, fake_api.INVALID_PARAMETER_CODE)
                self.assertIn("Content-Type", response["Error"]["Message"])

    def test_wrong_secret_id_rejected(self):
        response = self.dts_response(fake_api.SYNC_LIST_ACTION, secret_id="AKIDsomebodyElse")
        self.assert_dts_error(response, fake_api.TC3_SECRET_ID_NOT_FOUND)

    def test_timestamp_skew(self):
        now = int(time.time())
        for offset in (-400, 400):
            with self.subTest(offset=offset):
                response = self.dts_response(fake_api.SYNC_LIST_ACTION, timestamp=now + offset)
                self.assert_dts_error(response, fake_api.TC3_SIGNATURE_EXPIRE)
        for offset in (-200, 200):
            with self.subTest(offset=offset):
                response = self.dts_response(fake_api.SYNC_LIST_ACTION, timestamp=now + offset)
                self.assertEqual(response["TotalCount"], 6)

    def test_non_utc_credential_date_rejected(self):
        now = int(time.time())
        for date in (fake_api.utc_date(now + 86400), fake_api.utc_date(now - 86400)):
            with self.subTest(date=date):
                response = self.dts_response(fake_api.SYNC_LIST_ACTION, timestamp=now, date=date)
                self.assert_dts_error(response, fake_api.TC3_SIGNATURE_FAILURE)
                self.assertIn("UTC date", response["Error"]["Message"])

    def test_invalid_timestamp_rejected(self):
        cases = {
            None: fake_api.MISSING_PARAMETER,
            "": fake_api.MISSING_PARAMETER,
            "1.5": fake_api.INVALID_PARAMETER_CODE,
            "-5": fake_api.INVALID_PARAMETER_CODE,
            "12a": fake_api.INVALID_PARAMETER_CODE,
        }
        for value, code in cases.items():
            with self.subTest(value=value):
                response = self.dts_response(fake_api.SYNC_LIST_ACTION, header_overrides={"X-TC-Timestamp": value})
                self.assert_dts_error(response, code)

    def test_token_forbidden_without_session_token(self):
        response = self.dts_response(fake_api.SYNC_LIST_ACTION, token="unexpected-token")
        self.assert_dts_error(response, fake_api.TC3_TOKEN_FAILURE)

    def test_unknown_action_rejected(self):
        for action in ("DescribeInstances", "describesyncjobs", ""):
            with self.subTest(action=action):
                self.assert_dts_error(self.dts_response(action), fake_api.INVALID_ACTION)

    def test_wrong_version_rejected(self):
        for version in ("2018-03-30", "2021-12-6"):
            with self.subTest(version=version):
                response = self.dts_response(fake_api.SYNC_LIST_ACTION, version=version)
                self.assert_dts_error(response, fake_api.NO_SUCH_VERSION)
        response = self.dts_response(fake_api.SYNC_LIST_ACTION, header_overrides={"X-TC-Version": None})
        self.assert_dts_error(response, fake_api.MISSING_PARAMETER)

    def test_empty_region_rejected(self):
        for region in ("", None):
            with self.subTest(region=region):
                response = self.dts_response(fake_api.SYNC_LIST_ACTION, region=region)
                self.assert_dts_error(response, fake_api.UNSUPPORTED_REGION)

    def test_missing_job_id_rejected(self):
        for action in (fake_api.SYNC_CHECK_ACTION, fake_api.MIGRATION_CHECK_ACTION):
            with self.subTest(action=action):
                response = self.dts_response(action, {"jobId": "sync-pass01"})
                self.assert_dts_error(response, fake_api.MISSING_PARAMETER)
                self.assertIn("JobId", response["Error"]["Message"])

    def test_job_id_wrong_type_rejected(self):
        for job_id in (206, None, ["sync-pass01"]):
            with self.subTest(job_id=job_id):
                response = self.dts_response(fake_api.SYNC_CHECK_ACTION, {"JobId": job_id})
                self.assert_dts_error(response, fake_api.INVALID_PARAMETER_CODE)

    def test_body_not_json_object_rejected(self):
        for payload in (b"", b"[]", b'"sync-pass01"', b"{", b'{"JobId": "\xff"}'):
            with self.subTest(payload=payload):
                response = self.dts_response(fake_api.SYNC_CHECK_ACTION, payload=payload)
                self.assert_dts_error(response, fake_api.INVALID_PARAMETER_CODE)

    def test_unknown_job_not_found(self):
        for job_id in ("sync-none01", "", "no such job"):
            with self.subTest(job_id=job_id):
                response = self.dts_response(fake_api.SYNC_CHECK_ACTION, {"JobId": job_id})
                self.assert_dts_error(response, fake_api.RESOURCE_NOT_FOUND)

    def test_request_log_fields(self):
        self.reset()
        self.dts_call(fake_api.SYNC_CHECK_ACTION, {"JobId": "sync-pass01"})
        self.dts_call(fake_api.MIGRATION_CHECK_ACTION, {"JobId": "dts-gone01"}, region="ap-shanghai")
        self.dts_call(fake_api.SYNC_LIST_ACTION, {"Limit": 2})
        self.dts_call(fake_api.SYNC_CHECK_ACTION, {"JobId": "sync-pass01"}, secret_key="wrong")
        self.call(self.build(job_id="206"))

        entries = self.request_log()
        self.assertEqual([entry["api"] for entry in entries], ["3.0", "3.0", "3.0", "3.0", "2.0"])

        dts_entries = entries[:4]
        self.assertEqual(
            [entry["action"] for entry in dts_entries],
            [
                "DescribeCheckSyncJobResult",
                "DescribeMigrationCheckJob",
                "DescribeSyncJobs",
                "DescribeCheckSyncJobResult",
            ],
        )
        self.assertEqual([entry["job_id"] for entry in dts_entries], ["sync-pass01", "dts-gone01", None, "sync-pass01"])
        self.assertEqual(
            [entry["region"] for entry in dts_entries], ["ap-guangzhou", "ap-shanghai", "ap-guangzhou", "ap-guangzhou"]
        )
        self.assertEqual({entry["version"] for entry in dts_entries}, {"2021-12-06"})

        self.assertEqual(
            [entry["code"] for entry in dts_entries], [None, "ResourceNotFound", None, "AuthFailure.SignatureFailure"]
        )
        self.assertEqual([entry["verified"] for entry in dts_entries], [True, True, True, False])
        self.assertEqual({entry["fault"] for entry in dts_entries}, {None})
        self.assertEqual({entry["token_sent"] for entry in dts_entries}, {False})

        self.assertEqual(dts_entries[2]["params"], {"Limit": 2})
        self.assertEqual({entry["path"] for entry in dts_entries}, {"/"})
        self.assertEqual({entry["host"] for entry in dts_entries}, {self.server.host})

    def test_request_log_has_no_secret(self):
        self.reset()
        payload = b'{"JobId": "sync-pass01"}'
        authorizations = []
        for secret_key in (TEST_SECRET_KEY, "wrong-key"):
            headers = fake_api.dts_request_headers(
                fake_api.SYNC_CHECK_ACTION, payload, self.server.host, TEST_SECRET_ID, secret_key
            )
            authorizations.append(headers["Authorization"])
            self.send("POST", "/", payload, headers)
        status, _, raw_log = self.send("GET", fake_api.REQUESTS_PATH)
        self.assertEqual(status, 200)
        self.assertEqual(len(json.loads(raw_log)), 2)
        for authorization in authorizations:
            signature = authorization.rpartition("Signature=")[2]
            self.assertNotIn(signature.encode("ascii"), raw_log)
            self.assertNotIn(authorization.encode("ascii"), raw_log)
        self.assertNotIn(TEST_SECRET_KEY.encode("ascii"), raw_log)
        self.assertNotIn(b"Signature=", raw_log)
        self.assertNotIn(b"Credential=", raw_log)


class DtsSessionTokenTest(DtsClientMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        environment = credentials_environment(TENCENTCLOUD_SESSION_TOKEN=TEST_SESSION_TOKEN)
        cls.server = FakeServerProcess(environment, DTS_SCENARIO)
        cls.addClassCleanup(cls.server.close)

    def test_matching_token_accepted(self):
        response = self.dts_response(fake_api.SYNC_LIST_ACTION, token=TEST_SESSION_TOKEN)
        self.assertEqual(response["TotalCount"], 6)

    def test_missing_token_rejected(self):
        self.assert_dts_error(self.dts_response(fake_api.SYNC_LIST_ACTION), fake_api.TC3_TOKEN_FAILURE)

    def test_wrong_token_rejected(self):
        response = self.dts_response(fake_api.SYNC_LIST_ACTION, token="other-token")
        self.assert_dts_error(response, fake_api.TC3_TOKEN_FAILURE)

    def test_token_not_logged(self):
        self.reset()
        self.dts_call(fake_api.SYNC_LIST_ACTION, token=TEST_SESSION_TOKEN)
        status, _, raw_log = self.send("GET", fake_api.REQUESTS_PATH)
        self.assertEqual(status, 200)
        self.assertNotIn(TEST_SESSION_TOKEN.encode("ascii"), raw_log)
        (entry,) = json.loads(raw_log)
        self.assertIs(entry["token_sent"], True)


class DtsFaultTest(DtsClientMixin, unittest.TestCase):
    """A fault and a reply sequence on DTS jobs, from a scenario without API 2.0 jobs."""

    @classmethod
    def setUpClass(cls):
        directory = tempfile.TemporaryDirectory(prefix="fake_api_test_")
        cls.addClassCleanup(directory.cleanup)
        scenario = Path(directory.name) / "dts_faults.json"
        replies = f"{REPLIES_DIR}/"
        document = {
            "dts_jobs": {
                "sync-reset01": {"body_file": f"{replies}dts_sync_check_success.json", "fault": "reset_mid_body"},
                "sync-close01": {"body_file": f"{replies}dts_sync_check_success.json", "fault": "close_before_reply"},
                "sync-seq01": {
                    "sequence": [
                        {"body_file": f"{replies}dts_error_throttled.json"},
                        {"status": 502, "content_type": "text/html", "body": "<html>Bad Gateway</html>"},
                        {"body_file": f"{replies}dts_sync_check_success.json", "delay_seconds": 0.2},
                    ]
                },
                "sync-pad01": {"body_file": f"{replies}dts_sync_check_running.json", "pad_to_bytes": 100000},
            }
        }
        scenario.write_text(json.dumps(document), encoding="utf-8")
        cls.server = FakeServerProcess(credentials_environment(), scenario)
        cls.addClassCleanup(cls.server.close)

    def open_request(self, job_id: str) -> socket.socket:
        """Send a signed DTS check request on a raw socket with a 2 s timeout and return the socket."""
        payload = json.dumps({"JobId": job_id}).encode("utf-8")
        headers = fake_api.dts_request_headers(
            fake_api.SYNC_CHECK_ACTION, payload, self.server.host, TEST_SECRET_ID, TEST_SECRET_KEY
        )
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = f"POST / HTTP/1.1\r\n{head}Content-Length: {len(payload)}\r\n\r\n".encode("ascii") + payload
        connection = socket.create_connection(("127.0.0.1", self.server.port), timeout=2)
        self.addCleanup(connection.close)
        connection.sendall(request)
        return connection

    def test_reset_mid_body(self):
        expected_body = (REPLIES_DIR / "dts_sync_check_success.json").read_bytes()
        data, error = receive_until_closed(self.open_request("sync-reset01"))
        self.assertIsInstance(error, ConnectionResetError)
        headers, body = split_response(data)
        self.assertEqual(headers["content-length"], str(len(expected_body)))
        self.assertEqual(body, expected_body[: len(expected_body) // 2])

    def test_close_before_reply(self):
        self.assertEqual(receive_until_closed(self.open_request("sync-close01")), (b"", None))

    def test_fault_needs_valid_signature(self):
        response = self.dts_response(fake_api.SYNC_CHECK_ACTION, {"JobId": "sync-reset01"}, secret_key="wrong")
        self.assert_dts_error(response, fake_api.TC3_SIGNATURE_FAILURE)

    def test_sequence_then_last_repeats(self):
        self.reset()
        throttled = self.dts_call(fake_api.SYNC_CHECK_ACTION, {"JobId": "sync-seq01"})
        self.assertEqual(throttled[::2], (200, (REPLIES_DIR / "dts_error_throttled.json").read_bytes()))
        self.assertEqual(
            self.dts_call(fake_api.SYNC_CHECK_ACTION, {"JobId": "sync-seq01"}),
            (502, "text/html", b"<html>Bad Gateway</html>"),
        )
        success_body = (REPLIES_DIR / "dts_sync_check_success.json").read_bytes()
        for _ in range(2):
            started = time.monotonic()
            status, _, body = self.dts_call(fake_api.SYNC_CHECK_ACTION, {"JobId": "sync-seq01"})
            self.assertGreaterEqual(time.monotonic() - started, 0.2)
            self.assertEqual((status, body), (200, success_body))
        self.assertEqual(
            [entry["code"] for entry in self.request_log()], ["RequestLimitExceeded", None, None, None]
        )

    def test_reset_restarts_sequence(self):
        self.reset()
        first = self.dts_response(fake_api.SYNC_CHECK_ACTION, {"JobId": "sync-seq01"})
        self.assert_dts_error(first, "RequestLimitExceeded")
        self.assertEqual(self.dts_call(fake_api.SYNC_CHECK_ACTION, {"JobId": "sync-seq01"})[0], 502)
        self.reset()
        again = self.dts_response(fake_api.SYNC_CHECK_ACTION, {"JobId": "sync-seq01"})
        self.assert_dts_error(again, "RequestLimitExceeded")

    def test_rejected_request_keeps_sequence_position(self):
        self.reset()
        self.dts_call(fake_api.SYNC_CHECK_ACTION, {"JobId": "sync-seq01"}, secret_key="wrong")
        first = self.dts_response(fake_api.SYNC_CHECK_ACTION, {"JobId": "sync-seq01"})
        self.assert_dts_error(first, "RequestLimitExceeded")

    def test_padded_reply(self):
        status, _, body = self.dts_call(fake_api.SYNC_CHECK_ACTION, {"JobId": "sync-pad01"})
        self.assertEqual(status, 200)
        self.assertEqual(len(body), 100000)
        document = json.loads(body)
        self.assertEqual(set(document.pop("pad")), {"x"})
        self.assertEqual(document, load_reply("dts_sync_check_running.json"))

    def test_request_log_records_fault(self):
        self.reset()
        receive_until_closed(self.open_request("sync-close01"))
        (entry,) = self.request_log()
        self.assertEqual(entry["job_id"], "sync-close01")
        self.assertEqual(entry["fault"], "close_before_reply")
        self.assertIs(entry["verified"], True)

    def test_api2_request_finds_no_jobs(self):
        reply = self.call_json(self.build(job_id="206"))
        self.assertEqual(reply["code"], fake_api.TASK_NOT_EXIST)



if __name__ == "__main__":
    unittest.main()

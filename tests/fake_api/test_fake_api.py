"""Self-test of the fake Tencent Cloud API server.

Checks the signing helper against published vectors, the reply files, the
scenario keys, and a running fake_api.py subprocess on 127.0.0.1: request
verification, scenario replies, connection faults, reply sequences, the
test-support endpoints and start-up errors.

Run from the repository root:
    python3 -m unittest tests/fake_api/test_fake_api.py
"""

from __future__ import annotations

import collections
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


if __name__ == "__main__":
    unittest.main()

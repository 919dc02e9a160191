#!/usr/bin/python3
"""Fake Tencent Cloud API server for the tests and the demo of cdb-sync-exporter.

The server speaks two API versions on one port.

API 2.0 handles GetCdbDataSyncTaskCheckInfo and GetCdbDataSyncTaskList on
/v2/index.php and verifies each request the way the real API does: strict
RFC 3986 percent-encoding, the common parameters, SecretId, session Token,
Timestamp, Nonce and the HMAC signature. A request that passes gets the reply
that the scenario file sets for its jobId. A request that fails gets HTTP 200
with a JSON body {"code", "message", "codeDesc"}, which is how the real API
reports errors.

API 3.0 serves the DTS actions DescribeCheckSyncJobResult,
DescribeMigrationCheckJob, DescribeSyncJobs and DescribeMigrationJobs (service
"dts", version 2021-12-06). A request is API 3.0 when it is a POST with an
X-TC-Action header. It must go to path / with a JSON body and a
TC3-HMAC-SHA256 Authorization header, which the fake verifies together with
SecretId, X-TC-Token, X-TC-Timestamp, X-TC-Version and X-TC-Region. A request
that fails gets HTTP 200 with {"Response": {"Error": {"Code", "Message"},
"RequestId"}}, which is how the real API 3.0 reports errors.

The signing code of both versions is written independently of the exporter's,
so that one misreading of the signing rules cannot hide itself in both.

A scenario file sets the replies, and load_scenario documents its keys. Besides
a body and a status, a job can set a delay, padding to a given body size,
invalid UTF-8 in its text values, or a sequence of replies for successive
requests. It can also set a connection fault: a TCP reset in the middle of the
body, a close before the reply, a stall before or in the middle of the body,
or a body that drips one byte at a time. A fault applies only to requests that
pass verification. API 2.0 jobs and API 3.0 DTS jobs accept the same keys.

Test-support endpoints:
    GET  /__fake/healthy    returns "ok"
    GET  /__fake/requests   returns the API requests seen so far as a JSON list,
                            with the code and the fault, if any, of each reply.
                            The "api" field of an entry is "2.0" or "3.0".
    POST /__fake/reset      clears that list and restarts every reply sequence

Example:
    TENCENTCLOUD_SECRET_ID=AKIDtest TENCENTCLOUD_SECRET_KEY=secret \\
        /usr/bin/python3 tests/fake_api/fake_api.py \\
        --scenario tests/fake_api/scenarios/demo.json --port 8080

The module also provides sign(), signed_params() and signed_query() for API 2.0
tests, and tc3_sign() and dts_request_headers() for API 3.0 tests, which need
to build correct or deliberately broken requests.
Only the Python 3.11 standard library is used.
"""

from __future__ import annotations

import argparse
import base64
import collections
import dataclasses
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import selectors
import signal
import socket
import socketserver
import string
import struct
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Mapping

logger = logging.getLogger("fake_api")

API_PATH = "/v2/index.php"
HEALTHY_PATH = "/__fake/healthy"
REQUESTS_PATH = "/__fake/requests"
RESET_PATH = "/__fake/reset"

CHECK_INFO_ACTION = "GetCdbDataSyncTaskCheckInfo"
TASK_LIST_ACTION = "GetCdbDataSyncTaskList"
# The list call's largest page, and its default when limit is not sent.
TASK_LIST_MAX_LIMIT = 100
TASK_LIST_DEFAULT_LIMIT = 20
REQUIRED_COMMON_PARAMS = ("Action", "Timestamp", "Nonce", "SecretId", "Signature", "Region")
# srcType 1 is self-built sync, 2 sync over the public network, 10 disaster-recovery sync.
VALID_SRC_TYPES = frozenset({1, 2, 10})

MAX_CLOCK_SKEW_SECONDS = 7200
NONCE_HISTORY_SIZE = 100_000
REQUEST_LOG_SIZE = 100_000
MAX_BODY_BYTES = 1 << 20
MAX_NONCE = 2**64 - 1
MAX_INTEGER_DIGITS = 20

# Host names that --host accepts, with the address bound for each and its family.
ALLOWED_HOSTS = {
    "127.0.0.1": ("127.0.0.1", socket.AF_INET),
    "localhost": ("127.0.0.1", socket.AF_INET),
    "::1": ("::1", socket.AF_INET6),
}

UNRESERVED_CHARS = frozenset(string.ascii_letters + string.digits + "-_.~")
UPPER_HEX_DIGITS = frozenset("0123456789ABCDEF")
DECIMAL_RE = re.compile(r"[0-9]+", re.ASCII)
SIGNED_DECIMAL_RE = re.compile(r"-?[0-9]+", re.ASCII)

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"

# Parameters whose values never appear in the request log.
REDACTED_PARAMS = ("Signature", "Token")
REDACTED_VALUE = "<redacted>"

# Codes from the API 2.0 common error table, and the two that this action adds.
INVALID_PARAMETER = 4000
AUTH_FAILURE = 4100
SECRET_ID_NOT_FOUND = 4104
REQUEST_REPLAYED = 4500
ACTION_INVALID_PARAMETER = 9003
TASK_NOT_EXIST = 9591

# NOTE: Tencent documents only the codeDesc values Success, InvalidParameter and
# TaskNotExist for this API. The names for 4100, 4104 and 4500 are guesses, and
# so are those in replies/throttled.json (4400), retry_later.json (5100) and
# server_busy.json (6000).
CODE_DESCRIPTIONS = {
    INVALID_PARAMETER: "InvalidParameter",
    AUTH_FAILURE: "AuthFailure",
    SECRET_ID_NOT_FOUND: "SecretIdNotFound",
    REQUEST_REPLAYED: "RequestReplayed",
    ACTION_INVALID_PARAMETER: "InvalidParameter",
    TASK_NOT_EXIST: "TaskNotExist",
}

# Keys of a reply spec, which is either a whole job entry or one item of a
# job's "sequence" list. load_scenario documents each key.
REPLY_KEYS = frozenset(
    {"body_file", "body", "status", "content_type", "delay_seconds", "fault", "pad_to_bytes", "invalid_utf8"}
)
SEQUENCE_KEY = "sequence"

# The maximum delay_seconds, which is also the maximum time that a stall or drip fault lasts.
MAX_DELAY_SECONDS = 600

# Connection faults that the "fault" key selects. FakeApiHandler._send_reply serves them.
FAULTS = ("reset_mid_body", "close_before_reply", "stall_before_reply", "stall_mid_body", "drip_body")
# Seconds between two body bytes of the drip_body fault.
DRIP_INTERVAL_SECONDS = 0.5
# Seconds between two checks of a stalled connection for a client close or a server stop.
STALL_POLL_SECONDS = 0.1

# The maximum pad_to_bytes, and the name of the JSON field that contains the padding.
MAX_PAD_BYTES = 64 << 20
PAD_FIELD = "pad"

# Bytes that "invalid_utf8" inserts at the start of some string values. 0xFF and
# 0xFE never occur in UTF-8.
INVALID_UTF8_BYTES = b"\xff\xfe"
INVALID_UTF8_FIELDS = ("message", "stepName")
# The opening of a "message" or "stepName" string value in a raw JSON body.
INVALID_UTF8_TARGET_RE = re.compile(rb'"(?:message|stepName)"\s*:\s*"')

# --- API 3.0 constants ---

# The path of every API 3.0 request. Its POST requests carry no query string.
API3_PATH = "/"
ACTION_HEADER = "X-TC-Action"
DTS_SERVICE = "dts"
DTS_VERSION = "2021-12-06"
TC3_ALGORITHM = "TC3-HMAC-SHA256"
# The only SignedHeaders value that the fake accepts.
# NOTE: the real API also accepts longer lists that include content-type and
# host, such as content-type;host;x-tc-action, which the fake rejects.
TC3_SIGNED_HEADERS = "content-type;host"
TC3_MAX_CLOCK_SKEW_SECONDS = 300
# Lower-case Content-Type values that an API 3.0 request may carry.
TC3_CONTENT_TYPES = frozenset({"application/json; charset=utf-8", "application/json"})
# Authorization: TC3-HMAC-SHA256 Credential=<SecretId>/<date>/<service>/tc3_request,
# SignedHeaders=<names>, Signature=<64 lower-case hex digits>
TC3_AUTHORIZATION_RE = re.compile(
    r"TC3-HMAC-SHA256 Credential=(?P<secret_id>[^/\s,]+)/(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"/(?P<service>[^/\s,]+)/tc3_request, SignedHeaders=(?P<signed_headers>[^\s,]+)"
    r", Signature=(?P<signature>[0-9a-f]{64})",
    re.ASCII,
)

SYNC_CHECK_ACTION = "DescribeCheckSyncJobResult"
MIGRATION_CHECK_ACTION = "DescribeMigrationCheckJob"
SYNC_LIST_ACTION = "DescribeSyncJobs"
MIGRATION_LIST_ACTION = "DescribeMigrationJobs"
DTS_CHECK_ACTIONS = frozenset({SYNC_CHECK_ACTION, MIGRATION_CHECK_ACTION})
DTS_LIST_ACTIONS = frozenset({SYNC_LIST_ACTION, MIGRATION_LIST_ACTION})
DTS_LIST_MAX_LIMIT = 100
DTS_LIST_DEFAULT_LIMIT = 20
DTS_JOB_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", re.ASCII)

# API 3.0 Error.Code values that the fake sends.
TC3_INVALID_AUTHORIZATION = "AuthFailure.InvalidAuthorization"
TC3_SIGNATURE_FAILURE = "AuthFailure.SignatureFailure"
TC3_SECRET_ID_NOT_FOUND = "AuthFailure.SecretIdNotFound"
TC3_SIGNATURE_EXPIRE = "AuthFailure.SignatureExpire"
TC3_TOKEN_FAILURE = "AuthFailure.TokenFailure"
INVALID_ACTION = "InvalidAction"
NO_SUCH_VERSION = "NoSuchVersion"
MISSING_PARAMETER = "MissingParameter"
INVALID_PARAMETER_CODE = "InvalidParameter"
INVALID_PARAMETER_VALUE = "InvalidParameterValue"
UNSUPPORTED_REGION = "UnsupportedRegion"
RESOURCE_NOT_FOUND = "ResourceNotFound"


class ApiError(Exception):
    """Request failure that the fake reports as an API error code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Api3Error(Exception):
    """Request failure that the fake reports as an API 3.0 Error.Code, such as "AuthFailure.SignatureFailure"."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class StartupError(Exception):
    """Invalid configuration that stops the server before it listens."""


# --- Signing ---------------------------------------------------------------


def canonical_query(params: Mapping[str, str]) -> str:
    """Join the parameters the way API 2.0 signs them.

    Signature is left out, '_' in names becomes '.', names are sorted by their
    UTF-8 bytes, and values are used as they are, without URL encoding.
    """
    items = [(name.replace("_", "."), value) for name, value in params.items() if name != "Signature"]
    items.sort(key=lambda item: (item[0].encode("utf-8"), item[1].encode("utf-8")))
    return "&".join(f"{name}={value}" for name, value in items)


def string_to_sign(method: str, host: str, path: str, params: Mapping[str, str]) -> str:
    """Build the API 2.0 string to sign, for example 'GETcvm.api.qcloud.com/v2/index.php?Action=...'."""
    return f"{method}{host}{path}?{canonical_query(params)}"


def sign(
    method: str,
    host: str,
    path: str,
    params: Mapping[str, str],
    secret_key: str,
    signature_method: str | None,
) -> str:
    """Compute the base64 API 2.0 signature of a request.

    Only the exact signature_method 'HmacSHA256' selects HMAC-SHA256. Any other
    value, None included, selects HMAC-SHA1, as the real API does.
    """
    digest = hashlib.sha256 if signature_method == "HmacSHA256" else hashlib.sha1
    message = string_to_sign(method, host, path, params).encode("utf-8")
    mac = hmac.new(secret_key.encode("utf-8"), message, digest)
    return base64.b64encode(mac.digest()).decode("ascii")


def encode_component(text: str) -> str:
    """Percent-encode a name or value per RFC 3986, leaving only A-Z a-z 0-9 - _ . ~ as they are."""
    return urllib.parse.quote(text, safe="")


def encode_query(params: Mapping[str, str]) -> str:
    """Encode parameters as a query string or form body with upper-case hex escapes."""
    return "&".join(f"{encode_component(name)}={encode_component(value)}" for name, value in params.items())


def signed_params(
    method: str,
    host: str,
    path: str,
    params: Mapping[str, str],
    secret_id: str,
    secret_key: str,
    *,
    signature_method: str | None = "HmacSHA256",
    timestamp: int | None = None,
    nonce: int | None = None,
    token: str | None = None,
) -> dict[str, str]:
    """Add the common parameters to params and sign them, returning a new dict.

    SecretId, Timestamp (default: now), Nonce (default: random) and, unless None,
    SignatureMethod and Token overwrite any value that params already has.
    host must be the Host header exactly as the client sends it, port included.
    """
    result = {name: value for name, value in params.items() if name != "Signature"}
    result["SecretId"] = secret_id
    result["Timestamp"] = str(int(time.time()) if timestamp is None else timestamp)
    result["Nonce"] = str(secrets.randbelow(2**62) + 1 if nonce is None else nonce)
    if signature_method is not None:
        result["SignatureMethod"] = signature_method
    if token is not None:
        result["Token"] = token
    result["Signature"] = sign(method, host, path, result, secret_key, signature_method)
    return result


def signed_query(
    method: str,
    host: str,
    path: str,
    params: Mapping[str, str],
    secret_id: str,
    secret_key: str,
    **options: Any,
) -> str:
    """Return a correctly encoded query string or form body for a signed request.

    The options are those of signed_params.
    """
    return encode_query(signed_params(method, host, path, params, secret_id, secret_key, **options))


# --- API 3.0 signing (TC3-HMAC-SHA256) -----------------------------------


@dataclasses.dataclass(frozen=True)
class Tc3Signature:
    """Intermediate strings and results of signing one API 3.0 request."""

    canonical_request: str
    string_to_sign: str
    # 64 lower-case hex digits.
    signature: str
    # The whole Authorization header value.
    authorization: str


def utc_date(timestamp: int) -> str:
    """Return the UTC date of a Unix timestamp as YYYY-MM-DD, the date that a TC3 credential scope needs."""
    return time.strftime("%Y-%m-%d", time.gmtime(timestamp))


def tc3_canonical_request(host: str, content_type: str, payload: bytes) -> str:
    """Build the canonical request of a POST to / that signs the content-type and host headers.

    Tencent's TC3-HMAC-SHA256 signing guide lower-cases and trims both header
    names and header values, so a value here may differ in case from the
    header as sent.
    """
    canonical_headers = f"content-type:{content_type.strip().lower()}\nhost:{host.strip().lower()}\n"
    payload_hash = hashlib.sha256(payload).hexdigest()
    return f"POST\n/\n\n{canonical_headers}\n{TC3_SIGNED_HEADERS}\n{payload_hash}"


def tc3_credential_scope(date: str, service: str) -> str:
    """Return the credential scope, for example '2019-02-25/cvm/tc3_request'."""
    return f"{date}/{service}/tc3_request"


def tc3_string_to_sign(timestamp: int, credential_scope: str, canonical_request: str) -> str:
    canonical_request_hash = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{TC3_ALGORITHM}\n{timestamp}\n{credential_scope}\n{canonical_request_hash}"


def tc3_signing_key(secret_key: str, date: str, service: str) -> bytes:
    """Derive the signing key: HMAC-SHA256 chained over the date, the service and "tc3_request"."""
    date_key = hmac.new(f"TC3{secret_key}".encode("utf-8"), date.encode("utf-8"), hashlib.sha256).digest()
    service_key = hmac.new(date_key, service.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(service_key, b"tc3_request", hashlib.sha256).digest()


def tc3_sign(
    secret_id: str,
    secret_key: str,
    service: str,
    host: str,
    content_type: str,
    timestamp: int,
    payload: bytes,
    *,
    date: str | None = None,
) -> Tc3Signature:
    """Sign a POST to / with TC3-HMAC-SHA256 and return every intermediate string.

    date is the credential scope date, by default the UTC date of timestamp.
    Tests pass another date to build a request that the server must reject.
    host must be the Host header exactly as the client sends it, port included.
    """
    scope_date = utc_date(timestamp) if date is None else date
    credential_scope = tc3_credential_scope(scope_date, service)
    canonical_request = tc3_canonical_request(host, content_type, payload)
    string_to_sign = tc3_string_to_sign(timestamp, credential_scope, canonical_request)
    signing_key = tc3_signing_key(secret_key, scope_date, service)
    signature = hmac.new(signing_key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    authorization = (
        f"{TC3_ALGORITHM} Credential={secret_id}/{credential_scope}, "
        f"SignedHeaders={TC3_SIGNED_HEADERS}, Signature={signature}"
    )
    return Tc3Signature(canonical_request, string_to_sign, signature, authorization)


def dts_request_headers(
    action: str,
    payload: bytes,
    host: str,
    secret_id: str,
    secret_key: str,
    *,
    region: str | None = "ap-guangzhou",
    timestamp: int | None = None,
    version: str = DTS_VERSION,
    token: str | None = None,
    content_type: str = JSON_CONTENT_TYPE,
    date: str | None = None,
) -> dict[str, str]:
    """Build the headers of a signed DTS API 3.0 request whose JSON body is payload.

    timestamp defaults to now, and date to the UTC date of timestamp. A region
    of None leaves out X-TC-Region, and a token of None leaves out X-TC-Token.
    Send the headers with exactly these payload bytes as the body.
    """
    request_timestamp = int(time.time()) if timestamp is None else timestamp
    signed = tc3_sign(
        secret_id, secret_key, DTS_SERVICE, host, content_type, request_timestamp, payload, date=date
    )
    headers = {
        "Authorization": signed.authorization,
        "Content-Type": content_type,
        "Host": host,
        ACTION_HEADER: action,
        "X-TC-Timestamp": str(request_timestamp),
        "X-TC-Version": version,
    }
    if region is not None:
        headers["X-TC-Region"] = region
    if token is not None:
        headers["X-TC-Token"] = token
    return headers


# --- Parsing ---------------------------------------------------------------


def find_encoding_problem(component: str) -> str | None:
    """Return why a raw name or value is not strict RFC 3986 encoding, or None if it is.

    Strict means: only unreserved characters and %XX escapes with upper-case hex,
    and the escapes decode as UTF-8. The real API reads a raw '+' as a space, so a
    '+' in a signature fails there about one request in ten.
    """
    index = 0
    while index < len(component):
        char = component[index]
        if char == "%":
            escape = component[index + 1 : index + 3]
            if len(escape) < 2 or not all(c in string.hexdigits for c in escape):
                return f"malformed percent-escape at offset {index}"
            if not all(c in UPPER_HEX_DIGITS for c in escape):
                return f"percent-escape %{escape} at offset {index} uses lower-case hex"
            index += 3
        elif char == "+":
            return f"raw '+' at offset {index}, which the API reads as a space (send %2B)"
        elif char not in UNRESERVED_CHARS:
            return f"character {char!r} at offset {index} is not percent-encoded"
        else:
            index += 1
    try:
        urllib.parse.unquote_to_bytes(component).decode("utf-8")
    except UnicodeDecodeError:
        return "percent-escapes do not decode as UTF-8"
    return None


def parse_form(raw: str) -> tuple[dict[str, str], ApiError | None]:
    """Decode a raw query string or form body and check its encoding strictly.

    raw must map one character to each byte of the request (latin-1), so that
    non-ASCII bytes count as unencoded characters. Returns every parameter that
    could be decoded, so the request log shows rejected requests too, and the
    first error found. A duplicated name keeps its first value.
    """
    params: dict[str, str] = {}
    first_name_for_signing_name: dict[str, str] = {}
    first_error: ApiError | None = None
    for segment in raw.split("&"):
        if not segment:
            continue  # a trailing or doubled '&', which PHP skips as well
        raw_name, _, raw_value = segment.partition("=")
        name = urllib.parse.unquote(raw_name, errors="replace")
        value = urllib.parse.unquote(raw_value, errors="replace")
        error = None
        problem = find_encoding_problem(raw_name) or find_encoding_problem(raw_value)
        signing_name = name.replace("_", ".")
        if problem:
            error = ApiError(AUTH_FAILURE, f"parameter {name!r} is not encoded correctly: {problem}")
        elif not name:
            error = ApiError(INVALID_PARAMETER, "a parameter has an empty name")
        elif name in params:
            error = ApiError(INVALID_PARAMETER, f"parameter {name!r} appears more than once")
        elif signing_name in first_name_for_signing_name:
            first_name = first_name_for_signing_name[signing_name]
            error = ApiError(
                INVALID_PARAMETER,
                f"parameters {first_name!r} and {name!r} are the same name once '_' is read as '.'",
            )
        if name and name not in params:
            params[name] = value
            first_name_for_signing_name.setdefault(signing_name, name)
        if first_error is None:
            first_error = error
    return params, first_error


def parse_bounded_integer(text: str, pattern: re.Pattern[str]) -> int | None:
    """Return text as an int if it matches pattern and has at most MAX_INTEGER_DIGITS digits."""
    if not pattern.fullmatch(text) or len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        return None
    return int(text)


# --- Scenario --------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Reply:
    """HTTP reply to an API request."""

    status: int
    content_type: str
    body: bytes
    # API code in the body: an int for API 2.0, the Error.Code string for API 3.0,
    # or None if the body has none. Only the request log uses it.
    code: int | str | None
    # Seconds to wait before sending the reply.
    delay_seconds: float = 0
    # Connection fault from FAULTS to serve instead of a normal reply, or None.
    fault: str | None = None


class Job:
    """Replies of one scenario job, served in order, with the last one repeating."""

    def __init__(self, replies: tuple[Reply, ...]) -> None:
        if not replies:
            raise ValueError("a job needs at least one reply")
        self.replies = replies
        self._served_count = 0
        self._lock = threading.Lock()

    def next_reply(self) -> Reply:
        """Return the reply for the next request to this job and count that request."""
        with self._lock:
            index = min(self._served_count, len(self.replies) - 1)
            self._served_count += 1
        return self.replies[index]

    def rewind(self) -> None:
        """Make the next request get the first reply again."""
        with self._lock:
            self._served_count = 0


def json_reply(document: dict[str, Any]) -> Reply:
    """Build an HTTP 200 JSON reply, with non-ASCII text sent as UTF-8."""
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return Reply(200, JSON_CONTENT_TYPE, body, document["code"])


def error_reply(error: ApiError) -> Reply:
    """Build the JSON reply for an API error."""
    return json_reply(
        {"code": error.code, "message": error.message, "codeDesc": CODE_DESCRIPTIONS[error.code]}
    )


TASK_NOT_FOUND_REPLY = json_reply(
    {"code": TASK_NOT_EXIST, "message": "task not found", "codeDesc": "TaskNotExist", "data": []}
)


def find_reply_code(body: bytes) -> int | None:
    """Return the API code of a scenario reply body, or None if it has no readable one.

    Accepts the code as an integer or as a decimal string, because the real API
    sends both.
    """
    try:
        document = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):  # invalid UTF-8 or JSON, or nested too deep
        return None
    code = document.get("code") if isinstance(document, dict) else None
    if isinstance(code, int) and not isinstance(code, bool):
        return code
    if isinstance(code, str):
        return parse_bounded_integer(code, SIGNED_DECIMAL_RE)
    return None


def find_error_code(body: bytes) -> str | None:
    """Return the Response.Error.Code string of an API 3.0 reply body, or None if it has none."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):  # invalid UTF-8 or JSON, or nested too deep
        return None
    response = document.get("Response") if isinstance(document, dict) else None
    error = response.get("Error") if isinstance(response, dict) else None
    code = error.get("Code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def parse_json_object(where: str, body: bytes) -> dict[str, Any]:
    """Parse a reply body that a scenario key modifies, raising StartupError unless it is a JSON object."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):  # invalid UTF-8 or JSON, or nested too deep
        document = None
    if not isinstance(document, dict):
        raise StartupError(f"{where}: 'invalid_utf8' and 'pad_to_bytes' need a body that is a UTF-8 JSON object")
    return document


def count_invalid_utf8_targets(document: dict[str, Any]) -> int:
    """Count the string values of INVALID_UTF8_FIELDS at any depth of a parsed JSON document."""
    count = 0
    pending: list[Any] = [document]  # a list instead of recursion, so depth is no limit
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            count += sum(1 for name in INVALID_UTF8_FIELDS if isinstance(value.get(name), str))
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return count


def insert_invalid_utf8(where: str, body: bytes, document: dict[str, Any]) -> bytes:
    """Insert INVALID_UTF8_BYTES at the start of every "message" and "stepName" string value.

    Works on the raw bytes, so the rest of the body keeps its exact layout.
    document is the parsed body, used to check that every target was found.
    """
    expected_count = count_invalid_utf8_targets(document)
    if expected_count == 0:
        raise StartupError(f"{where}: 'invalid_utf8' needs a body with a string 'message' or 'stepName' value")
    found_count = len(INVALID_UTF8_TARGET_RE.findall(body))
    if found_count != expected_count:
        # For example a key written with a \u escape, which the pattern does not match.
        raise StartupError(
            f"{where}: 'invalid_utf8' found {found_count} of the {expected_count} 'message' and 'stepName' "
            "string values in the raw body, write those keys without escapes"
        )
    return INVALID_UTF8_TARGET_RE.sub(lambda match: match.group(0) + INVALID_UTF8_BYTES, body)


def pad_json_object(where: str, body: bytes, document: dict[str, Any], size: int) -> bytes:
    """Pad a JSON object body to exactly size bytes with a leading {"pad": "xxx..."} field.

    Works on the raw bytes, so the original fields keep their exact layout.
    document is the parsed body.
    """
    if PAD_FIELD in document:
        raise StartupError(f"{where}: 'pad_to_bytes' needs a body without a '{PAD_FIELD}' field")
    # A valid JSON object starts with optional whitespace and '{'.
    start = body.index(b"{") + 1
    is_empty_object = body[start:].lstrip(b" \t\r\n").startswith(b"}")
    separator = b"" if is_empty_object else b","
    field_prefix = f'"{PAD_FIELD}":"'.encode("ascii")
    smallest_size = len(body) + len(field_prefix) + len(b'"') + len(separator)
    if size < smallest_size:
        raise StartupError(
            f"{where}: 'pad_to_bytes' {size} is less than {smallest_size}, the size of the body with an empty pad field"
        )
    padding = b"x" * (size - smallest_size)
    return body[:start] + field_prefix + padding + b'"' + separator + body[start:]


def load_reply(
    scenario_path: Path,
    where: str,
    spec: dict[str, Any],
    read_code: Callable[[bytes], int | str | None] = find_reply_code,
) -> Reply:
    """Validate one reply spec, which is a job entry or an item of its "sequence", and load its body.

    read_code finds the API code in the body for the request log.
    """
    unknown_keys = sorted(set(spec) - REPLY_KEYS)
    if unknown_keys:
        raise StartupError(f"{where}: unknown keys {unknown_keys}, expected some of {sorted(REPLY_KEYS)}")
    if ("body_file" in spec) == ("body" in spec):
        raise StartupError(f"{where}: set exactly one of 'body_file' and 'body'")

    if "body" in spec:
        if not isinstance(spec["body"], str):
            raise StartupError(f"{where}: 'body' must be a string")
        body = spec["body"].encode("utf-8")
    else:
        if not isinstance(spec["body_file"], str) or not spec["body_file"]:
            raise StartupError(f"{where}: 'body_file' must be a non-empty path string")
        body_path = scenario_path.parent / spec["body_file"]
        try:
            body = body_path.read_bytes()
        except OSError as error:
            raise StartupError(f"{where}: failed to read body_file {body_path}: {error.strerror}") from None

    status = spec.get("status", 200)
    # 204 and 304 replies cannot carry a body, and 1xx is not a final reply.
    if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599 or status in (204, 304):
        raise StartupError(f"{where}: 'status' must be an HTTP status from 200 to 599 other than 204 and 304")

    content_type = spec.get("content_type", JSON_CONTENT_TYPE)
    if not isinstance(content_type, str) or not content_type or any(c in content_type for c in "\r\n"):
        raise StartupError(f"{where}: 'content_type' must be a non-empty string on one line")

    delay = spec.get("delay_seconds", 0)
    if not isinstance(delay, (int, float)) or isinstance(delay, bool) or not 0 <= delay <= MAX_DELAY_SECONDS:
        raise StartupError(f"{where}: 'delay_seconds' must be a number from 0 to {MAX_DELAY_SECONDS}")

    fault = spec.get("fault")
    if "fault" in spec and (not isinstance(fault, str) or fault not in FAULTS):
        raise StartupError(f"{where}: 'fault' {fault!r} is unknown, expected one of {list(FAULTS)}")

    invalid_utf8 = spec.get("invalid_utf8", False)
    if not isinstance(invalid_utf8, bool):
        raise StartupError(f"{where}: 'invalid_utf8' must be true or false")

    pad_to_bytes = spec.get("pad_to_bytes")
    if "pad_to_bytes" in spec and (
        not isinstance(pad_to_bytes, int) or isinstance(pad_to_bytes, bool) or not 1 <= pad_to_bytes <= MAX_PAD_BYTES
    ):
        raise StartupError(f"{where}: 'pad_to_bytes' must be an integer number of bytes from 1 to {MAX_PAD_BYTES}")

    # The code comes from the body as written, because invalid_utf8 makes the sent body undecodable.
    code = read_code(body)
    if invalid_utf8 or pad_to_bytes is not None:
        document = parse_json_object(where, body)
        if invalid_utf8:
            body = insert_invalid_utf8(where, body, document)
        if pad_to_bytes is not None:
            body = pad_json_object(where, body, document, pad_to_bytes)

    return Reply(status, content_type, body, code, float(delay), fault)


def load_job(scenario_path: Path, job_id: str, job: Any) -> Job:
    """Validate one API 2.0 job entry of a scenario and load its reply bodies."""
    where = f"scenario {scenario_path}, job {job_id}"
    if not DECIMAL_RE.fullmatch(job_id) or str(int(job_id)) != job_id:
        raise StartupError(f"{where}: the job id must be a decimal integer without leading zeros")
    return load_job_entry(scenario_path, where, job, find_reply_code)


def load_dts_job(scenario_path: Path, job_id: str, job: Any) -> Job:
    """Validate one API 3.0 DTS job entry of a scenario and load its reply bodies."""
    where = f"scenario {scenario_path}, DTS job {job_id}"
    if not DTS_JOB_ID_RE.fullmatch(job_id):
        raise StartupError(
            f"{where}: the JobId must be 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-', "
            "starting with a letter or digit"
        )
    return load_job_entry(scenario_path, where, job, find_error_code)


def load_job_entry(
    scenario_path: Path, where: str, job: Any, read_code: Callable[[bytes], int | str | None]
) -> Job:
    """Validate a job entry, which is one reply spec or {"sequence": [...]}, and load its reply bodies."""
    if not isinstance(job, dict):
        raise StartupError(f"{where}: the job must be a JSON object")
    if SEQUENCE_KEY not in job:
        unknown_keys = sorted(set(job) - REPLY_KEYS)
        if unknown_keys:
            raise StartupError(
                f"{where}: unknown keys {unknown_keys}, expected '{SEQUENCE_KEY}' alone or some of {sorted(REPLY_KEYS)}"
            )
        return Job((load_reply(scenario_path, where, job, read_code),))

    other_keys = sorted(set(job) - {SEQUENCE_KEY})
    if other_keys:
        raise StartupError(f"{where}: '{SEQUENCE_KEY}' replaces the other keys, so remove {other_keys}")
    sequence = job[SEQUENCE_KEY]
    if not isinstance(sequence, list) or not sequence:
        raise StartupError(f"{where}: '{SEQUENCE_KEY}' must be a non-empty list of reply objects")
    replies = []
    for index, spec in enumerate(sequence):
        item_where = f"{where}, {SEQUENCE_KEY} item {index}"
        if not isinstance(spec, dict):
            raise StartupError(f"{item_where}: the item must be a JSON object")
        replies.append(load_reply(scenario_path, item_where, spec, read_code))
    return Job(tuple(replies))


SCENARIO_JOB_KEYS = ("jobs", "dts_jobs")
SCENARIO_LIST_KEYS = ("tasks", "dts_sync_job_list", "dts_migration_job_list")


def read_scenario_document(path: Path) -> dict[str, Any]:
    """Read a scenario file and check its top-level keys, raising StartupError if they are invalid."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise StartupError(f"failed to read scenario file {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise StartupError(f"scenario file {path} is not UTF-8") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise StartupError(f"scenario file {path} is not valid JSON: {error}") from None
    if (
        not isinstance(document, dict)
        or not any(key in document for key in SCENARIO_JOB_KEYS)
        or not set(document) <= {*SCENARIO_JOB_KEYS, *SCENARIO_LIST_KEYS}
        or not all(isinstance(document[key], dict) for key in SCENARIO_JOB_KEYS if key in document)
        or not all(isinstance(document[key], list) for key in SCENARIO_LIST_KEYS if key in document)
    ):
        raise StartupError(
            f"scenario file {path} must be a JSON object with the key 'jobs' (API 2.0 jobs), 'dts_jobs' "
            "(API 3.0 DTS jobs) or both, each holding an object, and optionally 'tasks', "
            "'dts_sync_job_list' and 'dts_migration_job_list', each holding a list"
        )
    return document


def load_scenario(path: Path) -> dict[str, Job]:
    """Load and validate a scenario file, returning the API 2.0 job for each jobId.

    The file is a JSON object with these keys:

    jobs: {"<jobId>": job}, the API 2.0 jobs of GetCdbDataSyncTaskCheckInfo.
        A jobId is a decimal integer. Optional when dts_jobs is present.
    tasks: optional list of the jobList entries that GetCdbDataSyncTaskList
        pages through (see load_tasks).
    dts_jobs: {"<JobId>": job}, the API 3.0 jobs that DescribeCheckSyncJobResult
        and DescribeMigrationCheckJob both look up. A JobId matches
        DTS_JOB_ID_RE. Optional when jobs is present.
    dts_sync_job_list, dts_migration_job_list: optional lists of the JobList
        entries that DescribeSyncJobs and DescribeMigrationJobs page through
        (see load_dts_scenario).

    A job of either API version is either one reply spec or
    {"sequence": [spec, ...]}. A sequence serves its specs in order to
    successive requests for that job and then repeats the last one.
    POST /__fake/reset restarts every sequence. A reply spec has these keys:

    body_file or body (exactly one): the reply body, a path relative to the
        scenario file or a string sent as UTF-8.
    status: HTTP status, default 200.
    content_type: Content-Type header, default JSON.
    delay_seconds: seconds to wait after reading the request, at most
        MAX_DELAY_SECONDS.
    fault: a connection fault served instead of the normal reply, one of
        reset_mid_body      headers with the full Content-Length and about half
                            of the body, then a TCP RST (SO_LINGER 0, close).
        close_before_reply  close the connection without sending anything.
        stall_before_reply  send nothing, until the client closes, the server
                            stops or MAX_DELAY_SECONDS pass.
        stall_mid_body      headers and about half of the body, then stall as
                            stall_before_reply does.
        drip_body           headers, then the body one byte every
                            DRIP_INTERVAL_SECONDS. After MAX_DELAY_SECONDS the
                            rest of the body goes out at once.
        The request must still pass verification, because a rejected request
        gets its error reply without the fault.
    pad_to_bytes: pad a JSON object body to exactly this many bytes, at most
        MAX_PAD_BYTES, with a leading field {"pad": "xxx..."}.
    invalid_utf8: if true, insert the bytes FF FE at the start of every
        "message" and "stepName" string value of a JSON object body. The
        match is case-sensitive, so API 3.0 fields such as "StepName" are
        not changed.

    Raises StartupError naming the file and the job at fault, including a
    fault in the API 3.0 keys, so that one call validates the whole file.
    """
    document = read_scenario_document(path)
    jobs = {job_id: load_job(path, job_id, job) for job_id, job in document.get("jobs", {}).items()}
    load_dts_scenario(path)
    return jobs


def load_tasks(path: Path) -> list[dict[str, Any]]:
    """Load the optional "tasks" list of a scenario: the jobList entries that
    GetCdbDataSyncTaskList pages through. Each entry is sent as written."""
    document = read_scenario_document(path)
    tasks = document.get("tasks", [])
    if not isinstance(tasks, list) or not all(isinstance(task, dict) and "jobId" in task for task in tasks):
        raise StartupError(f"scenario file {path}: 'tasks' must be a list of objects with a jobId")
    return tasks


@dataclasses.dataclass(frozen=True)
class DtsScenario:
    """API 3.0 part of a scenario."""

    # Jobs of DescribeCheckSyncJobResult and DescribeMigrationCheckJob, by JobId.
    jobs: dict[str, Job]
    # JobList entries of DescribeSyncJobs, sent as written.
    sync_job_list: list[dict[str, Any]]
    # JobList entries of DescribeMigrationJobs, sent as written.
    migration_job_list: list[dict[str, Any]]


def load_dts_job_list(path: Path, document: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """Return an optional list of JobList entries, raising StartupError unless each is an object with a JobId."""
    entries = document.get(key, [])
    if not all(isinstance(entry, dict) and "JobId" in entry for entry in entries):
        raise StartupError(f"scenario file {path}: '{key}' must be a list of objects with a 'JobId' key")
    return entries


def load_dts_scenario(path: Path) -> DtsScenario:
    """Load the API 3.0 keys of a scenario: dts_jobs, dts_sync_job_list and dts_migration_job_list.

    Each list entry is an object with at least a "JobId" key. The list actions
    send the entries as written, so a test can give them any other fields.
    """
    document = read_scenario_document(path)
    jobs = {job_id: load_dts_job(path, job_id, job) for job_id, job in document.get("dts_jobs", {}).items()}
    return DtsScenario(
        jobs,
        load_dts_job_list(path, document, "dts_sync_job_list"),
        load_dts_job_list(path, document, "dts_migration_job_list"),
    )


# --- Request verification --------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Credentials:
    """Credentials that requests must be signed with."""

    secret_id: str
    secret_key: str
    session_token: str | None


@dataclasses.dataclass(frozen=True)
class ApiRequest:
    """API request as received, with the query and body still encoded."""

    method: str
    host: str
    path: str
    query: str
    # Request body decoded as latin-1, so that each character is one byte.
    body: str
    content_type: str


class NonceHistory:
    """Thread-safe set of the most recent nonces, which evicts the oldest when full."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._order: collections.deque[int] = collections.deque()
        self._seen: set[int] = set()
        self._lock = threading.Lock()

    def record(self, nonce: int) -> bool:
        """Record a nonce and return whether it was new."""
        with self._lock:
            if nonce in self._seen:
                return False
            self._seen.add(nonce)
            self._order.append(nonce)
            if len(self._order) > self._capacity:
                self._seen.discard(self._order.popleft())
            return True


class RequestLog:
    """Thread-safe list of the latest API requests, for the /__fake/requests endpoint."""

    def __init__(self, capacity: int) -> None:
        self._entries: collections.deque[dict[str, Any]] = collections.deque(maxlen=capacity)
        self._lock = threading.Lock()

    def append(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def redact(params: Mapping[str, str]) -> dict[str, str]:
    """Return a copy of params with the signature and session token hidden."""
    return {name: REDACTED_VALUE if name in REDACTED_PARAMS else value for name, value in params.items()}


# --- API 3.0 verification and replies ------------------------------------


@dataclasses.dataclass(frozen=True)
class Api3Request:
    """API 3.0 request as received."""

    path: str
    query: str
    # Header values by lower-case name. A repeated header keeps its first value.
    headers: Mapping[str, str]
    body: bytes


def parse_tc3_timestamp(headers: Mapping[str, str]) -> int:
    """Return X-TC-Timestamp as an int, raising Api3Error if it is missing or not a decimal number."""
    text = headers.get("x-tc-timestamp", "")
    if not text:
        raise Api3Error(MISSING_PARAMETER, "missing header X-TC-Timestamp, set it to the Unix time in seconds")
    timestamp = parse_bounded_integer(text, DECIMAL_RE)
    if timestamp is None:
        raise Api3Error(INVALID_PARAMETER_CODE, f"X-TC-Timestamp {text!r} is not a decimal number of Unix seconds")
    return timestamp


def check_tc3_token(headers: Mapping[str, str], expected_token: str | None) -> None:
    """Raise Api3Error unless X-TC-Token matches the configured session token, or is absent when none is configured."""
    token = headers.get("x-tc-token")
    if expected_token is None:
        if token is not None:
            raise Api3Error(
                TC3_TOKEN_FAILURE,
                "X-TC-Token was sent, but the fake has no session token (TENCENTCLOUD_SESSION_TOKEN), "
                "so the request must not carry one",
            )
    elif token is None:
        raise Api3Error(TC3_TOKEN_FAILURE, "missing header X-TC-Token, which temporary credentials require")
    elif not hmac.compare_digest(token.encode("utf-8"), expected_token.encode("utf-8")):
        raise Api3Error(TC3_TOKEN_FAILURE, "X-TC-Token does not match the session token of this SecretId")


def verify_tc3_request(headers: Mapping[str, str], body: bytes, credentials: Credentials, now: float) -> None:
    """Verify the TC3-HMAC-SHA256 Authorization of a DTS request, raising Api3Error if it fails.

    Checks the Authorization format, Content-Type, Host, SecretId, the clock
    skew of X-TC-Timestamp, the credential date, X-TC-Token and the signature.
    headers maps lower-case names to values. now is the server clock in Unix
    seconds, a parameter so that tests can fix it.
    """
    timestamp = parse_tc3_timestamp(headers)
    authorization = headers.get("authorization", "")
    if not authorization:
        raise Api3Error(TC3_INVALID_AUTHORIZATION, "missing header Authorization")
    match = TC3_AUTHORIZATION_RE.fullmatch(authorization)
    if match is None:
        raise Api3Error(
            TC3_INVALID_AUTHORIZATION,
            "Authorization is malformed, expected 'TC3-HMAC-SHA256 Credential=<SecretId>/<YYYY-MM-DD>/dts/"
            "tc3_request, SignedHeaders=content-type;host, Signature=<64 lower-case hex digits>'",
        )
    if match["service"] != DTS_SERVICE:
        raise Api3Error(
            TC3_INVALID_AUTHORIZATION, f"the credential scope names service {match['service']!r}, expected 'dts'"
        )
    if match["signed_headers"] != TC3_SIGNED_HEADERS:
        raise Api3Error(
            TC3_INVALID_AUTHORIZATION,
            f"SignedHeaders is {match['signed_headers']!r}, but the fake accepts only {TC3_SIGNED_HEADERS!r}",
        )
    content_type = headers.get("content-type", "")
    if content_type.strip().lower() not in TC3_CONTENT_TYPES:
        raise Api3Error(
            INVALID_PARAMETER_CODE,
            f"Content-Type {content_type!r} is not supported, send 'application/json; charset=utf-8'",
        )
    host = headers.get("host", "")
    if not host.strip():
        raise Api3Error(MISSING_PARAMETER, "missing header Host")

    if match["secret_id"] != credentials.secret_id:
        raise Api3Error(TC3_SECRET_ID_NOT_FOUND, f"SecretId {match['secret_id']!r} not found")
    skew = abs(now - timestamp)
    if skew > TC3_MAX_CLOCK_SKEW_SECONDS:
        raise Api3Error(
            TC3_SIGNATURE_EXPIRE,
            f"X-TC-Timestamp is {skew:.0f} s away from the server clock, more than {TC3_MAX_CLOCK_SKEW_SECONDS} s",
        )
    expected_date = utc_date(timestamp)
    if match["date"] != expected_date:
        # A client that formats the date in local time makes this mistake,
        # for example from 00:00 to 08:00 in UTC+8.
        raise Api3Error(
            TC3_SIGNATURE_FAILURE,
            f"the credential date {match['date']} is not {expected_date}, the UTC date of X-TC-Timestamp",
        )
    check_tc3_token(headers, credentials.session_token)

    expected = tc3_sign(
        credentials.secret_id, credentials.secret_key, DTS_SERVICE, host, content_type, timestamp, body
    )
    if not hmac.compare_digest(expected.signature, match["signature"]):
        # Comparing these with the client's is the quickest way to find a
        # signing bug. Neither contains the key or a signature.
        logger.info(
            "TC3 signature mismatch. The fake signed this canonical request: %r, string to sign: %r",
            expected.canonical_request,
            expected.string_to_sign,
        )
        raise Api3Error(
            TC3_SIGNATURE_FAILURE,
            "the signature does not match the request, check the canonical request and the key",
        )


def api3_reply(response: dict[str, Any]) -> Reply:
    """Build an HTTP 200 API 3.0 reply {"Response": {..., "RequestId": "<uuid4>"}}."""
    document = {"Response": {**response, "RequestId": str(uuid.uuid4())}}
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return Reply(200, JSON_CONTENT_TYPE, body, find_error_code(body))


def api3_error_reply(error: Api3Error) -> Reply:
    return api3_reply({"Error": {"Code": error.code, "Message": error.message}})


def parse_api3_body(body: bytes) -> dict[str, Any]:
    """Return the request body as a dict, raising Api3Error unless it is a UTF-8 JSON object."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):  # invalid UTF-8 or JSON, or nested too deep
        document = None
    if not isinstance(document, dict):
        raise Api3Error(
            INVALID_PARAMETER_CODE, 'the request body must be a UTF-8 JSON object, such as {"JobId": "..."}'
        )
    return document


def read_page_parameter(params: Mapping[str, Any], name: str, default: int, minimum: int, maximum: int | None) -> int:
    """Return the integer Limit or Offset of a list request, raising Api3Error if it is out of range."""
    value = params.get(name, default)
    is_integer = isinstance(value, int) and not isinstance(value, bool)
    if not is_integer or value < minimum or (maximum is not None and value > maximum):
        expected = f"from {minimum} to {maximum}" if maximum is not None else f"of {minimum} or more"
        raise Api3Error(
            INVALID_PARAMETER_VALUE, f"{name} {json.dumps(value)} is invalid, expected an integer {expected}"
        )
    return value


class FakeApi:
    """Verifies API requests, chooses their replies and records them."""

    def __init__(self, credentials: Credentials, jobs: dict[str, Job],
                 tasks: list[dict[str, Any]] | None = None, dts: DtsScenario | None = None) -> None:
        self.credentials = credentials
        self.jobs = jobs
        self.tasks = tasks or []
        self.dts = dts or DtsScenario({}, [], [])
        # Only requests with the configured SecretId reach the nonce check, so
        # one history serves as the per-SecretId history.
        self.nonce_history = NonceHistory(NONCE_HISTORY_SIZE)
        # NOTE: the log keeps only the latest REQUEST_LOG_SIZE requests.
        self.request_log = RequestLog(REQUEST_LOG_SIZE)

    def handle(self, request: ApiRequest) -> Reply:
        """Verify an API request and return its reply, recording both in the request log."""
        params, decode_error = self._decode_params(request)
        verified = False
        try:
            if decode_error is not None:
                raise decode_error
            self._check_common_params(params)
            self._check_caller(params)
            self._check_signature(request, params)
            verified = True
            if params["Action"] == TASK_LIST_ACTION:
                reply = self._list_tasks(params)
            else:
                job_id = self._check_action_params(params)
                job = self.jobs.get(job_id)
                reply = TASK_NOT_FOUND_REPLY if job is None else job.next_reply()
                if reply.fault is not None:
                    logger.info("serving job %s with fault %s", job_id, reply.fault)
        except ApiError as error:
            reply = error_reply(error)
            logger.info("rejected %s request with code %d: %s", request.method, error.code, error.message)
        self.request_log.append(
            {
                "api": "2.0",
                "method": request.method,
                "path": request.path,
                "host": request.host,
                "params": redact(params),
                "code": reply.code,
                "verified": verified,
                "fault": reply.fault,
            }
        )
        return reply

    def handle_api3(self, request: Api3Request, now: float | None = None) -> Reply:
        """Verify an API 3.0 DTS request and return its reply, recording both in the request log.

        now is the server clock in Unix seconds, by default time.time().
        """
        params: dict[str, Any] | None = None
        body_error: Api3Error | None = None
        try:
            params = parse_api3_body(request.body)
        except Api3Error as error:
            body_error = error  # reported only once the request has passed verification
        verified = False
        try:
            if request.path != API3_PATH:
                raise Api3Error(
                    INVALID_PARAMETER_CODE, f"API 3.0 requests must go to path /, not {request.path!r}"
                )
            if request.query:
                raise Api3Error(INVALID_PARAMETER_CODE, "API 3.0 POST requests must not have a query string")
            verify_tc3_request(
                request.headers, request.body, self.credentials, time.time() if now is None else now
            )
            verified = True
            reply = self._serve_dts_action(request.headers, params, body_error)
        except Api3Error as error:
            reply = api3_error_reply(error)
            logger.info("rejected API 3.0 request with %s: %s", error.code, error.message)
        self.request_log.append(
            {
                "api": "3.0",
                "method": "POST",
                "path": request.path,
                "host": request.headers.get("host", ""),
                "action": request.headers.get("x-tc-action"),
                "version": request.headers.get("x-tc-version"),
                "region": request.headers.get("x-tc-region"),
                "job_id": params.get("JobId") if params is not None else None,
                # The request body, or None if it is not a JSON object.
                "params": params,
                "token_sent": "x-tc-token" in request.headers,
                "code": reply.code,
                "verified": verified,
                "fault": reply.fault,
            }
        )
        return reply

    def _serve_dts_action(
        self, headers: Mapping[str, str], params: dict[str, Any] | None, body_error: Api3Error | None
    ) -> Reply:
        """Check the action, version, region and body of a verified request and return its reply."""
        action = headers.get("x-tc-action", "")
        if action not in DTS_CHECK_ACTIONS | DTS_LIST_ACTIONS:
            supported = ", ".join(sorted(DTS_CHECK_ACTIONS | DTS_LIST_ACTIONS))
            raise Api3Error(INVALID_ACTION, f"action {action!r} is not supported, expected one of {supported}")
        version = headers.get("x-tc-version", "")
        if not version:
            raise Api3Error(MISSING_PARAMETER, f"missing header X-TC-Version, set it to {DTS_VERSION}")
        if version != DTS_VERSION:
            raise Api3Error(NO_SUCH_VERSION, f"version {version!r} of dts is not supported, use {DTS_VERSION}")
        if not headers.get("x-tc-region", "").strip():
            raise Api3Error(
                UNSUPPORTED_REGION, "X-TC-Region is missing or empty, set it to a region such as ap-guangzhou"
            )
        if body_error is not None:
            raise body_error
        assert params is not None
        if action == SYNC_LIST_ACTION:
            return self._list_dts_jobs(self.dts.sync_job_list, params)
        if action == MIGRATION_LIST_ACTION:
            return self._list_dts_jobs(self.dts.migration_job_list, params)
        return self._check_dts_job(params)

    def _check_dts_job(self, params: Mapping[str, Any]) -> Reply:
        """Serve the scenario reply of the JobId in a DescribeCheckSyncJobResult or DescribeMigrationCheckJob body."""
        if "JobId" not in params:
            raise Api3Error(MISSING_PARAMETER, "missing parameter JobId")
        job_id = params["JobId"]
        if not isinstance(job_id, str):
            raise Api3Error(INVALID_PARAMETER_CODE, f"JobId must be a string, not {json.dumps(job_id)}")
        job = self.dts.jobs.get(job_id)
        if job is None:
            raise Api3Error(RESOURCE_NOT_FOUND, f"DTS job {job_id!r} not found")
        reply = job.next_reply()
        if reply.fault is not None:
            logger.info("serving DTS job %s with fault %s", job_id, reply.fault)
        return reply

    @staticmethod
    def _list_dts_jobs(jobs: list[dict[str, Any]], params: Mapping[str, Any]) -> Reply:
        """Serve one page of a JobList: Offset (default 0) and Limit (default 20, at most 100)."""
        limit = read_page_parameter(params, "Limit", DTS_LIST_DEFAULT_LIMIT, 1, DTS_LIST_MAX_LIMIT)
        offset = read_page_parameter(params, "Offset", 0, 0, None)
        return api3_reply({"TotalCount": len(jobs), "JobList": jobs[offset : offset + limit]})

    def reset(self) -> None:
        """Clear the request log and make every job start again from its first reply."""
        self.request_log.clear()
        for job in (*self.jobs.values(), *self.dts.jobs.values()):
            job.rewind()

    @staticmethod
    def _decode_params(request: ApiRequest) -> tuple[dict[str, str], ApiError | None]:
        """Decode the parameters from the query (GET) or form body (POST).

        Returns the parameters that could be decoded and the first error: bad
        encoding, a duplicated name, or a POST request that is not form-encoded.
        """
        if request.method == "GET":
            return parse_form(request.query)
        media_type = request.content_type.partition(";")[0].strip().lower()
        if media_type != FORM_MEDIA_TYPE:
            return {}, ApiError(INVALID_PARAMETER, f"POST body must be {FORM_MEDIA_TYPE}, not {media_type!r}")
        if request.query:
            return {}, ApiError(INVALID_PARAMETER, "POST requests must send their parameters in the body only")
        return parse_form(request.body)

    @staticmethod
    def _check_common_params(params: Mapping[str, str]) -> None:
        for name in REQUIRED_COMMON_PARAMS:
            if not params.get(name):
                raise ApiError(INVALID_PARAMETER, f"missing required parameter {name}")
        if parse_bounded_integer(params["Timestamp"], SIGNED_DECIMAL_RE) is None:
            raise ApiError(INVALID_PARAMETER, "Timestamp must be an integer number of Unix seconds")
        nonce = parse_bounded_integer(params["Nonce"], DECIMAL_RE)
        if nonce is None or not 1 <= nonce <= MAX_NONCE:
            raise ApiError(INVALID_PARAMETER, "Nonce must be a positive integer below 2**64")

    def _check_caller(self, params: Mapping[str, str]) -> None:
        """Check SecretId, Token, Timestamp and Nonce, and record the Nonce.

        The Nonce is recorded before the signature is checked, so a retry that
        reuses the nonce of a rejected request is reported as a replay.
        """
        if params["SecretId"] != self.credentials.secret_id:
            raise ApiError(SECRET_ID_NOT_FOUND, f"SecretId {params['SecretId']!r} not found")
        expected_token = self.credentials.session_token
        if expected_token is not None:
            token = params.get("Token")
            if token is None:
                raise ApiError(AUTH_FAILURE, "missing Token, which temporary credentials require")
            if not hmac.compare_digest(token.encode("utf-8"), expected_token.encode("utf-8")):
                raise ApiError(AUTH_FAILURE, "Token does not match the session token of this SecretId")
        skew = abs(int(time.time()) - int(params["Timestamp"]))
        if skew > MAX_CLOCK_SKEW_SECONDS:
            raise ApiError(
                REQUEST_REPLAYED,
                f"Timestamp is {skew} s away from the server clock, more than {MAX_CLOCK_SKEW_SECONDS} s",
            )
        if not self.nonce_history.record(int(params["Nonce"])):
            raise ApiError(REQUEST_REPLAYED, "Nonce was already used with this SecretId")

    def _check_signature(self, request: ApiRequest, params: Mapping[str, str]) -> None:
        signature_method = params.get("SignatureMethod")
        expected = sign(
            request.method, request.host, request.path, params, self.credentials.secret_key, signature_method
        )
        if not hmac.compare_digest(expected.encode("ascii"), params["Signature"].encode("utf-8")):
            # Comparing the string to sign with the client's is the quickest
            # way to find a signing bug. The session token is a credential, so
            # it is replaced, like Signature in the request log.
            shown = {name: ("<redacted>" if name == "Token" else value) for name, value in params.items()}
            logger.info(
                "Signature mismatch. The fake signed this string with %s: %s",
                "HMAC-SHA256" if signature_method == "HmacSHA256" else "HMAC-SHA1",
                string_to_sign(request.method, request.host, request.path, shown),
            )
            raise ApiError(AUTH_FAILURE, "Signature does not match the request, check the string to sign and the key")

    def _list_tasks(self, params: Mapping[str, str]) -> Reply:
        """Serve one page of the scenario's tasks: offset and limit (at most
        TASK_LIST_MAX_LIMIT), filtered by status.N when given."""
        numbers = {}
        for name, default in (("offset", 0), ("limit", TASK_LIST_DEFAULT_LIMIT)):
            text = params.get(name, str(default))
            numbers[name] = parse_bounded_integer(text, DECIMAL_RE)
            if numbers[name] is None:
                raise ApiError(INVALID_PARAMETER, f"{name} must be a decimal integer")
        if not 1 <= numbers["limit"] <= TASK_LIST_MAX_LIMIT:
            raise ApiError(INVALID_PARAMETER, f"limit must be from 1 to {TASK_LIST_MAX_LIMIT}")
        statuses = set()
        for name, value in params.items():
            if re.fullmatch(r"status\.\d+", name):
                status = parse_bounded_integer(value, DECIMAL_RE)
                if status is None:
                    raise ApiError(INVALID_PARAMETER, f"{name} must be a decimal integer")
                statuses.add(status)
        tasks = [task for task in self.tasks if not statuses or int(task.get("status", -1)) in statuses]
        page = tasks[numbers["offset"]:numbers["offset"] + numbers["limit"]]
        return json_reply({"code": 0, "message": "", "codeDesc": "Success",
                           "data": {"totalCount": len(tasks), "jobList": page}})

    @staticmethod
    def _check_action_params(params: Mapping[str, str]) -> str:
        """Check the action and its parameters and return the jobId in canonical form."""
        if params["Action"] != CHECK_INFO_ACTION:
            raise ApiError(
                INVALID_PARAMETER,
                f"unsupported Action {params['Action']!r}, expected {CHECK_INFO_ACTION} or {TASK_LIST_ACTION}")
        values = {}
        for name in ("jobId", "srcType"):
            if name not in params:
                raise ApiError(ACTION_INVALID_PARAMETER, f"missing required parameter {name}")
            values[name] = parse_bounded_integer(params[name], DECIMAL_RE)
            if values[name] is None:
                raise ApiError(ACTION_INVALID_PARAMETER, f"{name} must be a decimal integer")
        if values["srcType"] not in VALID_SRC_TYPES:
            raise ApiError(
                ACTION_INVALID_PARAMETER,
                f"srcType {values['srcType']} is invalid, expected one of {sorted(VALID_SRC_TYPES)}",
            )
        return str(values["jobId"])


# --- HTTP server -----------------------------------------------------------


class FakeApiHandler(BaseHTTPRequestHandler):
    """Routes HTTP requests to the API and the test-support endpoints."""

    protocol_version = "HTTP/1.1"  # keep-alive, so every reply sets Content-Length
    server_version = "FakeTencentCloudApi/1.0"
    server: FakeApiServer

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if path == API_PATH:
            self._serve_api(path, query, body="")
        elif path == HEALTHY_PATH:
            self._send(200, TEXT_CONTENT_TYPE, b"ok")
        elif path == REQUESTS_PATH:
            entries = self.server.api.request_log.snapshot()
            self._send(200, JSON_CONTENT_TYPE, json.dumps(entries, ensure_ascii=False).encode("utf-8"))
        elif path == RESET_PATH:
            self._send(405, TEXT_CONTENT_TYPE, b"use POST\n", {"Allow": "POST"})
        else:
            self._send_not_found(path)

    def do_POST(self) -> None:
        body = self._read_body()
        if body is None:
            return
        path, _, query = self.path.partition("?")
        if ACTION_HEADER in self.headers:
            self._serve_api3(path, query, body)
        elif path == API_PATH:
            self._serve_api(path, query, body.decode("latin-1"))
        elif path == RESET_PATH:
            self.server.api.reset()
            self._send(200, TEXT_CONTENT_TYPE, b"ok")
        elif path in (HEALTHY_PATH, REQUESTS_PATH):
            self._send(405, TEXT_CONTENT_TYPE, b"use GET\n", {"Allow": "GET"})
        else:
            self._send_not_found(path)

    def _serve_api(self, path: str, query: str, body: str) -> None:
        request = ApiRequest(
            method=self.command,
            host=self.headers.get("Host", ""),
            path=path,
            query=query,
            body=body,
            content_type=self.headers.get("Content-Type", ""),
        )
        self._send_reply(self.server.api.handle(request))

    def _serve_api3(self, path: str, query: str, body: bytes) -> None:
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), value)
        request = Api3Request(path=path, query=query, headers=headers, body=body)
        self._send_reply(self.server.api.handle_api3(request))

    def _send_reply(self, reply: Reply) -> None:
        """Send a scenario reply after its delay, or serve its connection fault."""
        if reply.delay_seconds and self.server.stopping.wait(reply.delay_seconds):
            self.close_connection = True  # the server is stopping, so the reply is dropped
            return
        half_length = len(reply.body) // 2
        if reply.fault is None:
            self._send(reply.status, reply.content_type, reply.body)
        elif reply.fault == "close_before_reply":
            self.close_connection = True
        elif reply.fault == "stall_before_reply":
            self._stall(reply.fault)
        elif reply.fault == "reset_mid_body":
            self._send_headers(reply.status, reply.content_type, len(reply.body))
            self.wfile.write(reply.body[:half_length])
            self._reset_connection()
        elif reply.fault == "stall_mid_body":
            self._send_headers(reply.status, reply.content_type, len(reply.body))
            self.wfile.write(reply.body[:half_length])
            self._stall(reply.fault)
        elif reply.fault == "drip_body":
            self._send_headers(reply.status, reply.content_type, len(reply.body))
            self._drip(reply.body)
        else:
            raise ValueError(f"unknown fault {reply.fault!r}, which load_reply should have rejected")

    def _stall(self, fault: str) -> None:
        """Send nothing until the client closes, the server stops or MAX_DELAY_SECONDS pass, then close."""
        self.close_connection = True
        client = "%s:%d" % self.client_address[:2]
        deadline = time.monotonic() + MAX_DELAY_SECONDS
        with selectors.DefaultSelector() as selector:
            selector.register(self.connection, selectors.EVENT_READ)
            while not self.server.stopping.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    logger.info("fault %s: closing the connection to %s after %d s", fault, client, MAX_DELAY_SECONDS)
                    return
                if selector.select(min(STALL_POLL_SECONDS, remaining)) and not self._discard_input():
                    logger.info("fault %s: client %s closed the connection", fault, client)
                    return

    def _discard_input(self) -> bool:
        """Read and drop whatever the client sent, returning False once the client has closed."""
        try:
            return bool(self.connection.recv(65536))
        except ConnectionError:
            return False

    def _drip(self, body: bytes) -> None:
        """Send body one byte every DRIP_INTERVAL_SECONDS, and the rest at once after MAX_DELAY_SECONDS."""
        deadline = time.monotonic() + MAX_DELAY_SECONDS
        for offset in range(len(body)):
            if offset > 0 and self.server.stopping.wait(DRIP_INTERVAL_SECONDS):
                self.close_connection = True
                return
            if time.monotonic() >= deadline:
                logger.info(
                    "fault drip_body: sending the last %d bytes at once after %d s",
                    len(body) - offset,
                    MAX_DELAY_SECONDS,
                )
                self.wfile.write(body[offset:])
                return
            self.wfile.write(body[offset : offset + 1])

    def _reset_connection(self) -> None:
        """Abort the connection with a TCP RST instead of the usual FIN."""
        # SO_LINGER on with a zero timeout makes close() send RST.
        # NOTE: close() also drops written bytes that are still in the send
        # buffer. On loopback the self-test receives all of them, but over a
        # real network the client may get less than half of the body.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The socket closes only once rfile, which makefile() made from it, is
        # closed too. Both close here because the server would otherwise call
        # shutdown(SHUT_WR) first, and that sends a FIN before the RST.
        self.rfile.close()
        self.connection.close()
        self.close_connection = True

    def _read_body(self) -> bytes | None:
        """Read the request body, or send an error reply and return None."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            logger.warning("rejected %s %s: chunked request bodies are not supported", self.command, self.path)
            self._send(411, TEXT_CONTENT_TYPE, b"chunked bodies are not supported, send Content-Length\n", close=True)
            return None
        length_header = self.headers.get("Content-Length", "0")
        if not DECIMAL_RE.fullmatch(length_header.strip()):
            logger.warning("rejected %s request: invalid Content-Length %r", self.command, length_header)
            self._send(400, TEXT_CONTENT_TYPE, b"invalid Content-Length\n", close=True)
            return None
        length = int(length_header)
        if length > MAX_BODY_BYTES:
            logger.warning("rejected %s request: body of %d bytes exceeds %d", self.command, length, MAX_BODY_BYTES)
            self._send(413, TEXT_CONTENT_TYPE, f"body exceeds {MAX_BODY_BYTES} bytes\n".encode(), close=True)
            return None
        body = self.rfile.read(length)
        if len(body) < length:
            logger.warning("client closed the connection after %d of %d body bytes", len(body), length)
            self.close_connection = True
            return None
        return body

    def _send_not_found(self, path: str) -> None:
        self._send(404, TEXT_CONTENT_TYPE, f"not found: {path}\n".encode("utf-8"))

    def _send(
        self,
        status: int,
        content_type: str,
        body: bytes,
        extra_headers: Mapping[str, str] | None = None,
        close: bool = False,
    ) -> None:
        self._send_headers(status, content_type, len(body), extra_headers, close)
        self.wfile.write(body)

    def _send_headers(
        self,
        status: int,
        content_type: str,
        content_length: int,
        extra_headers: Mapping[str, str] | None = None,
        close: bool = False,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(content_length))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # The default line contains the query string, and with it the Signature.
        logger.debug("%s %s -> %s", self.command, self.path.partition("?")[0], code)

    def log_error(self, format: str, *args: Any) -> None:
        logger.warning("%s: %s", self.address_string(), format % args)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s: %s", self.address_string(), format % args)


class FakeApiServer(ThreadingHTTPServer):
    """Threaded HTTP server with one daemon thread per connection."""

    request_queue_size = 1024
    daemon_threads = True

    def __init__(self, address: tuple[str, int], address_family: socket.AddressFamily, api: FakeApi) -> None:
        self.address_family = address_family
        self.api = api
        # Set by shutdown(). Delays, stalls and drips in handler threads end when it is set.
        self.stopping = threading.Event()
        super().__init__(address, FakeApiHandler)

    def shutdown(self) -> None:
        self.stopping.set()
        super().shutdown()

    def server_bind(self) -> None:
        # HTTPServer.server_bind would look the host name up with getfqdn().
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that drops its connection is routine in timeout tests, so it
        # gets one line where the base class prints a traceback.
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            logger.info("connection from %s closed early: %s", client_address[0], error)
        else:
            logger.exception("failed to handle a request from %s", client_address[0])


# --- Command line ----------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Fake Tencent Cloud API server: API 2.0 GetCdbDataSyncTaskCheckInfo and "
        "GetCdbDataSyncTaskList on /v2/index.php, and API 3.0 DTS check and list actions on / "
        "(POST with an X-TC-Action header). "
        "Requests must be signed with TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, "
        "and carry TENCENTCLOUD_SESSION_TOKEN as Token or X-TC-Token when that variable is set."
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="loopback address to listen on: 127.0.0.1 (default), localhost or ::1",
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port to listen on, or 0 (default) to pick a free port")
    parser.add_argument("--port-file", type=Path, help="file to write the bound port number to once listening")
    parser.add_argument(
        "--scenario", type=Path, required=True, help="JSON file that sets the reply for each jobId and DTS JobId"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    if args.host not in ALLOWED_HOSTS:
        parser.error(f"--host {args.host!r} is not allowed, use one of {', '.join(ALLOWED_HOSTS)}")
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port} is out of range 0-65535")
    return args


def credentials_from_env() -> Credentials:
    """Read the credentials from the environment, raising StartupError if one is missing."""
    secret_id = os.environ.get("TENCENTCLOUD_SECRET_ID", "")
    secret_key = os.environ.get("TENCENTCLOUD_SECRET_KEY", "")
    missing = []
    if not secret_id:
        missing.append("TENCENTCLOUD_SECRET_ID")
    if not secret_key:
        missing.append("TENCENTCLOUD_SECRET_KEY")
    if missing:
        raise StartupError(f"missing environment variable {' and '.join(missing)}, set it to the test credentials")
    session_token = os.environ.get("TENCENTCLOUD_SESSION_TOKEN") or None
    return Credentials(secret_id, secret_key, session_token)


def write_port_file(path: Path, port: int) -> None:
    """Write the port atomically, so a reader never sees a partial number."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(f"{port}\n", encoding="ascii")
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s fake_api %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    # Block the stop signals before any thread starts, so that every thread
    # inherits the mask and the main thread receives them through sigwait().
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)

    bind_address, address_family = ALLOWED_HOSTS[args.host]
    try:
        credentials = credentials_from_env()
        jobs = load_scenario(args.scenario)
        tasks = load_tasks(args.scenario)
        dts = load_dts_scenario(args.scenario)
        api = FakeApi(credentials, jobs, tasks, dts)
        try:
            server = FakeApiServer((bind_address, args.port), address_family, api)
        except OSError as error:
            raise StartupError(f"failed to listen on {args.host} port {args.port}: {error.strerror}") from None
        port = server.server_address[1]
        if args.port_file is not None:
            try:
                write_port_file(args.port_file, port)
            except OSError as error:
                server.server_close()
                raise StartupError(f"failed to write port file {args.port_file}: {error.strerror}") from None
    except StartupError as error:
        print(f"fake_api: error: {error}", file=sys.stderr)
        return 2

    url_host = f"[{bind_address}]" if address_family == socket.AF_INET6 else bind_address
    print(f"fake API listening on http://{url_host}:{port}{API_PATH}", flush=True)
    logger.info(
        "serving %d API 2.0 jobs and %d API 3.0 DTS jobs from %s", len(jobs), len(dts.jobs), args.scenario
    )

    # A short poll interval keeps shutdown() quick, which matters in tests that start many servers.
    server_thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-api-server", daemon=True
    )
    server_thread.start()
    received = signal.sigwait(stop_signals)
    logger.info("stopping on %s", signal.Signals(received).name)
    server.shutdown()
    server.server_close()
    if args.port_file is not None:
        args.port_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

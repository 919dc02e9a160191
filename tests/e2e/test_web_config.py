#!/usr/bin/python3
"""The exporter's --web-config-file: TLS, client certificates and basic
authentication, tested with certificates that the test makes with the
openssl command and bcrypt hashes from libxcrypt.

Run through ctest, or directly with CDB_SYNC_EXPORTER set to the binary.
"""

from __future__ import annotations

import base64
import http.client
import os
import shutil
import ssl
import subprocess
import sys
import unittest
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # noqa: E402  (libxcrypt's bcrypt; deprecated in Python 3.11)

PASSWORD = "correct horse battery staple"


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certificates(directory: Path) -> None:
    """Makes a CA, a server certificate for 127.0.0.1 and two client
    certificates: one signed by the CA and one self-signed."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=cdb-sync test CA", "-keyout", "ca.key", "-out", "ca.pem",
            cwd=directory)
    for name, extension in (("server", "subjectAltName=IP:127.0.0.1"),
                            ("client", "extendedKeyUsage=clientAuth")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN=cdb-sync {name}",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=directory)
        (directory / f"{name}.ext").write_text(extension + "\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext",
                "-out", f"{name}.pem", cwd=directory)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=rogue client", "-keyout", "rogue.key", "-out", "rogue.pem",
            cwd=directory)


def bcrypt_hash(password: str, prefix: str = "$2b$") -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 4))
    return prefix + hashed[len("$2b$"):]


@unittest.skipUnless(shutil.which("openssl"), "the openssl command is not installed")
class WebConfigTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tempdir = harness.TempDir()
        cls.workdir = cls._tempdir.__enter__()
        cls.addClassCleanup(cls._tempdir.__exit__, None, None, None)
        make_certificates(cls.workdir)
        cls.fake, cls.api_port = harness.start_fake_api(cls.workdir)
        cls.addClassCleanup(cls.fake.stop)
        cls.config = harness.write_config(cls.workdir, cls.api_port, [(206, 2)])

    def start(self, web_config: str, extra_args=None):
        path = self.workdir / "web.yml"
        path.write_text(web_config)
        exporter, port = harness.start_exporter(
            self.workdir, self.config,
            extra_args=[f"--web-config-file={path}"] + (extra_args or []),
            probe=False)
        self.addCleanup(exporter.stop)
        return exporter, port

    def tls_context(self, certificate: str | None = None,
                    maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.workdir / "ca.pem"))
        if certificate:
            context.load_cert_chain(str(self.workdir / f"{certificate}.pem"),
                                    str(self.workdir / f"{certificate}.key"))
        if maximum:
            context.maximum_version = maximum
        return context

    def get(self, port: int, path: str = "/metrics", context: ssl.SSLContext | None = None,
            headers: dict | None = None) -> tuple[int, dict, str]:
        if context:
            connection = http.client.HTTPSConnection("127.0.0.1", port, context=context,
                                                     timeout=10)
        else:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            connection.close()

    def tls_config(self, **extra: str) -> str:
        lines = ["tls_server_config:",
                 f"  cert_file: {self.workdir / 'server.pem'}",
                 f"  key_file: {self.workdir / 'server.key'}"]
        lines += [f"  {key}: {value}" for key, value in extra.items()]
        return "\n".join(lines) + "\n"

    def test_tls_serves_metrics(self):
        _, port = self.start(self.tls_config())
        status, _, body = self.get(port, context=self.tls_context())
        self.assertEqual(status, 200)
        self.assertIn('cdb_sync_check_up{job_id="206",src_type="2"} 1', body)

    def test_plain_http_to_tls_port_fails(self):
        _, port = self.start(self.tls_config())
        with self.assertRaises((http.client.HTTPException, ConnectionError, OSError)):
            self.get(port)

    def test_client_certificate_required(self):
        _, port = self.start(self.tls_config(
            client_auth_type="RequireAndVerifyClientCert",
            client_ca_file=str(self.workdir / "ca.pem")))
        self.assertEqual(self.get(port, context=self.tls_context("client"))[0], 200)
        for certificate in (None, "rogue"):
            with self.subTest(certificate=certificate), \
                    self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
                self.get(port, context=self.tls_context(certificate))

    def test_min_version_tls13(self):
        _, port = self.start(self.tls_config(min_version="TLS13"))
        self.assertEqual(self.get(port, context=self.tls_context())[0], 200)
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            self.get(port, context=self.tls_context(maximum=ssl.TLSVersion.TLSv1_2))

    def test_basic_auth(self):
        exporter, port = self.start(
            "basic_auth_users:\n"
            f"  alice: {bcrypt_hash(PASSWORD)}\n"
            f"  bob: '{bcrypt_hash(PASSWORD, '$2y$')}'\n",
            extra_args=["--log-level=debug"])

        def with_password(user: str, password: str) -> dict:
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            return {"Authorization": f"Basic {token}"}

        status, headers, _ = self.get(port)
        self.assertEqual(status, 401)
        self.assertIn("Basic", headers.get("WWW-Authenticate", ""))
        self.assertEqual(self.get(port, headers=with_password("alice", "wrong"))[0], 401)
        self.assertEqual(self.get(port, headers=with_password("mallory", PASSWORD))[0], 401)
        self.assertEqual(self.get(port, headers={"Authorization": "Basic !!!"})[0], 401)
        for user in ("alice", "bob"):
            with self.subTest(user=user):
                status, _, body = self.get(port, headers=with_password(user, PASSWORD))
                self.assertEqual(status, 200)
                self.assertIn("cdb_sync_check_up", body)
        # A second request takes the cached check.
        self.assertEqual(self.get(port, headers=with_password("alice", PASSWORD))[0], 200)
        self.assertEqual(self.get(port, "/-/healthy")[0], 401)
        exporter.stop()
        self.assertNotIn(PASSWORD, exporter.stderr())

    def test_tls_with_basic_auth(self):
        _, port = self.start(self.tls_config() + f"basic_auth_users:\n  alice: {bcrypt_hash(PASSWORD)}\n")
        token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
        self.assertEqual(self.get(port, context=self.tls_context())[0], 401)
        self.assertEqual(self.get(port, context=self.tls_context(),
                                  headers={"Authorization": f"Basic {token}"})[0], 200)

    def test_invalid_web_configs(self):
        cases = [
            ("tls_server_config:\n  cert_file: /nonexistent.pem\n  key_file: /nonexistent.key\n",
             ["tls_server_config.cert_file", "/nonexistent.pem"]),
            ("basic_auth_users:\n  alice: plain-password\n",
             ["basic_auth_users.alice", "bcrypt"]),
            ("tls_server_config:\n  cert_file: x\n", ["key_file"]),
            ("http_server_config:\n  http2: true\n", ["http_server_config", "unsupported"]),
            (self.tls_config(client_auth_type="RequireAndVerifyClientCert"),
             ["client_ca_file", "missing"]),
            (self.tls_config(min_version="TLS10"), ["min_version", "TLS10"]),
            (self.tls_config(client_auth_type="Sometimes"), ["client_auth_type", "Sometimes"]),
        ]
        for web_config, expected in cases:
            with self.subTest(web_config=web_config):
                path = self.workdir / "bad_web.yml"
                path.write_text(web_config)
                result = harness.run_exporter([f"--config-file={self.config}",
                                               f"--web-config-file={path}",
                                               "--web-listen-address=127.0.0.1:0"])
                self.assertEqual(result.returncode, 1, result.stderr)
                for part in expected:
                    self.assertIn(part, result.stderr)
                self.assertNotIn("plain-password", result.stderr)

    def test_key_not_matching_certificate(self):
        path = self.workdir / "mismatch.yml"
        path.write_text(f"tls_server_config:\n  cert_file: {self.workdir / 'server.pem'}\n"
                        f"  key_file: {self.workdir / 'client.key'}\n")
        result = harness.run_exporter([f"--config-file={self.config}",
                                       f"--web-config-file={path}",
                                       "--web-listen-address=127.0.0.1:0"])
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("key_file", result.stderr)


if __name__ == "__main__":
    unittest.main()

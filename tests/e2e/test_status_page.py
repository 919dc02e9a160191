"""The status page at `/`, rendered by a real headless Chromium (Debian
`chromium`) against the exporter and the fake API on 127.0.0.1.

Set CDB_SYNC_SCREENSHOT_DIR to keep the screenshot (docs/images/ contains the
one the README shows)."""

from __future__ import annotations

import html.parser
import json
import os
import shutil
import struct
import subprocess
import unittest
import zlib
from pathlib import Path

import harness

# Job id -> the state the page must show. Job 220's reply carries HTML and
# script in every text field; job 221's API call fails authentication.
EXPECTED_STATES = {
    206: "passed",
    207: "failed",
    208: "running",
    211: "no_data",
    212: "unreachable",
    220: "failed",
    221: "unreachable",
}

WINDOW = (1400, 700)

# Colours from the page's style sheet: the passed and failed badges.
PASSED_GREEN = (0x1A, 0x7F, 0x37)
FAILED_RED = (0xCF, 0x22, 0x2E)


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess:
    """Runs headless Chromium with a fresh profile and with every background
    connection switched off, so it talks only to the URL it is given."""
    command = [
        shutil.which("chromium") or "chromium",
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-extensions", "--hide-scrollbars",
        f"--user-data-dir={profile}", *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=90,
                          stdin=subprocess.DEVNULL)


class PageParser(html.parser.HTMLParser):
    """Collects the job rows, the elements by tag, the summary badges and the
    title of a DOM that Chromium serialised."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[int, dict] = {}
        self.tags: dict[str, int] = {}
        self.summary: dict[str, str] = {}
        self.title = ""
        self._row: dict | None = None
        self._summary_state: str | None = None
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == "tr" and "data-job-id" in attributes:
            self._row = {"state": attributes["data-state"],
                         "src_type": attributes["data-src-type"],
                         "text": "", "step_status": [], "links": []}
            self.rows[int(attributes["data-job-id"])] = self._row
        elif self._row is not None and tag == "li" and "data-status" in attributes:
            self._row["step_status"].append(attributes["data-status"])
        elif self._row is not None and tag == "a":
            self._row["links"].append(attributes.get("href"))
        elif tag == "span" and "count" in attributes.get("class", "").split():
            self._summary_state = attributes["data-state"]
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "tr":
            self._row = None
        elif tag == "span":
            self._summary_state = None
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._row is not None:
            self._row["text"] += data
        if self._summary_state is not None:
            self.summary[self._summary_state] = data
        if self._in_title:
            self.title += data


def decode_png(data: bytes) -> tuple[int, int, list[bytes], int]:
    """Decodes an 8-bit, non-interlaced RGB or RGBA PNG into rows of pixel
    bytes. Returns (width, height, rows, bytes per pixel)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise AssertionError("not a PNG file")
    position = 8
    compressed = b""
    width = height = bpp = 0
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunk = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            if depth != 8 or colour not in (2, 6) or interlace != 0:
                raise AssertionError(f"unexpected PNG format: depth {depth}, colour {colour}")
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            compressed += chunk

    raw = zlib.decompress(compressed)
    stride = width * bpp

    # Undo each row's filter (PNG specification, section 9).
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        for x in range(stride):
            left = line[x - bpp] if x >= bpp else 0
            up = previous[x]
            up_left = previous[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - up_left
                distances = (abs(estimate - left), abs(estimate - up), abs(estimate - up_left))
                predictor = (left, up, up_left)[distances.index(min(distances))]
                line[x] = (line[x] + predictor) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows, bpp


def count_colour(rows: list[bytes], bpp: int, colour: tuple[int, int, int]) -> int:
    pattern = bytes(colour)
    count = 0
    for row in rows:
        for x in range(0, len(row), bpp):
            if row[x:x + 3] == pattern:
                count += 1
    return count


class StatusPageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = harness.TempDir()
        cls.workdir = cls.tmp.__enter__()
        cls.api, cls.api_port = harness.start_fake_api(cls.workdir, "status_page.json")
        jobs = [(job_id, 2) for job_id in EXPECTED_STATES]
        config = harness.write_config(cls.workdir, cls.api_port, jobs, retries=0)
        cls.exporter, cls.port = harness.start_exporter(cls.workdir, config)
        cls.url = f"http://127.0.0.1:{cls.port}/"

    @classmethod
    def tearDownClass(cls):
        cls.exporter.stop()
        cls.api.stop()
        cls.tmp.__exit__(None, None, None)

    def api_requests(self) -> list[dict]:
        _, body = harness.http_get(f"http://127.0.0.1:{self.api_port}/__fake/requests")
        return json.loads(body)

    def render_dom(self, name: str) -> PageParser:
        result = chromium(self.workdir / f"profile-{name}", "--dump-dom", self.url)
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        parser = PageParser()
        parser.feed(result.stdout)
        return parser

    def test_1_http_response(self):
        request = harness.urllib.request.Request(self.url)
        with harness.urllib.request.urlopen(request, timeout=10) as response:
            body = response.read().decode("utf-8")
            headers = response.headers
        self.assertEqual(headers["Content-Type"], "text/html; charset=utf-8")
        self.assertIn("default-src 'none'", headers["Content-Security-Policy"])
        self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        self.assertNotIn("<script", body)
        self.assertNotIn("<img", body)
        self.assertNotIn("http://127.0.0.1:1/", body.replace("&quot;http://127.0.0.1:1/&quot;", ""))

    def test_2_first_view_fetches_each_job_once(self):
        # test_1 opened the page before any scrape, so every job was fetched
        # exactly once (retries are off); opening it again fetches nothing.
        counts = {}
        for entry in self.api_requests():
            job_id = int(entry["params"]["jobId"])
            counts[job_id] = counts.get(job_id, 0) + 1
        self.assertEqual(counts, {job_id: 1 for job_id in EXPECTED_STATES})
        harness.http_get(self.url)
        self.assertEqual(len(self.api_requests()), len(EXPECTED_STATES))

    def test_3_dom_shows_every_job_and_state(self):
        page = self.render_dom("dom")
        self.assertEqual(page.title, "cdb-sync-exporter")
        self.assertEqual(set(page.rows), set(EXPECTED_STATES))
        for job_id, state in EXPECTED_STATES.items():
            with self.subTest(job_id=job_id):
                self.assertEqual(page.rows[job_id]["state"], state)
                self.assertEqual(page.rows[job_id]["src_type"], "2")
        self.assertEqual(page.summary["failed"], "2 failed")
        self.assertEqual(page.summary["no_data"], "1 no data")
        self.assertEqual(page.summary["unreachable"], "2 unreachable")

        passed = page.rows[206]
        self.assertIn("step 12 of 12", passed["text"])
        self.assertEqual(passed["step_status"], ["success"] * 12)
        self.assertIn("never", page.rows[212]["text"])
        self.assertIn("UTC", passed["text"])

        failed = page.rows[207]
        self.assertEqual(failed["step_status"].count("failed"), 1)
        self.assertIn("目标实例空间不足", failed["text"])
        running = page.rows[208]
        self.assertIn("step 4 of 12", running["text"])
        self.assertEqual(running["step_status"].count("pending"), 9)
        self.assertIn("http_error, HTTP 502", page.rows[212]["text"])
        self.assertIn("code 4100 (AuthFailure): 鉴权失败", page.rows[221]["text"])

    def test_4_api_text_stays_text(self):
        page = self.render_dom("hostile")
        hostile = page.rows[220]
        # The markup arrives as visible text, never as elements.
        self.assertIn("<script>document.title='owned'</script>", hostile["text"])
        self.assertIn("<b>bold step</b>", hostile["text"])
        self.assertIn('quote " and \' and &amp;', hostile["text"])
        self.assertIn("</td></tr><tr><td>injected row", hostile["text"])
        self.assertEqual(hostile["links"], [])
        self.assertNotIn("script", page.tags)
        self.assertNotIn("img", page.tags)
        self.assertNotIn("b", page.tags)
        self.assertEqual(page.title, "cdb-sync-exporter")
        self.assertEqual(page.tags["tr"], len(EXPECTED_STATES) + 1)

    def test_5_screenshot(self):
        # A second exporter without job 220, whose markup-filled reply would
        # only confuse readers of the README's screenshot.
        workdir = self.workdir / "screenshot"
        workdir.mkdir()
        jobs = [(job_id, 2) for job_id in EXPECTED_STATES if job_id != 220]
        config = harness.write_config(workdir, self.api_port, jobs, retries=0)
        exporter, port = harness.start_exporter(workdir, config)
        try:
            path = workdir / "status-page.png"
            result = chromium(workdir / "profile", f"--screenshot={path}",
                              f"--window-size={WINDOW[0]},{WINDOW[1]}",
                              f"http://127.0.0.1:{port}/")
        finally:
            exporter.stop()
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        width, height, rows, bpp = decode_png(path.read_bytes())
        self.assertEqual((width, height), WINDOW)
        # The badges and step cells are drawn in the page's colours: a passed
        # job, a failed job and its failed step.
        self.assertGreater(count_colour(rows, bpp, PASSED_GREEN), 200)
        self.assertGreater(count_colour(rows, bpp, FAILED_RED), 200)
        keep = os.environ.get("CDB_SYNC_SCREENSHOT_DIR")
        if keep:
            shutil.copy(path, Path(keep) / "status-page.png")

if __name__ == "__main__":
    unittest.main()

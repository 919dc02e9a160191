#!/usr/bin/python3
"""Dashboard and alert rule tests: every PromQL expression in
dashboards/cdb_sync_exporter.json and deploy/prometheus/cdb_sync_alerts.yml
runs against a real Prometheus on 127.0.0.1. Prometheus scrapes the exporter
every second, and the exporter reads the fake API's monitoring scenario: a
passing, a failing, a running and a no-data check, an authentication failure,
a throttled job and a job whose API returns HTTP 502, and two DTS jobs (a failed sync check
and a passed migration check) whose series carry api instead of src_type.

Grafana's server is not part of the test. The test replaces the dashboard
variables with the values Grafana would send, and it imitates the merge and
organize transformations of the overview table to check the columns it shows.

Run through ctest, or directly with CDB_SYNC_EXPORTER set to the binary:
    CDB_SYNC_EXPORTER=build/gcc/exporter/cdb_sync_exporter python3 tests/e2e/test_dashboard.py -v
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import sys
import unittest
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

DASHBOARD = harness.REPO / "dashboards" / "cdb_sync_exporter.json"
ALERT_RULES = harness.REPO / "deploy" / "prometheus" / "cdb_sync_alerts.yml"
DATASOURCE_PROVISIONING = harness.REPO / "deploy" / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
DASHBOARD_PROVISIONING = harness.REPO / "deploy" / "grafana" / "provisioning" / "dashboards" / "cdb_sync.yml"

# Jobs of tests/fake_api/scenarios/monitoring.json, as (job_id, src_type)
# for API 2.0 tasks and (job_id, api) for DTS jobs, both as label values.
PASSED_JOB = ("206", "2")
FAILED_JOB = ("207", "2")
RUNNING_JOB = ("208", "2")
AUTH_FAILURE_JOB = ("209", "2")
THROTTLED_JOB = ("210", "2")
BAD_GATEWAY_JOB = ("211", "2")
NO_DATA_JOB = ("212", "10")
DTS_FAILED_JOB = ("sync-fail01", "dts_sync_check")
DTS_PASSED_JOB = ("dts-pass01", "dts_migration_check")
JOBS = [PASSED_JOB, FAILED_JOB, RUNNING_JOB, AUTH_FAILURE_JOB, THROTTLED_JOB, BAD_GATEWAY_JOB, NO_DATA_JOB,
        DTS_FAILED_JOB, DTS_PASSED_JOB]

VARIABLES = ("datasource", "job", "instance", "job_id", "src_type", "api")
DATASOURCE_REF = "${datasource}"

# Values for Grafana's built-in variables. Grafana sets $__rate_interval to
# max($__interval + scrape interval, 4 * scrape interval), which is 1m for the
# data source's default scrape interval of 15s. 1m covers many of the 1 s
# scrapes here.
BUILTIN_VALUES = {
    "__rate_interval": "1m",
    "__interval": "15s",
    "__interval_ms": "15000",
    "__range": "1h",
    "__range_s": "3600",
    "__range_ms": "3600000",
}

# Queries that may return no series in the monitoring scenario, as
# (panel title, refId). Every other query must return at least one series.
MAY_BE_EMPTY: set[tuple[str, str]] = set()

# Panel titles that the value checks look up.
OVERVIEW_TABLE = "Checks by job"
STEP_TIMELINE = "Step status"
API_CODE_PANEL = "Jobs by API error code"
COUNT_STATS = {
    "Failed checks": 2,
    "Running checks": 1,
    "Passed checks": 2,
    "Checks without data": 1,
    "Unreachable jobs": 3,
}

# Scrapes that Prometheus must hold before the queries run. rate() needs two
# samples in its window, and the rest leave room for a slow first scrape.
MIN_SCRAPES = 5

_VARIABLE_REFERENCE = re.compile(
    r"\$\{([A-Za-z_]\w*)(?::[^}]*)?\}|\[\[([A-Za-z_]\w*)(?::[^\]]*)?\]\]|\$([A-Za-z_]\w*)")
_LABEL_VALUES = re.compile(r"^\s*label_values\((.*),\s*([A-Za-z_]\w*)\s*\)\s*$", re.S)
# Characters that Grafana escapes in a variable value substituted into a
# Prometheus regex. Each gets two backslashes, one for the PromQL string and
# one for the regex.
_REGEX_SPECIAL = re.compile(r"([$^*{}\[\]'+?.()|])")


@dataclasses.dataclass
class Query:
    """One PromQL expression of the dashboard: a panel target or a variable query."""

    source: str  # where the expression is, for messages: panel 'Step status' target A
    panel: str
    ref_id: str
    expr: str  # as written, with Grafana variables
    label: str | None = None  # for a label_values() variable, the label it lists


def load_dashboard() -> dict:
    return json.loads(DASHBOARD.read_text("utf-8"))


def walk_panels(panels: list[dict]):
    """Yields every panel, including those nested in collapsed rows."""
    for panel in panels:
        yield panel
        yield from walk_panels(panel.get("panels", []))


def find_panel(dashboard: dict, title: str) -> dict:
    found = [panel for panel in walk_panels(dashboard["panels"]) if panel.get("title") == title]
    if len(found) != 1:
        raise AssertionError(f"expected one panel titled {title!r} in {DASHBOARD}, found {len(found)}")
    return found[0]


def variable_query_text(variable: dict) -> str:
    query = variable.get("query")
    return query.get("query", "") if isinstance(query, dict) else query or ""


def dashboard_queries(dashboard: dict) -> list[Query]:
    """Returns every panel target and every query variable of the dashboard.
    label_values(selector, label) becomes a query of the selector."""
    queries = []
    for panel in walk_panels(dashboard["panels"]):
        title = panel.get("title", f"id {panel.get('id')}")
        for target in panel.get("targets", []):
            ref_id = target.get("refId", "?")
            queries.append(Query(f"panel {title!r} target {ref_id}", title, ref_id, target.get("expr", "")))
    for variable in dashboard["templating"]["list"]:
        if variable.get("type") != "query":
            continue
        text = variable_query_text(variable)
        match = _LABEL_VALUES.match(text)
        if not match:
            raise AssertionError(f"variable {variable['name']!r}: expected label_values(selector, label), "
                                 f"got {text!r}")
        name = variable["name"]
        queries.append(Query(f"variable {name!r}", f"variable {name}", "query", match.group(1),
                             label=match.group(2)))
    return queries


def grafana_regex_escape(value: str) -> str:
    return _REGEX_SPECIAL.sub(r"\\\\\1", value)


def substitute(expr: str, values: dict[str, str], source: str) -> str:
    """Replaces Grafana variable references ($name, ${name}, ${name:format},
    [[name]]) the way Grafana does for a Prometheus query. A reference to a
    name that is neither a dashboard variable nor a built-in raises, so a
    misspelt variable fails the test instead of reaching Prometheus as text."""

    def replace(match: re.Match) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        if name in values:
            return values[name]
        if name in BUILTIN_VALUES:
            return BUILTIN_VALUES[name]
        raise AssertionError(f"{source}: unknown Grafana variable ${name}\nquery: {expr}")

    return _VARIABLE_REFERENCE.sub(replace, expr)


def mapped_text(mappings: list[dict], value: float) -> str | None:
    """Returns the text that Grafana's value mappings show for value, or None."""
    key = str(int(value)) if float(value).is_integer() else str(value)
    for mapping in mappings:
        if mapping.get("type") == "value" and key in mapping.get("options", {}):
            return mapping["options"][key].get("text")
    return None


def override_property(panel: dict, field: str, property_id: str):
    for override in panel["fieldConfig"].get("overrides", []):
        if override["matcher"] == {"id": "byName", "options": field}:
            for item in override["properties"]:
                if item["id"] == property_id:
                    return item["value"]
    raise AssertionError(f"panel {panel['title']!r} has no {property_id} override for field {field!r}")


def table_frames(panel: dict, results: dict[str, list[dict]]) -> list[list[dict]]:
    """Builds the rows Grafana's Prometheus data source makes of instant table
    queries: one row per series, a field per label, and the value in
    "Value #<refId>"."""
    frames = []
    for target in panel["targets"]:
        ref_id = target["refId"]
        rows = []
        for series in results[ref_id]:
            row = {name: value for name, value in series["metric"].items()}
            row[f"Value #{ref_id}"] = float(series["value"][1])
            rows.append(row)
        frames.append(rows)
    return frames


def merge_frames(frames: list[list[dict]]) -> list[list[dict]]:
    """Imitates Grafana's merge transformation: rows whose shared fields have
    equal values become one row. A frame without rows is left out, as Grafana
    leaves out a frame without fields."""
    frames = [frame for frame in frames if frame]
    field_sets = [set().union(*(row.keys() for row in frame)) for frame in frames]
    key_fields = sorted(set.intersection(*field_sets)) if field_sets else []
    merged: list[dict] = []
    for frame in frames:
        for row in frame:
            key = tuple(row.get(name) for name in key_fields)
            for existing in merged:
                same_key = tuple(existing.get(name) for name in key_fields) == key
                conflict = any(name in existing and existing[name] != value for name, value in row.items())
                if same_key and not conflict:
                    existing.update(row)
                    break
            else:
                merged.append(dict(row))
    return [merged]


def organize_frames(options: dict, frames: list[list[dict]]) -> list[list[dict]]:
    """Imitates Grafana's organize transformation: drops excluded fields and
    renames the others."""
    excluded = {name for name, hidden in options.get("excludeByName", {}).items() if hidden}
    renames = options.get("renameByName", {})
    return [[{renames.get(name, name): value for name, value in row.items() if name not in excluded}
             for row in frame] for frame in frames]


def transform_table(panel: dict, frames: list[list[dict]]) -> list[dict]:
    """Applies the panel's transformations in order and returns the rows of
    the first frame, which is the one a table panel shows. Raises on a
    transformation the test cannot imitate."""
    for transformation in panel.get("transformations", []):
        if transformation["id"] == "merge":
            frames = merge_frames(frames)
        elif transformation["id"] == "organize":
            frames = organize_frames(transformation["options"], frames)
        else:
            raise AssertionError(f"panel {panel['title']!r}: the test cannot imitate the "
                                 f"{transformation['id']!r} transformation")
    return frames[0] if frames else []


def job_key(labels: dict) -> tuple[str, str]:
    return labels["job_id"], labels.get("src_type") or labels.get("api", "")


def config_job(job: tuple[str, str]) -> tuple:
    """Returns a job as harness.write_config takes it."""
    job_id, kind = job
    return (kind, job_id) if kind.startswith("dts_") else (int(job_id), int(kind))


class DashboardStructureTest(unittest.TestCase):
    """The dashboard JSON model, checked without servers."""

    @classmethod
    def setUpClass(cls):
        cls.dashboard = load_dashboard()
        cls.panels = list(walk_panels(cls.dashboard["panels"]))

    def test_schema_version(self):
        self.assertGreaterEqual(self.dashboard.get("schemaVersion", 0), 39)
        self.assertTrue(self.dashboard.get("uid"), "the dashboard needs a fixed uid for links")
        self.assertIsNone(self.dashboard.get("id"), "an exported dashboard must not carry a database id")

    def test_panel_ids_unique(self):
        ids = [panel.get("id") for panel in self.panels]
        self.assertNotIn(None, ids, "every panel needs an id")
        duplicates = sorted({panel_id for panel_id in ids if ids.count(panel_id) > 1})
        self.assertEqual(duplicates, [], "panel ids used more than once")

    def test_panels_have_grid_position(self):
        for panel in self.panels:
            grid = panel.get("gridPos", {})
            for key in ("h", "w", "x", "y"):
                self.assertIsInstance(grid.get(key), int, f"panel {panel.get('title')!r}: gridPos.{key}")
            self.assertLessEqual(grid["x"] + grid["w"], 24, f"panel {panel.get('title')!r} is wider than the grid")

    def test_panels_use_datasource_variable(self):
        for panel in self.panels:
            if panel["type"] == "row":
                continue
            title = panel.get("title")
            self.assertEqual(panel.get("datasource", {}).get("uid"), DATASOURCE_REF, f"panel {title!r}")
            self.assertTrue(panel.get("description"), f"panel {title!r} has no description")
            self.assertTrue(panel.get("targets"), f"panel {title!r} has no targets")
            for target in panel["targets"]:
                self.assertEqual(target.get("datasource", {}).get("uid"), DATASOURCE_REF,
                                 f"panel {title!r} target {target.get('refId')}")

    def test_targets_have_ref_id_and_expr(self):
        for panel in self.panels:
            ref_ids = [target.get("refId") for target in panel.get("targets", [])]
            self.assertEqual(len(ref_ids), len(set(ref_ids)), f"panel {panel.get('title')!r}: refIds repeat")
            for target in panel.get("targets", []):
                self.assertTrue(target.get("refId"), f"panel {panel.get('title')!r}: a target has no refId")
                self.assertTrue(target.get("expr", "").strip(),
                                f"panel {panel.get('title')!r} target {target.get('refId')}: empty expr")

    def test_rate_uses_rate_interval(self):
        for query in dashboard_queries(self.dashboard):
            for window in re.findall(r"\brate\([^\[]*\[([^\]]*)\]", query.expr):
                self.assertEqual(window, "$__rate_interval", f"{query.source}: {query.expr}")

    def test_variables(self):
        variables = {variable["name"]: variable for variable in self.dashboard["templating"]["list"]}
        for name in VARIABLES:
            self.assertIn(name, variables)
        self.assertEqual(variables["datasource"]["type"], "datasource")
        self.assertEqual(variables["datasource"]["query"], "prometheus")
        for name in ("job_id", "src_type", "api"):
            variable = variables[name]
            self.assertEqual(variable["type"], "query", name)
            self.assertTrue(variable.get("multi"), f"variable {name} must allow several values")
            self.assertTrue(variable.get("includeAll"), f"variable {name} needs an All option")
            self.assertRegex(variable_query_text(variable),
                             rf"^label_values\(cdb_sync_check_up(\{{.*\}})?, {name}\)$")
            self.assertEqual(variable["datasource"]["uid"], DATASOURCE_REF, name)

    def test_variables_all_used(self):
        text = json.dumps([query.expr for query in dashboard_queries(self.dashboard)])
        for name in ("job", "instance", "job_id", "src_type", "api"):
            self.assertRegex(text, rf"\$(\{{)?{name}\b", f"no query uses ${name}")

    def test_key_panels_exist(self):
        types = {panel.get("title"): panel["type"] for panel in self.panels}
        self.assertEqual(types.get(OVERVIEW_TABLE), "table")
        self.assertEqual(types.get(STEP_TIMELINE), "state-timeline")
        for title in COUNT_STATS:
            self.assertEqual(types.get(title), "stat", title)


class ProvisioningTest(unittest.TestCase):
    """The Grafana provisioning files that a docker-compose setup mounts."""

    def test_datasource(self):
        document = yaml.safe_load(DATASOURCE_PROVISIONING.read_text("utf-8"))
        self.assertEqual(document["apiVersion"], 1)
        [datasource] = document["datasources"]
        self.assertEqual(datasource["type"], "prometheus")
        self.assertEqual(datasource["uid"], "prometheus")
        self.assertEqual(datasource["url"], "http://prometheus:9090")

    def test_dashboard_provider(self):
        document = yaml.safe_load(DASHBOARD_PROVISIONING.read_text("utf-8"))
        self.assertEqual(document["apiVersion"], 1)
        [provider] = document["providers"]
        self.assertEqual(provider["type"], "file")
        self.assertEqual(provider["options"]["path"], "/var/lib/grafana/dashboards")


_environment: dict = {}


def setUpModule():
    if not shutil.which("prometheus"):
        return  # the query tests skip themselves
    tempdir = harness.TempDir()
    workdir = tempdir.__enter__()
    unittest.addModuleCleanup(tempdir.__exit__, None, None, None)
    fake, api_port = harness.start_fake_api(workdir, "monitoring.json")
    unittest.addModuleCleanup(fake.stop)
    # One retry with a short backoff keeps the throttled and the 502 job within
    # the 0.5 s that a 1 s scrape timeout leaves the exporter.
    config = harness.write_config(workdir, api_port, [config_job(job) for job in JOBS],
                                  retries=1, retry_backoff="20ms")
    exporter, exporter_port = harness.start_exporter(workdir, config)
    unittest.addModuleCleanup(exporter.stop)
    rule_files = [ALERT_RULES] if ALERT_RULES.exists() else []
    try:
        prometheus, port = harness.start_prometheus_with_rules(workdir, exporter_port, rule_files)
    except AssertionError as error:
        if not rule_files:
            raise
        # Prometheus does not start with a rules file it cannot load. Record
        # why for AlertRulesTest and start it without rules, so that the
        # dashboard queries still run.
        _environment["rules_error"] = str(error)
        prometheus, port = harness.start_prometheus_with_rules(workdir, exporter_port, [])
    unittest.addModuleCleanup(prometheus.stop)

    def enough_samples() -> bool:
        result = harness.prometheus_query(port, 'count_over_time(up{job="cdb_sync"}[1m])')
        return bool(result) and float(result[0]["value"][1]) >= MIN_SCRAPES

    harness.wait_until(enough_samples, 30, f"{MIN_SCRAPES} scrapes of the exporter")
    _environment.update(port=port, instance=f"127.0.0.1:{exporter_port}")


def grafana_values(**overrides: str) -> dict[str, str]:
    """Returns the variable values Grafana sends with every option on All:
    the alternation of the values for job and instance, and the allValue .*
    for job_id, src_type and api."""
    values = {
        "datasource": "prometheus",
        "job": "cdb_sync",
        "instance": grafana_regex_escape(_environment["instance"]),
        "job_id": ".*",
        "src_type": ".*",
        "api": ".*",
    }
    values.update(overrides)
    return values


def run_query(expr: str) -> dict:
    return harness.prometheus_api(_environment["port"], "/api/v1/query", {"query": expr})


@unittest.skipUnless(shutil.which("prometheus"), "the prometheus package is not installed")
class DashboardQueriesTest(unittest.TestCase):
    """Every dashboard query against Prometheus, and the values of key panels."""

    @classmethod
    def setUpClass(cls):
        cls.dashboard = load_dashboard()

    def query_results(self, expr: str, source: str) -> list[dict]:
        query = substitute(expr, grafana_values(), source)
        reply = run_query(query)
        self.assertEqual(reply.get("status"), "success",
                         f"{source}: Prometheus rejected the query: {reply.get('error')}\nquery: {query}")
        return reply["data"]["result"]

    def panel_results(self, title: str) -> dict[str, list[dict]]:
        panel = find_panel(self.dashboard, title)
        return {target["refId"]: self.query_results(target["expr"], f"panel {title!r} target {target['refId']}")
                for target in panel["targets"]}

    def test_every_query_runs(self):
        queries = dashboard_queries(self.dashboard)
        self.assertGreater(len(queries), 10)
        for query in queries:
            with self.subTest(query.source):
                result = self.query_results(query.expr, query.source)
                if (query.panel, query.ref_id) in MAY_BE_EMPTY:
                    continue
                self.assertTrue(result, f"{query.source} returned no series\nquery: {query.expr}")
                if query.label:
                    values = sorted({series["metric"].get(query.label, "") for series in result})
                    self.assertNotIn("", values,
                                     f"{query.source}: some series lack the label {query.label}\nquery: {query.expr}")

    def test_job_variable_values(self):
        variable = next(v for v in self.dashboard["templating"]["list"] if v["name"] == "job_id")
        selector = _LABEL_VALUES.match(variable_query_text(variable)).group(1)
        result = self.query_results(selector, "variable 'job_id'")
        self.assertEqual(sorted({series["metric"]["job_id"] for series in result}),
                         sorted(job_id for job_id, _ in JOBS), f"query: {selector}")

    def overview_rows(self) -> dict[tuple[int, int], dict]:
        panel = find_panel(self.dashboard, OVERVIEW_TABLE)
        rows = transform_table(panel, table_frames(panel, self.panel_results(OVERVIEW_TABLE)))
        by_job = {}
        for row in rows:
            key = (str(row["Job ID"]), str(row.get("Source type") or row.get("API")))
            self.assertNotIn(key, by_job, f"panel {OVERVIEW_TABLE!r}: job {key} has two rows: {rows}")
            by_job[key] = row
        return by_job

    def test_overview_status(self):
        panel = find_panel(self.dashboard, OVERVIEW_TABLE)
        mappings = override_property(panel, "Status", "mappings")
        rows = self.overview_rows()
        self.assertEqual(sorted(rows), sorted(JOBS), f"panel {OVERVIEW_TABLE!r}: rows {rows}")
        expected = {
            PASSED_JOB: "passed",
            FAILED_JOB: "failed",
            RUNNING_JOB: "running",
            AUTH_FAILURE_JOB: "unreachable",
            THROTTLED_JOB: "unreachable",
            BAD_GATEWAY_JOB: "unreachable",
            NO_DATA_JOB: "no data",
            DTS_FAILED_JOB: "failed",
            DTS_PASSED_JOB: "passed",
        }
        for job, status in expected.items():
            with self.subTest(job=job):
                self.assertIn("Status", rows[job], f"panel {OVERVIEW_TABLE!r}: job {job} has no status")
                self.assertEqual(mapped_text(mappings, rows[job]["Status"]), status,
                                 f"panel {OVERVIEW_TABLE!r}: status of job {job}, row {rows[job]}")

    def assert_cell(self, rows: dict, job: tuple[int, int], column: str, expected) -> None:
        self.assertEqual(rows[job].get(column), expected,
                         f"panel {OVERVIEW_TABLE!r}: column {column!r} of job {job}, row {rows[job]}")

    def test_overview_step_columns(self):
        rows = self.overview_rows()
        self.assert_cell(rows, PASSED_JOB, "Step", "12 of 12")
        self.assert_cell(rows, FAILED_JOB, "Step", "8 of 12")
        self.assert_cell(rows, RUNNING_JOB, "Step", "4 of 12")
        self.assert_cell(rows, PASSED_JOB, "Current step", "释放源数据库访问权限")
        self.assert_cell(rows, FAILED_JOB, "Current step", "检查目标实例空间")
        self.assert_cell(rows, RUNNING_JOB, "Current step", "尝试连接源实例")
        self.assert_cell(rows, AUTH_FAILURE_JOB, "Step", None)
        self.assert_cell(rows, NO_DATA_JOB, "Step", None)
        self.assert_cell(rows, DTS_FAILED_JOB, "Step", "3 of 5")
        self.assert_cell(rows, DTS_PASSED_JOB, "Step", "4 of 4")
        self.assert_cell(rows, DTS_FAILED_JOB, "API", "dts_sync_check")
        self.assert_cell(rows, DTS_FAILED_JOB, "Source type", None)
        self.assert_cell(rows, PASSED_JOB, "API", None)

    def test_overview_error_columns(self):
        rows = self.overview_rows()
        self.assert_cell(rows, FAILED_JOB, "Error message", "目标实例空间不足")
        self.assert_cell(rows, PASSED_JOB, "Error message", "自建同步检查成功")
        self.assert_cell(rows, AUTH_FAILURE_JOB, "Last API outcome", "api_error")
        self.assert_cell(rows, THROTTLED_JOB, "Last API outcome", "throttled")
        self.assert_cell(rows, BAD_GATEWAY_JOB, "Last API outcome", "http_error")
        self.assert_cell(rows, AUTH_FAILURE_JOB, "API code", 4100)
        self.assert_cell(rows, THROTTLED_JOB, "API code", 4400)
        self.assert_cell(rows, PASSED_JOB, "API code", 0)
        # A 502 reply is not read, so the job has no API code.
        self.assert_cell(rows, BAD_GATEWAY_JOB, "API code", None)

    def test_overview_api_message_column(self):
        rows = self.overview_rows()
        self.assert_cell(rows, AUTH_FAILURE_JOB, "API message", "鉴权失败: 签名计算错误")
        self.assert_cell(rows, THROTTLED_JOB, "API message", "超过配额: 请求的次数超过了配额限制")
        # Code 0 and an unread 502 reply leave the column empty.
        self.assert_cell(rows, PASSED_JOB, "API message", None)
        self.assert_cell(rows, BAD_GATEWAY_JOB, "API message", None)

    def test_overview_hides_helper_values(self):
        rows = self.overview_rows()
        hidden = {"Time", "job", "__name__", "Value #B", "Value #C", "Value #D", "Value #E", "Value #G"}
        for job, row in rows.items():
            self.assertFalse(hidden & set(row), f"panel {OVERVIEW_TABLE!r}: job {job} shows {hidden & set(row)}")

    def test_job_id_variable_filters(self):
        panel = find_panel(self.dashboard, OVERVIEW_TABLE)
        expr = panel["targets"][0]["expr"]
        query = substitute(expr, grafana_values(job_id="207"), f"panel {OVERVIEW_TABLE!r} target A")
        reply = run_query(query)
        self.assertEqual(reply.get("status"), "success", f"query: {query}")
        self.assertEqual([job_key(series["metric"]) for series in reply["data"]["result"]], [FAILED_JOB],
                         f"panel {OVERVIEW_TABLE!r} target A with job_id=207\nquery: {query}")

    def test_api_and_src_type_variables_filter(self):
        panel = find_panel(self.dashboard, OVERVIEW_TABLE)
        expr = panel["targets"][0]["expr"]
        for overrides, expected in (({"api": "dts_sync_check"}, [DTS_FAILED_JOB]),
                                    ({"src_type": "10"}, [NO_DATA_JOB])):
            with self.subTest(**overrides):
                query = substitute(expr, grafana_values(**overrides), f"panel {OVERVIEW_TABLE!r} target A")
                reply = run_query(query)
                self.assertEqual(reply.get("status"), "success", f"query: {query}")
                self.assertEqual([job_key(series["metric"]) for series in reply["data"]["result"]], expected,
                                 f"panel {OVERVIEW_TABLE!r} target A with {overrides}\nquery: {query}")

    def test_count_stats(self):
        for title, expected in COUNT_STATS.items():
            with self.subTest(title):
                [result] = self.panel_results(title).values()
                self.assertEqual(len(result), 1, f"panel {title!r}: {result}")
                expr = find_panel(self.dashboard, title)["targets"][0]["expr"]
                self.assertEqual(float(result[0]["value"][1]), expected, f"panel {title!r}\nquery: {expr}")

    def test_step_timeline_states(self):
        panel = find_panel(self.dashboard, STEP_TIMELINE)
        mappings = panel["fieldConfig"]["defaults"]["mappings"]
        [result] = self.panel_results(STEP_TIMELINE).values()
        states = {}
        for series in result:
            key = job_key(series["metric"]) + (int(series["metric"]["step"]),)
            states[key] = mapped_text(mappings, float(series["value"][1]))
        where = f"panel {STEP_TIMELINE!r}\nquery: {panel['targets'][0]['expr']}"
        self.assertEqual(len(states), 3 * 12 + 5 + 4,
                         f"expected one row per step of jobs 206-208 and the two DTS jobs: {where}")
        self.assertEqual(states.get(FAILED_JOB + (8,)), "failed", f"job 207 step 8: {where}")
        self.assertEqual(states.get(FAILED_JOB + (7,)), "success", f"job 207 step 7: {where}")
        self.assertEqual(states.get(FAILED_JOB + (9,)), "pending", f"job 207 step 9: {where}")
        self.assertEqual(states.get(RUNNING_JOB + (4,)), "pending", f"job 208 step 4: {where}")
        self.assertEqual([states.get(PASSED_JOB + (step,)) for step in range(1, 13)], ["success"] * 12,
                         f"job 206: {where}")
        failed = sorted(key for key, state in states.items() if state == "failed")
        self.assertEqual(failed, sorted([FAILED_JOB + (8,), DTS_FAILED_JOB + (3,)]), f"failed steps: {where}")

    def test_api_code_counts(self):
        [result] = self.panel_results(API_CODE_PANEL).values()
        counts = {series["metric"]["code"]: float(series["value"][1]) for series in result}
        self.assertEqual(counts, {"4100": 1, "4400": 1}, f"panel {API_CODE_PANEL!r}: jobs by code")


def alert_rules() -> list[dict]:
    document = yaml.safe_load(ALERT_RULES.read_text("utf-8"))
    return [rule for group in document.get("groups", []) for rule in group.get("rules", [])]


def rule_name(rule: dict) -> str:
    return rule.get("alert") or rule.get("record") or "?"


@unittest.skipUnless(shutil.which("prometheus"), "the prometheus package is not installed")
@unittest.skipUnless(ALERT_RULES.exists(), f"{ALERT_RULES} does not exist")
class AlertRulesTest(unittest.TestCase):
    """The rules in deploy/prometheus/cdb_sync_alerts.yml, loaded by Prometheus
    and queried directly."""

    def setUp(self):
        if "rules_error" in _environment:
            self.fail(f"Prometheus failed to load {ALERT_RULES}:\n{_environment['rules_error']}")

    def test_every_expression_runs(self):
        rules = alert_rules()
        self.assertTrue(rules, f"{ALERT_RULES} has no rules")
        for rule in rules:
            with self.subTest(rule_name(rule)):
                reply = run_query(rule["expr"])
                self.assertEqual(reply.get("status"), "success",
                                 f"rule {rule_name(rule)!r}: Prometheus rejected the expression: "
                                 f"{reply.get('error')}\nexpr: {rule['expr']}")

    def test_check_failed_alert(self):
        rules = [rule for rule in alert_rules() if re.search(r"check_?failed", rule.get("alert", ""), re.I)]
        self.assertEqual(len(rules), 1, "expected one alert named like CdbSyncCheckFailed, found "
                         f"{[rule_name(rule) for rule in alert_rules()]}")
        [rule] = rules
        reply = run_query(rule["expr"])
        self.assertEqual(reply.get("status"), "success", f"expr: {rule['expr']}")
        jobs = {job_key(series["metric"]) for series in reply["data"]["result"]}
        for failed in (FAILED_JOB, DTS_FAILED_JOB):
            self.assertIn(failed, jobs, f"alert {rule['alert']!r} misses the failing check {failed}\n"
                          f"expr: {rule['expr']}")
        for passed in (PASSED_JOB, DTS_PASSED_JOB):
            self.assertNotIn(passed, jobs, f"alert {rule['alert']!r} fires for the passing check {passed}\n"
                             f"expr: {rule['expr']}")

    def test_rules_loaded_and_healthy(self):
        expected = sorted(rule_name(rule) for rule in alert_rules())
        self.assertTrue(expected, f"{ALERT_RULES} has no rules")
        loaded: list[dict] = []

        def evaluated() -> bool:
            reply = harness.prometheus_api(_environment["port"], "/api/v1/rules")
            loaded[:] = [rule for group in reply["data"]["groups"] for rule in group["rules"]]
            return bool(loaded) and all(rule["health"] != "unknown" for rule in loaded)

        harness.wait_until(evaluated, 15, "Prometheus to evaluate every rule once")
        self.assertEqual(sorted(rule["name"] for rule in loaded), expected, f"rules loaded from {ALERT_RULES}")
        for rule in loaded:
            with self.subTest(rule["name"]):
                self.assertEqual(rule["health"], "ok",
                                 f"rule {rule['name']!r}: {rule.get('lastError')}\nexpr: {rule['query']}")


if __name__ == "__main__":
    unittest.main()

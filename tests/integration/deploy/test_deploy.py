"""Deployment files: each checked by the tool that consumes it, plus what operators rely on.

Nothing is deployed. promtool checks and unit-tests the Prometheus rules and config;
kubernetes-validate checks every manifest against the Kubernetes schema (offline,
strict); amtool checks Alertmanager when installed, and a small route walker checks
where each alert goes. The Dockerfile is parsed, as there is no docker here.
"""

from __future__ import annotations

import importlib
import re
import shlex
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from aitrader_core.observability import REGISTRY
from aitrader_core.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
RULES_DIR = DEPLOY / "prometheus" / "rules"
RULE_FILES = sorted(RULES_DIR.glob("*.rules.yml"))
RULE_TESTS = RULES_DIR / "aitrader.rules.test.yml"
PROMETHEUS_YML = DEPLOY / "prometheus" / "prometheus.yml"
ALERTMANAGER_YML = DEPLOY / "alertmanager" / "alertmanager.yml"
DOCKERFILE = DEPLOY / "Dockerfile"
K8S_DIR = DEPLOY / "k8s"
RUNBOOKS = ROOT / "docs" / "runbooks"
K8S_VERSION = "1.30"  # kubernetes-validate ships its schemas; no network

# Modules whose import registers metrics in the one registry. A module not written yet
# is skipped; its metrics then count as unknown unless listed in PLANNED_METRICS.
METRIC_MODULES = (
    "aitrader_core.observability",
    "aitrader_core.ingest.feed",
    "aitrader_core.news.metrics",
    "aitrader_core.sentiment.metrics",
    "aitrader_core.ml.metrics",
    "aitrader_core.app.live",
    "aitrader_core.live.autoheal",
    "aitrader_core.scheduler.metrics",
    "service.app",
)
# Metrics the alert rules use before the code exports them (issue 9). Remove a name
# as soon as its metric is registered: the test fails on a stale entry.
PLANNED_METRICS: frozenset[str] = frozenset()
SEVERITIES = {"critical", "warning", "none"}
SETTINGS_READ_ELSEWHERE = {
    "AITRADER_SERVICE_URL",  # the dashboard's HTTP client (aitrader_core.ui), not Settings
}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603


@pytest.fixture(scope="module")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail(
            "promtool is not installed: `make test` installs it (Debian package `prometheus`) "
            "through tools/system-deps.sh; run that script as root, or "
            "`sudo apt-get install -y prometheus`",
            pytrace=False,
        )
    return path


# --- Prometheus ----------------------------------------------------------------------------
def _rule_groups() -> Iterator[dict[str, Any]]:
    for path in RULE_FILES:
        yield from yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]


def _alerts() -> list[dict[str, Any]]:
    return [rule for group in _rule_groups() for rule in group["rules"] if "alert" in rule]


def test_alert_rules_pass_promtool_check(promtool: str) -> None:
    assert RULE_FILES, "no rule files under deploy/prometheus/rules"
    result = _run(promtool, "check", "rules", *map(str, RULE_FILES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_unit_tests_pass(promtool: str) -> None:
    # rule_files in the test file are relative to the test file itself
    result = _run(promtool, "test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_unit_tests_cover_the_paging_alerts() -> None:
    """Broker down, daily loss and SLO burn are each proven to fire, and SLO burn to stay quiet."""
    cases = yaml.safe_load(RULE_TESTS.read_text(encoding="utf-8"))["tests"]
    fired: set[str] = set()
    quiet: set[str] = set()
    for case in cases:
        for check in case.get("alert_rule_test", []):
            (fired if check.get("exp_alerts") else quiet).add(check["alertname"])
    assert {"AITraderBrokerDown", "AITraderDailyLossBreached", "AITraderErrorBudgetBurn"} <= fired
    assert {"AITraderBrokerDown", "AITraderErrorBudgetBurn"} <= quiet


def test_prometheus_config_passes_promtool(promtool: str, tmp_path: Path) -> None:
    result = _run(promtool, "check", "config", str(PROMETHEUS_YML))
    if "field kubernetes_sd_configs not found" in result.stdout + result.stderr:
        # Debian's promtool is built without the Kubernetes service discovery. Check the
        # rest of the file (relabelling, rule files) with that block swapped for a static
        # target; the block itself is checked structurally below.
        config = yaml.safe_load(PROMETHEUS_YML.read_text(encoding="utf-8"))
        config["rule_files"] = [str(PROMETHEUS_YML.parent / p) for p in config["rule_files"]]
        for job in config["scrape_configs"]:
            if job.pop("kubernetes_sd_configs", None) is not None:
                job["static_configs"] = [{"targets": ["10.0.0.1:8000"]}]
        copy = tmp_path / "prometheus.yml"
        copy.write_text(yaml.safe_dump(config), encoding="utf-8")
        result = _run(promtool, "check", "config", str(copy))
    assert result.returncode == 0, result.stdout + result.stderr
    # the rule files were found relative to the config and checked with it
    assert re.search(r"SUCCESS: [1-9]\d* rule files found", result.stdout), result.stdout


def test_prometheus_config_discovers_the_annotated_pods() -> None:
    config = yaml.safe_load(PROMETHEUS_YML.read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    sd = jobs["aitrader"]["kubernetes_sd_configs"]
    assert sd == [{"role": "pod", "namespaces": {"names": ["aitrader"]}}]
    relabel = jobs["aitrader"]["relabel_configs"]
    assert {
        "source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
        "action": "keep",
        "regex": "true",
    } in relabel
    targets = {r.get("target_label") for r in relabel}
    assert {"__address__", "__metrics_path__", "namespace", "pod", "component"} <= targets
    static = jobs["aitrader-static"]
    assert static["metrics_path"] == "/metrics"
    assert static["static_configs"][0]["labels"]["component"] == "api"


def test_every_alert_has_severity_annotations_and_a_runbook() -> None:
    alerts = _alerts()
    assert alerts
    for rule in alerts:
        name = rule["alert"]
        assert rule.get("labels", {}).get("severity") in SEVERITIES, name
        annotations = rule.get("annotations", {})
        assert {"summary", "description", "runbook_url"} <= annotations.keys(), name
        match = re.search(r"/(docs/runbooks/[\w-]+\.md)#([\w-]+)$", annotations["runbook_url"])
        assert match, f"{name}: runbook_url must end in docs/runbooks/<file>.md#<anchor>"
        runbook = ROOT / match.group(1)
        assert runbook.is_file(), f"{name}: {match.group(1)} does not exist"
        assert match.group(2) in _anchors(runbook), f"{name}: no heading #{match.group(2)}"


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", path.read_text(encoding="utf-8"), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def test_required_alerts_exist() -> None:
    names = {rule["alert"] for rule in _alerts()}
    assert {
        "AITraderBrokerDown",
        "AITraderDailyLossBreached",
        "AITraderReconciliationFailed",
        "AITraderScheduledRunFailed",
        "AITraderDriftDetected",
        "AITraderErrorBudgetBurn",
    } <= names


def _registered_metric_names() -> set[str]:
    for module in METRIC_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_sum", "_count", "_created"),
        "summary": ("_sum", "_count", "_created"),
        "info": ("_info",),
    }
    names: set[str] = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        names.update(family.name + s for s in suffixes.get(family.type, ()))
    return names


def _rule_metric_names() -> set[str]:
    exprs = [rule["expr"] for group in _rule_groups() for rule in group["rules"]]
    return {m for e in exprs for m in re.findall(r"(?<![\w:])aitrader_[a-z0-9_]+", e)}


def test_rules_use_only_metrics_that_exist_or_are_planned() -> None:
    used = _rule_metric_names()
    registered = _registered_metric_names()
    unknown = used - registered - PLANNED_METRICS
    assert not unknown, f"rules use metrics nobody registers: {sorted(unknown)}"
    stale = PLANNED_METRICS & registered
    assert not stale, f"now registered, remove from PLANNED_METRICS: {sorted(stale)}"
    assert used >= PLANNED_METRICS, "PLANNED_METRICS lists a metric no rule uses"


# --- Alertmanager ------------------------------------------------------------------------
def _alertmanager() -> dict[str, Any]:
    return yaml.safe_load(ALERTMANAGER_YML.read_text(encoding="utf-8"))


def test_alertmanager_config_passes_amtool_when_installed() -> None:
    amtool = shutil.which("amtool")
    if amtool is None:  # not packaged with promtool; the structural tests below still run
        return
    result = _run(amtool, "check-config", str(ALERTMANAGER_YML))
    assert result.returncode == 0, result.stdout + result.stderr


def _routes(route: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield route
    for child in route.get("routes", []):
        yield from _routes(child)


def test_alertmanager_routes_name_existing_receivers_only() -> None:
    config = _alertmanager()
    receivers = [r["name"] for r in config["receivers"]]
    assert len(receivers) == len(set(receivers)), "duplicate receiver names"
    used = {route["receiver"] for route in _routes(config["route"]) if "receiver" in route}
    assert used <= set(receivers), f"routes name missing receivers: {used - set(receivers)}"
    assert set(receivers) <= used, f"receivers no route reaches: {set(receivers) - used}"


def test_alertmanager_reads_secrets_from_files() -> None:
    config = _alertmanager()
    global_file = "slack_api_url_file" in config.get("global", {})
    assert "slack_api_url" not in config.get("global", {})
    for receiver in config["receivers"]:
        for slack in receiver.get("slack_configs", []):
            assert "api_url" not in slack
            assert global_file or "api_url_file" in slack
        for pd in receiver.get("pagerduty_configs", []):
            assert "routing_key_file" in pd
            assert not {"routing_key", "service_key"} & pd.keys()
        for hook in receiver.get("webhook_configs", []):
            assert "url_file" in hook
            assert "url" not in hook


_MATCHER = re.compile(r'^\s*(\w+)\s*(=~|!~|!=|=)\s*"(.*)"\s*$')


def _matches(route: dict[str, Any], labels: dict[str, str]) -> bool:
    for matcher in route.get("matchers", []):
        found = _MATCHER.match(matcher)
        assert found, f"unsupported matcher syntax in the test's walker: {matcher!r}"
        name, op, value = found.groups()
        actual = labels.get(name, "")
        ok = {
            "=": actual == value,
            "!=": actual != value,
            "=~": re.fullmatch(value, actual) is not None,
            "!~": re.fullmatch(value, actual) is None,
        }[op]
        if not ok:
            return False
    return True


def _receivers_for(
    route: dict[str, Any], labels: dict[str, str], inherited: str | None = None
) -> list[str]:
    """Alertmanager's walk: first matching child (more while `continue`), else this route."""
    receiver = route.get("receiver", inherited)
    found: list[str] = []
    for child in route.get("routes", []):
        if _matches(child, labels):
            found += _receivers_for(child, labels, receiver)
            if not child.get("continue", False):
                break
    assert receiver, "a route without a receiver to inherit"
    return found or [receiver]


@pytest.mark.parametrize(
    ("severity", "alertname", "expected"),
    [
        ("critical", "AITraderBrokerDown", ["pagerduty", "slack"]),
        ("warning", "AITraderScheduledRunFailed", ["slack"]),
        ("none", "AITraderWatchdog", ["deadman"]),
    ],
)
def test_alertmanager_routes_by_severity(
    severity: str, alertname: str, expected: list[str]
) -> None:
    labels = {"alertname": alertname, "severity": severity}
    assert _receivers_for(_alertmanager()["route"], labels) == expected


def test_every_rule_severity_reaches_a_receiver_with_a_destination() -> None:
    config = _alertmanager()
    receivers = {r["name"]: r for r in config["receivers"]}
    for rule in _alerts():
        labels = {"alertname": rule["alert"], **rule["labels"]}
        for name in _receivers_for(config["route"], labels):
            assert any(k.endswith("_configs") for k in receivers[name]), (rule["alert"], name)


# --- Kubernetes --------------------------------------------------------------------------
def _documents() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S_DIR.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                docs.append((path.name, doc))
    return docs


DOCS = _documents()


def _of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for _, d in DOCS if d["kind"] == kind}


def _pod_specs() -> Iterator[tuple[str, dict[str, Any]]]:
    for _, doc in DOCS:
        if doc["kind"] in {"Deployment", "Job", "StatefulSet", "DaemonSet"}:
            yield doc["metadata"]["name"], doc["spec"]["template"]["spec"]


@pytest.mark.parametrize(
    "doc", [d for _, d in DOCS], ids=[f"{f}:{d['kind']}/{d['metadata']['name']}" for f, d in DOCS]
)
def test_manifest_validates_against_the_kubernetes_schema(doc: dict[str, Any]) -> None:
    """Strict: unknown fields fail too. A kind without a schema raises SchemaNotFoundError."""
    error = None
    try:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        error = f"{'.'.join(str(p) for p in exc.path)}: {exc.message}"
    assert error is None, error  # outside the handler: the schema dump is not chained in


def test_manifests_cover_the_deployment() -> None:
    assert set(_of_kind("Deployment")) == {
        "aitrader-api",
        "aitrader-dashboard",
        "aitrader-scheduler",
    }
    assert {"aitrader-api", "aitrader-dashboard"} <= set(_of_kind("Service"))
    assert {"Namespace", "ConfigMap", "Secret", "PersistentVolumeClaim", "Job"} <= {
        d["kind"] for _, d in DOCS
    }
    assert {d["metadata"].get("namespace", d["metadata"]["name"]) for _, d in DOCS} == {"aitrader"}


def _container(deployment: str) -> dict[str, Any]:
    (container,) = _of_kind("Deployment")[deployment]["spec"]["template"]["spec"]["containers"]
    return container


def _port_number(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        assert port in {p["containerPort"] for p in container["ports"]}
        return port
    (number,) = [p["containerPort"] for p in container["ports"] if p.get("name") == port]
    return int(number)


def test_api_probes_hit_health_routes_on_the_container_port() -> None:
    api = _container("aitrader-api")
    assert api["command"][api["command"].index("--port") + 1] == "8000"
    for probe, path in [
        ("startupProbe", "/health/live"),
        ("livenessProbe", "/health/live"),
        ("readinessProbe", "/health/ready"),
    ]:
        get = api[probe]["httpGet"]
        assert get["path"] == path, probe
        assert _port_number(api, get["port"]) == 8000, probe


def test_services_reach_their_pods() -> None:
    deployments = _of_kind("Deployment")
    for name, service in _of_kind("Service").items():
        pods = deployments[name]["spec"]["template"]
        selector = service["spec"]["selector"]
        assert selector.items() <= pods["metadata"]["labels"].items(), name
        (container,) = pods["spec"]["containers"]
        for port in service["spec"]["ports"]:
            _port_number(container, port["targetPort"])


def test_scrape_annotations_name_a_container_port() -> None:
    scraped = 0
    for doc in _of_kind("Deployment").values():
        template = doc["spec"]["template"]
        annotations = template["metadata"].get("annotations", {})
        if annotations.get("prometheus.io/scrape") != "true":
            continue
        scraped += 1
        (container,) = template["spec"]["containers"]
        _port_number(container, int(annotations["prometheus.io/port"]))
        assert annotations["prometheus.io/path"] == "/metrics"
    assert scraped >= 1


def _env_refs(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for container in spec["containers"]:
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                yield env["name"], ref


def test_secret_holds_every_key_the_pods_read() -> None:
    secrets = _of_kind("Secret")
    for workload, spec in _pod_specs():
        for env_name, ref in _env_refs(spec):
            if ref.get("optional"):
                continue  # e.g. exchange keys, created by the operator when needed
            secret = secrets.get(ref["name"])
            assert secret, f"{workload}: {env_name} reads missing Secret {ref['name']}"
            keys = {**secret.get("data", {}), **secret.get("stringData", {})}
            assert ref["key"] in keys, f"{workload}: Secret {ref['name']} lacks {ref['key']}"


def test_database_url_comes_from_the_secret() -> None:
    (secret,) = _of_kind("Secret").values()
    url = secret["stringData"]["db-url"]
    assert url.startswith("postgresql+psycopg://")
    assert "CHANGE-ME" in url
    assert "CHANGE-ME" in secret["stringData"]["api-token"]
    for workload in ("aitrader-api", "aitrader-scheduler", "aitrader-db-upgrade"):
        spec = (_of_kind("Deployment") | _of_kind("Job"))[workload]["spec"]["template"]["spec"]
        refs = dict(_env_refs(spec))
        assert refs["AITRADER_DB_URL"] == {"name": secret["metadata"]["name"], "key": "db-url"}


def test_config_keys_are_settings() -> None:
    """Settings ignores unknown variables, so a misspelt one would silently do nothing."""
    fields = {f"AITRADER_{name.upper()}" for name in Settings.model_fields}
    names = set()
    for config_map in _of_kind("ConfigMap").values():
        names |= set(config_map["data"])
    for _, spec in _pod_specs():
        for container in spec["containers"]:
            names |= {e["name"] for e in container.get("env", [])}
    unknown = {n for n in names if n.startswith("AITRADER_")} - fields - SETTINGS_READ_ELSEWHERE
    assert not unknown, f"not Settings fields: {sorted(unknown)}"


def test_config_maps_and_claims_referenced_exist() -> None:
    config_maps, claims = _of_kind("ConfigMap"), _of_kind("PersistentVolumeClaim")
    for workload, spec in _pod_specs():
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in config_maps, workload
        for volume in spec.get("volumes", []):
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims, workload


@pytest.mark.parametrize("name", ["aitrader-scheduler", "aitrader-api"])
def test_singletons_never_run_twice(name: str) -> None:
    """Scheduler: a notebook never runs twice at once. API: one live coordinator."""
    spec = _of_kind("Deployment")[name]["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}


def test_scheduler_keeps_its_runs_on_the_volume() -> None:
    """Run records live under AITRADER_HOME (the image's /var/lib/aitrader): the claim."""
    scheduler = _of_kind("Deployment")["aitrader-scheduler"]["spec"]["template"]["spec"]
    (container,) = scheduler["containers"]
    assert container["command"] == ["aitrader", "schedule", "serve"]
    (claim,) = [v["name"] for v in scheduler["volumes"] if "persistentVolumeClaim" in v]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert "AITRADER_HOME=/var/lib/aitrader" in DOCKERFILE.read_text(encoding="utf-8")
    assert mounts[claim] == "/var/lib/aitrader"
    for config_map in _of_kind("ConfigMap").values():
        assert "AITRADER_HOME" not in config_map["data"]


@pytest.mark.parametrize("workload", [name for name, _ in _pod_specs()])
def test_containers_are_limited_and_unprivileged(workload: str) -> None:
    spec = dict(_pod_specs())[workload]
    pod = spec.get("securityContext", {})
    assert spec.get("automountServiceAccountToken") is False
    for container in spec["containers"] + spec.get("initContainers", []):
        where = f"{workload}/{container['name']}"
        resources = container.get("resources", {})
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= resources.get(kind, {}).keys(), f"{where}: {kind}"
        ctx = {**pod, **container.get("securityContext", {})}
        assert ctx.get("runAsNonRoot") is True, where
        assert ctx.get("runAsUser", 1) != 0, where
        assert ctx.get("allowPrivilegeEscalation") is False, where
        assert ctx.get("readOnlyRootFilesystem") is True, where
        assert ctx.get("capabilities", {}).get("drop") == ["ALL"], where
        assert ctx.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
        # a read-only root needs a writable /tmp (numba cache, Jupyter runtime files)
        mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
        assert "/tmp" in mounts, where  # noqa: S108


def test_images_are_pinned_to_a_tag() -> None:
    for workload, spec in _pod_specs():
        for container in spec["containers"]:
            image = container["image"]
            assert re.search(r":[\w.-]+$|@sha256:", image), workload
            assert not image.endswith(":latest"), workload


# --- Dockerfile ------------------------------------------------------------------------------
def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuations joined and heredoc bodies dropped."""
    lines = DOCKERFILE.read_text(encoding="utf-8").splitlines()
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line or line.startswith("#"):
            continue
        while line.endswith("\\") and i < len(lines):
            line = line[:-1].rstrip() + " " + lines[i].strip()
            i += 1
        heredoc = re.search(r"<<-?'?(\w+)'?", line)
        if heredoc:
            while i < len(lines) and lines[i].strip() != heredoc.group(1):
                i += 1
            i += 1
        keyword, _, args = line.partition(" ")
        out.append((keyword.upper(), args.strip()))
    return out


def test_dockerfile_bases_on_python_311() -> None:
    stages = [args.split()[0] for kw, args in _instructions() if kw == "FROM"]
    assert stages
    for image in stages:
        assert image.startswith("python:3.11"), image


def test_dockerfile_runs_as_non_root() -> None:
    runtime = _last_stage()
    users = [args for kw, args in runtime if kw == "USER"]
    assert users, "the runtime stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert user.isdigit(), "a numeric uid lets Kubernetes verify runAsNonRoot"
    assert f"--uid {user}" in " ".join(args for kw, args in runtime if kw == "RUN")


def _last_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    start = max(i for i, (kw, _) in enumerate(instructions) if kw == "FROM")
    return instructions[start:]


def test_dockerfile_health_ports_and_command() -> None:
    runtime = dict(_last_stage())
    assert "/health/live" in runtime["HEALTHCHECK"]
    assert runtime["HEALTHCHECK"].split("CMD", 1)[0].strip(), "HEALTHCHECK without timings"
    assert set(runtime["EXPOSE"].split()) == {"8000", "8866"}
    assert yaml.safe_load(runtime["CMD"]) == ["aitrader", "serve", "--host", "0.0.0.0"]  # noqa: S104


def test_dockerfile_installs_only_what_pyproject_pins() -> None:
    """Every pip install takes the project or a list generated from pyproject.toml."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    installs = [
        args
        for kw, args in _instructions()
        if kw == "RUN"
        for args in re.split(r"&&", args)
        if "pip install" in args
    ]
    assert installs
    generated = set(re.findall(r">\s*(\S+requirements\.txt)", text))
    assert generated, "no requirements file generated"
    assert 'tomllib.load(open("pyproject.toml"' in text
    for command in installs:
        words = shlex.split(command.split("pip install", 1)[1])
        targets = [w for w in words if not w.startswith("-")]
        for target in targets:
            assert target == "." or target in generated, f"unpinned install: {target}"
        if "-r" in words:
            assert words[words.index("-r") + 1] in generated


def test_image_dependencies_are_pinned_in_pyproject() -> None:
    """What the image installs (dependencies + the default EXTRAS) is pinned exactly."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (extras,) = re.findall(r"^ARG EXTRAS=(\S+)$", DOCKERFILE.read_text(encoding="utf-8"), re.M)
    wanted = list(project["dependencies"])
    for extra in extras.split(","):
        wanted += project["optional-dependencies"][extra]
    unpinned = [r for r in wanted if "==" not in r]
    assert not unpinned, f"unpinned in pyproject.toml: {unpinned}"


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".venv", "var", ".git"} <= set(ignored)


# --- Runbooks --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["news-worker.md", "scheduler.md", "prometheus.md", "deployment.md"]
)
def test_runbook_exists_with_checks_and_remedies(name: str) -> None:
    text = (RUNBOOKS / name).read_text(encoding="utf-8")
    assert "```" in text, f"{name}: no exact commands"
    assert re.search(r"(?i)escalat", text), f"{name}: no escalation"

"""The Helm chart, offline: `helm lint --strict` through the Helm SDK that helm-python-sdk
bundles (no helm binary, no cluster, no network), rendering with the default values, the
production example and every optional part on, each rendered manifest validated against
the newest Kubernetes schemas kubernetes-validate ships, and the structure that matters.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import msgspec
import pytest
import yaml

from ebhxh.settings import Settings
from tests.conftest import scrape

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "helm" / "ebhxh"
PRODUCTION = CHART / "values-production.yaml"
KUBERNETES = kubernetes_validate.utils.latest_version()
CUSTOM_KINDS = {"PrometheusRule"}  # a CRD of the Prometheus Operator: no bundled schema
HOOK_PHASES = "pre-install,pre-upgrade"
PLUGIN_VARIABLES = {"EBHXH_HSM_MODULES"}  # read by the HSM signer plugin, not Settings

EVERYTHING_ON: dict[str, Any] = {
    "sandbox": {"enabled": True},
    "ingress": {"enabled": True, "className": "nginx", "tls": [{"secretName": "t"}]},
    "api": {"autoscaling": {"enabled": True}},
    "worker": {"autoscaling": {"enabled": True}},
    "prometheusRule": {"enabled": True},
    "networkPolicy": {
        "egress": {"restrict": True, "to": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}
    },
    "trustStore": {"configMap": "trust"},
    "secrets": {"secretKeys": "a-key"},
}


def production_values() -> dict[str, Any]:
    return helm.values_from_yaml(PRODUCTION.read_text(encoding="utf-8"))


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every manifest the chart renders for a first install with `values`."""
    with helm.Chart.load(CHART) as chart:
        files = chart.render(values, name="rel", namespace="ebhxh", is_install=True)
    return [
        document
        for name, text in sorted(files.items())
        if name.endswith(".yaml")
        for document in yaml.safe_load_all(text)
        if document
    ]


CASES = {
    "default": None,
    "production": production_values(),
    "everything-on": EVERYTHING_ON,
}


@pytest.fixture(scope="module", params=list(CASES))
def manifests(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(CASES[request.param])


def one(manifests: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)}"
    return found[0]


def pod_specs(manifests: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for manifest in manifests:
        if manifest["kind"] in {"Deployment", "Job"}:
            yield manifest["metadata"]["name"], manifest["spec"]["template"]["spec"]


def containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


@pytest.mark.parametrize("case", list(CASES))
def test_the_chart_passes_helm_lint_strict(case: str) -> None:
    report = helm.lint(CHART, CASES[case], strict=True, namespace="ebhxh")
    assert report["errors"] == []
    # Strict: nothing above "info" (the only info is the missing icon).
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_every_rendered_manifest_validates_against_kubernetes(
    manifests: list[dict[str, Any]],
) -> None:
    kinds = set()
    for manifest in manifests:
        kinds.add(manifest["kind"])
        if manifest["kind"] in CUSTOM_KINDS:
            continue
        kubernetes_validate.validate(manifest, KUBERNETES, strict=True)
    assert {"Deployment", "Service", "ConfigMap", "Job", "NetworkPolicy"} <= kinds


def test_the_validator_is_not_vacuous() -> None:
    broken = copy.deepcopy(one(render(), "Deployment", "rel-ebhxh-api"))
    broken["spec"]["template"]["spec"]["containers"][0]["securityContext"]["runAsUser"] = "root"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES, strict=True)


def test_migrations_are_a_pre_install_and_pre_upgrade_hook_that_app_pods_wait_for(
    manifests: list[dict[str, Any]],
) -> None:
    job = one(manifests, "Job", "rel-ebhxh-migrate")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == HOOK_PHASES
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    # Its configuration exists before it: hook copies with a lower weight.
    hook_config = one(manifests, "ConfigMap", "rel-ebhxh-migrate")["metadata"]["annotations"]
    assert hook_config["helm.sh/hook"] == HOOK_PHASES
    assert int(hook_config["helm.sh/hook-weight"]) < int(annotations["helm.sh/hook-weight"])
    for name in ("rel-ebhxh-api", "rel-ebhxh-worker"):
        init = one(manifests, "Deployment", name)["spec"]["template"]["spec"]["initContainers"]
        assert init[0]["args"][:2] == ["migrate", "--wait"]


def test_probes(manifests: list[dict[str, Any]]) -> None:
    api = one(manifests, "Deployment", "rel-ebhxh-api")["spec"]["template"]["spec"]
    container = api["containers"][0]
    assert container["startupProbe"]["httpGet"]["path"] == "/health"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    worker = one(manifests, "Deployment", "rel-ebhxh-worker")["spec"]["template"]["spec"]
    container = worker["containers"][0]
    for probe in ("startupProbe", "livenessProbe"):  # the light module, not the whole CLI
        assert container[probe]["exec"]["command"] == ["python", "-m", "ebhxh.worker.probe"]
    assert "readinessProbe" not in container  # workers take no Service traffic
    # The probe checks this pod's own heartbeat: the worker is named after the pod.
    worker_id = next(e for e in container["env"] if e["name"] == "EBHXH_WORKER_ID")
    assert worker_id["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"


def test_every_pod_is_hardened(manifests: list[dict[str, Any]]) -> None:
    specs = dict(pod_specs(manifests))
    assert {"rel-ebhxh-api", "rel-ebhxh-worker", "rel-ebhxh-migrate"} <= set(specs)
    for name, spec in specs.items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        scratch = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        assert {"tmp", "data"} <= scratch, name
        for container in containers(spec):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert context["runAsNonRoot"] is True, name
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounts["/tmp"] == "tmp", name  # noqa: S108 - a path inside the pod
            assert container["resources"]["requests"] and container["resources"]["limits"], name


def _config(manifests: list[dict[str, Any]]) -> dict[str, str]:
    data: dict[str, str] = one(manifests, "ConfigMap", "rel-ebhxh")["data"]
    return data


def test_the_worker_grace_period_covers_the_longest_job(manifests: list[dict[str, Any]]) -> None:
    timeout = int(_config(manifests)["EBHXH_JOB_TIMEOUT_SECONDS"])
    worker = one(manifests, "Deployment", "rel-ebhxh-worker")["spec"]["template"]["spec"]
    assert worker["terminationGracePeriodSeconds"] >= timeout
    api = one(manifests, "Deployment", "rel-ebhxh-api")["spec"]["template"]["spec"]
    drain = int(_config(manifests)["EBHXH_SHUTDOWN_GRACE_SECONDS"])
    assert api["terminationGracePeriodSeconds"] > drain


def test_the_grace_period_follows_the_job_timeout_and_refuses_less() -> None:
    derived = render({"config": {"jobTimeoutSeconds": 600, "outboxLeaseSeconds": 900}})
    worker = one(derived, "Deployment", "rel-ebhxh-worker")["spec"]["template"]["spec"]
    assert worker["terminationGracePeriodSeconds"] == 615
    with pytest.raises(helm.HelmError, match=r"must be at least config\.jobTimeoutSeconds"):
        render({"worker": {"terminationGracePeriodSeconds": 60}})
    with pytest.raises(helm.HelmError, match="outboxLeaseSeconds must exceed"):
        render({"config": {"jobTimeoutSeconds": 300, "outboxLeaseSeconds": 200}})
    # Running jobs stay in the queue: a look must cover every worker slot.
    slots = {"enabled": True, "minReplicas": 2, "maxReplicas": 12}
    too_few = r"workerQueueRead \(100\) must be at least .* \(120\)"
    with pytest.raises(helm.HelmError, match=too_few):
        render({"worker": {"autoscaling": slots}})
    render({"worker": {"autoscaling": slots}, "config": {"workerQueueRead": 120}})
    many_jobs = {"worker": {"replicas": 3}, "config": {"workerMaxJobs": 40}}
    render(many_jobs)  # 0 reads 5 x 40 = 200, enough for 3 x 40
    with pytest.raises(helm.HelmError, match=r"workerQueueRead \(100\) .* \(120\)"):
        render({**many_jobs, "config": {"workerMaxJobs": 40, "workerQueueRead": 100}})


def test_the_configuration_is_what_the_platform_reads(manifests: list[dict[str, Any]]) -> None:
    config = _config(manifests)
    known = {"EBHXH_" + f.name.upper() for f in msgspec.structs.fields(Settings)}
    assert set(config) <= known | PLUGIN_VARIABLES
    settings = Settings.from_env(config)  # every value parses as the platform would
    assert settings.job_timeout_seconds < settings.outbox_lease_seconds


def test_no_release_runs_the_development_identity_provider(
    manifests: list[dict[str, Any]],
) -> None:
    config = _config(manifests)
    assert config["EBHXH_DEV_IDP"] == "false"
    # The config map alone looks like the embedded default (the database URL is in the
    # secret), where the provider would be on by default: the explicit "false" wins.
    settings = Settings.from_env(config)
    assert settings.embedded
    assert settings.dev_idp_enabled is False


@pytest.mark.parametrize(
    "values",
    [
        {"config": {"extra": {"EBHXH_DEV_IDP": "true"}}},
        {"api": {"extraEnv": [{"name": "EBHXH_DEV_IDP", "value": "true"}]}},
        {"worker": {"extraEnv": [{"name": "EBHXH_DEV_IDP", "value": "1"}]}},
    ],
    ids=["config-extra", "api-env", "worker-env"],
)
def test_the_chart_refuses_to_turn_on_the_development_identity_provider(
    values: dict[str, Any],
) -> None:
    with pytest.raises(helm.HelmError, match="development identity provider"):
        render(values)


def test_a_configuration_change_rolls_the_pods() -> None:
    def checksum(values: dict[str, Any] | None) -> str:
        deployment = one(render(values), "Deployment", "rel-ebhxh-worker")
        return str(deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"])

    assert checksum(None) == checksum(None)
    assert checksum(None) != checksum({"config": {"logLevel": "DEBUG"}})


def test_production_uses_its_secret_autoscales_and_has_no_sandbox() -> None:
    manifests = render(production_values())
    kinds = {(m["kind"], m["metadata"]["name"]) for m in manifests}
    assert not [k for k in kinds if "sandbox" in k[1]]
    assert ("Secret", "rel-ebhxh") not in kinds  # existingSecret: the chart writes none
    env_from = one(manifests, "Deployment", "rel-ebhxh-api")["spec"]["template"]["spec"]
    refs = [e.get("secretRef", {}).get("name") for e in env_from["containers"][0]["envFrom"]]
    assert "ebhxh-credentials" in refs
    assert {
        ("HorizontalPodAutoscaler", "rel-ebhxh-api"),
        ("HorizontalPodAutoscaler", "rel-ebhxh-worker"),
    } <= kinds
    assert {
        ("PodDisruptionBudget", "rel-ebhxh-api"),
        ("PodDisruptionBudget", "rel-ebhxh-worker"),
    } <= kinds
    assert one(manifests, "Ingress", "rel-ebhxh")["spec"]["tls"]
    for deployment in ("rel-ebhxh-api", "rel-ebhxh-worker"):
        assert "replicas" not in one(manifests, "Deployment", deployment)["spec"]  # the HPA's


def _secret_refs(spec: dict[str, Any]) -> set[str]:
    return {
        e["secretRef"]["name"] for c in containers(spec) for e in c["envFrom"] if "secretRef" in e
    }


def test_only_the_migrations_see_the_database_owner() -> None:
    """Row-level security holds only for a role that owns no table: the app pods get the
    app role's URL, the migrations Job the owner's too.
    """
    manifests = render()
    app_secret = one(manifests, "Secret", "rel-ebhxh")["data"]
    hook_secret = one(manifests, "Secret", "rel-ebhxh-migrate")["data"]
    assert "EBHXH_DATABASE_OWNER_URL" not in app_secret
    assert "EBHXH_DATABASE_OWNER_URL" in hook_secret
    assert app_secret["EBHXH_DATABASE_URL"] == hook_secret["EBHXH_DATABASE_URL"]
    production = dict(pod_specs(render(production_values())))
    owner = production_values()["secrets"]["existingOwnerSecret"]
    assert owner in _secret_refs(production.pop("rel-ebhxh-migrate"))
    assert production and all(owner not in _secret_refs(spec) for spec in production.values())


def test_the_sandbox_is_reachable_only_from_the_release_pods() -> None:
    manifests = render({"sandbox": {"enabled": True}})
    assert _config(manifests)["EBHXH_VSS_URL"] == "http://rel-ebhxh-sandbox:8100"
    policy = one(manifests, "NetworkPolicy", "rel-ebhxh-sandbox")["spec"]
    sources = [
        s["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
        for s in policy["ingress"][0]["from"]
    ]
    assert sorted(sources) == ["api", "worker"]
    assert "NetworkPolicy" in {m["kind"] for m in render()}
    assert not [m for m in render() if "sandbox" in m["metadata"]["name"]]  # off by default


def test_the_values_schema_refuses_bad_values() -> None:
    with helm.Chart.load(CHART) as chart:
        chart.validate_schema(production_values())
        for bad in (
            {"sandbox": {"enabled": "yes"}},
            {"config": {"jobTimeoutSeconds": 0}},
            {"config": {"workerMaxJobs": 0}},
            {"config": {"workerQueueRead": -1}},
            {"api": {"replicas": "two"}},
            {"unknownSection": {}},
            {"secrets": {"databaseUrl": "mysql://x"}},
            {"secrets": {"databaseOwnerUrl": "mysql://x"}},
        ):
            with pytest.raises(helm.HelmValuesError):
                chart.validate_schema(bad)


def test_every_alert_is_explained_in_the_operator_docs() -> None:
    rule = one(render({"prometheusRule": {"enabled": True}}), "PrometheusRule", "rel-ebhxh")
    rules = [r for group in rule["spec"]["groups"] for r in group["rules"]]
    assert len(rules) >= 6
    docs = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for alert in rules:
        assert re.search(rf"^### {alert['alert']}$", docs, re.MULTILINE), alert["alert"]
        assert "ebhxh_" in alert["expr"]  # every alert reads the platform's own series


def test_the_image_runs_as_a_non_root_user_without_build_tools() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = re.split(r"^FROM ", dockerfile, flags=re.MULTILINE)
    assert len(stages) >= 3  # a build stage and a runtime stage
    final = stages[-1]
    assert re.search(r"^USER 10001", final, re.MULTILINE)
    assert "build-essential" not in final and "uv sync" not in final
    assert 'ENTRYPOINT ["ebhxh"]' in final


RESERVED_LABELS = {"job", "instance"}
"""Labels Prometheus sets on every scraped series; a series of ours using one is renamed."""


async def test_alerts_read_series_and_labels_the_platform_exports(client: Any) -> None:
    """Every series and label an alert reads is one the platform exports (the worker's
    series as declared, the API's as scraped), and none uses a label Prometheus reserves.
    """
    from prometheus_client.metrics import MetricWrapperBase
    from prometheus_client.parser import text_string_to_metric_families

    from ebhxh.metrics import series

    declared: dict[str, set[str]] = {}
    for metric in vars(series).values():
        if isinstance(metric, MetricWrapperBase):
            for suffix in ("", "_total", "_count", "_sum", "_bucket"):
                extra = {"le"} if suffix == "_bucket" else set()
                declared[metric._name + suffix] = set(metric._labelnames) | extra
    await client.get("/health")
    scraped = scrape(client)
    assert scraped.status_code == 200, scraped.text
    for family in text_string_to_metric_families(scraped.text):
        for sample in family.samples:
            declared.setdefault(sample.name, set()).update(sample.labels)
    ours = {name: labels for name, labels in declared.items() if name.startswith("ebhxh_")}
    for name, labels in ours.items():
        assert not labels & RESERVED_LABELS, (name, labels)
    rule = one(render({"prometheusRule": {"enabled": True}}), "PrometheusRule", "rel-ebhxh")
    for alert in (r for group in rule["spec"]["groups"] for r in group["rules"]):
        for name, selector in re.findall(r"(ebhxh_\w+)(?:\{([^}]*)\})?", alert["expr"]):
            assert name in ours, (alert["alert"], name)
            used = {part.split("=")[0].strip("!~ ") for part in selector.split(",") if part}
            assert used <= ours[name], (alert["alert"], name, used - ours[name])
        for grouped in re.findall(r"by \(([^)]*)\)", alert["expr"]):
            for label in (part.strip() for part in grouped.split(",")):
                assert label not in RESERVED_LABELS, (alert["alert"], label)


def test_the_migrations_hook_does_not_need_the_release_s_own_service_account() -> None:
    """Pre-install hooks run before the release's resources exist (its ServiceAccount too)."""
    job = one(render(), "Job", "rel-ebhxh-migrate")
    assert "serviceAccountName" not in job["spec"]["template"]["spec"]
    api = one(render(), "Deployment", "rel-ebhxh-api")
    assert api["spec"]["template"]["spec"]["serviceAccountName"] == "rel-ebhxh"
    existing = {"serviceAccount": {"create": False, "name": "db-identity"}}
    job = one(render(existing), "Job", "rel-ebhxh-migrate")
    assert job["spec"]["template"]["spec"]["serviceAccountName"] == "db-identity"
    for hook in (one(render(), "ConfigMap", "rel-ebhxh-migrate"),):
        policy = hook["metadata"]["annotations"]["helm.sh/hook-delete-policy"]
        assert "hook-succeeded" in policy  # not left behind after the install


def test_the_production_example_allows_every_built_in_plugin() -> None:
    """A plugin left out of EBHXH_PLUGINS_ALLOW is silently off (e.g. provider switching)."""
    import tomllib

    workspace = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    built_in = {name for name in workspace["project"]["dependencies"] if name != "ebhxh"}
    production = yaml.safe_load((CHART / "values-production.yaml").read_text(encoding="utf-8"))
    assert built_in <= set(production["config"]["pluginsAllow"]), built_in


@pytest.mark.parametrize("kind", ["NodePort", "LoadBalancer"])
def test_an_exposed_api_service_keeps_client_addresses(kind: str) -> None:
    """/metrics trusts cluster addresses; outside clients must not arrive as a node's."""
    service = one(render({"api": {"service": {"type": kind}}}), "Service", "rel-ebhxh-api")
    assert service["spec"]["externalTrafficPolicy"] == "Local"
    internal = one(render(), "Service", "rel-ebhxh-api")
    assert "externalTrafficPolicy" not in internal["spec"]

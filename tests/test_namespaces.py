"""SPEC 1.2: environments never share one namespace of one cluster.

An environment's namespace defaults to the app's name unless that would share
its server and namespace with another environment: then `<name>-<env>`. Two
environments that say so explicitly are exit 2, naming both.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples, run_shipspec
from samples import SAMPLES_DIR

from shipspec.errors import InvalidSpec
from shipspec.spec.loader import parse_document
from shipspec.spec.validation import validate

HEAD = """\
apiVersion: shipspec/v1
kind: App
name: shop
image:
  repository: acme/shop
charts:
  repo: git@github.com:acme/charts.git
"""
BRANCHES = "branches:\n  main: {deploy: [dev]}\n"


def namespaces(text: str) -> list[str]:
    spec = validate(parse_document(text.encode(), "shipspec.yaml"))
    return [env.namespace or "" for env in spec.environments]


def test_the_default_environments_get_a_namespace_each() -> None:
    assert namespaces(HEAD) == ["shop-dev", "shop-stag", "shop-prod"]


def test_a_single_environment_keeps_the_apps_name() -> None:
    assert namespaces(HEAD + "environments:\n  - name: prod\n") == ["shop"]


def test_one_cluster_per_environment_keeps_the_apps_name_in_each() -> None:
    envs = ("environments:\n  - name: dev\n  - name: stag\n    server: https://stag.example.com\n"
            "  - name: prod\n    server: https://prod.example.com\n")
    assert namespaces(HEAD + envs + BRANCHES) == ["shop", "shop", "shop"]


def test_an_explicit_namespace_stays_and_the_others_move_out_of_its_way() -> None:
    envs = "environments:\n  - name: dev\n  - name: stag\n  - name: prod\n    namespace: shop\n"
    assert namespaces(HEAD + envs + BRANCHES) == ["shop-dev", "shop-stag", "shop"]


def test_an_explicit_clash_names_both_environments_at_the_second(tmp_path: Path) -> None:
    envs = ("environments:\n  - name: dev\n    namespace: web\n  - name: stag\n    namespace: other\n"
            "  - name: prod\n    namespace: web\n    server: https://kubernetes.default.svc/\n")
    (tmp_path / "shipspec.yaml").write_text(HEAD + envs + BRANCHES)
    done = run_shipspec("validate", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("shipspec.yaml:14:16: environments[2].namespace: environments 'dev' and 'prod' "
                                  "both deploy release 'shop' to namespace 'web'"), done.stderr
    done = run_shipspec("generate", cwd=tmp_path)
    assert done.returncode == 2 and not (tmp_path / ".travis.yml").exists()


SERVERS = ["https://kubernetes.default.svc", "https://kubernetes.default.svc/", "https://prod.example.com"]


@settings(max_examples=examples(100))
@given(st.lists(st.tuples(st.sampled_from(SERVERS), st.sampled_from([None, "shop", "web", "shop-dev"])),
                min_size=1, max_size=4))
def test_valid_specs_never_share_a_destination_and_defaults_never_clash_alone(places: list) -> None:
    names = ["dev", "qa", "stag", "prod"][-len(places):] if len(places) > 1 else ["prod"]
    lines = ["environments:"]
    for name, (server, namespace) in zip(names, places):
        lines += [f"  - name: {name}", f"    server: {server}"] + ([f"    namespace: {namespace}"] if namespace else [])
    text = HEAD + "\n".join(lines) + "\n" + (f"branches:\n  main: {{deploy: [{names[0]}]}}\n" if len(names) > 1 else "")
    try:
        spec = validate(parse_document(text.encode(), "shipspec.yaml"))
    except InvalidSpec as exc:
        messages = [problem.message for problem in exc.problems]
        assert all("both deploy release 'shop' to namespace" in message for message in messages), messages
        # Only explicit namespaces clash: the defaults alone always find a place of their own.
        assert any(namespace for _server, namespace in places), places
        return
    destinations = [(env.server.rstrip("/"), env.namespace) for env in spec.environments]
    assert len(set(destinations)) == len(destinations), destinations
    for env, (_server, namespace) in zip(spec.environments, places):
        assert env.namespace == namespace if namespace else env.namespace in ("shop", f"shop-{env.name}")


def test_no_two_applications_of_an_app_share_a_destination_in_the_samples() -> None:
    """What argocd-source-lint's double-coverage rule flagged in the seed's myapp sample."""
    seen: Counter[tuple[str, str, str]] = Counter()
    applications = sorted((SAMPLES_DIR / "charts" / "argocd").glob("*.yaml"))
    assert len(applications) >= 6
    for path in applications:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        if document["metadata"]["name"].startswith("apps"):
            continue
        release = document["metadata"]["labels"]["app"]
        destination = document["spec"]["destination"]
        seen[(release, destination["server"].rstrip("/"), destination["namespace"])] += 1
    assert [place for place, count in seen.items() if count > 1] == []


@pytest.mark.parametrize("spec", sorted(SAMPLES_DIR.rglob("shipspec.yaml")), ids=lambda p: p.parent.name)
def test_every_sample_is_valid_under_the_clash_rule(spec: Path) -> None:
    assert run_shipspec("validate", str(spec)).returncode == 0


def test_distinct_release_names_may_share_a_namespace() -> None:
    """Adopted charts repos name each release after its Application (Argo CD's default): such
    environments render apart in one namespace, so only one release name per namespace clashes."""
    envs = ("environments:\n  - name: dev\n    namespace: web\n    releaseName: shop-dev\n"
            "  - name: stag\n    namespace: web\n    releaseName: shop-stag\n"
            "  - name: prod\n    namespace: web\n")
    spec = validate(parse_document((HEAD + envs + BRANCHES).encode(), "shipspec.yaml"))
    assert [env.namespace for env in spec.environments] == ["web", "web", "web"]
    with pytest.raises(InvalidSpec) as caught:
        validate(parse_document((HEAD + envs.replace("shop-stag", "shop-dev") + BRANCHES).encode(), "shipspec.yaml"))
    assert [problem.message.split(":")[0] for problem in caught.value.problems] == [
        "environments 'dev' and 'stag' both deploy release 'shop-dev' to namespace 'web' on https"]

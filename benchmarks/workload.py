"""Deterministic synthetic workloads: a platform monorepo of SPEC-v1 apps.

    <root>/apps/app0001/shipspec.yaml ...   one spec per app (charts.checkout: ../../charts)
    <root>/charts/charts/app0001/Chart.yaml  the shared charts checkout, one chart per app

App N is the same bytes in every workload (its generator is seeded with the
seed and N), so the 1-app workload is a prefix of the 1,000-app one. Three
environments each; about 30% of the strings under `values` are YAML-hostile
(they read as booleans, numbers, dates, nulls or syntax when unquoted).

    python benchmarks/workload.py create ROOT --apps 1000
    python benchmarks/workload.py drift ROOT --count 10     # edit 10 generated files
    python benchmarks/workload.py break ROOT --count 10     # make 10 specs invalid

The lean variant (`--lean`, issue 25) is where per-app overhead dominates:
small specs (about 1 KB, 48 lines, three environments, no Travis secrets),
an empty charts checkout (`<root>/charts`, no chart folders, so no chart
schema), and once generated every environment released (`release_all`), so
each app has its 8 files: CI file, Makefile, 3 overlays, 3 Applications.

    python benchmarks/workload.py create ROOT --apps 1000 --lean
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import subprocess
from pathlib import Path

SEED = 7
HOSTILE_SHARE = 0.3
ENVIRONMENTS = ("dev", "stag", "prod")
HOSTILE = (
    "yes", "no", "on", "off", "y", "N", "true", "False", "null", "~", "", " ", "0x1F", "0o17", "017",
    "1e3", "1_000", "3.14", ".inf", "-.inf", ".nan", "12:30:00", "2024-01-01", "2024-01-01T10:00:00Z",
    "- item", "key: value", "# not a comment", "a #b", "@handle", "`cmd`", "*alias", "&anchor", "!tag",
    "%TAG", "|", ">", "{a: b}", "[1, 2]", "'single'", '"double"', "trailing ", " leading", "multi\nline",
    "tab\there", "back\\slash", "ünïcödé", "日本語", "emoji 🚀", "${VAR}", "$(IMAGE)", "{{ .Values.x }}",
    "{% raw %}", "<b>&amp;</b>", "a'b\"c", "---", "...", "=", "?", ",", "0", "-1", "+1", "0.", "NO",
)
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet")
REGISTRIES = (
    "myorg/{n}", "docker.io/myorg/{n}", "ghcr.io/myorg/{n}", "quay.io/team-a/{n}",
    "registry.example.com:5000/platform/{n}", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/{n}",
)


def app_name(index: int) -> str:
    return f"app{index:04d}"


class _Writer:
    """Builds one spec's text; every choice comes from the app's own seeded generator."""

    def __init__(self, index: int, seed: int) -> None:
        self.rng = random.Random(f"shipspec-bench:{seed}:{index}")
        self.seed = seed
        self.name = app_name(index)
        self.lines: list[str] = []
        self.strings = 0
        self.hostile = 0

    def add(self, indent: int, text: str) -> None:
        self.lines.append("  " * indent + text)

    def string(self) -> str:
        self.strings += 1
        if self.rng.random() < HOSTILE_SHARE:
            self.hostile += 1
            return json.dumps(self.rng.choice(HOSTILE), ensure_ascii=False)
        return "-".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(1, 3)))

    def secure(self, rng: random.Random | None = None) -> str:
        return '"' + base64.b64encode((rng or self.rng).randbytes(256)).decode() + '"'

    def spec(self) -> str:
        rng, name = self.rng, self.name
        self.add(0, "apiVersion: shipspec/v1")
        self.add(0, "kind: App")
        self.add(0, f"name: {name}")
        if rng.random() < 0.7:
            self.add(0, f"team: {rng.choice(WORDS)}")
        self.add(0, "image:")
        self.add(1, f"repository: {rng.choice(REGISTRIES).format(n=name)}")
        self.add(1, f"shaLength: {rng.choice((7, 8, 12))}")
        if rng.random() < 0.8:
            self.add(0, "test:")
            self.add(1, "command: docker run --rm $(IMAGE):$(TAG) make unit-test")
        self.add(0, "scan:")
        self.add(1, f"severities: [{', '.join(rng.sample(('LOW', 'MEDIUM', 'HIGH', 'CRITICAL'), 2))}]")
        self.add(1, f"failBuild: {json.dumps(rng.random() < 0.3)}")
        self.add(0, "charts:")
        self.add(1, "repo: git@github.com:myorg/charts.git")
        self.add(1, "checkout: ../../charts")
        self._argocd()
        self.add(0, "environments:")
        for env in ENVIRONMENTS:
            self._environment(env)
        self._travis()
        return "\n".join(self.lines) + "\n"

    def _argocd(self) -> None:
        rng = self.rng
        self.add(0, "argocd:")
        self.add(1, f"project: {rng.choice(('default', 'platform', 'payments'))}")
        self.add(1, f"selfHeal: {json.dumps(rng.random() < 0.5)}")
        if rng.random() < 0.5:
            self.add(1, "syncOptions: [CreateNamespace=true]")
        if rng.random() < 0.4:
            self.add(1, f"labels: {{tier: {rng.choice(('web', 'worker', 'batch'))}}}")
        if rng.random() < 0.5:
            self.add(1, "notify:")
            self.add(2, f"slack: deploy-{rng.choice(WORDS)}")

    def _environment(self, env: str) -> None:
        rng = self.rng
        self.add(1, f"- name: {env}")
        if rng.random() < 0.5:
            self.add(2, f"namespace: {self.name}-{env}")
        if env == "prod" and rng.random() < 0.5:
            self.add(2, "autoSync: false")
        if env == "prod" and rng.random() < 0.05:
            self.add(2, f"pin: \"{rng.getrandbits(28):07x}\"")
        self.add(2, "values:")
        self.add(3, f"replicaCount: {rng.randint(1, 5)}")
        self.add(3, "podAnnotations:")
        for i in range(rng.randint(2, 4)):
            self.add(4, f"note{i}: {self.string()}")
        self.add(3, "ingress:")
        self.add(4, f"enabled: {json.dumps(rng.random() < 0.6)}")
        self.add(4, "hosts:")
        self.add(5, f"- host: {self.name}.{env}.example.com")
        self.add(6, "paths: [{path: /, pathType: Prefix}]")
        self.add(3, "env:")
        for i in range(rng.randint(2, 5)):
            self.add(4, f"- name: SETTING_{i}")
            self.add(5, f"value: {self.string()}")
        self.add(3, "config:")
        for word in rng.sample(WORDS, rng.randint(2, 4)):
            self.add(4, f"{word}: {self.string()}")
        self.add(3, "resources:")
        self.add(4, f"limits: {{cpu: {rng.choice((250, 500, 1000))}m, memory: {rng.choice((128, 256, 512))}Mi}}")

    def _travis(self) -> None:
        # One repository, one .travis.yml: the secure variables and the Slack room are the repository's
        # (the root pipeline holds them once), so every app carries the same ones.
        shared = random.Random(f"shipspec-bench:{self.seed}:repository")
        self.add(0, "travis:")
        self.add(1, "secure:")
        for _ in range(3):
            self.add(2, f"- {self.secure(shared)}")
        if self.rng.random() < 0.5:
            self.add(1, "slack:")
            self.add(2, f"secure: {self.secure(shared)}")
            self.add(2, "onSuccess: change")


    def lean(self) -> str:
        """A small spec: no secrets, a handful of values per environment (about 1 KB, 48 lines)."""
        rng, name = self.rng, self.name
        self.add(0, "apiVersion: shipspec/v1")
        self.add(0, "kind: App")
        self.add(0, f"name: {name}")
        self.add(0, f"team: {rng.choice(WORDS)}")
        self.add(0, "image:")
        self.add(1, f"repository: {rng.choice(REGISTRIES).format(n=name)}")
        self.add(1, f"shaLength: {rng.choice((7, 8, 12))}")
        self.add(0, "test:")
        self.add(1, "command: docker run --rm $(IMAGE):$(TAG) make unit-test")
        self.add(0, "scan:")
        self.add(1, f"severities: [{', '.join(rng.sample(('LOW', 'MEDIUM', 'HIGH', 'CRITICAL'), 2))}]")
        self.add(0, "charts:")
        self.add(1, "repo: git@github.com:myorg/charts.git")
        self.add(1, "checkout: ../../charts")
        self.add(0, "argocd:")
        self.add(1, f"project: {rng.choice(('default', 'platform', 'payments'))}")
        self.add(1, f"selfHeal: {json.dumps(rng.random() < 0.5)}")
        self.add(1, "syncOptions: [CreateNamespace=true]")
        self.add(0, "environments:")
        for env in ENVIRONMENTS:
            self.add(1, f"- name: {env}")
            self.add(2, f"namespace: {name}-{env}")
            self.add(2, "values:")
            self.add(3, f"replicaCount: {rng.randint(1, 5)}")
            self.add(3, "ingress:")
            self.add(4, f"enabled: {json.dumps(rng.random() < 0.6)}")
            self.add(4, f"host: {name}.{env}.example.com")
            self.add(3, "env:")
            self.add(4, "- name: LOG_LEVEL")
            self.add(5, f"value: {self.string()}")
        return "\n".join(self.lines) + "\n"


def lean_spec_text(index: int, seed: int = SEED) -> str:
    """The shipspec.yaml of app `index` in a lean workload."""
    return _Writer(index, seed).lean()


def spec_text(index: int, seed: int = SEED) -> str:
    """The shipspec.yaml of app `index`."""
    return _Writer(index, seed).spec()


def hostile_share(index: int, seed: int = SEED) -> float:
    writer = _Writer(index, seed)
    writer.spec()
    return writer.hostile / writer.strings


def create(root: Path, apps: int, seed: int = SEED, git: bool = True, lean: bool = False) -> None:
    """Write a workload of `apps` apps under `root` (which must not hold one yet); `lean`: small specs
    and an empty charts checkout."""
    (root / "apps").mkdir(parents=True)
    charts = root / "charts" / "charts"
    (root / "charts").mkdir()
    for index in range(1, apps + 1):
        name = app_name(index)
        (root / "apps" / name).mkdir()
        text = lean_spec_text(index, seed) if lean else spec_text(index, seed)
        (root / "apps" / name / "shipspec.yaml").write_text(text, encoding="utf-8")
        if lean:
            continue
        (charts / name).mkdir(parents=True)
        (charts / name / "Chart.yaml").write_text(
            f"apiVersion: v2\nname: {name}\nversion: 0.1.0\nappVersion: \"latest\"\n", encoding="utf-8"
        )
    if git:  # the spec's path in its repo is part of each header, as in a real monorepo
        subprocess.run(["git", "init", "-q", str(root)], check=True)


def generated_files(root: Path, name: str) -> list[Path]:
    """The files generate writes for app `name` in a workload (fixed by SPEC for these specs)."""
    # A workload is a monorepo: its apps share one pipeline at the root (see `root_pipeline`).
    source = [root / "apps" / name / "Makefile"]
    values = [root / "charts" / "charts" / name / f"values.{env}.yaml" for env in ENVIRONMENTS]
    manifests = [root / "charts" / "argocd" / f"{name}-{env}.yaml" for env in ENVIRONMENTS]
    return source + values + manifests


def root_pipeline(root: Path) -> Path:
    """The one pipeline of the workload's repository, for every app."""
    return root / ".travis.yml"


def watch_library(root: Path) -> None:
    """Make every app watch libs/common (one more line in each spec), commit, then change the library:
    the change every app of the monorepo is affected by (for `shipspec affected`)."""
    (root / "libs" / "common").mkdir(parents=True, exist_ok=True)
    (root / "libs" / "common" / "lib.py").write_text("x = 1\n", encoding="utf-8")
    for spec in sorted((root / "apps").glob("*/shipspec.yaml")):
        spec.write_text(spec.read_text(encoding="utf-8") + "watch: [../../libs/common/**]\n", encoding="utf-8")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", "-C", str(root)]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "apps"], check=True)
    (root / "libs" / "common" / "lib.py").write_text("x = 2\n", encoding="utf-8")
    subprocess.run([*git, "commit", "-q", "-am", "the library every app watches"], check=True)


def _spread(root: Path, count: int) -> list[str]:
    """`count` app names spread evenly over the workload."""
    apps = sorted(p.name for p in (root / "apps").iterdir())
    step = max(1, len(apps) // max(1, count))
    return [apps[i * step % len(apps)] for i in range(count)]


def drift(root: Path, count: int) -> list[Path]:
    """Hand-edit `count` generated files (one per app, cycling through the file kinds it has: an
    environment gets its Application only once it has a tag)."""
    edited = []
    for i, name in enumerate(_spread(root, count)):
        existing = [path for path in generated_files(root, name) if path.is_file()]
        path = existing[i % len(existing)]
        text = path.read_text(encoding="utf-8")
        path.write_text(text + "# a hand edit\n", encoding="utf-8")
        edited.append(path)
    return edited


_BREAKAGES = (
    ("  shaLength: ", "  shaLenght: "),  # unknown field
    ("kind: App", "kind: Application"),  # wrong kind
    ("  - name: stag", "  - name: Stag_Env"),  # not a DNS label
    ("  shaLength: ", "  shaLength: '7'  # was "),  # wrong type: no silent coercion
)


def break_specs(root: Path, count: int) -> list[Path]:
    """Make `count` specs invalid, each in one of a few typical ways."""
    broken = []
    for i, name in enumerate(_spread(root, count)):
        path = root / "apps" / name / "shipspec.yaml"
        old, new = _BREAKAGES[i % len(_BREAKAGES)]
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
        broken.append(path)
    return broken


_IDENTITY = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_NAME": "Bench",
             "GIT_COMMITTER_EMAIL": "bench@example.com"}
# Where each environment's tag sits in the monorepo's history (commits back from the newest),
# cycling by app so a status run meets several distinct pairs of tags, as a real monorepo does.
# An overlay before its first release: an empty tag, or (SPEC 1.1) no tag line at all.
_UNRELEASED = re.compile(r'^(image:\n  repository: .*\n)(?:  tag: ""\n)?(?!  tag: )', re.M)
_RELEASED_BACK = {"dev": (0, 1, 2), "stag": (5, 6, 7, 8), "prod": (11, 12, 13, 14, 15)}


def release_all(root: Path, tag: str = "0a1b2c3") -> None:
    """Give every overlay of a generated workload without a tag the tag `tag`, as a first release of
    every environment does (no git history: only the overlays change). Generate again afterwards to
    write the Applications."""
    for path in sorted((root / "charts" / "charts").glob("*/values.*.yaml")):
        text = path.read_text(encoding="utf-8")
        released = _UNRELEASED.sub(lambda m: f'{m[1]}  tag: "{tag}"\n', text, count=1)
        if released != text:
            path.write_text(released, encoding="utf-8")


def releases(root: Path, commits: int = 20) -> str:
    """Give a generated workload a release history for `status`: `commits` monorepo commits, each
    unpinned overlay releasing one of them, and the charts checkout as a git repo; its file:// URL."""
    env = {**os.environ, **_IDENTITY}
    shas = []
    for number in range(commits):
        date = f"2026-01-{number + 1:02d}T12:00:00+00:00"
        (root / "apps" / "CHANGES").write_text(f"change {number}\n", encoding="utf-8")
        subprocess.run(["git", "-C", str(root), "add", "apps"], check=True, env=env)
        subprocess.run(["git", "-C", str(root), "commit", "-q", "--no-verify", "-m", f"change {number}"], check=True,
                       env={**env, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
        shas.append(subprocess.run(["git", "-C", str(root), "rev-parse", "--short=7", "HEAD"], check=True,
                                   capture_output=True, text=True).stdout.strip())
    for index, name in enumerate(sorted(p.name for p in (root / "apps").iterdir() if p.is_dir())):
        for environment, back in _RELEASED_BACK.items():
            path = root / "charts" / "charts" / name / f"values.{environment}.yaml"
            tag = shas[-1 - back[index % len(back)]]
            text = _UNRELEASED.sub(lambda m: f'{m[1]}  tag: "{tag}"\n', path.read_text(encoding="utf-8"), count=1)
            path.write_text(text, encoding="utf-8")
    charts = root / "charts"
    subprocess.run(["git", "init", "-q", "-b", "master", str(charts)], check=True)
    subprocess.run(["git", "-C", str(charts), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(charts), "commit", "-q", "--no-verify", "-m", "releases"], check=True, env=env)
    return charts.resolve().as_uri()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="action", required=True)
    make = sub.add_parser("create", help="write a new workload")
    make.add_argument("root", type=Path)
    make.add_argument("--apps", type=int, default=1000)
    make.add_argument("--seed", type=int, default=SEED)
    make.add_argument("--no-git", action="store_true", help="do not make the root a git repository")
    make.add_argument("--lean", action="store_true", help="small specs and an empty charts checkout (issue 25)")
    for action in ("drift", "break"):
        edit = sub.add_parser(action, help=f"{action} COUNT files of a generated workload")
        edit.add_argument("root", type=Path)
        edit.add_argument("--count", type=int, default=10)
    args = parser.parse_args(argv)
    if args.action == "create":
        create(args.root, args.apps, args.seed, git=not args.no_git, lean=args.lean)
    else:
        for path in (drift if args.action == "drift" else break_specs)(args.root, args.count):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

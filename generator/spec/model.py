"""The shipspec v1 spec as pydantic models: every field, default and name rule of SPEC.md.

Defaults that depend on other fields (chart path, namespaces, values files,
the branches table) are resolved here, so every later stage sees one
complete, typed object.
"""

from __future__ import annotations

from typing import Annotated, Any, Callable, Literal

from pydantic import (
    BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationInfo, field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError, core_schema

from . import defaults, hosts, names, requirement

DEFAULT_ENVIRONMENTS = ("dev", "stag", "prod")
SEVERITIES = ("UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL")
# Each environment is two generated files and each branch a Travis job: far beyond these,
# a spec is a mistake or an attack (10,000 environments would write 20,000 files).
MAX_ENVIRONMENTS = 50
MAX_BRANCHES = 100
MAX_WATCH = 100


RULE_ERROR = "shipspec"  # the error type of a broken name rule
NAME_RULES: dict[str, Callable[[str], str | None]] = {}  # the rule an error's context names, which says why


class _Rule:
    """A name rule on a string: `check` says why a value breaks it. A value its fast pattern matches is
    accepted in pydantic-core without calling Python; any other goes to `check`. Either way a broken
    value is one error of type RULE_ERROR whose message is the reason, or whose context names the rule
    that gives it."""

    __slots__ = ("check", "fast", "name")  # a plain class: a dataclass costs an exec per class at import

    def __init__(self, check: Callable[[str], str | None], fast: names.Fast | None = None) -> None:
        self.check = check
        self.fast = fast
        # By name: a function in an error's context costs pydantic far more to build the schema.
        self.name = f"{check.__module__}.{check.__qualname__}"
        NAME_RULES[self.name] = check

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        text = handler(source)
        if self.fast is None:
            return core_schema.no_info_after_validator_function(self._validate, text)
        matches = core_schema.str_schema(pattern=self.fast.anchored, max_length=self.fast.max_length, strict=True)
        decided = core_schema.union_schema(
            [matches, core_schema.no_info_plain_validator_function(self._validate)],
            mode="left_to_right",
            custom_error_type=RULE_ERROR,
            custom_error_message="breaks a name rule",
            custom_error_context={"rule": self.name},
        )
        return core_schema.chain_schema([text, decided])

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> Any:
        result = handler(schema)
        if self.fast is not None and self.fast.exact:
            result["pattern"] = self.fast.anchored
            if self.fast.max_length is not None:
                result["maxLength"] = self.fast.max_length
        return result

    def _validate(self, value: str) -> str:
        reason = self.check(value)
        if reason:
            raise PydanticCustomError(RULE_ERROR, reason)
        return value


def _app_name(value: str) -> str | None:
    return names.dns_label(value, 53)


AppName = Annotated[str, _Rule(_app_name, names.dns_label_fast(53))]
DnsLabel = Annotated[str, _Rule(names.dns_label, names.DNS_LABEL_FAST)]
LabelValue = Annotated[str, _Rule(names.label_value, names.LABEL_VALUE_FAST)]
LabelKey = Annotated[str, _Rule(names.label_key, names.LABEL_KEY_FAST)]
BranchName = Annotated[str, _Rule(names.branch, names.BRANCH_FAST)]
RelPath = Annotated[str, _Rule(names.relative_path, names.RELATIVE_PATH_FAST)]
BuildPath = Annotated[str, _Rule(names.build_path, names.BUILD_PATH_FAST)]
FileName = Annotated[str, _Rule(names.file_name, names.FILE_NAME_FAST)]
OneLine = Annotated[str, _Rule(names.one_line, names.ONE_LINE_FAST)]
Encrypted = Annotated[str, _Rule(names.encrypted, names.ENCRYPTED_FAST)]
ValuePath = Annotated[str, _Rule(names.value_path, names.VALUE_PATH_FAST)]
Notify = Literal["always", "never", "change"]
SecretName = Annotated[str, _Rule(names.secret_name, names.SECRET_NAME_FAST)]
InstallRequirement = Annotated[str, _Rule(requirement.check)]
WatchGlob = Annotated[str, _Rule(names.watch_glob, names.WATCH_GLOB_FAST)]


class Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        alias_generator=to_camel,
        # Titles are the YAML keys, which is what an editor's hover should show.
        field_title_generator=lambda name, _info: to_camel(name),
        validate_default=False,
        # Only Spec's validator is used (it builds every nested model); theirs would cost the import alone.
        # For the same reason a model-valued field defaults to `{}` validated by it (validate_default),
        # not to a call of the nested class.
        defer_build=True,
    )


class ValuePaths(Model):
    """Where the chart reads the image, as dotted paths of its values."""

    registry: ValuePath | None = Field(
        None,
        description="The registry host of image.repository goes here (docker.io when it names none) and the rest "
        "to `repository` (bitnami- and grafana-style charts, e.g. image.registry).",
    )
    repository: ValuePath | None = Field(
        None, description="The repository, with its host unless `registry` is set; default image.repository."
    )
    tag: ValuePath | None = Field(None, description="The key the release pipeline owns; default image.tag.")
    ref: ValuePath | None = Field(
        None,
        description='Instead of registry/repository/tag: one "<repository>:<tag>" string at this path '
        "(absent until the first release).",
    )


class Image(Model):
    """The Docker image CI builds, tags with the git short sha and pushes."""

    repository: Annotated[str, _Rule(names.image_repository, names.IMAGE_REPOSITORY_FAST)] = Field(
        description="Docker image reference without tag or digest; the registry host is optional."
    )
    dockerfile: BuildPath = Field("Dockerfile", description="Dockerfile path, relative to the spec.")
    context: BuildPath = Field(".", description="Docker build context, relative to the spec; may be a parent folder.")
    sha_length: int = Field(
        7, ge=4, le=40, description="TAG = git rev-parse --short=<shaLength> HEAD."
    )
    value_paths: ValuePaths = Field(
        default_factory=dict, validate_default=True,
        description="Where the chart reads the image; default {repository: image.repository, tag: image.tag}.",
    )


class Test(Model):
    command: OneLine | None = Field(
        None,
        description="Run after the image is built; may use the make variables $(IMAGE) and $(TAG) "
        "(rendered as the checked, quoted tag).",
    )


class Scan(Model):
    """Trivy image scan with a pinned Trivy image."""

    enabled: bool = Field(True, description="Scan the image before it is pushed.")
    severities: list[Literal["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"]] = Field(
        default_factory=lambda: ["MEDIUM", "HIGH"],
        min_length=1,
        description="Severities to report.",
    )
    ignore_unfixed: bool = Field(True, description="Skip vulnerabilities that have no fix yet.")
    fail_build: bool = Field(False, description="false: report only (--exit-code 0); true: gate (--exit-code 1).")
    image: Annotated[str, _Rule(names.image_reference)] | None = Field(
        None,
        description="The Trivy image to run (TRIVY_IMAGE), with a tag or digest, e.g. pinned by digest; "
        "default the Trivy release shipspec pins.",
    )


class PublishedChart(Model):
    """A published chart deployed unmodified; charts.path then holds only the values overlays."""

    repo_url: Annotated[str, _Rule(names.helm_repo_url)] = Field(
        alias="repoURL", title="repoURL",
        description="The Helm repository URL (https://...), or oci://<registry>/<path> for an OCI registry.",
    )
    name: Annotated[str, _Rule(names.chart_name, names.CHART_NAME_FAST)] = Field(
        description="The chart's name in that repository."
    )
    version: Annotated[str, _Rule(names.chart_version, names.CHART_VERSION_FAST)] = Field(
        description="One exact chart version (no ranges): what Argo CD deploys."
    )


class Charts(Model):
    repo: Annotated[str, _Rule(names.git_url, names.GIT_URL_FAST)] = Field(
        description="The charts repo: scp-like ssh, ssh://, https:// or file:// git URL."
    )
    branch: BranchName = Field("master", description="Argo CD tracks this branch; releases commit to it.")
    path: RelPath | None = Field(None, description="The chart folder inside the charts repo; default charts/<name>.")
    checkout: OneLine = Field(
        defaults.CHECKOUT,
        description="A local checkout of the charts repo, relative to the spec, where generate and check work.",
    )
    review: Literal["github", "gitlab"] | None = Field(
        None,
        description="The review API of `promote --pr`: github (pull requests) or gitlab (merge requests); "
        "default gitlab when the host of charts.repo is gitlab.com or contains gitlab, else github.",
    )
    chart: PublishedChart | None = Field(
        None,
        description="Deploy this published chart at its exact version (an Argo CD multi-source Application); "
        "charts.path then holds only the values overlays.",
    )


class ArgoNotify(Model):
    slack: OneLine = Field(description="Slack channel of the Argo CD notifications subscription.")
    triggers: list[DnsLabel] = Field(
        default_factory=lambda: ["on-sync-succeeded", "on-sync-failed", "on-health-degraded"],
        min_length=1,
        description="Argo CD notification triggers to subscribe to.",
    )


class ArgoCD(Model):
    project: DnsLabel = Field("default", description="Argo CD project of the Applications.")
    namespace: DnsLabel = Field("argocd", description="Namespace Argo CD runs in (Application metadata.namespace).")
    manifests: RelPath = Field(defaults.MANIFESTS, description="Folder in the charts repo for the Application manifests.")
    cascade_delete: bool = Field(True, description="Add the finalizer resources-finalizer.argocd.argoproj.io.")
    prune: bool = Field(False, description="syncPolicy.automated.prune.")
    self_heal: bool = Field(False, description="syncPolicy.automated.selfHeal.")
    sync_options: list[OneLine] = Field(
        default_factory=list, description="syncPolicy.syncOptions, e.g. CreateNamespace=true."
    )
    labels: dict[LabelKey, LabelValue] = Field(
        default_factory=dict, description="Extra labels on every Application."
    )
    notify: ArgoNotify | None = Field(None, description="Argo CD notifications subscription.")
    server: Annotated[str, _Rule(names.argocd_server)] | None = Field(
        None,
        description="The Argo CD API server (https://...; http:// only for a loopback address) that reports what "
        "runs; setting it turns on the promotion gate (`shipspec gate`, make <env>-gate) and live columns in "
        "`status`.",
    )
    gate_timeout: Annotated[str, _Rule(names.duration)] = Field(
        "20m", description="How long the pipeline waits for the gate: a duration like 90s, 20m or 1h30m."
    )


class Environment(Model):
    name: DnsLabel = Field(description="Environment name; order of the list is promotion order.")
    namespace: DnsLabel | None = Field(
        None,
        description="Destination namespace; default the app's name, or <name>-<env> where the app's name would "
        "share this environment's server and namespace with another environment.",
    )
    server: Annotated[str, _Rule(names.server_url, names.SERVER_URL_FAST)] = Field(
        "https://kubernetes.default.svc", description="The Argo CD destination cluster."
    )
    values_file: FileName | None = Field(None, description="Values overlay file name; default values.<env>.yaml.")
    auto_sync: bool = Field(True, description="syncPolicy.automated.")
    release_name: AppName | None = Field(
        None,
        description="The Helm release name of this environment (helm.releaseName); default the app's name. "
        "`shipspec import` sets it where an adopted Application runs another one (Argo CD's default is the "
        "Application's name).",
    )
    pin: Annotated[str, _Rule(names.image_tag, names.IMAGE_TAG_FAST)] | None = Field(
        None, description="Freeze this environment at this image tag (rollback)."
    )
    values: dict[str, Any] = Field(default_factory=dict, description="Helm value overrides for this environment.")


class Branch(Model):
    deploy: list[DnsLabel] = Field(default_factory=list, description="Environments this branch commits its tag to.")
    propose: list[DnsLabel] = Field(default_factory=list, description="Environments this branch opens a PR for.")
    cron: bool = Field(False, description="The branch's cron builds release too.")


class Slack(Model):
    secure: Encrypted = Field(description="travis encrypt of account:token#channel.")
    on_success: Notify = Field("always", description="always | never | change.")
    on_failure: Notify = Field("always", description="always | never | change.")


class Travis(Model):
    dist: DnsLabel = Field("jammy", description="Travis build image.")
    secure: list[Encrypted] = Field(
        default_factory=list, description="`travis encrypt` outputs (DOCKER_USER, DOCKER_PASS, GITHUB_TOKEN, ...)."
    )
    slack: Slack | None = Field(None, description="Build notifications.")


class GitHub(Model):
    """GitHub Actions settings, used with `ci: github`."""

    runs_on: Annotated[str, _Rule(names.runner_label, names.RUNNER_LABEL_FAST)] = Field(
        "ubuntu-24.04", description="The runner label of every job."
    )
    charts_token: SecretName = Field(
        "CHARTS_TOKEN",
        description="The repository secret holding a token that may push to the charts repo and open pull requests "
        "there; handed to promote as SHIPSPEC_CHARTS_TOKEN by the release steps only.",
    )


class GitLab(Model):
    """GitLab CI settings, used with `ci: gitlab`."""

    image: Annotated[str, _Rule(names.ci_image, names.CI_IMAGE_FAST)] = Field(
        "docker:27", description="The job image (docker CLI, Alpine), run with a docker:27-dind service."
    )
    charts_token: SecretName = Field(
        "CHARTS_TOKEN",
        description="The masked, protected CI/CD variable holding a token that may push to the charts repo and open "
        "merge requests there; handed to promote as SHIPSPEC_CHARTS_TOKEN by the release jobs only.",
    )


def _default_environments() -> list[dict[str, str]]:
    return [{"name": name} for name in DEFAULT_ENVIRONMENTS]


def default_branches(environments: list[Environment]) -> dict[str, dict[str, Any]] | None:
    """The branches table of a spec that sets none, as data for the model to validate (SPEC 1.2: the
    default table with the default environments; one environment, released from master by a direct
    commit); None when the spec must set it."""
    if [env.name for env in environments] == list(DEFAULT_ENVIRONMENTS):
        return {
            "dev": {"deploy": ["dev"], "propose": ["stag"]},
            "staging": {"deploy": ["stag"], "cron": True},
            "master": {"deploy": ["stag"], "propose": ["prod"]},
        }
    if len(environments) == 1:
        return {"master": {"deploy": [environments[0].name]}}
    return None


class Spec(Model):
    """shipspec v1: one app, its image, its charts and its environments."""

    model_config = ConfigDict(title="shipspec v1 app spec", defer_build=False)

    api_version: Literal["shipspec/v1"] = Field(description="Exactly shipspec/v1.")
    kind: Literal["App"] = Field(description="Exactly App.")
    name: AppName = Field(description="App name: DNS-1123 label, at most 53 characters (Helm release name).")
    team: LabelValue | None = Field(None, description="Label team=<team> on every Application.")
    image: Image = Field(description="The image CI builds and pushes: repository, Dockerfile, context, tag length.")
    test: Test = Field(default_factory=dict, validate_default=True, description="The test step.")
    scan: Scan = Field(default_factory=dict, validate_default=True, description="Trivy image scan.")
    charts: Charts = Field(description="The charts repo: one Helm chart per app, values overlays and Argo CD manifests.")
    argocd: ArgoCD = Field(default_factory=dict, validate_default=True, description="Argo CD Applications.")
    environments: list[Environment] = Field(
        default_factory=_default_environments,
        validate_default=True,
        min_length=1,
        max_length=MAX_ENVIRONMENTS,
        description="Promotion order; the last one is production.",
    )
    values: dict[str, Any] = Field(
        default_factory=dict,
        description="Helm value overrides for every environment; an environment's `values` merge over them "
        "(mappings key by key, anything else replaced).",
    )
    watch: list[WatchGlob] = Field(
        default_factory=list,
        max_length=MAX_WATCH,
        description="More inputs of this app in a monorepo: globs relative to this file's folder (`*`, `?`, `[...]`, "
        "`**` for any folders), which may climb out of it with `..` but not out of the git repository, e.g. "
        "../../libs/common/**; a change there affects the app (shipspec affected).",
    )
    branches: dict[BranchName, Branch] | None = Field(
        None,
        max_length=MAX_BRANCHES,
        validate_default=True,  # _default_branches
        description="What each branch releases; default dev/staging/master with the default environments, "
        "{master: {deploy: [<env>]}} with a single environment; required otherwise.",
    )
    install: InstallRequirement | None = Field(
        None,
        description="The pip requirement CI installs shipspec from: one version (shipspec==1.2.3), one commit "
        "(shipspec @ git+https://host/org/shipspec@<40-hex sha>) or one archive by its hash (shipspec @ "
        "https://host/shipspec-1.2.3.tar.gz#sha256=<64 hex>); default: this shipspec's exact version.",
    )
    ci: Literal["travis", "github", "gitlab"] = Field(
        "travis",
        description="Which CI pipeline generate writes: .travis.yml (travis), .github/workflows/shipspec.yml "
        "(github) or .gitlab-ci.yml (gitlab).",
    )
    travis: Travis = Field(default_factory=dict, validate_default=True, description="Travis CI settings.")
    github: GitHub = Field(
        default_factory=dict,
        validate_default=True,
        description="GitHub Actions settings (runner label, charts token secret), used with `ci: github`.",
    )
    gitlab: GitLab = Field(
        default_factory=dict,
        validate_default=True,
        description="GitLab CI settings (job image, charts token variable), used with `ci: gitlab`.",
    )

    @model_validator(mode="after")
    def _resolve_defaults(self) -> Spec:
        # Only what the spec leaves unset is assigned (a set value is never empty in a valid model).
        charts, paths, environments = self.charts, self.image.value_paths, self.environments
        if charts.path is None:
            charts.path = defaults.chart_path(self.name)
        if charts.review is None:
            charts.review = hosts.review_api(charts.repo)
        if paths.ref is None and paths.repository is None:
            paths.repository = "image.repository"
        if paths.ref is None and paths.tag is None:
            paths.tag = "image.tag"
        if None in [env.namespace for env in environments]:
            resolved = defaults.namespaces(self.name, [(env.name, env.server, env.namespace) for env in environments])
            for env, namespace in zip(environments, resolved):
                env.namespace = namespace
        for env in environments:
            if env.values_file is None:
                env.values_file = defaults.values_file(env.name)
        return self

    @field_validator("branches", mode="before")
    @classmethod
    def _default_branches(cls, value: Any, info: ValidationInfo) -> Any:
        # Before validation, not in _resolve_defaults: the table is data that pydantic-core validates with
        # the rest, instead of three Branch models built in Python. A table the spec leaves to shipspec
        # is then not among the spec's set fields (rules.check relies on that).
        environments = info.data.get("environments")
        return default_branches(environments) if value is None and environments is not None else value

    @property
    def uses_default_environments(self) -> bool:
        return tuple(env.name for env in self.environments) == DEFAULT_ENVIRONMENTS

    @property
    def production(self) -> Environment:
        return self.environments[-1]

    def environment(self, name: str) -> Environment | None:
        return next((env for env in self.environments if env.name == name), None)

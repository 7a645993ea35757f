"""The command line. Only this module imports click; commands import their
work lazily so that `--version` and `--help` stay as cheap as click itself."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from . import __version__

F = TypeVar("F", bound=Callable[..., Any])

FORMAT = click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="Report as text or as one JSON document.",
)
SPECS = click.argument("specs", nargs=-1, metavar="[SPEC]...")
JOBS = click.option(
    "--jobs", "-j", type=int, default=0, show_default=True, metavar="N",
    help="Work on apps in N worker processes; 0: automatic (parallel only for large monorepos).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="shipspec", message="%(prog)s %(version)s")
def cli() -> None:
    """Generate, check and release the GitOps delivery files of an app from its shipspec.yaml.

    SPEC is a shipspec.yaml file or a directory (every shipspec.yaml below it);
    it defaults to ./shipspec.yaml.
    """


@cli.command()
@SPECS
@FORMAT
def validate(specs: tuple[str, ...], output_format: str) -> int:
    """Validate specs; exit 0 when valid, 2 when not."""
    from .commands import validate as command

    return command.run(specs, output_format=output_format)


@cli.command(short_help="Write the generated files of each spec.")
@SPECS
@click.option("--dry-run", is_flag=True, help="Print the unified diff of what would change; write nothing.")
@click.option("--force", is_flag=True, help="Also overwrite files that lack the shipspec header.")
@click.option(
    "--charts-dir", type=click.Path(file_okay=False), default=None,
    help="The charts checkout to write to, instead of charts.checkout of each spec.",
)
@click.option("--prune/--no-prune", default=True, show_default=True,
              help="Remove stale files: this app's own generated files that the spec no longer produces.")
@JOBS
def generate(specs: tuple[str, ...], dry_run: bool, force: bool, charts_dir: str | None, prune: bool, jobs: int) -> int:
    """Write the pipeline, Makefile, values overlays and Applications of each spec; exit 2 when invalid or refused."""
    from .commands import generate as command

    return command.run(specs, dry_run=dry_run, force=force, charts_dir=charts_dir, prune=prune, jobs=jobs)


@cli.command(short_help="Compare generated files with their specs (exit 1 on drift).")
@SPECS
@FORMAT
@JOBS
@click.option(
    "--charts-dir", type=click.Path(file_okay=False), default=None,
    help="The charts checkout to compare with, instead of charts.checkout of each spec.",
)
@click.option(
    "--skip-charts", is_flag=True,
    help="Compare only the files next to each spec (its CI pipeline, Makefile): for CI, which has no charts checkout.",
)
@click.option(
    "--render", "helm", is_flag=True,
    help="Also render every environment with Helm as Argo CD would; a Helm error or a container not running "
    "<image.repository>:<tag> is drift. Needs helm on PATH.",
)
def check(
    specs: tuple[str, ...], output_format: str, jobs: int, charts_dir: str | None, skip_charts: bool, helm: bool
) -> int:
    """Compare generated files with what each spec renders; exit 0 in sync, 1 drift, 2 invalid."""
    from .commands import check as command

    return command.run(specs, output_format=output_format, jobs=jobs, charts_dir=charts_dir, skip_charts=skip_charts,
                       helm=helm)


def _release_options(app_repo_use: str) -> Callable[[F], F]:
    """The options promote and rollback share: they release through the same machinery."""
    options = [
        click.option("--pr", is_flag=True, help="Through a pull request instead of a direct commit."),
        click.option("--dry-run", is_flag=True, help="Show the commit it would make; push nothing."),
        click.option("--spec", type=click.Path(dir_okay=False), help="The app's spec.  [default: ./shipspec.yaml]"),
        click.option("--app-repo", type=click.Path(file_okay=False),
                     help=f"The app's git repo, {app_repo_use}.  [default: the repo of the spec]"),
        click.option("--charts-url", envvar="SHIPSPEC_CHARTS_URL", metavar="URL",
                     help="Clone and push this URL instead of charts.repo (env SHIPSPEC_CHARTS_URL); a token in it "
                     "is never printed in clear."),
    ]

    def apply(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


@cli.command()
@click.argument("env")
@click.option("--tag", required=True, help="The image tag to release (the git short sha CI built).")
@_release_options("for the order check and the PR's commit list")
def promote(env: str, tag: str, pr: bool, dry_run: bool, spec: str | None, app_repo: str | None,
            charts_url: str | None) -> int:
    """Release TAG to environment ENV in the charts repo.

    Writes ENV's values overlay and Application as the spec renders them with
    TAG, then commits to charts.branch, or with --pr pushes branch
    shipspec/<name>/<ENV> and opens or updates its pull request. With
    SHIPSPEC_CHARTS_TOKEN (else GITHUB_TOKEN) set, git authenticates over
    HTTPS with it. Exit 0 done or nothing to do, 1 failed, 2 bad input.
    """
    from .commands import promote as command

    return command.run(env, tag, pr=pr, dry_run=dry_run, spec=spec, app_repo=app_repo, charts_url=charts_url)


@cli.command(short_help="Is the environment before ENV running TAG, synced and healthy? (argocd.server)")
@click.argument("env")
@click.option("--tag", required=True, help="The image tag ENV is about to receive.")
@click.option("--wait", metavar="DURATION", help="Look again, with backoff, until open, failed or DURATION "
              "(e.g. 90s, 20m, 1h30m) has passed.")
@click.option("--spec", type=click.Path(dir_okay=False), help="The app's spec.  [default: ./shipspec.yaml]")
def gate(env: str, tag: str, wait: str | None, spec: str | None) -> int:
    """Gate ENV's promotion on the environment before it, as Argo CD reports it.

    Open when that environment's Application is Synced and Healthy, runs no
    operation, and runs <image.repository>:TAG; failed at once when it is
    Degraded or its last sync failed. The verdict is published as the commit
    status shipspec/gate on the head of ENV's open pull/merge request. Reads
    ARGOCD_AUTH_TOKEN. Exit 0 open, 1 not (yet) open or failed, 2 bad input.
    """
    from .commands import gate as command

    return command.run(env, tag, wait=wait, spec=spec)


@cli.command(short_help="Release an older tag that ran in ENV before.")
@click.argument("env")
@click.option("--to", "tag", required=True, help="The tag to go back to; it must have run in ENV before.")
@_release_options("where the spec of TAG's commit is read")
def rollback(env: str, tag: str, pr: bool, dry_run: bool, spec: str | None, app_repo: str | None,
             charts_url: str | None) -> int:
    """Roll ENV back to TAG: the image and the configuration of the spec at TAG's commit.

    The next ordinary promote moves ENV forward again; a `pin` in the spec keeps
    it frozen instead. Exit 0 done or nothing to do, 1 failed, 2 bad input (a
    TAG that never ran in ENV).
    """
    from .commands import rollback as command

    return command.run(env, tag, pr=pr, dry_run=dry_run, spec=spec, app_repo=app_repo, charts_url=charts_url)


@cli.command(short_help="Show what runs where: the tag of each app in each environment.")
@SPECS
@FORMAT
@click.option("--charts-url", envvar="SHIPSPEC_CHARTS_URL", metavar="URL",
              help="Clone this URL instead of charts.repo, e.g. an https URL carrying a CI token "
              "(env SHIPSPEC_CHARTS_URL); it is never printed in clear.")
@click.option("--charts-dir", type=click.Path(file_okay=False), default=None,
              help="Read this local checkout of the charts repo instead of a fresh shallow clone.")
def status(specs: tuple[str, ...], output_format: str, charts_url: str | None, charts_dir: str | None) -> int:
    """Show, per app and environment, the tag the charts branch holds, pins, open promotion requests, and how
    far each environment is behind the one before it (from git alone); with argocd.server and
    ARGOCD_AUTH_TOKEN, also the sync, health and images Argo CD reports.

    Exit 0 ok, 1 charts repo unreadable, 2 bad input.
    """
    from .commands import status as command

    return command.run(specs, output_format=output_format, charts_url=charts_url, charts_dir=charts_dir)


@cli.command(short_help="Which apps a build must build or release (monorepos).")
@SPECS
@click.option("--base", metavar="REF", default=None,
              help="Build mode: the apps whose inputs differ between the merge base of REF and HEAD, and HEAD.")
@click.option("--release", metavar="BRANCH", default=None,
              help="Release mode: a push of BRANCH; each app it releases is measured against what its "
              "environments run (read from the charts repo), the others as with --base.")
@click.option("--schedule", is_flag=True, default=False,
              help="With --release: a scheduled (cron) build of BRANCH. Only the apps whose rule for BRANCH has "
              "cron: true release, measured as a push is; the others are neither built nor released.")
@FORMAT
@click.option("--charts-url", envvar="SHIPSPEC_CHARTS_URL", metavar="URL",
              help="Clone this URL instead of charts.repo (env SHIPSPEC_CHARTS_URL); it is never printed in clear.")
@click.option("--charts-dir", type=click.Path(file_okay=False), default=None,
              help="Read this local checkout of the charts repo instead of a fresh shallow clone.")
@click.option("--script", metavar="FILE", default=None,
              help="Also write a POSIX sh script to FILE that runs make for every affected app (what CI runs).")
@click.option("--outputs", metavar="FILE", default=None,
              help="Also append GitHub step outputs to FILE ($GITHUB_OUTPUT): the build and release matrices.")
@click.option("--outputs-prefix", metavar="TEXT", default="",
              help="Put TEXT before the name of each output --outputs writes (one pass per cron branch).")
@click.option("--gitlab-child", metavar="FILE", default=None,
              help="Also write a GitLab child pipeline to FILE: a job per affected app.")
def affected(specs: tuple[str, ...], base: str | None, release: str | None, output_format: str,
             charts_url: str | None, charts_dir: str | None, script: str | None, outputs: str | None,
             gitlab_child: str | None, schedule: bool, outputs_prefix: str) -> int:
    """Print the apps whose inputs (folder, Dockerfile, watch globs) a build changed, and what each releases.

    Exit 0 ok, 1 history or charts repo unreadable, 2 bad input.
    """
    from .commands import affected as command

    return command.run(specs, base=base, release=release, output_format=output_format, charts_url=charts_url,
                       charts_dir=charts_dir, script=script, outputs=outputs, gitlab_child=gitlab_child,
                       schedule=schedule, outputs_prefix=outputs_prefix)


@cli.command(short_help="Scaffold a new service and its Helm chart.")
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--name", help="App name (DNS-1123 label); default: the directory's name.")
@click.option("--image", help="Docker image repository, without tag, e.g. myorg/myapp.")
@click.option("--charts-repo", help="Git URL of the charts repo.")
@click.option("--charts-dir", help="charts.checkout: the charts repo clone, relative to DIRECTORY.  [default: ../charts]")
@click.option("--env", "environments", multiple=True, help="An environment, in promotion order (repeat); default dev, stag, prod.")
@click.option("--team", help="Label team=<team> on every Argo CD Application.")
@click.option("--namespace", help="Kubernetes namespace: of the one environment, or NAMESPACE-<env> of each of "
              "several (one cluster); default: the app name, or <name>-<env> of each of several.")
@click.option(
    "--schema-ref", help="$schema of the spec's editor modeline; default: ./shipspec.schema.json, written beside the spec."
)
@click.option("--ci", type=click.Choice(["travis", "github", "gitlab"]), default="travis", show_default=True,
              help="The CI pipeline to generate.")
@click.option("--chart", metavar="REPO/NAME@VERSION",
              help="Deploy this published chart (Helm repository URL or oci://) instead of scaffolding one.")
@click.option("--chart-repo", metavar="URL", help="The published chart's repository (with --chart-name, --chart-version).")
@click.option("--chart-name", metavar="NAME", help="The published chart's name in --chart-repo.")
@click.option("--chart-version", metavar="VERSION", help="The published chart's exact version.")
@click.option("--install", metavar="REQUIREMENT",
              help="install: the pip requirement CI installs shipspec from, e.g. 'shipspec==1.2.3' or "
              "'shipspec @ git+https://github.com/ORG/shipspec@<40-hex sha>'; default: this version.")
@click.option("--yes", "-y", is_flag=True, help="Accept defaults; never ask.")
@click.option(
    "--interactive/--no-interactive", default=None,
    help="Ask for missing values (default: when stdin is a terminal).",
)
def init(directory: str, name: str | None, image: str | None, charts_repo: str | None, charts_dir: str | None,
         environments: tuple[str, ...], team: str | None, namespace: str | None, schema_ref: str | None,
         ci: str, chart: str | None, chart_repo: str | None, chart_name: str | None, chart_version: str | None,
         install: str | None, yes: bool, interactive: bool | None) -> int:
    """Scaffold a service in DIRECTORY: spec, Dockerfile, README, chart, then generate; exit 2 on bad input or if a file exists."""
    from .commands import init as command

    ask = not yes and (interactive if interactive is not None else sys.stdin.isatty())
    flags = command.Flags(directory, name, image, charts_repo, charts_dir, environments, team, namespace, schema_ref,
                          ci, chart, chart_repo, chart_name, chart_version, install)
    return command.run(flags, yes=yes, prompt=_prompt if ask else None)


def _prompt(question: str, default: str | None) -> str:
    return str(click.prompt(question, default=default, show_default=default is not None))


@cli.command("import", short_help="Write the spec that renders what a charts repo already deploys.")
@click.argument("app")
@click.option("--charts-dir", type=click.Path(file_okay=False), default=None,
              help="The charts checkout to read.  [default: ../charts, beside the spec]")
@click.option("--env", "environments", multiple=True,
              help="An environment to adopt, in promotion order (repeat); default: every one found, in the usual order.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="The spec to write.  [default: ./shipspec.yaml]")
@click.option("--force", is_flag=True, help="Write the spec even when something cannot be carried over (listed at its top).")
def import_(app: str, charts_dir: str | None, environments: tuple[str, ...], output: str | None, force: bool) -> int:
    """Adopt APP from the Argo CD Applications that deploy it: write the spec that renders exactly them.

    Exit 0 adopted exactly, 1 something could not be carried over (listed; nothing written
    without --force), 2 bad input.
    """
    from .commands import import_ as command

    return command.run(app, charts_dir=charts_dir, envs=environments, output=output, force=force)


@cli.command()
def schema() -> int:
    """Print the JSON Schema of shipspec.yaml."""
    from .spec.jsonschema import json_schema_text

    click.echo(json_schema_text(), nl=False)
    return 0


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI; the one place that turns errors into exit codes."""
    try:
        code = cli.main(args=argv, prog_name="shipspec", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except click.Abort:
        click.echo("aborted", err=True)
        code = 130
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:
        code = _failure(exc)
    sys.stdout.flush()
    code = code if isinstance(code, int) else 0
    if argv is None:  # the console script, or `python -m shipspec`: the process ends here
        # Skip tearing down every module and object one by one: some 20 ms of a 1,000-app check,
        # and in a forked run as many page faults again. Every file is closed by now.
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _failure(exc: Exception) -> int:
    """Report an error; imported only on failure so `--version` and `--help` stay cheap."""
    from .errors import ShipspecError

    if isinstance(exc, ShipspecError):
        click.echo(f"shipspec: {exc.message}" if "\n" not in exc.message else exc.message, err=True)
        return exc.exit_code
    if os.environ.get("SHIPSPEC_DEBUG"):  # a bug: say so briefly, never dump a traceback on a user
        raise exc
    click.echo(f"shipspec: internal error: {type(exc).__name__}: {exc}", err=True)
    click.echo("shipspec: please report this; set SHIPSPEC_DEBUG=1 for details", err=True)
    return 70

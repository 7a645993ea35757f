"""Timing and peak memory of one child process, and paired A/B statistics."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Command:
    label: str
    argv: Sequence[str]
    cwd: Path
    expect: int = 0  # the exit code that makes a run count; anything else is a failure, not a figure
    env: tuple[tuple[str, str], ...] = ()  # extra environment variables for this command only


@dataclass(frozen=True)
class Sample:
    seconds: float
    rss_mib: float
    exit_code: int
    cpu_seconds: float = 0.0  # user + sys of the child and every descendant it waited for (fork workers)


class RunFailed(Exception):
    pass


def run_once(command: Command, env: dict[str, str], log: Path) -> Sample:
    """Run the command once; wall time, and its own peak RSS and CPU time from wait4 (not the runner's)."""
    with open(log, "wb") as stderr:
        start = time.perf_counter()
        child = subprocess.Popen(
            list(command.argv), cwd=command.cwd, env={**env, **dict(command.env)}, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=stderr,
        )
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)  # already reaped; keep Popen from waiting again
    if child.returncode != command.expect:
        tail = log.read_text(encoding="utf-8", errors="replace")[-1500:]
        raise RunFailed(f"{command.label}: exit {child.returncode}, expected {command.expect}\n{tail}")
    # ru_maxrss is KiB on Linux; ru_utime/ru_stime include the children the child reaped (its pool workers).
    return Sample(seconds, usage.ru_maxrss / 1024, child.returncode, usage.ru_utime + usage.ru_stime)


@dataclass
class Series:
    samples: list[Sample] = field(default_factory=list)

    @property
    def seconds(self) -> list[float]:
        return [s.seconds for s in self.samples]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def cpu_median(self) -> float:
        return statistics.median(s.cpu_seconds for s in self.samples)

    @property
    def peak_mib(self) -> float:
        return max(s.rss_mib for s in self.samples)

    def spread(self) -> str:
        return f"{fmt(self.median)} ({fmt(min(self.seconds))}–{fmt(max(self.seconds))})"


@dataclass
class Pairs:
    a: Series = field(default_factory=Series)
    b: Series = field(default_factory=Series)

    @property
    def ratios(self) -> list[float]:
        return [x.seconds / y.seconds for x, y in zip(self.a.samples, self.b.samples)]

    @property
    def ratio(self) -> float:
        """Median of A over median of B (the headline figure)."""
        return self.a.median / self.b.median

    @property
    def cpu_ratio(self) -> float:
        """Median CPU time (user + sys, all processes) of A over B's: parallel workers do not hide work."""
        return self.a.cpu_median / self.b.cpu_median

    @property
    def memory_ratio(self) -> float:
        return self.a.peak_mib / self.b.peak_mib


def paired(
    a: Command, b: Command, pairs: int, env: dict[str, str], log: Path,
    prepare: Callable[[], None] | None = None, warmup: bool = True,
) -> Pairs:
    """A B A B ...: both sides see the same machine state, so drift in the noise cancels in the ratio."""
    if warmup:  # page cache and .pyc files, untimed
        for command in (a, b):
            if prepare:
                prepare()
            run_once(command, env, log)
    result = Pairs()
    for _ in range(pairs):
        for command, series in ((a, result.a), (b, result.b)):
            if prepare:
                prepare()
            series.samples.append(run_once(command, env, log))
    return result


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"

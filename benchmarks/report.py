"""The benchmark's table, its JSON, and the quick gate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from measure import Pairs, fmt


@dataclass
class Row:
    title: str
    a: str
    b: str
    pairs: Pairs | None
    target: float | None  # max median time ratio A/B
    memory_target: float | None  # max peak RSS ratio A/B
    note: str = ""
    cpu_target: float | None = None  # max median CPU time (user + sys, all processes) ratio A/B

    def verdict(self) -> str:
        if self.pairs is None or self.note.startswith("FAILED"):
            return "-"
        misses = []
        if self.target is not None and self.pairs.ratio > self.target:
            misses.append("time")
        if self.cpu_target is not None and self.pairs.cpu_ratio > self.cpu_target:
            misses.append("CPU")
        if self.memory_target is not None and self.pairs.memory_ratio > self.memory_target:
            misses.append("memory")
        if self.target is None and self.memory_target is None and self.cpu_target is None:
            return "(no target)"
        return f"above target ({', '.join(misses)})" if misses else "at or below target"


@dataclass
class Instructions:
    """One program's instructions (callgrind) at two workload sizes."""

    label: str
    small: int
    large: int
    small_count: int | None
    large_count: int | None

    @property
    def per_app(self) -> float | None:
        if self.small_count is None or self.large_count is None:
            return None
        return (self.large_count - self.small_count) / (self.large - self.small)


def _instructions(rows: list[Instructions]) -> list[str]:
    if not rows:
        return []
    base = rows[1].per_app if len(rows) > 1 else None  # the lean floor
    lines = ["", "Instructions (callgrind, one run each, `--jobs 1`, lean workload; per app = the difference "
             "/ the apps between):", "",
             "| program | apps | instructions | apps | instructions | per additional app | vs lean floor |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        small = f"{row.small_count / 1e9:.3f} G" if row.small_count is not None else "failed"
        large = f"{row.large_count / 1e9:.3f} G" if row.large_count is not None else "failed"
        per_app = row.per_app
        shown = f"{per_app / 1e6:.2f} M" if per_app is not None else "-"
        ratio = f"{per_app / base:.2f}x" if per_app is not None and base else "-"
        lines.append(f"| {row.label} | {row.small} | {small} | {row.large} | {large} | {shown} | {ratio} |")
    return lines


def markdown(rows: list[Row], *, machine: str, sizes: tuple[int, ...],
             instructions: list[Instructions] | None = None) -> str:
    lines = [
        f"Machine: {machine}",
        "",
        "| figure | A | B | A median (min–max) | B median (min–max) | A/B median | A/B per pair (min–max) "
        "| CPU A / B (ratio) | target | peak RSS A / B | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    notes = []
    for row in rows:
        if row.pairs is None:
            lines.append(f"| {row.title} | {row.a} | {row.b} | | | | | | {_target(row)} | | {row.note.splitlines()[0]} |")
            notes.extend(row.note.splitlines()[1:])
            continue
        p = row.pairs
        lines.append(
            f"| {row.title} | {row.a} | {row.b} | {p.a.spread()} | {p.b.spread()} | {p.ratio:.2f}x "
            f"| {min(p.ratios):.2f}–{max(p.ratios):.2f}x "
            f"| {fmt(p.a.cpu_median)} / {fmt(p.b.cpu_median)} ({p.cpu_ratio:.2f}x) | {_target(row)} "
            f"| {p.a.peak_mib:.0f} / {p.b.peak_mib:.0f} MiB | {row.note or row.verdict()} |"
        )
    lines += ["", *_per_app(rows, sizes), *(f"    {n}" for n in notes)]
    lines += _instructions(instructions or [])
    lines += ["", "Per-pair ratios:"] + [
        f"- {row.title}: {' '.join(f'{r:.2f}' for r in row.pairs.ratios)}" for row in rows if row.pairs
    ]
    return "\n".join(lines)


def _target(row: Row) -> str:
    parts = [f"≤{row.target}x time" if row.target else "", f"≤{row.cpu_target}x CPU" if row.cpu_target else "",
             f"≤{row.memory_target}x RSS" if row.memory_target else ""]
    return ", ".join(p for p in parts if p) or "-"


def _per_app(rows: list[Row], sizes: tuple[int, ...]) -> list[str]:
    """Marginal cost per app and memory growth, from the 1-app and the largest check."""
    one, most = sizes[0], sizes[-1]
    small = next((r.pairs for r in rows if r.title == f"check {one} app" and r.pairs), None)
    large = next((r.pairs for r in rows if r.title == f"check {most} apps" and r.pairs), None)
    if not (small and large):
        return []
    span = most - one
    out = []
    for side, name in (("a", "shipspec"), ("b", "floor")):
        s, l = getattr(small, side), getattr(large, side)
        out.append(
            f"{name}: {(l.median - s.median) / span * 1000:.2f} ms per additional app; peak RSS "
            f"{s.peak_mib:.0f} MiB at {one} app, {l.peak_mib:.0f} MiB at {most} apps ({l.peak_mib / s.peak_mib:.2f}x)"
        )
    return out


def as_json(rows: list[Row]) -> list[dict[str, Any]]:
    return [
        {
            "figure": row.title, "a": row.a, "b": row.b, "target": row.target, "memory_target": row.memory_target,
            "cpu_target": row.cpu_target, "note": row.note,
            "a_samples": [vars(s) for s in row.pairs.a.samples] if row.pairs else [],
            "b_samples": [vars(s) for s in row.pairs.b.samples] if row.pairs else [],
        }
        for row in rows
    ]


def exit_code(rows: list[Row], *, gate: float | None) -> int:
    """2 when a command failed; with a gate, 1 when a time, CPU or memory ratio that has a target exceeds it; else 0."""
    if any(row.note.startswith("FAILED") for row in rows):
        return 2
    if gate is None:
        return 0
    over = [
        row for row in rows
        if row.pairs and (row.target or row.memory_target or row.cpu_target)
        and (row.pairs.ratio > gate or (row.memory_target and row.pairs.memory_ratio > gate)
             or (row.cpu_target and row.pairs.cpu_ratio > gate))
    ]
    for row in over:
        print(f"regression: {row.title}: {row.pairs.ratio:.2f}x time, {row.pairs.cpu_ratio:.2f}x CPU, "
              f"{row.pairs.memory_ratio:.2f}x memory")
    return 1 if over else 0

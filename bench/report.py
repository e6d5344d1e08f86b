"""Figures measured in interleaved rounds, printed as medians with their min-max range, each
next to its anchor from the same run, with the ratio and the goal it is held to."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Figure:
    """One value per round (a median within the round, or a single sample)."""

    unit: str
    rounds: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.rounds.append(value)

    @property
    def median(self) -> float:
        return statistics.median(self.rounds) if self.rounds else float("nan")

    def text(self) -> str:
        if not self.rounds:
            return "-"
        low, high = min(self.rounds), max(self.rounds)
        digits = 0 if self.median >= 100 else (1 if self.median >= 10 else 2)
        mid = f"{self.median:,.{digits}f}"
        if len(self.rounds) == 1:
            return f"{mid} {self.unit}"
        return f"{mid} ({low:,.{digits}f}-{high:,.{digits}f}) {self.unit}"


@dataclass(frozen=True)
class Goal:
    """`ours / anchor` (or `anchor / ours`, for `faster`) compared with `limit`."""

    text: str
    check: Callable[[float], bool]


def at_most(limit: float) -> Goal:
    return Goal(f"<= {limit:g}x", lambda ratio: ratio <= limit)


def at_least(limit: float) -> Goal:
    return Goal(f">= {limit:g}x", lambda ratio: ratio >= limit)


@dataclass
class Table:
    """Rows of `ours vs anchor`; remembers which goals were missed."""

    title: str
    missed: list[str] = field(default_factory=list)
    met: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def row(
        self, name: str, ours: Figure, anchor: Figure | None, goal: Goal | None = None
    ) -> float | None:
        ratio = ours.median / anchor.median if anchor is not None and anchor.rounds else None
        mark = ""
        if goal is not None and ratio is not None:
            ok = goal.check(ratio)
            (self.met if ok else self.missed).append(f"{name} ({ratio:.2f}x, goal {goal.text})")
            mark = f"{goal.text} {'ok' if ok else 'MISSED'}"
        ratio_text = f"{ratio:.2f}x" if ratio is not None else ""
        anchor_text = anchor.text() if anchor is not None else ""
        self.lines.append(
            f"  {name:<46} {ours.text():>28} {anchor_text:>28} {ratio_text:>7}  {mark}"
        )
        return ratio

    def note(self, text: str) -> None:
        self.lines.append(f"    {text}")

    def print(self, ours: str, anchor: str) -> None:
        print(f"\n{self.title}")
        print(f"  {'':<46} {ours:>28} {anchor:>28} {'ratio':>7}  goal")
        for line in self.lines:
            print(line)

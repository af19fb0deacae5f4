"""Memory of a process tree, read from Linux's ``/proc`` (no third-party tools needed).

A gunicorn is its master plus its workers. Per process the kernel keeps ``VmHWM`` (the
peak resident set since the process started, so no sampling is needed to catch the peak),
``VmRSS`` (resident now) and, in ``smaps_rollup``, ``Pss`` (resident now, with pages shared
between processes divided among them). Summing RSS over master and workers counts shared
pages more than once; PSS does not, so both are reported.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")


def parse_kib(text: str, key: str) -> int | None:
    """The value of ``key`` in a ``/proc`` status-style text (``Key:  123 kB``), in KiB."""
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == key:
            parts = value.split()
            return int(parts[0]) if parts and parts[0].isdigit() else None
    return None


def parent_of(stat_text: str) -> int:
    """The parent PID from a ``/proc/<pid>/stat`` line (the command name may contain spaces)."""
    return int(stat_text.rsplit(")", 1)[1].split()[1])


def children(pid: int) -> list[int]:
    """All descendants of ``pid`` (gunicorn's workers), found by scanning ``/proc``."""
    parents: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = parent_of((entry / "stat").read_text())
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current:
                found.append(child)
                frontier.append(child)
    return sorted(found)


@dataclass
class Memory:
    processes: int
    peak_rss_kib: int
    rss_kib: int
    pss_kib: int
    members: list[dict[str, int]] = field(default_factory=list)   # per process: pid and the three values

    def as_mib(self) -> dict:
        return {"processes": self.processes, "peak_rss_mib": self.peak_rss_kib / 1024,
                "rss_mib": self.rss_kib / 1024, "pss_mib": self.pss_kib / 1024,
                "per_process_kib": self.members}


def tree_memory(pid: int) -> Memory:
    """Summed memory of ``pid`` and its descendants; processes that vanish meanwhile are skipped."""
    members = []
    for member in [pid, *children(pid)]:
        try:
            status = (PROC / str(member) / "status").read_text()
        except OSError:
            continue
        try:
            pss = parse_kib((PROC / str(member) / "smaps_rollup").read_text(), "Pss") or 0
        except OSError:
            pss = 0
        members.append({"pid": member, "peak_rss": parse_kib(status, "VmHWM") or 0,
                        "rss": parse_kib(status, "VmRSS") or 0, "pss": pss})
    return Memory(len(members), sum(m["peak_rss"] for m in members), sum(m["rss"] for m in members),
                  sum(m["pss"] for m in members), members)

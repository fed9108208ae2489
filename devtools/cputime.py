"""CPU time of a process and of all its descendants, read from Linux's /proc (no psutil).

`tree_cpu_seconds(pid)` adds, over the process and every descendant alive now, the user and
system time each has used (`utime + stime`) and what its children that have ended and were
waited for used (`cutime + cstime`). The difference of two readings is the CPU the tree used in
between, as long as no process of the tree ends without being waited for by another one of the
tree (a gunicorn master waits for its workers, an RQ worker for its work horses).
"""

import os
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def own_and_children_seconds(pid: int) -> tuple[float, float]:
    """(utime + stime, cutime + cstime) of one process, in seconds; (0, 0) once it is gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return 0.0, 0.0
    # The command name (field 2) is in parentheses and may hold spaces: split after the last ")".
    fields = stat.rpartition(")")[2].split()
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return (utime + stime) / CLOCK_TICKS, (cutime + cstime) / CLOCK_TICKS


def children(pid: int) -> list[int]:
    """The live children of a process (of each of its threads)."""
    found = []
    try:
        tasks = list((PROC / str(pid) / "task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def descendants(pid: int) -> list[int]:
    """The process and every live descendant, parents first."""
    tree, index = [pid], 0
    while index < len(tree):
        tree.extend(children(tree[index]))
        index += 1
    return tree


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by the process, its live descendants and their waited children."""
    return sum(sum(own_and_children_seconds(member)) for member in descendants(pid))


def processes_cpu_seconds(pids) -> dict[int, float]:
    """utime + stime of each process, by pid (those still alive)."""
    readings = {}
    for pid in pids:
        if (PROC / str(pid)).exists():
            readings[pid] = own_and_children_seconds(pid)[0]
    return readings

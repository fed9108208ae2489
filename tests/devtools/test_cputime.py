"""The CPU-time reader of make load: /proc of this process and of a child."""

import os
import subprocess
import sys
import time

import pytest

from devtools.cputime import descendants, own_and_children_seconds, tree_cpu_seconds

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="Linux /proc")


def burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_the_reader_counts_the_cpu_this_process_burns():
    before = tree_cpu_seconds(os.getpid())
    burn(0.3)
    used = tree_cpu_seconds(os.getpid()) - before
    assert 0.25 <= used <= 1.0


def test_a_live_child_and_a_waited_one_are_counted_in_the_tree():
    code = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\n"
    before = tree_cpu_seconds(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", code + "time.sleep(30)"])  # noqa: S603
    try:
        deadline = time.monotonic() + 20
        while own_and_children_seconds(child.pid)[0] < 0.4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert child.pid in descendants(os.getpid())
        assert tree_cpu_seconds(os.getpid()) - before >= 0.35  # the live child's time
    finally:
        child.kill()
        child.wait()
    # Waited for: its time is now in this process's cutime + cstime.
    assert child.pid not in descendants(os.getpid())
    assert tree_cpu_seconds(os.getpid()) - before >= 0.35


def test_a_process_that_is_gone_reads_zero():
    child = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
    child.wait()
    assert own_and_children_seconds(child.pid) == (0.0, 0.0)

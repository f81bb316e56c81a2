"""The allocator settings of painterly.engine.allocator, on the real glibc: freed activations stay mapped for the next
iteration instead of being unmapped and faulted in again. Measured in a fresh process: in the test process the
heap already holds freed blocks from earlier tests, which a new allocation would simply reuse."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")

# Both probes run in a fresh process, after this preamble: the allocator settings applied, or "skip" without glibc.
PREAMBLE = """
import re, sys
from pathlib import Path
import torch
from painterly.engine.allocator import keep_freed_memory, release_freed_memory

def resident():
    return int(re.search(r"VmRSS:\\s+(\\d+) kB", Path("/proc/self/status").read_text())[1]) * 1024

if not keep_freed_memory():
    print("skip")
    sys.exit()
"""


def probe(body: str) -> str:
    """What `body` prints, run after PREAMBLE in a fresh interpreter; skips the test where glibc is missing."""
    command = [sys.executable, "-c", PREAMBLE + body]
    out = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    if out.strip() == "skip":
        pytest.skip("not glibc")
    return out


def test_freed_blocks_stay_mapped():
    out = probe("""
block = 256 * 2**20
before = resident()
tensor = torch.ones(block // 4)
del tensor
print((resident() - before) / block)
""")
    assert float(out) > 0.9  # freed, yet still mapped: the next iteration reuses it without faults


def test_freed_holes_are_handed_back_past_the_limit():
    out = probe("""
block = 64 * 2**20
blocks = [torch.ones(block // 4) for _ in range(16)]
del blocks[::2]  # eight freed blocks between eight held ones: holes that no trim of the heap's top returns
held = resident()
kept = release_freed_memory(keep=4 * block)  # 512 MB freed but resident: above the limit, so handed back
small = release_freed_memory(keep=4 * block)  # nothing left to hand back: below the limit, no trim
print(kept, small, (held - resident()) / block)
""")
    kept, small, returned = out.split()
    assert (kept, small) == ("True", "False")
    assert float(returned) > 7  # the eight freed 64 MB holes left resident memory; the held blocks stayed

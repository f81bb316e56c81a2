"""The allocator settings of painterly.engine.memory, on the real glibc: freed activations stay mapped for the next
iteration instead of being unmapped and faulted in again."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import torch

from painterly.engine.memory import keep_freed_memory

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")


def resident_bytes() -> int:
    return int(re.search(r"VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text())[1]) * 1024


def test_freed_blocks_stay_mapped():
    if not keep_freed_memory():
        pytest.skip("not glibc")
    block = 256 * 2**20
    before = resident_bytes()
    tensor = torch.ones(block // 4)  # written, so its pages are resident
    del tensor
    kept = resident_bytes()
    assert kept - before > 0.9 * block  # freed, yet still mapped: the next iteration reuses it without faults

"""Keeping freed activation memory in the process, so large images do not pay the kernel for every iteration.

glibc's malloc serves every block above its mmap threshold (at most 32 MB) with a fresh `mmap` and returns it with
`munmap` when freed. VGG-19's activations at a 1024 px tile are 50-200 MB each, so every forward and backward pass
mapped, page-faulted (4 KiB at a time) and zeroed about 2 GB anew: at 4096 px that was 658 million minor faults
and 42 % of the wall time in the kernel (benchmarks/RESULTS.md). With mmap switched off for large blocks and the
heap's top trimmed only above a high threshold, freed activations stay mapped and the next iteration reuses them.

Why mallopt rather than PyTorch's THP_MEM_ALLOC_ENABLE or another allocator: THP_MEM_ALLOC_ENABLE is read once, at
torch's first allocation, so it only works from the environment before `import torch` (a user's script may have
imported torch already), and it still maps and zeroes every block anew, in 2 MB pages; jemalloc or tcmalloc need
LD_PRELOAD. mallopt takes effect at any time, from inside the process, and needs nothing from the user. Measured
in benchmarks/memory_churn.py.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

# glibc <malloc.h>
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
TRIM_THRESHOLD = 1 << 30  # return the heap's free top to the kernel only when more than 1 GiB is free there


def keep_freed_memory() -> bool:
    """Ask glibc to keep large freed blocks for reuse; True where it applied (Linux with glibc), else False.
    Idempotent and cheap: each Painter calls it. Blocks that a thread other than the main one allocates above
    64 MB still come from mmap (glibc's thread arenas fall back to it), so this can never make malloc fail."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):  # musl and other C libraries have no mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))

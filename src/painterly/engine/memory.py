"""Keeping freed activation memory in the process, so large images do not pay the kernel for every iteration.

glibc's malloc serves every block above its mmap threshold (at most 32 MB) with a fresh `mmap` and returns it with
`munmap` when freed. VGG-19's activations at a 1024 px tile are 50-200 MB each, so every forward and backward pass
mapped, page-faulted (4 KiB at a time) and zeroed about 2 GB anew: at 4096 px that was 658 million minor faults
and 42 % of the wall time in the kernel (benchmarks/RESULTS.md). With mmap switched off for large blocks and the
heap's top trimmed only above a high threshold, freed activations stay mapped and the next iteration reuses them.

What the heap keeps, it keeps for blocks of the sizes it has seen. A tiled run changes sizes at every visit (edge
tiles are smaller, the second pass's grid is shifted, the whole image is measured between sizes), and freed
blocks of the old sizes stayed mapped beside the new ones: a 4096 px run peaked at 7.2 GiB. So a tiled run hands
the heap's free memory back (`release_freed_memory`, glibc's malloc_trim) between tile visits: one visit's
iterations still reuse their blocks, and the next visit faults its own in once.

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


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def release_freed_memory() -> bool:
    """Give the heap's free memory back to the kernel now (glibc's malloc_trim(0): the free top and every free
    page inside the heap); True where it applied. Between tile visits, not between iterations."""
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is None:
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    trim(0)
    return True


def keep_freed_memory() -> bool:
    """Ask glibc to keep large freed blocks for reuse; True where it applied (Linux with glibc), else False.
    Idempotent and cheap: each Painter calls it. Blocks that a thread other than the main one allocates above
    64 MB still come from mmap (glibc's thread arenas fall back to it), so this can never make malloc fail."""
    mallopt = getattr(_libc(), "mallopt", None)  # musl and other C libraries have no mallopt
    if mallopt is None:
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))

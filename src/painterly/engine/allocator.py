"""Tuning glibc's malloc so freed activation memory stays in the process, and large images do not pay the kernel
for every iteration.

glibc's malloc serves every block above its mmap threshold (at most 32 MB) with a fresh `mmap` and returns it with
`munmap` when freed. VGG-19's activations at a 1024 px tile are tens to hundreds of MB each, so without tuning
every forward and backward pass maps, page-faults and zeroes them anew, and a large run spends much of its time in
the kernel (benchmarks/RESULTS.md). With mmap switched off for large blocks and the heap's top trimmed only above a
high threshold, freed activations stay mapped and the next iteration reuses them.

Why mallopt rather than PyTorch's THP_MEM_ALLOC_ENABLE or another allocator: THP_MEM_ALLOC_ENABLE is read once, at
torch's first allocation, so it only works from the environment before `import torch` (a user's script may have
imported torch already), and it still maps and zeroes every block anew, in 2 MB pages; jemalloc or tcmalloc need
LD_PRELOAD. mallopt takes effect at any time, from inside the process, and needs nothing from the user. Measured
in benchmarks/memory_churn.py.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys

# glibc <malloc.h>
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
TRIM_THRESHOLD = 1 << 30  # return the heap's free top to the kernel only when more than 1 GiB is free there
# Freed memory kept resident beyond this is handed back between steps. Above what one 1024 px tile visit frees,
# so visits reuse each other's blocks rather than trimming and faulting them in again (benchmarks/RESULTS.md).
KEEP_LIMIT = 5 << 29  # 2.5 GiB


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


def release_freed_memory(keep: int = KEEP_LIMIT) -> bool:
    """Hand the pages of free blocks back to the kernel (glibc's malloc_trim) when more than `keep` bytes of
    freed memory are resident; True where it did.

    Kept freed memory is reusable only by blocks that fit its holes. A tiled run moves between tiles of
    different shapes and between whole-image steps, and each new shape leaves the old holes resident beside the
    new blocks, so the resident peak grows far above what the program holds (benchmarks/memory_trace.py). Called
    between such steps, never inside an iteration's loop, and only past `keep`, so the pages that tiles of one
    shape reuse visit after visit are not faulted in again each time."""
    libc = _libc()
    if libc is None or _kept_bytes() <= keep:
        return False
    return bool(libc.malloc_trim(0))


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks")
    ] + [("keepcost", ctypes.c_size_t)]


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """glibc with malloc_trim's and mallinfo2's types set; None on other systems and C libraries."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    except (OSError, AttributeError):
        return None
    if hasattr(libc, "mallinfo2"):  # glibc 2.33 and later
        libc.mallinfo2.restype = _MallInfo2
    return libc


def resident_bytes() -> int:
    """The process's resident memory now (Linux's /proc/self/statm)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def allocated_bytes() -> int | None:
    """Bytes malloc has handed out and not had back (glibc's mallinfo2): what the program holds, as opposed to
    what the process keeps mapped for reuse. None without glibc 2.33 or later."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallinfo2"):
        return None
    info = libc.mallinfo2()
    return info.uordblks + info.hblkhd


def _kept_bytes() -> int:
    """Resident bytes that malloc has not handed out: freed blocks kept mapped, plus the program's code and
    libraries (a few hundred MB). Without mallinfo2 (glibc before 2.33) every call trims: more page faults,
    never more memory."""
    allocated = allocated_bytes()
    return sys.maxsize if allocated is None else resident_bytes() - allocated

"""`precision="auto"`: bfloat16 where the hardware runs it natively, float32 where it would be emulated.

Why decide from the hardware's features rather than by timing a pass at first use: the difference is not subtle.
On CPUs with AVX512-BF16 (or AMX) a VGG-19 pass under bfloat16 autocast takes about half the float32 time; on CPUs
without them oneDNN emulates bfloat16 and the same pass takes about four times as long (benchmarks/RESULTS.md).
A feature flag predicts that 8x gap exactly, costs nothing, gives the same answer on every run (a timing on a busy
machine might not), and needs no cache file. On CUDA, bfloat16 is native from compute capability 8.0 (Ampere).
"""

from __future__ import annotations

from pathlib import Path

import torch

# CPU features (as /proc/cpuinfo spells them) with native bfloat16 dot products that oneDNN uses for convolutions.
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The feature flags of the first CPU listed; empty where /proc/cpuinfo does not exist (macOS, Windows)."""
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith(("flags", "Features")):
                return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def choose_precision(requested: str, device: torch.device, flags: frozenset[str] | None = None) -> tuple[str, str]:
    """The precision to run VGG in and the reason, for the progress output's first line.

    `flags` (the CPU's feature flags) is read from /proc/cpuinfo unless given, so the choice can be tested for
    any machine.
    """
    if requested != "auto":
        return requested, "as asked (--precision)"
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        if torch.cuda.is_bf16_supported():
            return "bfloat16", f"auto: {name} computes bfloat16 natively"
        return "float32", f"auto: {name} has no native bfloat16"
    if device.type != "cpu":
        return "float32", f"auto: float32 on {device.type}"
    flags = cpu_flags() if flags is None else flags
    native = [flag for flag in BF16_CPU_FLAGS if flag in flags]
    if native:
        return "bfloat16", f"auto: this CPU has {'/'.join(f.upper() for f in native)} (bfloat16 about 2x faster)"
    return "float32", "auto: this CPU lacks AVX512-BF16/AMX (bfloat16 would be emulated, several times slower)"


def choose_layout(device: torch.device, flags: frozenset[str] | None = None) -> bool:
    """Whether VGG runs in channels-last (NHWC) memory: on CPUs with AMX, where oneDNN's convolutions are about
    2.4x faster so in bfloat16 (1.2x in float32; issue 29's figures, a Xeon with AMX). Not on AVX512-BF16 without
    AMX (an AMD EPYC: channels-last 7-20 % slower in bfloat16, the precision "auto" picks there; float32 either way
    by the run; docs/speed.md) nor, unmeasured, on CPUs with neither or on GPUs, which keep the contiguous layout."""
    if device.type != "cpu":
        return False
    flags = cpu_flags() if flags is None else flags
    return "amx_bf16" in flags

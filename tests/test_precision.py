"""--precision auto: the choice logic for machines with and without native bfloat16, and the first progress line."""

from __future__ import annotations

from pathlib import Path

import torch

from painterly import Painter, StyleConfig
from painterly.engine.precision import choose_layout, choose_precision, cpu_flags

CPU = torch.device("cpu")


def test_auto_picks_float32_on_a_cpu_without_avx512_bf16():
    flags = frozenset({"fpu", "sse4_2", "avx2", "avx512f", "avx512bw", "avx512_vnni"})  # AVX-512, but no BF16
    precision, reason = choose_precision("auto", CPU, flags)
    assert precision == "float32"
    assert "lacks AVX512-BF16" in reason


def test_auto_picks_bfloat16_where_the_cpu_has_avx512_bf16_or_amx():
    for flag in ("avx512_bf16", "amx_bf16"):
        precision, reason = choose_precision("auto", CPU, frozenset({"avx512f", flag}))
        assert precision == "bfloat16"
        assert flag.upper() in reason


def test_an_explicit_precision_is_kept_whatever_the_cpu():
    assert choose_precision("bfloat16", CPU, frozenset())[0] == "bfloat16"
    assert choose_precision("float32", CPU, frozenset({"avx512_bf16"}))[0] == "float32"


def test_cpu_flags_reads_the_flags_line(tmp_path: Path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: fpu avx512f avx512_bf16\n\nprocessor\t: 1\n")
    assert cpu_flags(info) == frozenset({"fpu", "avx512f", "avx512_bf16"})
    assert cpu_flags(tmp_path / "missing") == frozenset()


def test_the_painter_reports_the_precision_it_resolved(images, vgg_weights):
    config = StyleConfig(size=32, start_size=0, iterations=1)
    painter = Painter(images / "starry_night.jpg", config)
    expected = choose_precision("auto", CPU)
    assert (painter.precision, painter.precision_reason) == expected
    assert painter.config.precision == painter.precision  # the painter's one config: what the engine reads
    assert config.precision == "auto"  # the caller's config is left as given


def test_channels_last_only_where_the_cpu_has_amx():
    cpu = torch.device("cpu")
    assert choose_layout(cpu, frozenset({"avx512f", "avx512_bf16", "amx_bf16", "amx_tile"}))
    assert not choose_layout(cpu, frozenset({"avx512f", "avx512_bf16"}))  # AMD EPYC: contiguous is faster
    assert not choose_layout(cpu, frozenset({"avx2"}))


def test_channels_last_features_and_gradients_are_the_contiguous_ones(vgg_weights):
    from painterly.engine.vgg import VGG19Features

    layers = ("conv1_1", "conv3_1", "conv5_1")
    image = torch.rand(1, 3, 48, 64, generator=torch.Generator().manual_seed(0))
    results = []
    for channels_last in (False, True):
        model = VGG19Features(vgg_weights, layers, "max").use_channels_last(channels_last)
        x = image.clone().requires_grad_(True)
        features = model(x)
        sum(f.pow(2).mean() for f in features.values()).backward()
        results.append((features, x.grad))
    (plain, plain_grad), (nhwc, nhwc_grad) = results
    assert nhwc["conv1_1"].is_contiguous(memory_format=torch.channels_last)
    for name in layers:
        torch.testing.assert_close(nhwc[name], plain[name], rtol=1e-4, atol=1e-3)
    # float sums in another order, through max pooling: equal up to rounding, measured over the whole gradient
    assert float((nhwc_grad - plain_grad).norm() / plain_grad.norm()) < 1e-2  # 1e-3 here; unrelated: about 1.4

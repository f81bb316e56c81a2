"""--plot draws every loss term the run had (hold and temporal too), so its total is the sum of the curves shown."""

from __future__ import annotations

import math

import pytest
from PIL import Image

from painterly.apps.cli import main
from painterly.media import loss_plot
from painterly.media.loss_plot import plotted_terms


def test_a_two_size_run_with_the_hold_plots_the_hold_and_its_parts_add_up_to_the_total(
    images, tmp_path, capsys, monkeypatch
):
    chosen = []

    def spy(history):  # the terms plot_losses draws, with the history of the real run they came from
        terms = plotted_terms(history)
        chosen.append((terms, history))
        return terms

    monkeypatch.setattr(loss_plot, "plotted_terms", spy)
    plot = tmp_path / "loss.png"
    status = main(
        [
            str(images / "tubingen.jpg"), "--style", str(images / "starry_night.jpg"), "-o", str(tmp_path / "a.png"),
            "--size", "128", "--start-size", "64", "--hold-from", "2", "--start-iterations", "3", "--iterations", "3",
            "--tv-weight", "0", "--plot", str(plot), "--quiet",
        ]
    )  # fmt: skip
    assert status == 0, capsys.readouterr().err
    [(terms, history)] = chosen
    assert [max(size) for _, _, size in (history[0], history[-1])] == [64, 128]  # coarse to fine
    assert all("hold" not in losses for _, losses, size in history if max(size) == 64)  # held from 2x the first
    assert terms == ["content", "style", "hold", "total"]  # tv is 0 throughout: no place on a log scale
    for iteration, losses, _ in history:
        parts = sum(losses.get(term, 0.0) for term in terms if term != "total")
        assert parts == pytest.approx(losses["total"], rel=1e-4), iteration
    with Image.open(plot) as image:
        assert image.format == "PNG"


def test_terms_absent_or_zero_throughout_are_left_out_and_the_total_comes_last():
    history = [
        (1, {"total": 3.0, "content": 0.0, "style": 2.0, "temporal": 0.0, "tv": 1.0, "extra": 0.5}, (32, 24)),
        (2, {"total": 2.0, "content": 1.0, "style": 1.0, "temporal": 0.0, "tv": math.nan}, (32, 24)),
    ]
    assert plotted_terms(history) == ["content", "style", "tv", "extra", "total"]
    assert plotted_terms([]) == []

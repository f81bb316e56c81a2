"""The loss plot of a run (--plot): each weighted loss term against iteration, on a log scale."""

from __future__ import annotations

import math
from pathlib import Path

from .images import write_atomically

PLOT_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
# The engine's terms in the legend's order; the total comes last. A term not named here is still plotted (after
# these), so the total is never drawn above the parts shown.
TERM_ORDER = ("content", "style", "tv", "hold", "temporal")
History = list[tuple[int, dict[str, float], tuple[int, int]]]  # (iteration, losses, size) per iteration


def plotted_terms(history: History) -> list[str]:
    """The terms to draw: every one the run recorded that is above zero at some iteration (a term that is 0 or
    absent throughout has no place on a log scale), in TERM_ORDER, then any others, then the total."""
    seen: dict[str, None] = {}
    for _, losses, _ in history:
        seen.update(dict.fromkeys(losses))
    names = [t for t in TERM_ORDER if t in seen] + [t for t in seen if t not in TERM_ORDER and t != "total"]
    names += ["total"] if "total" in seen else []
    return [t for t in names if any(_positive(losses.get(t, 0.0)) for _, losses, _ in history)]


def _positive(value: float) -> bool:
    return value > 0 and math.isfinite(value)


def plot_losses(path: Path, history: History) -> None:
    # matplotlib is imported here, not at the top: it costs half a second, and only --plot needs it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(6.4, 4.0), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)  # the Agg backend, without pyplot's global state
    axes = figure.add_subplot()
    iterations = [iteration for iteration, _, _ in history]
    finals = []
    for term in plotted_terms(history):
        values = [losses.get(term, 0.0) for _, losses, _ in history]
        positive = [v if _positive(v) else math.nan for v in values]
        axes.plot(iterations, positive, label=term, linewidth=2 if term == "total" else 1.2)
        finals += [v for v in positive[len(positive) // 2 :] if not math.isnan(v)]
    _mark_sizes(axes, history)
    axes.set_yscale("log")
    # A term that starts at 0 (content, when the run starts from the content) would stretch the axis over decades
    # that say nothing: start it a little below the smallest value of the run's second half.
    low, high = axes.get_ylim()
    if finals:
        axes.set_ylim(max(low, 0.3 * min(finals)), high)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("iteration")
    axes.set_ylabel("weighted loss")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    fmt = PLOT_FORMATS[path.suffix.lower()]
    write_atomically(path, lambda f: figure.savefig(f, format=fmt))


def _mark_sizes(axes, history: History) -> None:
    """A coarse-to-fine run: a dotted line at each change of size, and each stretch of the curves labelled with
    its size."""
    changes = [(i, size) for (_, _, before), (i, _, size) in zip(history, history[1:]) if size != before and size[0]]
    if changes:
        changes.insert(0, (history[0][0], history[0][2]))
    for k, (iteration, size) in enumerate(changes):
        if k:
            axes.axvline(iteration, color="grey", linestyle=":", linewidth=1)
        axes.annotate(
            f"{size[0]}x{size[1]}",
            (iteration, 0),
            xycoords=("data", "axes fraction"),
            xytext=(3, 4),
            textcoords="offset points",
            fontsize=8,
            color="grey",
        )

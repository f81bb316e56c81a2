"""painterly against pastiche and against this machine's own floor, in one run; writes benchmarks/RESULTS.md.

Every tool gets the same content, style, size and seed, runs as its own process (start-up included in its wall
time, peak memory from the child's own VmHWM), and every output is scored by the quality evaluation's scores
(benchmarks/quality_metrics.py), which the optimiser never sees: structure = edge-map correlation with the photo at
128 px; texture = patch gain (network-free) and style = style gain (Magenta's embedding, not VGG), each how far the
result moved from the photo towards the painting; the Gram distance the optimiser matches and a colour distance
are reported, not compared. painterly's runs save a
snapshot every 10 iterations; each snapshot at the output size is scored too, which gives the time at which a run
first matched pastiche's final image on both structure and style (time to quality; the snapshot writes count
against painterly). Snapshots of the smaller sizes of the schedule do not count: an image smaller than pastiche's
is not pastiche's quality, whatever its scores.
The floor is a bare VGG-19 forward+backward to conv5_1 at the same size, with no losses and no optimiser, in
float32 and bfloat16.

Run (about 15 minutes on 2 quiet cores): .venv/bin/python benchmarks/compare.py
Needs the bench extra: pip install -e .[bench]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from PIL import Image

import quality_metrics as qm
from painterly import StyleConfig, stylize
from painterly.engine.precision import choose_layout, choose_precision
from painterly.engine.vgg import VGG19Features
from painterly.engine.weights import load_weights
from painterly.layers import CHANNELS, LAYER_NAMES, ends_block
from painterly.media.images import load_image

ROOT = Path(__file__).resolve().parents[1]
IMAGES = Path(os.environ.get("PAINTERLY_TEST_IMAGES", ROOT.parent / "shared" / "images"))
SNAPSHOT_EVERY = 10
LAYOUTS = ("NCHW", "NHWC")
PASTICHE_STEPS = 300
FIRST_TRIES = 5  # times the first iteration is timed

# (file name, label, extra painterly arguments): the default, the default in float32, and the default before
# issue 29 (30 iterations at 512 px through all of VGG), against which its speed is measured.
PAINTERLY_RUNS = [
    ("default", "painterly default (precision auto)", []),
    ("float32", "painterly default, float32", ["--precision", "float32"]),
    (
        "before29",
        "painterly default before issue 29 (30 iterations at 512 px, to conv5_1)",
        ["--iterations", "30", "--hold-depth", "none"],
    ),
]


@dataclass(frozen=True)
class Score:
    structure: float  # edge correlation with the photo: higher is better
    texture: float  # patch gain towards the painting (no network): higher is better
    style: float  # style gain towards the painting (Magenta's embedding): higher is better
    gram: float  # Gram distance to the painting, the optimiser's own statistic (reported, not compared)
    colour: float  # colour-distribution distance to the painting (reported, not compared)

    def at_least_as_good_as(self, other: Score) -> bool:
        """Structure, texture and style all no worse: a run cannot win by trading one for another."""
        return self.structure >= other.structure and self.texture >= other.texture and self.style >= other.style

    def __str__(self) -> str:
        return (
            f"structure {self.structure:.3f}, texture {self.texture:.3f}, style {self.style:.3f}, "
            f"Gram {self.gram:.4f}, colour {self.colour:.2f}"
        )


class Evaluator:
    """The quality evaluation's scores of one output against one photo and painting."""

    def __init__(self, content: Path, style: Path) -> None:
        self.content, self.style = load_image(content), load_image(style)
        self.grams = qm.GramScorer()
        self.gains = qm.Gains(self.content, self.style)  # the photo's and painting's side, once for every snapshot

    def score(self, output: Path) -> Score:
        result = load_image(output)
        photo, ours = qm.pair_arrays(self.content, result, qm.EDGE_SIZE)
        return Score(
            qm.edge_correlation(photo, ours),
            self.gains.patch(result),
            self.gains.style(result),
            self.grams.distance(result, self.style, key="painting"),
            qm.colour_distance(result, self.style),
        )


@dataclass
class Run:
    label: str
    size: int
    wall: float  # seconds, process start to exit
    peak_rss: float  # bytes
    score: Score
    seconds_per_iteration: float
    trace: list[tuple[float, Score]] = field(default_factory=list)  # (seconds since start, score) per snapshot
    output: Path | None = None

    def time_to(self, target: Score) -> float | None:
        return next((t for t, s in self.trace if s.at_least_as_good_as(target)), None)


def timed_process(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall time, peak RSS and stdout of a child process.

    The peak is the child's own VmHWM, read from /proc while it runs: wait4's ru_maxrss would count the pages of
    this (large) benchmark process that the child's fork copied, which exec folds into the child's maximum.
    """
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True, env=env)
        peak = 0
        while process.poll() is None:
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
                peak = max(peak, int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) * 1024)
            except (OSError, TypeError):  # exiting between poll() and the read
                pass
            time.sleep(0.2)
        wall = time.perf_counter() - start
        log.seek(0)
        out = log.read()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{out}")
    return wall, peak, out


def run_pastiche(content: Path, style: Path, size: int, folder: Path, evaluator: Evaluator) -> Run:
    output = folder / f"pastiche_{size}.png"
    command = [sys.executable, "-m", "pastiche", "--content", str(content), "--styles", str(style)]
    command += ["--output", str(output), "--size", str(size), "--num-steps", str(PASTICHE_STEPS), "--seed", "0"]
    wall, rss, out = timed_process(command)
    steps = {int(m[1]): float(m[2]) for m in re.finditer(r"^(\d+)\s+([\d.]+)\s", out, re.M)}  # step elapsed loss
    per_step = (steps[PASTICHE_STEPS] - steps[0]) / PASTICHE_STEPS
    return Run(f"pastiche {PASTICHE_STEPS} steps", size, wall, rss, evaluator.score(output), per_step, output=output)


def painterly_command(
    content: Path, style: Path, output: Path, size: int, save_every: int, extra: Sequence[str] = ()
) -> list[str]:
    """The painterly command that writes `output` with a snapshot every `save_every` iterations, after removing an
    earlier run's snapshots (their times would be read as this run's)."""
    for old in output.parent.glob(f"{output.stem}_*.png"):
        old.unlink()
    command = [sys.executable, "-m", "painterly", str(content), "--style", str(style), "-o", str(output)]
    return command + ["--size", str(size), "--save-every", str(save_every), "--quiet", "--overwrite", *extra]


def run_painterly(
    name: str,
    label: str,
    extra: list[str],
    content: Path,
    style: Path,
    size: int,
    folder: Path,
    evaluator: Evaluator,
    source: Path | None = None,
) -> Run:
    """One painterly process, snapshots scored; `source` runs another checkout's src/ (an earlier commit)."""
    output = folder / f"painterly_{size}_{name}.png"
    for stale in folder.glob(f"{output.stem}_[0-9]*.png"):  # an earlier run's snapshots would be scored as this one's
        stale.unlink()
    command = painterly_command(content, style, output, size, SNAPSHOT_EVERY, extra)
    env = None if source is None else {**os.environ, "PYTHONPATH": str(source / "src")}
    started = time.time()
    wall, rss, _ = timed_process(command, env)
    final_size = image_size(output)
    trace, stamps = [], []
    for snap in sorted(folder.glob(f"{output.stem}_[0-9]*.png")):
        iteration = int(snap.stem.rsplit("_", 1)[1])
        seconds = snap.stat().st_mtime - started
        if image_size(snap) == final_size:  # a smaller image than pastiche's is not pastiche's quality
            trace.append((seconds, evaluator.score(snap)))
            stamps.append((iteration, seconds))
    (i0, t0), (i1, t1) = (stamps[0], stamps[-1]) if stamps else ((0, 0.0), (0, 0.0))
    per_iteration = (t1 - t0) / (i1 - i0) if i1 > i0 else float("nan")  # at the output size
    return Run(label, size, wall, rss, evaluator.score(output), per_iteration, trace, output)


def image_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def forward_flops(height: int, width: int, deepest: str = "conv5_1") -> float:
    """Multiply-adds x 2 of every 3x3 convolution up to `deepest`, from the layer shapes."""
    flops, h, w, c_in = 0.0, height, width, 3
    for name in LAYER_NAMES[: LAYER_NAMES.index(deepest) + 1]:
        flops += 2 * 9 * c_in * CHANNELS[name] * h * w
        c_in = CHANNELS[name]
        if ends_block(name):
            h, w = (h + 1) // 2, (w + 1) // 2
    return flops


def bare_pass(height: int, width: int, bfloat16: bool, channels_last: bool = False, repeats: int = 5) -> float:
    """Seconds for VGG-19 forward to conv5_1 and backward to the input: nothing painterly adds."""
    config = StyleConfig()
    model = VGG19Features(load_weights(), config.content_layers + config.style_layers, "max")
    model.use_channels_last(channels_last)
    image = torch.rand(1, 3, height, width, requires_grad=True)

    def once() -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16):
            features = model(image)
        sum(f.float().pow(2).mean() for f in features.values()).backward()

    once()
    start = time.perf_counter()
    for _ in range(repeats):
        once()
    return (time.perf_counter() - start) / repeats


def time_to_first_iteration(content: Path, style: Path, size: int, folder: Path) -> float:
    """Seconds from starting the command to its first snapshot on disk (`--save-every 1`); the run is then
    stopped. Start-up as a user meets it: imports, weights, the painting's targets and one iteration."""
    output = folder / "first_iteration.png"
    command = painterly_command(content, style, output, size, 1)
    start = time.time()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not (snapshots := list(folder.glob(f"{output.stem}_[0-9]*.png"))):
            if process.poll() is not None:
                raise SystemExit(f"{' '.join(command)} ended ({process.returncode}) before its first snapshot")
            time.sleep(0.02)
    finally:
        process.kill()
        process.wait()
    return min(p.stat().st_mtime for p in snapshots) - start


def painterly_iteration(content: Path, style: Path, size: int, precision: str, iterations: int = 6) -> float:
    """Seconds per iteration of a one-size painterly run, from the callback's clock (start-up excluded)."""
    times: list[float] = []
    config = StyleConfig(size=size, start_size=0, iterations=iterations, precision=precision)
    stylize(content, style, config, lambda p: times.append(p.elapsed))
    return (times[-1] - times[0]) / (len(times) - 1)


def cpu_description() -> str:
    flags, model = set(), platform.processor()
    try:
        text = Path("/proc/cpuinfo").read_text()
        model = re.search(r"model name\s*:\s*(.*)", text)[1]
        flags = set(re.search(r"flags\s*:\s*(.*)", text)[1].split())
    except (OSError, TypeError):
        pass
    kind = "AMX" if "amx_bf16" in flags else "AVX512-BF16" if "avx512_bf16" in flags else "neither AVX512-BF16 nor AMX"
    bf16 = f"class: **{kind}**; layout: {'channels-last' if choose_layout(torch.device('cpu')) else 'contiguous'}"
    precision, reason = choose_precision("auto", torch.device("cpu"))
    threads = torch.get_num_threads()
    return (
        f"{model}, {os.cpu_count()} cores, {bf16}; --precision auto chose {precision} ({reason}); "
        f"torch {torch.__version__}, {threads} threads"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--content", type=Path, default=IMAGES / "tubingen.jpg")
    parser.add_argument("--style", type=Path, default=IMAGES / "starry_night.jpg")
    parser.add_argument("--sizes", type=int, nargs="+", default=[512])
    parser.add_argument("--large", type=int, default=0, help="also time one default painterly run at this size")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="also run the default of another checkout (e.g. `git worktree add /tmp/base COMMIT`), as its own row",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    command = " ".join(["python benchmarks/compare.py", *sys.argv[1:]])
    evaluator = Evaluator(args.content, args.style)
    height_of = {s: round(s * evaluator.content.height / evaluator.content.width) for s in args.sizes}

    floors = []
    for size in args.sizes:
        w, h = size, height_of[size]  # landscape content: the width is the longest edge
        flops = 2 * forward_flops(h, w)  # the backward to the input costs about one more forward
        for precision in ("float32", "bfloat16"):
            layouts = {layout: bare_pass(h, w, precision == "bfloat16", layout == "NHWC") for layout in LAYOUTS}
            layout = min(layouts, key=layouts.get)  # the bare pass at its fastest: the floor painterly is held to
            bare = layouts[layout]
            ours = painterly_iteration(args.content, args.style, size, precision)
            floors.append((f"{w}x{h}", precision, layouts, layout, flops / bare / 1e9, ours, ours / bare))
            print(f"floor {w}x{h} {precision}: bare {layouts} s, painterly {ours:.3f} s ({ours / bare:.2f}x)")
    # Several tries: one start-up depends on the state of the machine's caches by tenths of a second.
    first_iteration = sorted(
        time_to_first_iteration(args.content, args.style, args.sizes[0], args.out) for _ in range(FIRST_TRIES)
    )
    print(f"time to the first iteration: {' '.join(f'{t:.2f}' for t in first_iteration)} s")

    runs: list[Run] = []
    for size in args.sizes:
        runs.append(run_pastiche(args.content, args.style, size, args.out, evaluator))
        print(f"{runs[-1].label} @{size}: {runs[-1].wall:.1f} s, {runs[-1].score}", flush=True)
        for name, label, extra in PAINTERLY_RUNS:
            runs.append(run_painterly(name, label, extra, args.content, args.style, size, args.out, evaluator))
            print(f"{label} @{size}: {runs[-1].wall:.1f} s, {runs[-1].score}", flush=True)
        if args.baseline:
            runs.append(run_baseline(args.baseline, args.content, args.style, size, args.out, evaluator))
    if args.large:
        runs.append(
            run_painterly("default", "painterly default", [], args.content, args.style, args.large, args.out, evaluator)
        )
        print(f"painterly default @{args.large}: {runs[-1].wall:.1f} s, {runs[-1].score}", flush=True)
        if args.baseline:
            runs.append(run_baseline(args.baseline, args.content, args.style, args.large, args.out, evaluator))

    args.results.write_text(report(command, floors, runs, first_iteration))
    print(f"wrote {args.results}")


def run_baseline(checkout: Path, content: Path, style: Path, size: int, out: Path, evaluator: Evaluator) -> Run:
    """The default of another checkout, run with its own code, as a row labelled by its commit."""
    commit = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    label = f"painterly default at commit {commit} (its own code)"
    run = run_painterly("baseline", label, [], content, style, size, out, evaluator, checkout)
    print(f"{label} @{size}: {run.wall:.1f} s, {run.score}", flush=True)
    return run


def report(command: str, floors: list, runs: list[Run], first_iteration: list[float]) -> str:
    lines = [
        "# Benchmark: painterly against pastiche and against the machine's floor",
        "",
        f"Machine: {cpu_description()}. Written by `{command}` on {time.strftime('%Y-%m-%d')};",
        "content tubingen.jpg, style starry_night.jpg, seed 0. Scores from benchmarks/quality_metrics.py, never the",
        "optimiser's loss: structure = edge-map correlation with the photo at 128 px; texture = patch gain (no",
        "network) and style = style gain (Magenta's style embedding, not VGG), how far the result moved from the",
        "photo towards the painting (1 = as close as the painting); all three higher is better. The Gram distance",
        "(the optimiser's own statistic) and the colour distance are reported, not compared. A run matches pastiche",
        "when its structure, texture and style are all at least as good as pastiche's after",
        f"{PASTICHE_STEPS} steps, counting only snapshots at the output size (every 10 iterations).",
        "Wall times are whole processes, start-up included.",
        "",
        f"Time to the first iteration: median **{first_iteration[len(first_iteration) // 2]:.2f} s** of "
        f"{len(first_iteration)} tries ({', '.join(f'{t:.2f}' for t in first_iteration)} s), from the command",
        "(`python -m painterly`, the default at the first size) to its first snapshot on disk: imports, weights, the",
        "painting's targets, one iteration.",
        "",
        "## Time to quality",
        "",
        "| size | run | wall (s) | s/iteration | peak RSS (GB) | structure ↑ | texture ↑ | style ↑ | Gram | colour | "
        "as good as pastiche | reached pastiche's quality at (s) | share of pastiche's wall |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    reference = {r.size: r for r in runs if r.label.startswith("pastiche")}
    for r in runs:
        ref = reference.get(r.size)
        if ref is None or r is ref:
            verdict, reached, share = ("reference" if r is ref else "-"), "-", "-"
        else:
            verdict = "yes" if r.score.at_least_as_good_as(ref.score) else "no"
            t = r.time_to(ref.score)
            reached, share = ("never", "-") if t is None else (f"{t:.1f}", f"{t / ref.wall:.2f}")
        lines.append(
            f"| {r.size} | {r.label} | {r.wall:.1f} | {r.seconds_per_iteration:.3f} | {r.peak_rss / 2**30:.2f} | "
            f"{r.score.structure:.3f} | {r.score.texture:.3f} | {r.score.style:.3f} | {r.score.gram:.4f} | "
            f"{r.score.colour:.2f} | {verdict} | {reached} | {share} |"
        )
    lines += [
        "",
        "## One iteration against the bare network",
        "",
        "Bare pass: VGG-19 forward to conv5_1 and backward to the input, no losses, no optimiser, with weights and",
        "activations contiguous (NCHW) and channels-last (NHWC); painterly is held to the faster. GFLOP/s counts the",
        "3x3 convolutions from the layer shapes (forward + the same again backward), at the faster layout. The",
        "painterly iteration is one of a one-size run at the full depth (no hold), in the layout it chose.",
        "",
        "| size | precision | bare NCHW (s) | bare NHWC (s) | GFLOP/s | painterly iteration (s) | "
        "painterly / fastest bare |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, precision, layouts, fastest, gflops, ours, ratio in floors:
        cells = " | ".join(f"**{layouts[k]:.3f}**" if k == fastest else f"{layouts[k]:.3f}" for k in LAYOUTS)
        lines.append(f"| {size} | {precision} | {cells} | {gflops:.0f} | {ours:.3f} | {ratio:.2f}x |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

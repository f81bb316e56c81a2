"""One run of the video benchmark (benchmarks/VIDEO.md): `painterly video`'s default against another checkout's
video default (`--baseline DIR`, its own code) and against frame by frame, on the 48-frame clip and the shaken
clip, with speed, flicker, every style score per frame, and how what enters the frame is painted.

    .venv/bin/python benchmarks/video_compare.py --baseline /tmp/base --baseline-frames 12 --fbf-frames 12

Each row is painted in its own process (benchmarks/video_run.py), one after the other. The rows:
- `default`: this checkout, all `--frames`;
- `baseline`: the other checkout's default, its first `--baseline-frames` (its later frames cost 5x ours);
- `frame by frame`: this checkout with temporal weight 0, its first `--fbf-frames`.
Rows painted over fewer frames are compared with the default over the same first frames.

Scores (benchmarks/quality_metrics.py): E_warp (benchmarks/warping_error.py); per frame, the Gram distance to the
painting (the statistic the optimiser matches, lower is closer), the network-free patch gain and the style
embedding gain (Magenta's network, not VGG), each averaged over frames.

What enters the frame: over the last ENTERING frames of the default's run, the pixels that came into view (the
newly visible regions of engine.temporal.fresh_regions, carried by the flow) are collected; the widest strip of
them along an edge of the last frame is the band. Its patch and style gains are compared with those of strips of
the same shape over the rest of that frame, and, as the measure of what the content alone does, the same for that
frame painted on its own as a still.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from painterly import Painter, StyleConfig
from painterly.engine.temporal import consistency, fresh_regions, warp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import quality_metrics as qm  # noqa: E402
from compare import bare_pass, cpu_description  # noqa: E402
from video_run import clip_frames  # noqa: E402
from warping_error import warping_error  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out" / "video_compare"
SHARED = Path(os.environ.get("PAINTERLY_TEST_IMAGES", ROOT.parent / "shared" / "images"))
ENTERING = 12  # frames over which the entering pixels are collected
LEAST_BAND = 8  # px: a thinner strip is not measured


def paint_row(clip: Path, style: Path, size: int, frames: int, mode: str, folder: Path, src: Path) -> list[float]:
    """Run video_run.py with `src` on the import path; returns the seconds of each frame."""
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "video_run.py"),
        str(clip),
        str(folder),
        "--style",
        str(style),
        "--size",
        str(size),
        "--frames",
        str(frames),
        "--mode",
        mode,
    ]
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return json.loads((folder / "times.json").read_text())["seconds"]


def read_folder(folder: Path, count: int) -> list[Image.Image]:
    return [Image.open(folder / f"frame_{i + 1:06d}.png").convert("RGB") for i in range(count)]


def frame_scores(inputs: list[Image.Image], outputs: list[Image.Image], painting: Image.Image) -> dict:
    gram = qm.GramScorer()
    return {
        "E_warp": warping_error(inputs, outputs)[0],
        "gram": float(np.mean([gram.distance(o, painting, key="painting") for o in outputs])),
        "patch": float(np.mean([qm.patch_gain(i, o, painting) for i, o in zip(inputs, outputs)])),
        "style": float(np.mean([qm.style_gain(i, o, painting) for i, o in zip(inputs, outputs)])),
    }


def entering(inputs: list[Image.Image]) -> np.ndarray:
    """[H, W] in 0-1: how much each pixel of the last frame came into view over the last ENTERING frames."""
    new = np.zeros(inputs[0].size[::-1], np.float32)
    for t in range(max(1, len(inputs) - ENTERING), len(inputs)):
        flow, trust = consistency(inputs[t], inputs[t - 1])
        fresh = fresh_regions(trust).astype(bool)
        new = np.where(fresh, 1.0, np.clip(warp(new, flow), 0, 1)).astype(np.float32)
    return new


def band_of(new: np.ndarray) -> tuple[str, int] | None:
    """The edge (left, right, top, bottom) with the widest strip of entered pixels, and its width."""
    widths = {}
    for edge, lines in (
        ("left", new.mean(0)),
        ("right", new.mean(0)[::-1]),
        ("top", new.mean(1)),
        ("bottom", new.mean(1)[::-1]),
    ):
        full = lines >= 0.5
        widths[edge] = int(np.argmin(full)) if not full.all() else len(full)
    edge = max(widths, key=widths.get)
    return (edge, widths[edge]) if widths[edge] >= LEAST_BAND else None


def strips(size: tuple[int, int], edge: str, width: int) -> tuple[tuple, list[tuple]]:
    """The band's box and the boxes of the same shape tiling the rest of the frame."""
    w, h = size
    if edge in ("left", "right"):
        band = (0, 0, width, h) if edge == "left" else (w - width, 0, w, h)
        starts = range(width, w - width + 1, width) if edge == "left" else range(w - 2 * width, -1, -width)
        return band, [(x, 0, x + width, h) for x in starts]
    band = (0, 0, w, width) if edge == "top" else (0, h - width, w, h)
    starts = range(width, h - width + 1, width) if edge == "top" else range(h - 2 * width, -1, -width)
    return band, [(0, y, w, y + width) for y in starts]


def band_scores(photo: Image.Image, result: Image.Image, painting: Image.Image, band: tuple, rest: list) -> dict:
    """Patch and style gains of the band, and their means over the strips of the rest of the frame."""
    band_patch, band_style = qm.strip_gains(photo, result, painting, band)
    others = np.array([qm.strip_gains(photo, result, painting, box) for box in rest])
    return {
        "patch_band": band_patch,
        "patch_rest": float(others[:, 0].mean()),
        "style_band": band_style,
        "style_rest": float(others[:, 1].mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--clips",
        type=Path,
        nargs="+",
        default=[ROOT / "benchmarks" / "out" / "clip.mp4", ROOT / "benchmarks" / "out" / "shaken.mp4"],
    )
    parser.add_argument("--style", type=Path, default=SHARED / "starry_night.jpg")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--baseline", type=Path, help="another checkout: its own code's video default as a row")
    parser.add_argument("--baseline-frames", type=int, default=12)
    parser.add_argument("--fbf-frames", type=int, default=12)
    parser.add_argument("--results", type=Path, default=OUT / "results.json")
    parser.add_argument(
        "--rescore",
        action="store_true",
        help="score the frames painted by the last run again, with its times and bare pass (from --results)",
    )
    args = parser.parse_args()
    painting = Image.open(args.style).convert("RGB")
    earlier = json.loads(args.results.read_text()) if args.rescore else {}
    results: dict = {"machine": earlier.get("machine") or cpu_description(), "clips": {}}
    for clip in args.clips:
        if not clip.is_file():
            raise SystemExit(f"{clip} is missing: make it with benchmarks/make_clip.py (see its docstring)")
        inputs = clip_frames(clip, args.size, args.frames)
        w, h = inputs[0].size
        rows = {
            "default": (args.frames, "default", ROOT / "src"),
            "frame by frame": (args.fbf_frames, "fbf", ROOT / "src"),
        }
        if args.baseline:
            rows["baseline"] = (args.baseline_frames, "default", args.baseline / "src")
        clip_results = {}
        for name, (count, mode, src) in rows.items():
            if args.rescore:
                row = earlier["clips"][clip.name][name]
                clip_results[name] = {key: row[key] for key in ("frames", "first_s", "later_s", "times")}
                continue
            folder = OUT / clip.stem / name.replace(" ", "_")
            print(f"{clip.name}: painting {name} ({count} frames at {w}x{h})", flush=True)
            times = paint_row(clip, args.style, args.size, count, mode, folder, src)
            clip_results[name] = {
                "frames": count,
                "first_s": times[0],
                "later_s": float(np.mean(times[1:])),
                "times": times,
            }
        default = read_folder(OUT / clip.stem / "default", args.frames)
        same_frames: dict[int, dict] = {}  # the default's scores over a shorter row's first frames, once per count
        for name, row in clip_results.items():
            count = row["frames"]
            outputs = default if name == "default" else read_folder(OUT / clip.stem / name.replace(" ", "_"), count)
            row["scores"] = frame_scores(inputs[:count], outputs, painting)
            if name != "default" and count < args.frames:
                if count not in same_frames:
                    same_frames[count] = frame_scores(inputs[:count], default[:count], painting)
                row["default_same_frames"] = same_frames[count]
        new = entering(inputs)
        found = band_of(new)
        if found:
            band, rest = strips((w, h), *found)
            last = default[-1]
            still = Painter(args.style, StyleConfig(size=args.size)).paint(inputs[-1])
            still.save(OUT / clip.stem / "still_last.png")
            clip_results["entering"] = {
                "edge": found[0],
                "width": found[1],
                "default": band_scores(inputs[-1], last, painting, band, rest),
                "still": band_scores(inputs[-1], still, painting, band, rest),
            }
        results["clips"][clip.name] = clip_results
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(json.dumps(results, indent=2))
    if args.rescore:
        results["bare_pass"] = earlier["bare_pass"]
        args.results.write_text(json.dumps(results, indent=2))
        print(report(results))
        return
    start = time.perf_counter()
    w, h = inputs[0].size
    results["bare_pass"] = {
        "bfloat16": min(bare_pass(h, w, True, cl) for cl in (False, True)),
        "float32": min(bare_pass(h, w, False, cl) for cl in (False, True)),
        "size": [w, h],
    }
    results["bare_pass_seconds_to_measure"] = time.perf_counter() - start
    args.results.write_text(json.dumps(results, indent=2))
    print(report(results))


def report(results: dict) -> str:
    bare = results["bare_pass"]
    lines = [
        f"Machine: {results['machine']}. Bare VGG-19 pass (forward to conv5_1 and backward) at "
        f"{bare['size'][0]}x{bare['size'][1]}: bfloat16 {bare['bfloat16']:.3f} s, float32 "
        f"{bare['float32']:.3f} s (fastest layout).",
        "",
    ]
    for clip, rows in results["clips"].items():
        lines += [
            f"### {clip}",
            "",
            "| row | frames | first frame | each later frame | bare passes a frame | E_warp "
            "| Gram (matched) | patch gain | style gain |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        shown: set[int] = set()  # the default over the same first frames, once per count
        for name, row in rows.items():
            if name == "entering":
                continue
            s = row["scores"]
            passes = row["later_s"] / bare["bfloat16"]
            lines.append(
                f"| {name} | {row['frames']} | {row['first_s']:.1f} s | {row['later_s']:.2f} s | "
                f"{passes:.1f} | {s['E_warp']:.5f} | {s['gram']:.4f} | {s['patch']:.3f} | "
                f"{s['style']:.3f} |"
            )
            if "default_same_frames" in row and row["frames"] not in shown:
                shown.add(row["frames"])
                d = row["default_same_frames"]
                lines.append(
                    f"| default, same {row['frames']} frames | | | | | {d['E_warp']:.5f} | "
                    f"{d['gram']:.4f} | {d['patch']:.3f} | {d['style']:.3f} |"
                )
        if "entering" in rows:
            e = rows["entering"]
            lines += [
                "",
                f"Entering band: {e['width']} px along the {e['edge']} edge of the last frame.",
                "",
                "| last frame | patch gain band / rest | style gain band / rest |",
                "|---|---|---|",
            ]
            for name in ("default", "still"):
                b = e[name]
                lines.append(
                    f"| {name} | {b['patch_band']:.3f} / {b['patch_rest']:.3f} "
                    f"({b['patch_band'] / b['patch_rest'] - 1:+.0%}) | {b['style_band']:.3f} / "
                    f"{b['style_rest']:.3f} ({b['style_band'] / b['style_rest'] - 1:+.0%}) |"
                )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()

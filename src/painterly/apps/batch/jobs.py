"""The job list of `painterly batch`: which photo meets which painting, under which name, and whether an earlier
run into the same folder already did it.

Names are deterministic, so a rerun finds its own results: `OUTDIR/<photo>__<painting>.png`, with `-<hash>` (a
short hash of the settings) added when that name already holds a result made with other settings. A result counts
as done only when its settings JSON says `"complete": true` with the same settings and the same input bytes, and
its PNG exists: both are written atomically, the PNG first, so a crash at any moment leaves either a finished
result or one that the next run redoes (or continues, when a stopped run left `<name>.partial.png`).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ...config import StyleConfig
from ...errors import PainterlyError
from .. import untrusted_json
from ..options import style_and_weight

# What a folder scan picks up; files named on the command line are taken whatever their extension.
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"})
# Videos are jobs too (one per video, its frames painted in order with temporal consistency), known by extension.
VIDEO_EXTENSIONS = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi"})
INPUT_EXTENSIONS = IMAGE_EXTENSIONS | VIDEO_EXTENSIONS  # what a folder scan picks up
HASH_LENGTH = 8  # hex digits of the settings hash in a name: 4 billion settings per folder before a clash
SEPARATOR = "__"  # between the photo's and the painting's part of a name
SET_SEPARATOR = "+"  # --style a.jpg+b.jpg: one style set (blended, or one per --mask region)
# Settings that cannot change a result's pixels: a rerun that changes only these still finds its results.
NOT_SETTINGS = ("max_memory_gb",)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file, read in blocks (photos may be large)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError as exc:
        raise PainterlyError(f"cannot read '{path}': {exc.strerror or exc}") from None
    return h.hexdigest()


@dataclass(frozen=True)
class Painting:
    """One --style: a painting, or a style set `a.jpg+b.jpg` painted together (blended, or one per mask region)."""

    paths: tuple[Path, ...]
    weights: tuple[float, ...] | None = None  # from a.jpg:0.7+b.jpg:0.3; None = --style-blend or equal

    @property
    def stem(self) -> str:
        return SET_SEPARATOR.join(p.stem for p in self.paths)

    def __str__(self) -> str:
        return SET_SEPARATOR.join(str(p) for p in self.paths)


def parse_painting(text: str, folder: Path | None = None) -> Painting:
    """'a.jpg', 'a.jpg:0.7+b.jpg:0.3' or 'a.jpg+b.jpg', relative paths read from `folder` (default: here). A file
    that exists under the whole name wins, so a painting whose file name holds '+' or ':' is still one painting."""

    def located(name: str | Path) -> Path:
        path = Path(name)
        return path if folder is None or path.is_absolute() else folder / path

    if located(text).is_file():
        return Painting((located(text),))
    parts = [style_and_weight(str(located(part.strip()))) for part in text.split(SET_SEPARATOR)]
    if not text.strip() or any(not part.strip() for part in text.split(SET_SEPARATOR)):
        raise PainterlyError(f"--style '{text}' names no file")
    weights = [weight for _, weight in parts]
    if any(w is not None for w in weights) and None in weights:
        raise PainterlyError(f"--style '{text}': STYLE:WEIGHT needs a weight on every painting of the set")
    return Painting(tuple(path for path, _ in parts), None if None in weights else tuple(weights))


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_EXTENSIONS


def result_suffix(photo: Path) -> str:
    """A result is a PNG, or for a video an H.264 MP4 (whatever the input's container was)."""
    return ".mp4" if is_video(photo) else ".png"


def check_painting(painting: Painting) -> None:
    for path in painting.paths:
        if not path.exists():
            raise PainterlyError(f"painting '{path}' does not exist")
        if not path.is_file():
            raise PainterlyError(f"painting '{path}' is not a file")


def find_photos(inputs: Sequence[Path], recursive: bool, exclude: Path | None = None) -> list[Path]:
    """The photos (and videos) INPUT names: files as given, folders' images and videos (sorted; subfolders with
    --recursive). Hidden files and OUTDIR (when it sits inside an input folder) are left out, so results are never
    repainted as photos."""
    photos: list[Path] = []
    skip = exclude.resolve() if exclude is not None and exclude.exists() else None
    for item in inputs:
        if item.is_file():
            photos.append(item)
        elif item.is_dir():
            found = item.rglob("*") if recursive else item.iterdir()
            for path in sorted(found):
                relative = path.relative_to(item).parts
                if any(part.startswith(".") for part in relative) or path.suffix.lower() not in INPUT_EXTENSIONS:
                    continue
                if skip is not None and (path.resolve() == skip or skip in path.resolve().parents):
                    continue
                if path.is_file():
                    photos.append(path)
        elif item.exists():
            raise PainterlyError(f"input '{item}' is neither a file nor a folder")
        else:
            raise PainterlyError(f"input '{item}' does not exist")
    seen: set[Path] = set()
    unique = []
    for photo in photos:  # the same photo named twice (a file and its folder) is painted once
        key = photo.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(photo)
    if not unique:
        raise PainterlyError(f"no images or videos found in {', '.join(str(i) for i in inputs)} (try --recursive?)")
    return unique


def read_pairs(path: Path) -> list[tuple[Path, Painting]]:
    """--pairs: a CSV with the columns photo and painting (a header row; other columns are ignored). Relative
    paths are read from the CSV's own folder, so the file works from any working directory."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark, as spreadsheets write, is not a name
    except FileNotFoundError:
        raise PainterlyError(f"--pairs file '{path}' does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PainterlyError(f"cannot read --pairs file '{path}': {exc}") from None
    reader = csv.DictReader(text.splitlines())
    columns = {name.strip().lower(): name for name in reader.fieldnames or [] if name}
    rows = list(reader)
    if "photo" not in columns or "painting" not in columns:
        raise PainterlyError(f"--pairs file '{path}' needs a header row with the columns photo,painting")
    pairs = []
    for line, row in enumerate(rows, start=2):
        photo, painting = (str(row.get(columns[c]) or "").strip() for c in ("photo", "painting"))
        if not photo or not painting:
            raise PainterlyError(f"--pairs file '{path}' line {line}: empty photo or painting")
        pairs.append((path.parent / photo, parse_painting(painting, path.parent)))
    if not pairs:
        raise PainterlyError(f"--pairs file '{path}' has no rows")
    return pairs


def settings_hash(config: StyleConfig, extra: dict) -> str:
    """A short hash of everything besides the inputs that decides a result's pixels. Files named in the config
    (--mask, --init) count by their bytes, not their names."""
    settings = {k: v for k, v in config.to_dict().items() if k not in NOT_SETTINGS}
    for name in ("mask", "init"):
        value = settings.get(name)
        if value and Path(value).is_file():
            settings[name] = "sha256:" + file_digest(Path(value))
    text = json.dumps({"config": settings, **extra}, sort_keys=True, default=list)
    return digest(text.encode())[:HASH_LENGTH]


@dataclass
class Job:
    """One photo in one painting, and what an earlier run left for it."""

    photo: Path
    painting: Painting
    config: StyleConfig
    settings: str  # settings_hash
    name: str = ""  # output stem in OUTDIR
    inputs: dict = field(default_factory=dict)  # photo / painting SHA-256, to notice a changed file
    state: str = "new"  # new | done | partial
    done_iterations: int = 0  # of a partial result
    previous: dict = field(default_factory=dict)  # the settings JSON an earlier run wrote (done or partial)
    owned: bool = False  # the name's files are this batch's own (an earlier run of these settings wrote them)

    @property
    def video(self) -> bool:
        return is_video(self.photo)

    def output(self, folder: Path) -> Path:
        return folder / f"{self.name}{result_suffix(self.photo)}"

    def settings_path(self, folder: Path) -> Path:
        return folder / f"{self.name}.json"

    def partial_path(self, folder: Path) -> Path:
        return folder / f"{self.name}.partial.png"


def read_settings(path: Path) -> dict | None:
    """An earlier result's settings, or None if there is none (or it is not one of ours: then it is redone)."""
    try:
        data = untrusted_json.load(path)
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("batch"), dict) else None


def _iterations_done(value: object) -> int | None:
    """The iterations a partial result records, when it is a count a resume can start from."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**8:
        return None
    return value


def _unique_labels(items: Sequence, label, identity) -> dict:
    """A label per item (its stem); items that share one get a hash of their full path added, so two photos called
    'x.jpg' in different folders never overwrite each other's results."""
    labels = {item: label(item) for item in items}
    counts: dict[str, int] = {}
    for text in labels.values():
        counts[text] = counts.get(text, 0) + 1
    return {
        item: text if counts[text] == 1 else f"{text}-{digest(identity(item).encode())[:6]}"
        for item, text in labels.items()
    }


def _ours(folder: Path, name: str, settings: str, suffix: str) -> tuple[bool, dict | None]:
    """Whether a job with `settings` may use `name`: nothing is there, or an earlier run of these settings left
    it. A result or a .json that is not one of ours is someone else's file and is never replaced."""
    previous = read_settings(folder / f"{name}.json")
    if previous is None:
        foreign = (folder / f"{name}{suffix}").exists() or (folder / f"{name}.json").exists()
        return not foreign, None
    return previous["batch"].get("settings") == settings, previous


def plan_jobs(
    pairs: Iterable[tuple[Path, Painting]], config_for, folder: Path, extra: dict, input_digest=file_digest
) -> list[Job]:
    """Name every job and find what earlier runs into `folder` left. `config_for(painting)` is the StyleConfig of a
    painting's jobs. A job takes its plain name unless that name holds a result made with other settings (then
    `-<settings hash>` is added) or an earlier job of this run took it."""
    pairs = list(pairs)
    photo_labels = _unique_labels(
        list(dict.fromkeys(p for p, _ in pairs)), lambda p: p.stem, lambda p: str(p.resolve())
    )
    painting_labels = _unique_labels(
        list(dict.fromkeys(s for _, s in pairs)),
        lambda s: s.stem,
        lambda s: "+".join(str(p.resolve()) for p in s.paths),
    )
    digests: dict[Path, str] = {}

    def digest_of(path: Path) -> str:
        if path not in digests:
            digests[path] = input_digest(path)
        return digests[path]

    configs: dict[Painting, tuple[StyleConfig, str]] = {}
    taken: set[str] = set()
    jobs = []
    for photo, painting in pairs:
        if painting not in configs:
            config = config_for(painting)
            configs[painting] = (config, settings_hash(config, extra))
        config, settings = configs[painting]
        base = f"{photo_labels[photo]}{SEPARATOR}{painting_labels[painting]}"
        candidates = [base, f"{base}-{settings}", f"{base}-{settings}-{digest(str(photo.resolve()).encode())[:6]}"]
        for name in candidates:
            free, previous = _ours(folder, name, settings, result_suffix(photo))
            if free and name not in taken:
                break
        else:
            raise PainterlyError(f"no free name for the result of '{photo}' in '{painting}' in '{folder}'")
        job = Job(photo, painting, replace(config), settings, name, owned=previous is not None)
        taken.add(name)
        try:
            job.inputs = {"photo": digest_of(photo), "painting": [digest_of(p) for p in painting.paths]}
        except PainterlyError:
            job.inputs = {}  # unreadable: the job fails with the reason when it runs, alone
        if previous and previous["batch"].get("inputs") == job.inputs:
            job.previous = previous
            if previous["batch"].get("complete") and job.output(folder).is_file():
                job.state = "done"
            elif not previous["batch"].get("complete") and job.partial_path(folder).is_file():
                done = _iterations_done(previous.get("iterations_done"))
                if done is not None:  # otherwise the partial result is not trusted: the job starts afresh
                    job.state, job.done_iterations = "partial", done
        jobs.append(job)
    return jobs

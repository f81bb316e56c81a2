"""The maths, pinned: each term against values worked out by hand on tiny tensors, and autograd against
finite differences in float64."""

import pytest
import torch
from torch.autograd import gradcheck

from painterly.engine.losses import content_loss, gram_matrix, relative_squared_error, tv_loss

# Two channels over two positions: channel 0 = [1, 2], channel 1 = [3, 4].
FEATURES = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])


def test_gram_matrix_by_hand():
    # F F^T = [[1+4, 3+8], [3+8, 9+16]] = [[5, 11], [11, 25]], divided by M = 2 positions.
    expected = torch.tensor([[[2.5, 5.5], [5.5, 12.5]]])
    assert torch.equal(gram_matrix(FEATURES), expected)


def test_gram_matrix_is_the_same_for_a_tiled_image():
    # Normalising by H*W: repeating the texture 2x2 must not change the Gram matrix (why losses hold at any size).
    features = torch.rand(1, 5, 3, 4)
    tiled = features.repeat(1, 1, 2, 2)
    torch.testing.assert_close(gram_matrix(tiled), gram_matrix(features))


def test_relative_squared_error_by_hand():
    value, target = torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.0])
    assert relative_squared_error(value, target).item() == pytest.approx(4.0)  # (0 + 4) / 1
    assert relative_squared_error(torch.zeros(2), target).item() == pytest.approx(1.0)


def test_content_loss_by_hand_and_scale_free():
    target = torch.tensor([[[[1.0, 2.0]], [[2.0, 0.0]]]])  # ||P||^2 = 9
    features = torch.tensor([[[[1.0, 3.0]], [[0.0, 0.0]]]])  # diff^2 = 0 + 1 + 4 + 0 = 5
    assert content_loss(features, target).item() == pytest.approx(5 / 9)
    assert content_loss(255 * features, 255 * target).item() == pytest.approx(5 / 9)


def style_error(features: torch.Tensor, target_gram: torch.Tensor) -> torch.Tensor:
    """A style layer's term as the objective computes it: the Gram matrix's relative error from the target's."""
    return relative_squared_error(gram_matrix(features), target_gram)


def test_style_error_by_hand():
    target_gram = torch.tensor([[[2.0, 5.0], [5.0, 12.0]]])  # ||A||^2 = 4 + 25 + 25 + 144 = 198
    # G - A = 0.5 everywhere: sum of squares = 4 * 0.25 = 1.
    assert style_error(FEATURES, target_gram).item() == pytest.approx(1 / 198)
    assert style_error(FEATURES, gram_matrix(FEATURES)).item() == 0.0


def test_tv_loss_by_hand():
    image = torch.tensor([[[[0.0, 1.0], [0.0, 0.0]]]])
    # vertical diffs: [0, -1] -> mean square 0.5; horizontal diffs: [1, 0] -> mean square 0.5.
    assert tv_loss(image).item() == pytest.approx(1.0)
    assert tv_loss(torch.full((1, 3, 8, 8), 0.3)).item() == 0.0


@pytest.mark.parametrize(
    "fn, make_args",
    [
        (gram_matrix, lambda: (torch.rand(1, 3, 2, 3),)),
        (content_loss, lambda: (torch.rand(1, 3, 2, 3), torch.rand(1, 3, 2, 3))),
        (style_error, lambda: (torch.rand(1, 3, 2, 3), gram_matrix(torch.rand(1, 3, 4, 2)))),
        (tv_loss, lambda: (torch.rand(1, 3, 4, 5),)),
    ],
    ids=["gram", "content", "style", "tv"],
)
def test_gradients_match_finite_differences(fn, make_args):
    torch.manual_seed(0)
    args = tuple(a.double().requires_grad_(i == 0) for i, a in enumerate(make_args()))
    assert gradcheck(fn, args, eps=1e-6, atol=1e-5)


def test_a_bfloat16_gram_is_summed_in_float32_with_a_bfloat16_gradient(monkeypatch):
    # The low-precision path widens a slice of positions at a time: force several slices on a small map.
    import painterly.engine.losses as losses

    monkeypatch.setattr(losses, "CHUNK_FLOATS", 8 * 7)  # 8 channels: 7 positions a slice, 5 slices for 30
    torch.manual_seed(0)
    low = torch.randn(1, 8, 5, 6).bfloat16().requires_grad_(True)
    wide = low.detach().float().requires_grad_(True)
    gram, reference = gram_matrix(low), gram_matrix(wide)
    assert gram.dtype == torch.float32
    torch.testing.assert_close(gram, reference)
    weights = torch.randn(1, 8, 8)
    (gram * weights).sum().backward()
    (reference * weights).sum().backward()
    assert low.grad.dtype == torch.bfloat16
    torch.testing.assert_close(low.grad, wide.grad.bfloat16())
    with torch.autocast("cpu", dtype=torch.bfloat16):  # inside autocast the products still run in float32
        torch.testing.assert_close(gram_matrix(wide.detach()), reference.detach())

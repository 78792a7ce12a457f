"""Contract shared by every loss: reductions, gradients, buffers, argument checks."""

import re

import numpy as np
import pytest
import torch

from skimbtext.losses import (
    ClassBalancedLoss,
    DiceLoss,
    FocalLoss,
    LDAMLoss,
    LogitAdjustedLoss,
)

CLASS_COUNTS = [50, 30, 5]

# Each factory takes the keyword arguments common to all losses (``reduction``).
LOSS_FACTORIES = {
    "logit_adjusted": lambda **kw: LogitAdjustedLoss(class_counts=CLASS_COUNTS, **kw),
    "focal": lambda **kw: FocalLoss(gamma=2.0, **kw),
    "focal_gamma_below_one": lambda **kw: FocalLoss(gamma=0.5, **kw),
    "focal_alpha": lambda **kw: FocalLoss(gamma=2.0, alpha=[0.2, 0.3, 1.0], **kw),
    "dice": lambda **kw: DiceLoss(**kw),
    "dice_alpha_below_one": lambda **kw: DiceLoss(alpha=0.5, smooth=0.0, **kw),
    "ldam": lambda **kw: LDAMLoss(class_counts=CLASS_COUNTS, **kw),
    "class_balanced": lambda **kw: ClassBalancedLoss(
        class_counts=CLASS_COUNTS, beta=0.99, **kw
    ),
    "class_balanced_focal": lambda **kw: ClassBalancedLoss(
        class_counts=CLASS_COUNTS, beta=0.99, gamma=1.0, **kw
    ),
}

# Buffers holding the class-dependent tensors of each loss (dice has none).
EXPECTED_BUFFERS = {
    "logit_adjusted": {"log_prior"},
    "focal": set(),
    "focal_gamma_below_one": set(),
    "focal_alpha": {"alpha"},
    "dice": set(),
    "dice_alpha_below_one": set(),
    "ldam": {"margins"},
    "class_balanced": {"class_weights"},
    "class_balanced_focal": {"class_weights"},
}

LOGITS = torch.tensor(
    [
        [2.0, -1.0, 0.5],
        [0.1, 0.2, 0.3],
        [-3.0, 4.0, 1.0],
        [0.0, 0.0, 0.0],
        [1.5, 0.5, -2.0],
    ]
)
TARGET = torch.tensor([0, 2, 1, 2, 1])

loss_names = pytest.mark.parametrize("name", sorted(LOSS_FACTORIES))


@loss_names
def test_reduction_none_returns_one_loss_per_sample(name):
    losses = LOSS_FACTORIES[name](reduction="none")(LOGITS, TARGET)
    assert losses.shape == (LOGITS.shape[0],)
    assert losses.dtype == torch.float32


@loss_names
def test_mean_and_sum_agree_with_per_sample_losses(name):
    per_sample = LOSS_FACTORIES[name](reduction="none")(LOGITS, TARGET)
    mean = LOSS_FACTORIES[name](reduction="mean")(LOGITS, TARGET)
    total = LOSS_FACTORIES[name](reduction="sum")(LOGITS, TARGET)
    assert mean.shape == total.shape == ()
    torch.testing.assert_close(mean, per_sample.mean())
    torch.testing.assert_close(total, per_sample.sum())


@loss_names
def test_default_reduction_is_mean(name):
    default = LOSS_FACTORIES[name]()(LOGITS, TARGET)
    per_sample = LOSS_FACTORIES[name](reduction="none")(LOGITS, TARGET)
    torch.testing.assert_close(default, per_sample.mean())


@loss_names
def test_losses_are_finite_and_non_negative(name):
    generator = torch.Generator().manual_seed(0)
    logits = 5.0 * torch.randn(64, 3, generator=generator)
    target = torch.randint(0, 3, (64,), generator=generator)
    losses = LOSS_FACTORIES[name](reduction="none")(logits, target)
    assert torch.isfinite(losses).all()
    assert (losses >= 0).all()


@loss_names
def test_gradients_are_finite_for_saturated_logits(name):
    # Gold classes are both confidently right (p = 1) and confidently wrong (p = 0).
    logits = torch.tensor(
        [
            [1e4, -1e4, 0.0],
            [-1e4, 1e4, 0.0],
            [0.0, -1e4, 1e4],
            [1e4, 1e4, -1e4],
        ],
        requires_grad=True,
    )
    target = torch.tensor([0, 0, 2, 1])
    loss = LOSS_FACTORIES[name]()(logits, target)
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(logits.grad).all()


@loss_names
def test_gradient_matches_finite_differences(name):
    logits = LOGITS.double().requires_grad_(True)
    loss = LOSS_FACTORIES[name]().to(torch.float64)
    assert torch.autograd.gradcheck(lambda z: loss(z, TARGET), (logits,))


@loss_names
def test_class_tensors_are_float32_buffers(name):
    loss = LOSS_FACTORIES[name]()
    buffers = dict(loss.named_buffers())
    assert set(buffers) == EXPECTED_BUFFERS[name]
    assert set(loss.state_dict()) == EXPECTED_BUFFERS[name]
    for buffer in buffers.values():
        assert buffer.dtype == torch.float32
        assert buffer.shape == (len(CLASS_COUNTS),)
    assert not list(loss.parameters())


@loss_names
def test_buffers_follow_module_dtype(name):
    loss = LOSS_FACTORIES[name](reduction="none")
    reference = loss(LOGITS, TARGET)
    loss = loss.to(torch.float64)
    for buffer in loss.buffers():
        assert buffer.dtype == torch.float64
    losses = loss(LOGITS.double(), TARGET)
    assert losses.dtype == torch.float64
    torch.testing.assert_close(losses.float(), reference)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@loss_names
def test_buffers_follow_module_device(name):
    loss = LOSS_FACTORIES[name](reduction="none")
    reference = loss(LOGITS, TARGET)
    loss = loss.to("cuda")
    for buffer in loss.buffers():
        assert buffer.device.type == "cuda"
    losses = loss(LOGITS.cuda(), TARGET.cuda())
    torch.testing.assert_close(losses.cpu(), reference)


@loss_names
def test_half_precision_logits_are_computed_in_float32(name):
    loss = LOSS_FACTORIES[name](reduction="none")
    losses = loss(LOGITS.to(torch.bfloat16), TARGET)
    assert losses.dtype == torch.float32
    reference = loss(LOGITS.to(torch.bfloat16).float(), TARGET)
    torch.testing.assert_close(losses, reference)


@loss_names
def test_unknown_reduction_is_rejected(name):
    with pytest.raises(ValueError, match="reduction"):
        LOSS_FACTORIES[name](reduction="average")


@pytest.mark.parametrize(
    "loss_class",
    [ClassBalancedLoss, DiceLoss, FocalLoss, LDAMLoss, LogitAdjustedLoss],
)
def test_constructor_arguments_are_keyword_only(loss_class):
    with pytest.raises(TypeError):
        loss_class([10, 5])


@pytest.mark.parametrize(
    "name", ["logit_adjusted", "focal_alpha", "ldam", "class_balanced"]
)
def test_logits_with_the_wrong_number_of_classes_are_rejected(name):
    loss = LOSS_FACTORIES[name]()
    with pytest.raises(ValueError, match="4 classes but the loss was built for 3"):
        loss(torch.zeros(2, 4), torch.tensor([0, 1]))


@loss_names
def test_inputs_of_the_wrong_shape_are_rejected(name):
    loss = LOSS_FACTORIES[name]()
    with pytest.raises(ValueError, match=r"^logits must have shape \(batch_size"):
        loss(torch.zeros(3), torch.tensor([0, 1, 2]))
    # The expected shape is the batch size of the logits, not their width.
    with pytest.raises(ValueError, match=r"^target must have shape \(4,\)"):
        loss(torch.zeros(4, 3), torch.tensor([0, 1]))


@loss_names
def test_a_reduction_changed_after_construction_is_checked_when_used(name):
    loss = LOSS_FACTORIES[name]()
    loss.reduction = "average"
    # Ours names the choices; losses built on F.cross_entropy pass on torch's.
    with pytest.raises(ValueError, match="reduction must be one of|not a valid value"):
        loss(LOGITS, TARGET)


BAD_ARGUMENTS = [
    (LogitAdjustedLoss, {"class_counts": [10, 0]}, "class_counts must be positive"),
    (LogitAdjustedLoss, {"class_counts": [10, -3]}, "class_counts must be positive"),
    (LogitAdjustedLoss, {"class_counts": []}, "class_counts must be a non-empty"),
    (LogitAdjustedLoss, {"class_counts": [[1, 2]]}, "class_counts must be a non-empty"),
    (LogitAdjustedLoss, {"class_counts": 5}, "class_counts must be a non-empty"),
    (
        LogitAdjustedLoss,
        {"class_counts": ["a", "b"]},
        "class_counts must be a 1-D array-like of numbers, one per class; got list",
    ),
    (
        LogitAdjustedLoss,
        {"class_counts": [10, float("inf")]},
        "class_counts must hold finite",
    ),
    (LogitAdjustedLoss, {"class_counts": [10, 5], "tau": -1.0}, "tau must be non-neg"),
    (LogitAdjustedLoss, {"class_counts": [10, 5], "tau": "1"}, "tau must be a finite"),
    (FocalLoss, {"gamma": -0.5}, "gamma must be non-negative"),
    (FocalLoss, {"gamma": float("nan")}, "gamma must be a finite"),
    (FocalLoss, {"gamma": True}, "gamma must be a finite"),
    (FocalLoss, {"alpha": [0.5, -0.1]}, "alpha must be non-negative"),
    (FocalLoss, {"alpha": 0.25}, "alpha must be a non-empty 1-D"),
    (DiceLoss, {"alpha": -1.0}, "alpha must be non-negative"),
    (DiceLoss, {"smooth": -1.0}, "smooth must be non-negative"),
    (LDAMLoss, {"class_counts": [0, 5]}, "class_counts must be positive"),
    (LDAMLoss, {"class_counts": [10, 5], "max_margin": -0.1}, "max_margin must be"),
    (LDAMLoss, {"class_counts": [10, 5], "scale": 0.0}, "scale must be positive"),
    (LDAMLoss, {"class_counts": [10, 5], "scale": -30.0}, "scale must be positive"),
    (ClassBalancedLoss, {"class_counts": [10, 0]}, "class_counts must be positive"),
    (ClassBalancedLoss, {"class_counts": [10, 5], "beta": 1.0}, r"beta must lie in"),
    (ClassBalancedLoss, {"class_counts": [10, 5], "beta": -0.1}, r"beta must lie in"),
    (ClassBalancedLoss, {"class_counts": [10, 5], "gamma": -1.0}, "gamma must be non"),
]


@pytest.mark.parametrize(("loss_class", "kwargs", "message"), BAD_ARGUMENTS)
def test_bad_constructor_arguments_raise_value_error(loss_class, kwargs, message):
    with pytest.raises(ValueError, match=message):
        loss_class(**kwargs)


@pytest.mark.parametrize(
    "class_counts",
    [[50, 30, 5], (50, 30, 5), torch.tensor([50, 30, 5]), torch.tensor([50.0, 30, 5])],
)
def test_class_counts_accept_any_array_like(class_counts):
    reference = LogitAdjustedLoss(class_counts=np.array([50, 30, 5]))
    loss = LogitAdjustedLoss(class_counts=class_counts)
    torch.testing.assert_close(loss.log_prior, reference.log_prior)


PAPER_DEFAULTS = [
    # Lin et al. 2017: gamma = 2, no class weights.
    (FocalLoss, {}, {"gamma": 2.0, "alpha": None}),
    # Cao et al. 2019: largest margin 0.5, logits scaled by 30.
    (LDAMLoss, {"class_counts": [10, 5]}, {"max_margin": 0.5, "scale": 30.0}),
    # Cui et al. 2019: beta = 0.9999 with the softmax (gamma = 0) loss.
    (ClassBalancedLoss, {"class_counts": [10, 5]}, {"beta": 0.9999, "gamma": 0.0}),
    # Menon et al. 2021: tau = 1.
    (LogitAdjustedLoss, {"class_counts": [10, 5]}, {"tau": 1.0}),
    # Li et al. 2020: alpha = 0.1 in the self-adjusting factor, smoothing 1.
    (DiceLoss, {}, {"alpha": 0.1, "smooth": 1.0}),
]


@pytest.mark.parametrize(("loss_class", "kwargs", "expected"), PAPER_DEFAULTS)
def test_defaults_are_the_papers_settings(loss_class, kwargs, expected):
    loss = loss_class(**kwargs)
    assert {name: getattr(loss, name) for name in expected} == expected
    assert loss.reduction == "mean"


@pytest.mark.parametrize(
    ("loss_class", "kwargs", "shown"),
    [
        (FocalLoss, {}, "gamma=2.0, reduction='mean'"),
        (
            LDAMLoss,
            {"class_counts": [10, 5]},
            "n_classes=2, max_margin=0.5, scale=30.0",
        ),
        (ClassBalancedLoss, {"class_counts": [10, 5]}, "n_classes=2, beta=0.9999"),
        (LogitAdjustedLoss, {"class_counts": [10, 5]}, "n_classes=2, tau=1.0"),
        (DiceLoss, {}, "alpha=0.1, smooth=1.0, reduction='mean'"),
    ],
)
def test_repr_shows_the_settings(loss_class, kwargs, shown):
    assert shown in repr(loss_class(**kwargs))


@pytest.mark.parametrize(
    ("loss_class", "kwargs", "message"),
    [
        (LDAMLoss, {"class_counts": [10, 5], "scale": "30"}, "scale must be a finite"),
        (ClassBalancedLoss, {"class_counts": [10, 5], "beta": "x"}, "beta must be a"),
        (DiceLoss, {"smooth": None}, "smooth must be a finite"),
        (FocalLoss, {"reduction": "avg"}, "'none', 'mean' or 'sum'; got 'avg'"),
    ],
)
def test_bad_values_are_named_with_what_was_given(loss_class, kwargs, message):
    with pytest.raises(ValueError, match=message):
        loss_class(**kwargs)


def test_make_loss_names_the_choices_and_the_bad_parameters():
    from skimbtext.losses import LOSSES, make_loss

    with pytest.raises(ValueError, match=re.escape(f"one of {sorted(LOSSES)}")):
        make_loss("hinge", class_counts=[5, 3])
    with pytest.raises(
        ValueError, match=r"Cannot build FocalLoss with parameters \['beta'\]"
    ):
        make_loss("focal", class_counts=[5, 3], beta=0.5)

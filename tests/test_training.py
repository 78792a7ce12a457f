"""The training core (``skimbtext._training``): weighted losses, divergence
reports and the sampler, on a bare ``TrainingNet``."""

import warnings

import numpy as np
import pytest
import torch
from torch import nn

from skimbtext._training import RebalancingSampler, TrainingNet


def _net(**params):
    return TrainingNet(
        nn.Linear(2, 3),
        criterion=nn.CrossEntropyLoss(reduction="none"),
        device="cpu",
        **params,
    ).initialize()


def test_training_loss_is_the_weighted_mean_of_the_per_sample_losses():
    # The batch loss is sum(w * l) / sum(w), w = sample_weight * class_weight[y]:
    # a plain mean of w * l would scale the step with the batch's weights.
    net = _net(class_weight=[1.0, 3.0, 0.5])
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 3.0]])
    target = np.array([0, 1, 2])
    sample_weight = torch.tensor([2.0, 1.0, 4.0])
    per_sample = nn.functional.cross_entropy(
        logits, torch.as_tensor(target), reduction="none"
    )
    weight = sample_weight * torch.tensor([1.0, 3.0, 0.5])
    expected = (weight * per_sample).sum() / weight.sum()
    loss = net.get_loss(logits, target, X={"sample_weight": sample_weight})
    torch.testing.assert_close(loss, expected)
    class_only = torch.tensor([1.0, 3.0, 0.5])
    torch.testing.assert_close(
        net.get_loss(logits, target, X={"sample_weight": torch.ones(3)}),
        (class_only * per_sample).sum() / class_only.sum(),
    )
    # Without weights, the plain mean.
    torch.testing.assert_close(_net().get_loss(logits, target), per_sample.mean())


def test_a_criterion_must_give_one_loss_per_sample():
    net = TrainingNet(
        nn.Linear(2, 3), criterion=nn.CrossEntropyLoss(), device="cpu"
    ).initialize()
    with pytest.raises(
        ValueError,
        match=r"^The criterion must return one loss per sample \(shape \(B,\)\); got "
        r"shape \(\)\. Build it with reduction='none'\.$",
    ):
        net.get_loss(torch.zeros(2, 3), np.array([0, 1]))


@pytest.mark.parametrize(("value", "shown"), [(float("nan"), "NaN"), (np.inf, "inf")])
def test_a_non_finite_training_loss_names_where_it_happened(value, shown):
    net = _net()
    net.history.new_epoch()
    net.history.new_batch()
    with pytest.raises(
        FloatingPointError, match=f"loss is {shown} at epoch 1, batch 1"
    ):
        net.check_finite(torch.tensor(value))
    net.check_finite(torch.tensor(1.0))  # a finite loss passes


def test_sampler_is_reproducible_from_its_generator_and_reseeds_per_epoch():
    first = RebalancingSampler(10, torch.Generator().manual_seed(0))
    second = RebalancingSampler(10, torch.Generator().manual_seed(0))
    assert list(first) == list(second)
    assert sorted(first) == list(range(10))
    first.reseed(3)
    order = list(first)
    second.reseed(3)
    assert list(second) == order  # an epoch's draw depends only on its index
    first.weights = np.r_[np.zeros(9), 1.0]
    assert list(first) == [9] * 10  # weighted draws, with replacement


def _batches(order, batch_size):
    """The training batches a DataLoader cuts from the sampler's ``order``."""
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def _padding(order, lengths, batch_size):
    """Padded token positions of the batches of ``order``."""
    return sum(
        max(lengths[b]) * len(b) - sum(lengths[b]) for b in _batches(order, batch_size)
    )


def test_sampler_groups_batches_by_length():
    lengths = np.random.default_rng(0).integers(3, 60, size=203)
    grouped = RebalancingSampler(
        203, torch.Generator().manual_seed(0), lengths=lengths, batch_size=8
    )
    plain = RebalancingSampler(203, torch.Generator().manual_seed(0))
    order = list(grouped)
    assert sorted(order) == list(range(203))  # still a permutation
    batches = _batches(order, 8)
    # Each batch comes from one sorted group: its lengths are close together.
    assert _padding(order, lengths, 8) < _padding(list(plain), lengths, 8) / 4
    # Batches are shuffled, not in length order, and epochs differ.
    maxima = [max(lengths[b]) for b in batches[:-1]]
    assert maxima != sorted(maxima, reverse=True)
    grouped.reseed(1)
    assert list(grouped) != order
    grouped.weights = np.r_[np.zeros(202), 1.0]
    assert list(grouped) == [202] * 203  # rebalanced draws are grouped too
    with pytest.raises(ValueError, match="^lengths and batch_size go together"):
        RebalancingSampler(3, torch.Generator(), lengths=[1, 2, 3])


def test_grouped_batches_are_slices_of_one_sorted_group():
    # Two groups of 16 batches of 8 (the second one short): every batch, the
    # short last one included, is a run of one group sorted longest first, so
    # none mixes two groups.
    lengths = np.random.default_rng(1).permutation(203) + 1  # all distinct
    sampler = RebalancingSampler(
        203, torch.Generator().manual_seed(0), lengths=lengths, batch_size=8
    )
    for batch in _batches(list(sampler), 8):
        assert list(lengths[batch]) == sorted(lengths[batch], reverse=True)
    # One group only: the short last batch holds its shortest texts.
    sampler = RebalancingSampler(
        20, torch.Generator().manual_seed(0), lengths=lengths[:20], batch_size=8
    )
    last = _batches(list(sampler), 8)[-1]
    assert sorted(lengths[last]) == sorted(lengths[:20])[:4]


def test_a_full_last_batch_is_shuffled_with_the_others():
    # 16 full batches: none is held back, so the batch of the shortest texts is
    # not always drawn last.
    lengths = np.arange(128) + 1
    sampler = RebalancingSampler(
        128, torch.Generator().manual_seed(0), lengths=lengths, batch_size=8
    )
    last_batches = []
    for epoch in range(4):
        sampler.reseed(epoch)
        last_batches.append(sorted(_batches(list(sampler), 8)[-1]))
    assert any(batch != list(range(8)) for batch in last_batches)


def test_grouped_batches_are_shuffled_by_the_samplers_generator_alone():
    lengths = np.random.default_rng(0).integers(3, 60, size=100)
    sampler = RebalancingSampler(
        100, torch.Generator().manual_seed(0), lengths=lengths, batch_size=8
    )
    orders = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        sampler.reseed(0)
        orders.append(list(sampler))
    assert orders[0] == orders[1]


def test_small_weights_are_not_floored():
    # sum(w) below 1 must divide as it is: the floor only guards sum(w) = 0.
    net = _net()
    logits, target = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), np.array([0, 2])
    per_sample = nn.functional.cross_entropy(
        logits, torch.as_tensor(target), reduction="none"
    )
    weight = torch.tensor([0.1, 0.3])
    loss = net.get_loss(logits, target, X={"sample_weight": weight})
    torch.testing.assert_close(loss, (weight * per_sample).sum() / weight.sum())


def test_a_non_finite_validation_loss_is_not_a_training_failure():
    net = _net()
    logits = torch.tensor([[float("nan"), 0.0, 0.0]])
    assert torch.isnan(net.get_loss(logits, np.array([0])))  # training=False


def test_position_before_the_first_epoch():
    assert _net()._position() == "epoch 0, batch 0"


def test_prediction_runs_the_module_in_evaluation_mode():
    net = TrainingNet(
        nn.Sequential(nn.Dropout(0.9), nn.Linear(2, 3)),
        criterion=nn.CrossEntropyLoss(reduction="none"),
        device="cpu",
    ).initialize()
    X = torch.ones(50, 2)
    first, second = net.forward(X), net.forward(X)
    torch.testing.assert_close(first, second)  # no dropout at prediction


def test_out_of_memory_in_a_training_step_says_where(monkeypatch):
    net = TrainingNet(
        nn.Linear(2, 3),
        criterion=nn.CrossEntropyLoss(reduction="none"),
        device="cpu",
        max_epochs=1,
        train_split=None,
    )

    def out_of_memory(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory.")

    monkeypatch.setattr(nn.Linear, "forward", out_of_memory)
    X = np.zeros((4, 2), dtype=np.float32)
    with pytest.raises(
        torch.OutOfMemoryError,
        match=r"batch of 4 samples during training \(epoch 1, batch 1\)",
    ):
        net.fit(X, np.array([0, 1, 2, 0]))
    with pytest.raises(torch.OutOfMemoryError, match="prediction"):
        net.predict_proba(X)


def test_weighted_draws_come_from_the_samplers_generator():
    sampler = RebalancingSampler(10, torch.Generator().manual_seed(0))
    sampler.weights = np.linspace(1.0, 2.0, 10)
    torch.manual_seed(1)
    first = list(sampler)
    sampler.generator.manual_seed(0)
    torch.manual_seed(2)  # the global generator plays no part
    assert list(sampler) == first


@pytest.mark.parametrize(
    "device, mixed_precision, expected",
    [
        ("cuda", True, ("cuda", torch.bfloat16)),
        ("cuda:1", True, ("cuda", torch.bfloat16)),
        ("cuda", False, None),
        ("cpu", True, None),
        (None, True, None),  # accelerate places and autocasts itself
    ],
)
def test_autocast_is_bfloat16_on_cuda_with_mixed_precision_only(
    device, mixed_precision, expected
):
    # The context is built, not entered: on a machine without CUDA, torch makes
    # a disabled one (with a warning) but keeps what it was asked for.
    net = TrainingNet(
        nn.Linear(2, 3),
        criterion=nn.CrossEntropyLoss(reduction="none"),
        device=device,
        mixed_precision=mixed_precision,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        context = net._autocast()
    if expected is None:
        assert not isinstance(context, torch.autocast)
    else:
        assert isinstance(context, torch.autocast)
        assert (context.device, context.fast_dtype) == expected


def _blobs():
    rng = np.random.default_rng(0)
    y = np.arange(60) % 3
    X = (rng.normal(size=(60, 2)) + 3 * np.eye(3, 2)[y]).astype(np.float32)
    return X, y


def test_defaults_of_the_training_net():
    net = TrainingNet(nn.Linear(2, 3), criterion=nn.CrossEntropyLoss)
    assert net.mixed_precision is False
    assert net.class_weight is None and net.random_state is None


def test_fits_arrays_with_their_targets_and_continues_with_partial_fit():
    X, y = _blobs()
    net = _net(max_epochs=3, lr=0.1, train_split=None)
    net.fit(X, y)  # arrays: skorch builds the dataset from X and y
    assert len(net.history) == 3
    assert net.history[-1, "train_loss"] < net.history[0, "train_loss"]
    net.partial_fit(X, y)  # max_epochs more epochs, none counted as restored
    assert len(net.history) == 6


def test_fit_loop_called_directly_trains_max_epochs():
    X, y = _blobs()
    net = _net(max_epochs=2, train_split=None)
    net.fit_loop(X, y)  # without fit's on_train_begin
    assert len(net.history) == 2


def test_a_resumed_fit_trains_only_the_remaining_epochs(tmp_path):
    from skorch.callbacks import Checkpoint, LoadInitState

    X, y = _blobs()

    def net(max_epochs, callbacks):
        return TrainingNet(
            nn.Linear(2, 3),
            criterion=nn.CrossEntropyLoss(reduction="none"),
            device="cpu",
            max_epochs=max_epochs,
            train_split=None,
            callbacks=callbacks,
        )

    checkpoint = Checkpoint(dirname=str(tmp_path), monitor=None)
    net(2, [checkpoint]).fit(X, y)
    for max_epochs, expected in ((2, 2), (3, 3)):
        resumed = net(
            max_epochs,
            [
                Checkpoint(dirname=str(tmp_path), monitor=None),
                LoadInitState(checkpoint),
            ],
        )
        resumed.fit(X, y)
        # 2 epochs restored: a complete run trains none, a longer one the rest.
        assert len(resumed.history) == expected


def test_forward_in_training_mode_keeps_dropout_on():
    net = TrainingNet(
        nn.Sequential(nn.Dropout(0.9), nn.Linear(2, 3)),
        criterion=nn.CrossEntropyLoss(reduction="none"),
        device="cpu",
    ).initialize()
    X = torch.ones(50, 2)
    first, second = net.forward(X, training=True), net.forward(X, training=True)
    assert not torch.allclose(first, second)


def test_out_of_memory_in_a_validation_step_says_where(monkeypatch):
    X, y = _blobs()
    # skorch's default split: 48 samples train in one batch, 12 validate.
    net = _net(max_epochs=1)

    def out_of_memory(self, batch, **fit_params):
        raise torch.OutOfMemoryError("CUDA out of memory.")

    monkeypatch.setattr("skorch.NeuralNet.validation_step", out_of_memory, raising=True)
    with pytest.raises(
        torch.OutOfMemoryError,
        match=r"batch of 12 samples during validation \(epoch 1, batch 2\)",
    ):
        net.fit(X, y)


class _TargetReader(nn.Linear):
    """Records the labels ``forward`` is given, as a module that reads them."""

    reads_target = True

    def __init__(self):
        super().__init__(2, 3)
        self.seen = []

    def forward(self, X, target=None):
        self.seen.append(None if target is None else target.tolist())
        return super().forward(X)


def test_modules_that_read_labels_get_them_in_training_and_validation_only():
    X, y = _blobs()
    net = TrainingNet(
        _TargetReader,
        criterion=nn.CrossEntropyLoss(reduction="none"),
        batch_size=60,
        max_epochs=1,
        train_split=lambda dataset, y=None: (dataset, dataset),
        device="cpu",
    ).fit(X, y)
    training, validation = net.module_.seen
    assert training == validation == y.tolist()
    net.predict(X)
    assert net.module_.seen[-1] is None
    # A module without the attribute is called as before (no ``target``).
    _net(max_epochs=1, train_split=None).fit(X, y)


def test_accelerated_training_passes_the_labels_too():
    from accelerate import Accelerator

    from skimbtext._training import AcceleratedTrainingNet

    X, y = _blobs()
    net = AcceleratedTrainingNet(
        _TargetReader,
        criterion=nn.CrossEntropyLoss(reduction="none"),
        accelerator=Accelerator(cpu=True),
        batch_size=60,
        max_epochs=1,
        train_split=None,
        device=None,
    ).fit(X, y)
    assert net.module_.seen == [y.tolist()]

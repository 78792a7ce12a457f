"""The one training loop of skimbtext: skorch's ``NeuralNet`` with its guarantees.

Every estimator builds a :class:`TrainingNet` (or a subclass) inside ``fit`` or
``fit_resample``: the classifiers add a module, a criterion and callbacks; MISO's
generator net (:mod:`skimbtext.over_sampling._miso_training`) adds only what its
training phases do in a step. None writes a loop of its own, so every fit gets
interrupt safety, resumable per-epoch reseeding, non-finite loss reports and
out-of-memory advice.
"""

from contextlib import contextmanager, nullcontext

import numpy as np
import torch
from skorch import NeuralNet
from skorch.dataset import unpack_data
from skorch.hf import AccelerateMixin
from skorch.utils import to_tensor
from torch.utils.data import Sampler

from .utils._device import out_of_memory_error
from .utils._random import epoch_seed, seed_torch

# Inputs that the loss uses but the module never sees.
LOSS_ONLY_INPUTS = ("sample_weight",)


#: Batches per group of :class:`RebalancingSampler`'s ``group_by_length``.
LENGTH_GROUP_BATCHES = 16


class RebalancingSampler(Sampler):
    """Shuffling sampler whose draw can switch to class-rebalanced sampling.

    While ``weights`` is None it yields a random permutation per epoch (plain
    shuffling); once a callback sets per-sample ``weights`` it draws with
    replacement in proportion to them (deferred re-sampling). All randomness comes
    from ``generator``, so a fit is repeatable; :meth:`reseed` gives every epoch
    its own seed, derived from the generator's initial seed.

    Parameters
    ----------
    n_samples : int
        Samples drawn per epoch.
    generator : torch.Generator
        Source of every random draw.
    lengths : array-like of int, optional
        Token count of each sample. When given with ``batch_size``, batches are
        grouped by length, as Hugging Face's ``group_by_length``: the epoch's draw
        is cut into groups of ``LENGTH_GROUP_BATCHES`` batches, each group is
        sorted by length and cut into batches, and the batches are shuffled (a
        last, smaller batch stays last). Texts of similar length then share a
        batch and little padding is computed.
    batch_size : int, optional
        The training batch size, needed with ``lengths``.
    """

    def __init__(self, n_samples, generator, lengths=None, batch_size=None):
        self.n_samples = n_samples
        self.generator = generator
        self.weights = None
        self._seed = generator.initial_seed()
        if (lengths is None) != (batch_size is None):
            raise ValueError("lengths and batch_size go together.")
        self.lengths = None if lengths is None else np.asarray(lengths)
        self.batch_size = batch_size

    def reseed(self, epoch):
        """Draw the next epoch from a seed that depends only on ``epoch``."""
        self.generator.manual_seed(epoch_seed(self._seed, epoch))

    def __len__(self):
        return self.n_samples

    def __iter__(self):
        if self.weights is None:
            order = torch.randperm(self.n_samples, generator=self.generator)
        else:
            order = torch.multinomial(
                torch.as_tensor(self.weights, dtype=torch.float64),
                self.n_samples,
                replacement=True,
                generator=self.generator,
            )
        order = order.numpy()
        if self.lengths is not None:
            order = self._group_by_length(order)
        return iter(order.tolist())

    def _group_by_length(self, order):
        group = self.batch_size * LENGTH_GROUP_BATCHES
        batches = []
        for begin in range(0, len(order), group):
            chunk = order[begin : begin + group]
            # Longest first; a stable sort keeps the random order among equals.
            chunk = chunk[np.argsort(-self.lengths[chunk], kind="stable")]
            batches += np.split(
                chunk, range(self.batch_size, len(chunk), self.batch_size)
            )
        last = [batches.pop()] if len(batches[-1]) < self.batch_size else []
        shuffled = torch.randperm(len(batches), generator=self.generator).tolist()
        return np.concatenate([batches[i] for i in shuffled] + last)


class TrainingNet(NeuralNet):
    """skorch ``NeuralNet`` that weights per-sample losses and can use autocast.

    The criterion returns one loss per sample (shape ``(B,)``); batch-level terms
    such as a contrastive loss are broadcast over the batch, so the weighted mean
    adds them unchanged. The weight of a sample is its ``sample_weight`` (an input
    field) times ``class_weight[y]``; the batch loss is
    ``sum(weight * loss) / sum(weight)``.

    A module with a true ``reads_target`` attribute gets the batch's labels as
    ``forward(..., target=...)`` in training and validation steps, never at
    prediction (DCMI's label-agreement relevance uses them).

    Where it departs from skorch's ``NeuralNet``, for reliability:

    - **Interruption.** A ``KeyboardInterrupt`` during a batch (Ctrl-C) is
      re-raised after ``on_train_end`` instead of ending training quietly with a
      half-trained net. A callback that raises it still stops training normally,
      as skorch's ``EarlyStopping`` does.
    - **Resuming.** ``max_epochs`` counts the epochs restored from a checkpoint
      (:class:`skorch.callbacks.LoadInitState`): a resumed fit trains only the
      remaining epochs. With ``random_state`` set, every epoch reseeds torch's
      generators and the training sampler from ``(random_state, epoch)``, so the
      resumed fit repeats the uninterrupted one.
    - **Diverging loss.** A non-finite training loss raises a
      :class:`FloatingPointError` naming the epoch and batch, before the update.
    - **Memory.** An out-of-memory error in a training, validation or prediction
      batch is re-raised as :class:`~skimbtext.utils._device.BatchOutOfMemoryError`
      (still a ``torch.OutOfMemoryError``) saying what to lower.

    Parameters
    ----------
    class_weight : array-like of shape (n_classes,), optional
        Per-class loss weights; callbacks may replace it during training (deferred
        re-weighting).
    mixed_precision : bool, default=False
        Run the forward pass under bfloat16 autocast on CUDA. Ignored on CPU.
    random_state : int, optional
        Seed of the per-epoch reseeding; None leaves the generators alone. Reseeding
        changes torch's global generators: run the fit inside
        :func:`~skimbtext.utils.torch_random_context`.
    **kwargs
        Passed to :class:`skorch.NeuralNet`.
    """

    #: What to lower when a batch runs out of memory, after the batch size.
    out_of_memory_advice = (
        "mixed_precision=True or fewer trainable_layers need less too"
    )

    def __init__(
        self,
        *args,
        class_weight=None,
        mixed_precision=False,
        random_state=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.class_weight = class_weight
        self.mixed_precision = mixed_precision
        self.random_state = random_state

    def _autocast(self):
        if self.device is None:  # accelerate places and autocasts
            return nullcontext()
        device = torch.device(self.device)
        if self.mixed_precision and device.type == "cuda":
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return nullcontext()

    # ------------------------------------------------------------ the loop

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        # Runs before the callbacks: epochs added to the history from here on
        # until the loop starts were restored from a checkpoint.
        self._epochs_before_train = len(self.history)

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_begin(
            net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs
        )
        if self.random_state is None:
            return
        epoch = len(self.history)
        seed_torch(epoch_seed(self.random_state, epoch))
        sampler = self.get_params_for("iterator_train").get("sampler")
        if hasattr(sampler, "reseed"):
            sampler.reseed(epoch)

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        if epochs is None:
            restored = len(self.history) - getattr(
                self, "_epochs_before_train", len(self.history)
            )
            epochs = max(self.max_epochs - restored, 0)
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except KeyboardInterrupt as exc:
            if not self._stop_requested:
                self._interruption = exc
            raise

    def notify(self, method_name, **cb_kwargs):
        try:
            super().notify(method_name, **cb_kwargs)
        except KeyboardInterrupt:
            # skorch's way for a callback to end training (EarlyStopping).
            self._stop_requested = True
            raise

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        # skorch ends training quietly on Ctrl-C and returns a half-trained net;
        # re-raise instead, so the estimator can keep its previous state.
        self._interruption = None
        self._stop_requested = False
        super().partial_fit(X, y, classes=classes, **fit_params)
        interruption, self._interruption = self._interruption, None
        if interruption is not None:
            raise interruption
        return self

    @contextmanager
    def _explain_out_of_memory(self, batch, during):
        try:
            yield
        except torch.OutOfMemoryError as exc:
            inputs, _ = unpack_data(batch)
            device = self.device if self.device is not None else "the device"
            raise out_of_memory_error(
                exc,
                inputs,
                device=device,
                during=during,
                advice=self.out_of_memory_advice,
            ) from exc

    def _position(self):
        """``"epoch E, batch B"`` of the batch being processed."""
        epoch = len(self.history)
        batch = len(self.history[-1, "batches"]) if epoch else 0
        return f"epoch {epoch}, batch {batch}"

    def train_step(self, batch, **fit_params):
        with self._explain_out_of_memory(batch, f"training ({self._position()})"):
            return super().train_step(batch, **fit_params)

    def _with_target(self, batch, fit_params):
        """``fit_params`` plus the batch's labels as ``target`` for a module that
        reads them (``reads_target``), e.g. DCMI's label-agreement relevance."""
        if not getattr(self.module_, "reads_target", False):
            return fit_params
        _, yi = unpack_data(batch)
        if yi is None:
            return fit_params
        return {**fit_params, "target": to_tensor(yi, device=self.device)}

    def train_step_single(self, batch, **fit_params):
        return super().train_step_single(batch, **self._with_target(batch, fit_params))

    def validation_step(self, batch, **fit_params):
        fit_params = self._with_target(batch, fit_params)
        with self._explain_out_of_memory(batch, f"validation ({self._position()})"):
            return super().validation_step(batch, **fit_params)

    def evaluation_step(self, batch, training=False):
        with self._explain_out_of_memory(batch, "prediction"):
            return super().evaluation_step(batch, training=training)

    def infer(self, x, **fit_params):
        if isinstance(x, dict):
            x = {k: v for k, v in x.items() if k not in LOSS_ONLY_INPUTS}
        with self._autocast():
            return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = to_tensor(y_true, device=self.device)
        per_sample = self.criterion_(y_pred, y_true)
        if per_sample.ndim != 1:
            raise ValueError(
                "The criterion must return one loss per sample (shape (B,)); got "
                f"shape {tuple(per_sample.shape)}. Build it with reduction='none'."
            )
        per_sample = per_sample.float()
        if isinstance(X, dict) and "sample_weight" in X:
            weight = to_tensor(X["sample_weight"], device=self.device).float()
        else:
            weight = torch.ones_like(per_sample)
        if self.class_weight is not None:
            class_weight = torch.as_tensor(
                np.asarray(self.class_weight, dtype=np.float32),
                device=per_sample.device,
            )
            weight = weight * class_weight[y_true]
        loss = (weight * per_sample).sum() / weight.sum().clamp_min(1e-12)
        if training:
            self.check_finite(loss)
        return loss

    #: How to recover from a diverging loss.
    divergence_advice = (
        "Try a lower lr, gradient clipping (max_grad_norm), or check the inputs "
        "for extreme values."
    )

    def check_finite(self, loss):
        """Raise :class:`FloatingPointError` naming the epoch and batch when the
        training ``loss`` is NaN or infinite (call it before the update)."""
        if not torch.isfinite(loss):
            value = "NaN" if torch.isnan(loss) else f"{loss.item()}"
            raise FloatingPointError(
                f"loss is {value} at {self._position()}; training diverged. "
                + self.divergence_advice
            )


class AcceleratedTrainingNet(AccelerateMixin, TrainingNet):
    """:class:`TrainingNet` driven by a Hugging Face ``accelerate.Accelerator``.

    The accelerator places the module, data and optimiser (``device=None``) and
    handles mixed precision, gradient accumulation and multi-process training.
    """

    def train_step_single(self, batch, **fit_params):
        # accelerate's training step comes first in the MRO: pass the labels
        # to a module that reads them here too.
        return super().train_step_single(batch, **self._with_target(batch, fit_params))

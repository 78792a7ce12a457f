"""The shared core of every skimbtext classifier.

:class:`BaseTextClassifier` validates input, turns texts or numbers into model
inputs, builds a body (a Hugging Face encoder, or an MLP for numeric input and
frozen embeddings), and trains it with skorch (:class:`TrainingNet`) inside ``fit``.
A method subclasses it and fills in two hooks, ``_build_module`` and
``_build_criterion``, and if it needs them ``_build_callbacks`` and
``_extra_fields`` (more per-sample inputs, such as domains or a second view).
A subclass whose ``fit``/``predict`` take more arguments (e.g. ``domains``) passes
them to ``_fit(X, y, sample_weight=..., **extra)`` and ``_forward(X, **extra)``;
they reach ``_extra_fields``.

A fit is all or nothing: when it fails or is interrupted (an exception, including
``KeyboardInterrupt``, raised in the loop or a callback), the estimator is put back
as it was before the call, still fitted by the previous ``fit`` or still unfitted
(``NotFittedError`` on ``predict``). To keep the progress of long trainings, pass
:class:`skorch.callbacks.Checkpoint` in ``callbacks`` and resume with
:class:`skorch.callbacks.LoadInitState`: the resumed fit trains the remaining
epochs and, with the same ``random_state``, gives the model of the uninterrupted
fit.
"""

import os
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import HasMethods, Hidden, Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)
from skorch.callbacks import EarlyStopping, GradientNormClipping
from skorch.helper import predefined_split
from torch.utils.data import DataLoader

from .._training import AcceleratedTrainingNet, RebalancingSampler, TrainingNet
from ..callbacks import DeferredRebalancing
from ..callbacks._progress import LogSink, discard, epoch_progress
from ..encoders import (
    EncodedDataset,
    MLPEncoder,
    PadCollator,
    TransformerEncoder,
    canonical_order,
    load_encoder_model,
    load_tokenizer,
    tokenize,
)
from ..feature_extraction import TextEmbedder, lower_layer_states
from ..losses import COSINE_LOSSES, LOSSES, make_loss
from ..utils import (
    check_texts,
    draw_seed,
    input_kind,
    make_generator,
    resolve_device,
    torch_random_context,
)
from ..utils._validation import check_labels

OPTIMIZERS = {
    "adamw": torch.optim.AdamW,
    "adam": torch.optim.Adam,
    "sgd": torch.optim.SGD,
}
# Learning rates for lr="auto": fine-tuning a pretrained transformer wants a small
# step; a freshly initialised MLP head wants a large one.
AUTO_LR_TRANSFORMER = 3e-5
AUTO_LR_MLP = 1e-3
# Epochs for max_epochs="auto": a few passes fine-tune a pretrained transformer; a
# fresh MLP head on frozen features needs more steps. Measured with frozen MiniLM
# embeddings, logit-adjusted CE, seeds 0-2: at 5 epochs the heads of R52,
# Ohsumed and long-tailed TREC are far from converged (logit-adjusted CE on R52:
# macro-F1 0.67 at 5, 0.70 at 10, 0.72 at 20 epochs), while small long-tailed sets
# (CR at ir=50) already overfit at 20 (0.71 at 5, 0.68 at 10, 0.64 at 20).
AUTO_EPOCHS_TRANSFORMER = 5
AUTO_EPOCHS_MLP = 10


def _first_item_is_text(X):
    first = next(iter(np.asarray(X, dtype=object).ravel()), None)
    return isinstance(first, (str, bytes))


#: Constraints of the ``loss`` and ``loss_params`` parameters of the classifiers.
LOSS_CONSTRAINTS = {
    "loss": [StrOptions(set(LOSSES)), type],
    "loss_params": [dict, None],
}


class BaseTextClassifier(ClassifierMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of the neural classifiers: the one training core.

    Not meant to be instantiated; see :class:`~skimbtext.TextClassifier`. The
    shared parameters are documented there.
    """

    _parameter_constraints = {
        "encoder": [str, os.PathLike],
        "pooling": [StrOptions({"mean", "cls"})],
        "max_length": [Interval(Integral, 2, None, closed="left")],
        "trainable_layers": [Interval(Integral, 0, None, closed="left"), None],
        "freeze_encoder": ["boolean", Hidden(StrOptions({"deprecated"}))],
        "group_by_length": ["boolean"],
        "text_col": [str, None],
        "hidden_layer_sizes": [tuple, list],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "lr": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(set(OPTIMIZERS)), type],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "deferred_rebalancing": [StrOptions({"reweight", "resample"}), None],
        "deferred_start": [Interval(Real, 0, 1, closed="both")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "mixed_precision": ["boolean"],
        "cache_dir": [str, os.PathLike, None],
        "device": [str, torch.device],
        "callbacks": [list, None],
        "accelerator": [HasMethods(["prepare", "backward"]), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        encoder="minilm",
        pooling="mean",
        max_length=128,
        trainable_layers=None,
        freeze_encoder="deprecated",
        group_by_length=True,
        text_col=None,
        hidden_layer_sizes=(256,),
        dropout=0.1,
        batch_size=32,
        max_epochs="auto",
        lr="auto",
        optimizer="adamw",
        weight_decay=0.01,
        class_weight=None,
        deferred_rebalancing=None,
        deferred_start=0.8,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=3,
        max_grad_norm=1.0,
        mixed_precision=False,
        cache_dir=None,
        device="auto",
        callbacks=None,
        accelerator=None,
        random_state=None,
        verbose=0,
    ):
        self.encoder = encoder
        self.pooling = pooling
        self.max_length = max_length
        self.trainable_layers = trainable_layers
        self.freeze_encoder = freeze_encoder
        self.group_by_length = group_by_length
        self.text_col = text_col
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.class_weight = class_weight
        self.deferred_rebalancing = deferred_rebalancing
        self.deferred_start = deferred_start
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.max_grad_norm = max_grad_norm
        self.mixed_precision = mixed_precision
        self.cache_dir = cache_dir
        self.device = device
        self.callbacks = callbacks
        self.accelerator = accelerator
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ hooks

    @abstractmethod
    def _build_module(self, body, n_classes):
        """Return the torch module trained on top of ``body``."""

    @abstractmethod
    def _build_criterion(self):
        """Return a criterion giving one loss per sample (``reduction="none"``)."""

    # Subclasses with ``loss`` and ``loss_params`` parameters (all of them) add
    # LOSS_CONSTRAINTS to their constraints and build their loss and head here.

    def _make_loss(self):
        """The per-sample classification loss named by ``loss``, with
        ``loss_params`` and the class counts of the training data."""
        return make_loss(
            self.loss, class_counts=self.class_counts_, **(self.loss_params or {})
        )

    def _logit_kind(self):
        """``"cosine"`` logits for the margin losses that need them, else
        ``"linear"`` (see :func:`skimbtext.nn.make_head`)."""
        return "cosine" if self.loss in COSINE_LOSSES else "linear"

    def _build_callbacks(self):
        """Return extra skorch callbacks of the method (none by default)."""
        return []

    def _param_groups(self, lr):
        """Return skorch optimizer param groups of the method (none by default).

        Parameters
        ----------
        lr : float
            The resolved learning rate of the body (``lr`` with ``"auto"``
            resolved).

        Returns
        -------
        groups : list of (pattern, dict)
            Passed to the net as ``optimizer__param_groups``: parameters of the
            module whose names match a pattern use that group's options.
        """
        return []

    def _extra_fields(self, X, *, texts, fitting, **extra):
        """Return extra per-sample model inputs (none by default).

        Parameters
        ----------
        X : object
            The input as given to ``fit`` or ``predict``.
        texts : list of str or None
            The validated texts, or None for numeric input.
        fitting : bool
            True inside ``fit``.
        **extra
            What the subclass passed to ``_fit`` or ``_forward``.

        Returns
        -------
        fields : dict of str to per-sample arrays
            Merged into the model inputs; ``_encode_texts`` turns further texts
            (e.g. augmented views) into inputs of the fitted kind.
        """
        return {}

    def _logits(self, output):
        """Extract the class logits from the module's output."""
        return output[0] if isinstance(output, tuple) else output

    # ------------------------------------------------------------------ inputs

    def _validate_hidden_layer_sizes(self):
        sizes = tuple(self.hidden_layer_sizes)
        if not all(isinstance(s, Integral) and s > 0 for s in sizes):
            raise ValueError(
                "hidden_layer_sizes must hold positive integers, got "
                f"{self.hidden_layer_sizes!r}."
            )
        return sizes

    def _input_fields(self, X, y=None, *, fitting):
        """Validate ``X`` (and ``y`` when fitting); return model input fields.

        Returns ``(fields, y, texts)``: ``fields`` maps input names to per-sample
        arrays, ``"features"`` for numeric input and frozen encoders, or
        ``"input_ids"`` for a trainable transformer; ``texts`` is the validated
        list of texts (None for numeric input).
        """
        kind = input_kind(X, self.text_col)
        if fitting:
            self.input_kind_ = kind
        elif kind != self.input_kind_:
            if self.input_kind_ == "numeric" and not _first_item_is_text(X):
                # A 1-D array of numbers: let scikit-learn explain the reshape.
                validate_data(self, X, reset=False)
            raise ValueError(
                f"{type(self).__name__} was fitted on {self.input_kind_} input but "
                f"got {kind} input."
            )
        if kind == "numeric":
            if fitting:
                X, y = validate_data(self, X, y, dtype=np.float32, reset=True)
            else:
                X = validate_data(self, X, dtype=np.float32, reset=False)
            return {"features": np.array(X, dtype=np.float32, order="C")}, y, None
        texts = check_texts(X, text_col=self.text_col)
        if fitting:
            if y is None:
                raise ValueError(
                    f"{type(self).__name__} requires y to be passed, but the target "
                    "y is None."
                )
            y = column_or_1d(y, warn=True)
            check_consistent_length(texts, y)
        if fitting and self._trainable_layers == 0:
            self.embedder_ = TextEmbedder(
                encoder=self.encoder,
                pooling=self.pooling,
                max_length=self.max_length,
                batch_size=self.batch_size,
                cache_dir=self.cache_dir,
                device=self.device,
                random_state=self._seed,
                verbose=self.verbose,
            ).fit(texts)
        elif fitting:
            self.tokenizer_ = load_tokenizer(self.encoder)
            self._transformer_body = TransformerEncoder(
                load_encoder_model(self.encoder),
                self.pooling,
                trainable_layers=self._trainable_layers,
            )
        return self._encode_texts(texts), y, texts

    def _resolve_trainable_layers(self):
        """``trainable_layers``, with the deprecated ``freeze_encoder`` folded in."""
        if isinstance(self.freeze_encoder, str):  # "deprecated": not given
            return self.trainable_layers
        warnings.warn(
            "freeze_encoder is deprecated and will be removed in a future version: "
            "use trainable_layers=0 instead of freeze_encoder=True, and "
            "trainable_layers=None (the default) instead of freeze_encoder=False.",
            FutureWarning,
            stacklevel=4,
        )
        if self.trainable_layers is not None and (
            (self.trainable_layers == 0) != self.freeze_encoder
        ):
            raise ValueError(
                f"freeze_encoder={self.freeze_encoder} contradicts "
                f"trainable_layers={self.trainable_layers}; set trainable_layers "
                "only."
            )
        return 0 if self.freeze_encoder else self.trainable_layers

    def _encode_texts(self, texts):
        """Turn validated texts into model inputs of the fitted kind.

        With frozen lower layers (``trainable_layers=k``), inside ``fit`` the
        texts become the token states entering the top ``k`` layers, computed
        once per distinct text; prediction feeds token ids through the whole
        body.
        """
        if hasattr(self, "embedder_"):
            return {"features": self.embedder_.transform(texts)}
        input_ids = tokenize(self.tokenizer_, texts, self.max_length)
        body = getattr(self, "_transformer_body", None)
        if body is None or not body.cut:
            return {"input_ids": input_ids}
        states = lower_layer_states(
            body,
            self.tokenizer_,
            input_ids,
            texts=texts,
            batch_size=self.batch_size,
            device=self.device_,
            cache_dir=self.cache_dir,
            verbose=self.verbose,
        )
        return {"hidden_states": states}

    def _build_body(self, fields):
        if "input_ids" in fields or "hidden_states" in fields:
            return self._transformer_body
        return MLPEncoder(
            fields["features"].shape[1],
            self._validate_hidden_layer_sizes(),
            dropout=self.dropout,
        )

    def _collator(self):
        tokenizer = getattr(self, "tokenizer_", None)
        return PadCollator(tokenizer.pad_token_id if tokenizer is not None else 0)

    # ------------------------------------------------------------------ fit

    def fit(self, X, y, sample_weight=None):
        """Train the classifier.

        Parameters
        ----------
        X : sequence of str, pandas Series or DataFrame, or array-like of shape \
(n_samples, n_features)
            Texts (a list, 1-D array, Series, or the ``text_col`` column of a
            DataFrame), or a numeric matrix such as precomputed embeddings, which
            is then fed to an MLP body.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative per-sample loss weights, multiplied with ``class_weight``.

        Returns
        -------
        self : object
            The fitted classifier.

        Notes
        -----
        If ``fit`` fails or is interrupted (``KeyboardInterrupt``, or an exception
        raised in a callback), the exception propagates and the estimator is left
        as it was before the call: fitted by the previous ``fit``, or unfitted.
        """
        return self._fit(X, y, sample_weight=sample_weight)

    def _fit(self, X, y, *, sample_weight=None, **extra):
        """The body of ``fit``; ``extra`` is passed on to ``_extra_fields``.

        All or nothing: on any exception the previous state is restored.
        """
        previous_state = self.__dict__.copy()
        try:
            return self._fit_all(X, y, sample_weight=sample_weight, **extra)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(previous_state)
            raise

    def _fit_all(self, X, y, *, sample_weight, **extra):
        self._validate_params()
        for attribute in ("embedder_", "tokenizer_", "n_features_in_"):
            self.__dict__.pop(attribute, None)
        self._trainable_layers = self._resolve_trainable_layers()
        self._seed = draw_seed(self.random_state)
        if self.accelerator is not None:
            self.device_ = torch.device(self.accelerator.device)
        else:
            self.device_ = resolve_device(self.device)
        with torch_random_context(self._seed, self.device_):
            fields, y, texts = self._input_fields(X, y, fitting=True)
            n_samples = len(next(iter(fields.values())))
            check_labels(y)
            check_classification_targets(y)
            self.classes_, y_encoded = np.unique(y, return_inverse=True)
            if len(self.classes_) < 2:
                raise ValueError(
                    f"y holds one class only ({self.classes_[0]!r}); a classifier "
                    "needs at least 2 classes."
                )
            sample_weight = _check_sample_weight(
                sample_weight,
                np.empty((n_samples, 0)),
                dtype=np.float32,
                ensure_non_negative=True,
            )
            fields["sample_weight"] = sample_weight
            fields.update(self._extra_fields(X, texts=texts, fitting=True, **extra))
            self.class_counts_ = np.bincount(y_encoded, minlength=len(self.classes_))
            self.class_prior_ = self.class_counts_ / self.class_counts_.sum()
            self.net_ = self._fit_net(fields, y_encoded.astype(np.int64))
        self.__dict__.pop("_transformer_body", None)  # now the net's module body
        self.history_ = self.net_.history
        self.n_epochs_ = len(self.net_.history)
        return self

    def _class_weight_vector(self, y_encoded):
        if self.class_weight is None:
            return np.ones(len(self.classes_), dtype=np.float32)
        return compute_class_weight(
            self.class_weight, classes=self.classes_, y=self.classes_[y_encoded]
        ).astype(np.float32)

    def _split(self, y_encoded):
        """Training and validation positions for early stopping.

        The split is stratified; a class with a single sample cannot be in both
        parts and stays wholly in training (R52, for one, has such a class).
        """
        indices = np.arange(len(y_encoded))
        if not self.early_stopping:
            return indices, None
        splittable = np.bincount(y_encoded)[y_encoded] >= 2
        try:
            train, valid = train_test_split(
                indices[splittable],
                test_size=self.validation_fraction,
                stratify=y_encoded[splittable],
                random_state=self._seed,
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping needs a stratified validation split of "
                f"validation_fraction={self.validation_fraction} with every class "
                f"of two or more samples in both parts, which these "
                f"{len(y_encoded)} samples do not allow. Use more data, a larger "
                "validation_fraction, or early_stopping=False."
            ) from exc
        return np.concatenate([train, indices[~splittable]]), valid

    def _fit_net(self, fields, y_encoded):
        body = self._build_body(fields)
        module = self._build_module(body, len(self.classes_))
        train_idx, valid_idx = self._split(y_encoded)
        train_set = EncodedDataset(fields, y_encoded, order=train_idx)
        callbacks = list(self._build_callbacks())
        # skorch's messages, written around the progress bar (on the main process
        # with accelerate); skorch prints with ``print`` only when verbose.
        log = LogSink(None if self.accelerator is None else self.accelerator.print)
        train_split = None
        if valid_idx is not None:
            train_split = predefined_split(EncodedDataset(fields, y_encoded, valid_idx))
            callbacks.append(
                EarlyStopping(
                    patience=self.n_iter_no_change,
                    load_best=True,
                    sink=log if self.verbose else print,
                )
            )
        if self.deferred_rebalancing is not None:
            callbacks.append(
                DeferredRebalancing(self.deferred_rebalancing, self.deferred_start)
            )
        if self.max_grad_norm is not None:
            callbacks.append(GradientNormClipping(self.max_grad_norm))
        trains_transformer = isinstance(body, TransformerEncoder)
        # One bar per fit (see skimbtext.callbacks._progress for the rules), on
        # the main process only.
        progress = epoch_progress(
            self.verbose, long_work=trains_transformer, desc=type(self).__name__
        )
        if self.accelerator is not None and not self.accelerator.is_main_process:
            progress = None
        if progress is not None:
            callbacks.append(progress)
        callbacks.extend(self.callbacks or [])
        optimizer = OPTIMIZERS.get(self.optimizer, self.optimizer)
        lr = self.lr
        if lr == "auto":
            lr = AUTO_LR_TRANSFORMER if trains_transformer else AUTO_LR_MLP
        max_epochs = self.max_epochs
        if max_epochs == "auto":
            max_epochs = (
                AUTO_EPOCHS_TRANSFORMER if trains_transformer else AUTO_EPOCHS_MLP
            )
        collate = self._collator()
        if self.accelerator is None:
            net_class, placement = TrainingNet, {"device": str(self.device_)}
        else:
            net_class = AcceleratedTrainingNet
            placement = {"device": None, "accelerator": self.accelerator}
        # skorch's per-epoch table at verbose>=2 only, coloured on a terminal only.
        placement["callbacks__print_log__sink"] = log if self.verbose >= 2 else discard
        # Learning rates of the method's own parameters (skorch param groups).
        param_groups = self._param_groups(lr)
        if param_groups:
            placement["optimizer__param_groups"] = param_groups
        net = net_class(
            module=module,
            criterion=self._build_criterion(),
            optimizer=optimizer,
            optimizer__weight_decay=self.weight_decay,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=self.batch_size,
            iterator_train=DataLoader,
            iterator_train__sampler=self._sampler(
                fields, train_idx, trains_transformer
            ),
            iterator_train__collate_fn=collate,
            iterator_valid=DataLoader,
            iterator_valid__collate_fn=collate,
            # Its own generator: a DataLoader draws a seed per pass, and prediction
            # must not advance torch's global generator (fits in other threads
            # draw from it).
            iterator_valid__generator=make_generator(self._seed),
            train_split=train_split,
            callbacks=callbacks,
            class_weight=self._class_weight_vector(y_encoded),
            mixed_precision=self.mixed_precision,
            random_state=self._seed,
            verbose=self.verbose,
            **placement,
        )
        try:
            return net.fit(train_set, y=None)
        finally:
            if progress is not None:
                progress.close()  # skorch skips on_train_end when a fit fails

    def _sampler(self, fields, train_idx, trains_transformer):
        """The training sampler; batches grouped by text length (``group_by_length``)
        when a transformer trains on token sequences."""
        generator = make_generator(self._seed)
        sequences = fields.get("hidden_states", fields.get("input_ids"))
        if not (trains_transformer and self.group_by_length and sequences):
            return RebalancingSampler(len(train_idx), generator)
        lengths = [len(sequences[i]) for i in train_idx]
        return RebalancingSampler(
            len(train_idx), generator, lengths=lengths, batch_size=self.batch_size
        )

    # ------------------------------------------------------------------ predict

    def _forward(self, X, **extra):
        """Logits (float64, in input order); ``extra`` goes to ``_extra_fields``.

        The samples are forwarded in :func:`~skimbtext.encoders.canonical_order`
        (texts by length, then content), so a sample's logits are bitwise the same
        whatever the order of the rows it comes with.
        """
        check_is_fitted(self, "net_")
        fields, _, texts = self._input_fields(X, fitting=False)
        fields.update(self._extra_fields(X, texts=texts, fitting=False, **extra))
        order = canonical_order(fields)
        output = self.net_.forward(EncodedDataset(fields, order=order))
        logits = self._logits(output).double()
        unsorted = torch.empty_like(logits)
        unsorted[torch.from_numpy(order)] = logits
        return unsorted

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : texts or array-like of shape (n_samples, n_features)
            Same kind of input as in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        return torch.softmax(self._forward(X), dim=-1).numpy()

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : texts or array-like of shape (n_samples, n_features)
            Same kind of input as in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        logits = self._forward(X)
        return self.classes_[logits.argmax(dim=-1).numpy()]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        return tags

    def __setstate__(self, state):
        # skorch maps a CUDA net to the CPU when CUDA is absent; follow it.
        super().__setstate__(state)
        device = self.__dict__.get("device_")
        if device is not None and device.type == "cuda":
            if not torch.cuda.is_available():
                self.device_ = torch.device("cpu")

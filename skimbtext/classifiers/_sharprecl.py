"""SharpReCLClassifier: prototype-rebalanced supervised contrastive learning."""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _num_samples, check_array

from ..augmentation import RandomDeletionSwap, WordSubstitution, augment_texts
from ..callbacks._sharprecl import SyntheticShareSchedule
from ..losses._sharprecl import SharpReCLLoss
from ..nn._sharprecl import SECOND_VIEW_PREFIX, SharpReCLModule
from ..utils import check_texts
from ._base import LOSS_CONSTRAINTS, BaseTextClassifier
from ._docstrings import fill_shared_parameters

TEXT_AUGMENTATIONS = {"deletion_swap", "substitution"}


@fill_shared_parameters
class SharpReCLClassifier(BaseTextClassifier):
    """Imbalanced text classifier trained with SharpReCL (Li et al., 2024).

    Every training text is seen in two views, the text and an augmentation of it.
    A classification branch (a linear classifier ``φ`` with weights ``W``, trained
    with a logit-adjusted loss on both views) and a contrastive branch share the
    encoder:

    1. ``z = normalize(proj_f(feat))`` for every view, and class prototypes
       ``proto = normalize(proj_h(W))`` that join every batch, so every class is
       present in every batch: :math:`\\hat D = Z \\cup proto`;
    2. for every class, a balanced target set of ``n_positives`` positives and
       ``n_negatives`` negatives, drawn from :math:`\\hat D` at random (*simple
       sampling*) and synthesised by mixup of random pairs of its ``k`` hardest
       members / non-members, ranked by similarity to its prototype (*hard
       mixup*); the synthetic share grows from 0.5 to 1 over the training steps;
    3. the supervised contrastive loss of every anchor of :math:`\\hat D` against
       its class's target set and :math:`\\hat D`, weighted by
       :math:`-\\log P_y`.

    The training loss is ``L = L_CLS + mu * L_CL``; predictions use the
    classification branch only (without the logit adjustment).

    Parameters
    ----------
    mu : float, default=1.0
        Weight μ of the contrastive loss, ``>= 0``.
    temperature : float, default=0.3
        Temperature τ of the contrastive loss (paper: 0.3, 0.5 or 1).
    k : int, default=20
        Hard positives and hard negatives mined per class.
    n_positives : int, default=10
        Size of each class's positive target set :math:`|\\tilde D_c^+|`.
    n_negatives : int, default=500
        Size of each class's negative target set :math:`|\\tilde D_c^-|`.
    mixup_alpha : float, default=0.5
        λ of the Beta(λ, λ) distribution of the mixup weights.
    projection_dim : int, default=100
        Width of the projections and prototypes.
    simple_sampling : bool, default=True
        Draw part of the target sets from :math:`\\hat D` (ablation "w/o SS"
        when False: all target members are synthetic).
    hard_mixup : bool, default=True
        Synthesise part of the target sets from hard pairs (ablation "w/o HM"
        when False: all target members are sampled). With both switches off there
        is no target set: the weighted contrastive loss runs on
        :math:`\\hat D` alone ("w/o SSHM").
    use_cl : bool, default=True
        Train the contrastive branch; False trains the classification branch
        alone ("w/o CL", and the CE/focal/dice baselines).
    use_cls : bool, default=True
        Train the encoder with the classification loss. False ("w/o CLS") trains
        the encoder with ``mu * L_CL`` only; the classifier weights then only
        feed the prototypes, and predictions come from a linear probe trained
        alongside on stop-gradient (frozen) encoder features with ``loss``.
    contrastive : {"sharp", "scl"}, default="sharp"
        ``"scl"`` replaces the SharpReCL loss by the plain supervised contrastive
        loss on the batch's views (no prototypes, target sets or class weights):
        with ``loss="ce"`` this is the SCLCE baseline (Gunel et al., 2021).
    positive_reduction : {"mean", "sum"}, default="mean"
        The scale of ``L_CL``. ``"mean"``, as in the authors' code (and SupCon):
        an anchor's terms are averaged over its positives and the class weights
        ``-log P_y`` are scaled to average 1 over the classes, so ``L_CL`` keeps
        the scale of one contrastive term whatever the number of positives and
        classes. ``"sum"``: the paper's Eq. 11 as printed (terms summed over the
        positives, raw weights), whose ``L_CL`` grows with the positives and
        classes until it swamps ``L_CLS`` (on frozen MiniLM features it falls
        far below logit-adjusted cross-entropy alone: ``benchmarks/results/
        defaults_cpu.md``).
    loss : str or type, default="logit_adjusted"
        Loss of the classification branch: ``"logit_adjusted"`` (the paper's
        logit compensation, ``δ_y = log P_y``, added in training only), ``"ce"``,
        ``"focal"``, ``"dice"``, ``"ldam"`` (uses a cosine head),
        ``"class_balanced"``, or an ``nn.Module`` class taking
        ``(logits, target)``.
    augmentation : {"deletion_swap", "substitution", "dropout"}, callable or \
None, default="deletion_swap"
        How the second view is made. ``"deletion_swap"``: random word deletion
        then random swaps (:class:`~skimbtext.augmentation.RandomDeletionSwap`),
        generated once per fit and seeded from ``random_state``.
        ``"substitution"``: the paper's kind of view, words replaced by their
        neighbours in ``encoder``'s embedding table
        (:class:`~skimbtext.augmentation.WordSubstitution`), likewise once per
        fit and seeded. ``"dropout"``:
        the same input twice, the views differing by dropout noise (SimCSE). A
        callable ``str -> str`` is applied to every training text once per fit.
        The augmented texts are embedded (``trainable_layers=0``) or passed
        through the frozen lower layers (``trainable_layers=k``) once per fit too. None:
        a single view. Numeric input cannot be augmented as text: its second view
        (unless None) is the same features with feature dropout at rate
        ``dropout``. ``X_aug`` in ``fit`` overrides this parameter.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    class_counts_ : ndarray of shape (n_classes,)
        Training samples per class.
    class_prior_ : ndarray of shape (n_classes,)
        Training class frequencies :math:`P_y`.
    net_ : skorch.NeuralNet
        The trained net; ``net_.module_`` is a
        :class:`~skimbtext.nn.SharpReCLModule`.
    history_ : skorch.History
        Per-epoch losses and timings.
    n_epochs_ : int
        Epochs trained.
    input_kind_ : {"text", "numeric"}
        Kind of input seen in ``fit``.
    n_features_in_ : int
        Present for numeric input.
    device_ : torch.device
        The device used for training.

    See Also
    --------
    skimbtext.TextClassifier : the classification branch alone, with the same
        losses.

    Notes
    -----
    Decisions where the paper leaves room: the classifier is linear on the
    unnormalised features (the paper's Eq. 5; the authors' code normalises the
    logits, which bounds them to [-1, 1] and weakens the logit adjustment);
    the projections and prototypes are L2-normalised, as :math:`\\hat D` is in the
    paper; the classification loss is averaged over both views, as in the
    authors' code; simple sampling draws with replacement (negative sets are
    larger than most batches); the class weights of the contrastive loss are
    indexed by the class of every anchor row (batch views and prototypes), not
    by the prototype labels as in the authors' code. The paper fine-tunes
    BERT-base with AdamW (lr 5e-5, weight decay 5e-4, batch 128), for 30 epochs
    in the authors' code; the defaults here are the package's, shared by every
    estimator.

    With ``early_stopping=True``, the validation loss is the classification loss
    alone: the contrastive branch is not used for prediction.

    References
    ----------
    M. Li, Y. Liu, F. Giunchiglia, X. Feng, R. Guan. "Simple-Sampling and
    Hard-Mixup with Prototypes to Rebalance Contrastive Learning for Text
    Classification". arXiv:2405.11524, 2024.
    B. Gunel, J. Du, A. Conneau, V. Stoyanov. "Supervised Contrastive Learning for
    Pre-trained Language Model Fine-tuning". ICLR 2021.

    Examples
    --------
    >>> from skimbtext import SharpReCLClassifier
    >>> from skimbtext.datasets import make_multidomain_reviews
    >>> reviews = make_multidomain_reviews(200, random_state=0)
    >>> clf = SharpReCLClassifier(encoder="tiny-bert", n_negatives=50,
    ...                           max_epochs=1, random_state=0)
    >>> clf.fit(reviews["text"], reviews["label"]).predict(reviews["text"][:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **BaseTextClassifier._parameter_constraints,
        "mu": [Interval(Real, 0, None, closed="left")],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "k": [Interval(Integral, 1, None, closed="left")],
        "n_positives": [Interval(Integral, 1, None, closed="left")],
        "n_negatives": [Interval(Integral, 1, None, closed="left")],
        "mixup_alpha": [Interval(Real, 0, None, closed="neither")],
        "projection_dim": [Interval(Integral, 1, None, closed="left")],
        "simple_sampling": ["boolean"],
        "hard_mixup": ["boolean"],
        "use_cl": ["boolean"],
        "use_cls": ["boolean"],
        "contrastive": [StrOptions({"sharp", "scl"})],
        "positive_reduction": [StrOptions({"mean", "sum"})],
        **LOSS_CONSTRAINTS,
        "augmentation": [
            StrOptions(TEXT_AUGMENTATIONS | {"dropout"}),
            callable,
            None,
        ],
    }

    def __init__(
        self,
        *,
        mu=1.0,
        temperature=0.3,
        k=20,
        n_positives=10,
        n_negatives=500,
        mixup_alpha=0.5,
        projection_dim=100,
        simple_sampling=True,
        hard_mixup=True,
        use_cl=True,
        use_cls=True,
        contrastive="sharp",
        positive_reduction="mean",
        loss="logit_adjusted",
        loss_params=None,
        augmentation="deletion_swap",
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
        super().__init__(
            encoder=encoder,
            pooling=pooling,
            max_length=max_length,
            trainable_layers=trainable_layers,
            freeze_encoder=freeze_encoder,
            group_by_length=group_by_length,
            text_col=text_col,
            hidden_layer_sizes=hidden_layer_sizes,
            dropout=dropout,
            batch_size=batch_size,
            max_epochs=max_epochs,
            lr=lr,
            optimizer=optimizer,
            weight_decay=weight_decay,
            class_weight=class_weight,
            deferred_rebalancing=deferred_rebalancing,
            deferred_start=deferred_start,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            max_grad_norm=max_grad_norm,
            mixed_precision=mixed_precision,
            cache_dir=cache_dir,
            device=device,
            callbacks=callbacks,
            accelerator=accelerator,
            random_state=random_state,
            verbose=verbose,
        )
        self.mu = mu
        self.temperature = temperature
        self.k = k
        self.n_positives = n_positives
        self.n_negatives = n_negatives
        self.mixup_alpha = mixup_alpha
        self.projection_dim = projection_dim
        self.simple_sampling = simple_sampling
        self.hard_mixup = hard_mixup
        self.use_cl = use_cl
        self.use_cls = use_cls
        self.contrastive = contrastive
        self.positive_reduction = positive_reduction
        self.loss = loss
        self.loss_params = loss_params
        self.augmentation = augmentation

    def fit(self, X, y, sample_weight=None, X_aug=None):
        """Train the classifier.

        Parameters
        ----------
        X : sequence of str, pandas Series or DataFrame, or array-like of shape \
(n_samples, n_features)
            Texts, or a numeric matrix fed to an MLP body.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative per-sample weights of the classification loss. The
            contrastive loss is one value per batch (its targets mix prototypes
            and synthetic samples) and is not weighted.
        X_aug : same kind as ``X``, optional
            Precomputed second views, one per sample of ``X`` and in the same
            order (e.g. back-translations); overrides ``augmentation``.

        Returns
        -------
        self : object
            The fitted classifier.

        Notes
        -----
        If ``fit`` fails or is interrupted, the estimator keeps the state it had
        before the call (see :class:`~skimbtext.TextClassifier`'s ``fit``).
        """
        if not (self.use_cl or self.use_cls):
            raise ValueError(
                "use_cl=False and use_cls=False leave nothing to train the encoder; "
                "keep at least one of the two branches."
            )
        return self._fit(X, y, sample_weight=sample_weight, X_aug=X_aug)

    # ------------------------------------------------------------------ hooks

    def _second_view_fields(self, X, texts, X_aug):
        if X_aug is not None:
            return self._precomputed_view(X, texts, X_aug)
        if self.augmentation is None or self.augmentation == "dropout":
            return {}
        if texts is None:
            if callable(self.augmentation):
                raise ValueError(
                    "A text augmentation cannot be applied to numeric input; use "
                    "augmentation='dropout' or pass the second view as X_aug."
                )
            return {}  # the module repeats the features with dropout noise
        augmentation = self.augmentation
        if augmentation == "deletion_swap":
            augmentation = RandomDeletionSwap(random_state=self._seed)
        elif augmentation == "substitution":
            augmentation = WordSubstitution(self.encoder, random_state=self._seed)
        return self._encode_texts(augment_texts(texts, augmentation))

    def _precomputed_view(self, X, texts, X_aug):
        if texts is None:
            features = check_array(X_aug, dtype=np.float32, input_name="X_aug")
            expected = (_num_samples(X), self.n_features_in_)
            if features.shape != expected:
                raise ValueError(
                    f"X_aug must have the shape of X, {expected}, got {features.shape}."
                )
            return {"features": np.array(features, dtype=np.float32, order="C")}
        # X_aug may be a plain list of texts even when X is a DataFrame.
        text_col = self.text_col if isinstance(X_aug, pd.DataFrame) else None
        augmented = check_texts(X_aug, text_col=text_col, name="X_aug")
        if len(augmented) != len(texts):
            raise ValueError(
                f"X_aug must hold one text per sample of X ({len(texts)}), got "
                f"{len(augmented)}."
            )
        return self._encode_texts(augmented)

    def _extra_fields(self, X, *, texts, fitting, X_aug=None):
        if not fitting:
            return {}
        fields = self._second_view_fields(X, texts, X_aug)
        return {SECOND_VIEW_PREFIX + name: values for name, values in fields.items()}

    def _build_module(self, body, n_classes):
        # Numeric input and "dropout" repeat the first view; its float features
        # get feature dropout (token ids rely on the encoder's own dropout).
        repeat_view = self.augmentation is not None
        return SharpReCLModule(
            body,
            n_classes,
            dropout=self.dropout,
            projection_dim=self.projection_dim,
            logits=self._logit_kind(),
            use_cl=self.use_cl,
            use_cls=self.use_cls,
            repeat_view=repeat_view,
            view_dropout=self.dropout,
        )

    def _build_criterion(self):
        return SharpReCLLoss(
            class_counts=self.class_counts_,
            classification_loss=self._make_loss(),
            mu=self.mu,
            temperature=self.temperature,
            contrastive=self.contrastive,
            k=self.k,
            n_positives=self.n_positives,
            n_negatives=self.n_negatives,
            mixup_alpha=self.mixup_alpha,
            simple_sampling=self.simple_sampling,
            hard_mixup=self.hard_mixup,
            positive_reduction=self.positive_reduction,
        )

    def _build_callbacks(self):
        if self.use_cl and self.contrastive == "sharp" and self.hard_mixup:
            return [SyntheticShareSchedule()]
        return []

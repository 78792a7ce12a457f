"""TextClassifier: a fine-tuned encoder (or MLP head) with an imbalance-aware loss."""

from ..nn import ClassifierModule
from ._base import LOSS_CONSTRAINTS, BaseTextClassifier
from ._docstrings import fill_shared_parameters


@fill_shared_parameters
class TextClassifier(BaseTextClassifier):
    """Text classifier trained with a loss for imbalanced classes.

    The baseline against which the methods of this package are compared: an encoder
    with a linear head, trained end to end with cross-entropy or one of the
    imbalance losses (logit adjustment, focal, dice, LDAM, class-balanced),
    optionally with deferred re-weighting or re-sampling.

    Texts go through a Hugging Face encoder: fine-tuned, trained in its top
    layers only (``trainable_layers=k``), or frozen (``trainable_layers=0``), in
    which case only an MLP head is trained on cached embeddings. A numeric
    matrix (e.g. precomputed embeddings) goes through an MLP body instead.

    Parameters
    ----------
    loss : str or type, default="ce"
        ``"ce"`` (cross-entropy), ``"logit_adjusted"`` (Menon et al. 2021),
        ``"focal"`` (Lin et al. 2017), ``"dice"`` (Li et al. 2020), ``"ldam"``
        (Cao et al. 2019; uses a cosine head) or ``"class_balanced"`` (Cui et al.
        2019), or an ``nn.Module`` class taking ``(logits, target)``.

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
        Present with ``trainable_layers=0``.
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
        **LOSS_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        loss="ce",
        loss_params=None,
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
        self.loss = loss
        self.loss_params = loss_params

    def _build_module(self, body, n_classes):
        return ClassifierModule(
            body, n_classes, dropout=self.dropout, logits=self._logit_kind()
        )

    def _build_criterion(self):
        return self._make_loss()

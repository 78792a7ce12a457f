"""DCMIClassifier: domain-aware contrastive knowledge transfer for multi-domain
imbalanced learning."""

import warnings
from numbers import Real

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import accuracy_score
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _num_samples, check_is_fitted
from skorch.utils import to_tensor

from ..callbacks._dcmi import DomainMaskAnnealing
from ..encoders import EncodedDataset
from ..losses._dcmi import DCMILoss
from ..nn._dcmi import RELEVANCES, DCMIModule
from ._base import AUTO_LR_MLP, LOSS_CONSTRAINTS, BaseTextClassifier
from ._docstrings import fill_shared_parameters

#: ``mask_lr="auto"`` is this multiple of the heads' learning rate. Adam moves a
#: parameter by about its learning rate per step whatever the gradient's scale, so
#: HAT's gradient compensation (written for SGD) does not speed the domain
#: embeddings up; they start from N(0, 1) and need steps of order 1/100 to change
#: a mask's sign within a fit of a few hundred steps.
AUTO_MASK_LR_FACTOR = 10.0


def _check_domains(domains, n_samples):
    """Validate per-sample domains; return them as a 1-D object array."""
    if isinstance(domains, (str, bytes)):
        raise ValueError(
            "domains must be a sequence with one domain per sample, got a single "
            "string."
        )
    values = domains.to_numpy() if hasattr(domains, "to_numpy") else domains
    values = np.asarray(values, dtype=object)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(
            f"domains must be 1-D (one domain per sample), got shape {values.shape}."
        )
    if values.shape[0] != n_samples:
        raise ValueError(
            f"domains has {values.shape[0]} entries but X has {n_samples} samples."
        )
    missing = pd.isna(values)
    if missing.any():
        position = int(np.flatnonzero(missing)[0])
        raise ValueError(
            f"domains contains a missing value ({values[position]!r}) at position "
            f"{position}; every sample needs a domain."
        )
    return values


#: Column names that look like domains when ``domain_col`` is not set.
DOMAIN_LIKE_COLUMNS = ("domain", "domains")


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _warn_about_domain_columns(X):
    """Warn when a DataFrame holds a domain-like column that fit will not use."""
    if not isinstance(X, pd.DataFrame):
        return
    found = [c for c in X.columns if str(c).lower() in DOMAIN_LIKE_COLUMNS]
    if found:
        warnings.warn(
            f"X has a column {found[0]!r} but domain_col is not set and no domains "
            "were given: DCMIClassifier trains domain-agnostically (all samples "
            f"in one domain). Set domain_col={found[0]!r} to use it.",
            UserWarning,
            stacklevel=3,
        )


@fill_shared_parameters
class DCMIClassifier(BaseTextClassifier):
    """Domain-aware contrastive knowledge transfer for multi-domain imbalanced data.

    DCMI (Domain-aware Contrastive knowledge transfer for Multi-domain Imbalance
    learning) classifies texts that each belong to a domain (e.g. a product
    category) when classes and domains are long-tailed and some domains disagree
    with others. On top of an encoder output ``h`` it learns:

    - a **domain embedding** ``v_j`` per domain and its sigmoid **mask**
      ``m_j = sigmoid(v_j / tau)``; the temperature ``tau`` is annealed at every
      training step (``tau_schedule``) down to ``tau_min``, used at inference, and
      the embeddings' gradient is compensated as in HAT (Serrà et al. 2018);
    - a **supervised head** with dropout on the domain-aware representation
      ``h ⊙ m_j`` of the sample's own domain (``L_sup``); by default one head
      per domain (the paper shares one head: ``head="shared"``);
    - a **domain head** (sigmoid, M outputs) on ``stop_grad(h)``, trained with
      binary cross-entropy against the dataset domain (``L_dom``); in the paper
      its outputs are the relevance ``a_i^j`` of a sample to every domain
      (``relevance="learned"``);
    - a **soft contrastive loss** ``L_con`` between the relevance-weighted average
      of the views ``h ⊙ m_j`` of all domains and each of those views, on
      L2-normalised vectors, with the relevance as soft labels: knowledge is shared
      with relevant domains and kept apart from irrelevant ones. By default
      (``relevance="agreement"``, beyond the paper) a domain is relevant to a
      training sample when the supervised head, reading the sample through that
      domain's mask, gives it its label: domains that agree share mask units,
      domains that reverse each other keep theirs apart.

    The model minimises ``L_sup + lambda_dom * L_dom + lambda_con * L_con``.
    ``L_dom`` updates only the domain head; ``L_con`` updates the domain
    embeddings (and, with ``contrastive_updates_body=True`` as in the paper, the
    encoder too) but not the supervised head; the relevance is a constant in
    ``L_con``. Class imbalance inside domains is handled with deferred re-sampling
    (DRS, Cao et al. 2019) by default, as in the paper.

    **Domains.** Give them as a column of a DataFrame ``X`` (``domain_col``; the
    column is removed before the rest of ``X`` is read, so a DataFrame of numeric
    columns plus the domain column works too), or as ``domains=`` in ``fit``,
    ``predict`` and ``predict_proba``. Fitted without any domain (e.g. plain numeric
    arrays), all samples belong to one implicit domain; a DataFrame column named
    ``domain`` or ``domains`` left unused that way gets a warning. **A domain
    unseen in fit does not raise at prediction** (a warning names it): its samples
    use the relevance-weighted view
    ``sum_j a_j / sum_k a_k * (h ⊙ m_j)`` with the relevance predicted by the
    domain head (with per-domain heads, the default, also the relevance-weighted
    mixture of the heads).

    **Ablations and baselines** (paper Tables 1 and 2) through the same API:

    - DCMI as printed (relevance from the domain head, one shared head, ``L_con``
      moving every mask): ``relevance="learned", head="shared",
      contrastive_mask_updates="all"``;
    - DCMI without ``L_dom``: ``relevance="dataset"``;
    - DCMI without ``L_dom`` and ``L_con``: ``relevance="dataset", lambda_con=0``;
    - without the mask layer, i.e. D-AL (domain-agnostic): ``use_mask=False``;
    - MTL (one head per domain): ``use_mask=False, head="per_domain"``;
    - D-DRS / D-DRW: ``use_mask=False`` with ``deferred_rebalancing="resample"`` /
      ``"reweight"`` (D-AL without rebalancing: ``deferred_rebalancing=None``);
    - D-Focal: ``use_mask=False, loss="focal"``.

    Parameters
    ----------
    domain_col : str, optional
        Column of a DataFrame ``X`` holding the domain of each sample.
    lambda_dom : float, default=4.0
        Weight ``lambda_1`` of the domain classification loss (``>= 0``). Only the
        domain head learns from ``L_dom``, so with Adam any positive value trains
        it alike; with 0 it is not trained and the relevance of unseen domains is
        uninformative. For the paper's "without ``L_dom``" ablation use
        ``relevance="dataset"``.
    lambda_con : float, default=3.0
        Weight ``lambda_2`` of the contrastive loss (``>= 0``); 0 drops ``L_con``.
        ``(lambda_dom, lambda_con)`` default to the paper's pair for rumour
        detection, ``(4, 3)``, the mildest of its three settings (``(50, 6)`` for
        aspect and ``(30, 15)`` for document sentiment, picked by grid search for
        5 epochs of BERT fine-tuning). Tune it on a validation split, as the
        paper did.
    tau_min : float, default=0.0025
        Final mask temperature, in (0, 1]; masks use it at inference.
    tau_schedule : {"epoch", "training"}, default="epoch"
        ``"epoch"``: as in the HAT code of DCMI's first author, the scale
        ``1 / tau`` grows linearly from ``tau_min`` to ``1 / tau_min`` over the
        batches of every epoch. ``"training"``: ``tau`` falls linearly from 1 to
        ``tau_min`` once over all training steps (the paper's wording).
    contrastive_temperature : float, default=1.0
        Temperature ``t`` (``> 0``) dividing the cosines in ``L_con``.
    contrastive_updates_body : bool, default=False
        Whether ``L_con`` trains the encoder too, as the paper prints it. Masks are
        non-negative, so the cosine of two masked views of one ``h`` is at least
        0 and never reaches the target 0 of an irrelevant domain: its gradient
        never vanishes, and through the encoder it squeezes ``h`` into the few
        dimensions that one domain's mask keeps alone, which erases the class
        information (on frozen MiniLM features of the Amazon reviews, the
        effective rank of ``h`` falls from 16 to 5 and DCMI drops below D-AL:
        ``benchmarks/results/defaults_cpu.md``). By default ``L_con`` therefore
        shapes the domain embeddings only, which never collapses the features.
        At a weak weight the paper's routing can help a shared head when
        domains disagree, by making the features domain-specific (synthetic
        reviews with half the domains reversed, TF-IDF features, ``head=
        "shared"``: 0.85 domain-macro AUC with ``lambda_con=0.3`` against 0.78
        without it; the default per-domain heads reach 0.86 without it), but how
        weak depends on the data and the number of domains: search
        ``contrastive_updates_body`` and ``lambda_con`` together on validation
        data.
    contrastive_mask_updates : {"own", "all"}, default="own"
        Which domain embeddings ``L_con`` of a sample updates. ``"own"``
        (beyond the paper): only the sample's own domain's, the other masks
        being constants in its loss (same loss values), so that each mask is
        shaped by its own domain's samples. ``"all"`` (the gradient of the
        paper's loss): every domain's, through the views of all domains; a
        domain's mask then gets ``L_con`` gradient from the samples of every
        domain but supervised gradient from its own samples only, and the mask
        of a small domain that disagrees with the large ones follows them when
        the encoder learns slowly. Measured against ``"all"`` (domain-macro
        AUC, mean over seeds, per-domain heads): the numeric reversed-domain
        problem at lr 5e-5 0.964 against 0.944 (MTL 0.965); MiniLM's top 2
        layers trained on the Amazon reviews 0.819 against 0.820 (domains agree)
        and 0.807 against 0.804 (dvd and kitchen reversed); frozen MiniLM
        features 0.757 against 0.759 and 0.751 against 0.748. With the paper's
        shared head it costs on text with two domains reversed (0.766 against
        0.783 top-2, 0.721 against 0.732 frozen; see the user guide).
    use_mask : bool, default=True
        Use the domain mask layer; False gives domain-agnostic learning (D-AL).
    relevance : {"agreement", "learned", "dataset"}, default="agreement"
        Relevance used in ``L_con`` during training. ``"agreement"`` (beyond
        the paper): a sample's relevance to another domain is the probability
        that the supervised head gives the sample its label when it reads the
        sample through that domain's mask (1 for its own domain). ``"learned"``
        (the paper's): the domain head's sigmoid outputs. ``"dataset"``: the
        one-hot dataset domain (the paper's ablation without ``L_dom``). The
        domain head sees only ``h``, so it cannot tell a domain that reverses
        the labels from one that agrees; agreement can, and ``L_con`` then lets
        agreeing domains share mask units and keeps disagreeing ones apart.
        Measured against ``"learned"`` (domain-macro AUC, mean over seeds, one
        shared head and ``contrastive_mask_updates="all"``):
        frozen MiniLM features on the Amazon reviews 0.791 against 0.785
        (domains agree) and 0.709 against 0.698 (dvd and kitchen reversed),
        better on every seed; MiniLM's top 2 layers trained 0.822 against 0.830
        and 0.783 against 0.767, within the seeds' spread; the numeric
        reversed-domain problem at lr 5e-5 0.928 against 0.885, better on every
        seed (see the user guide). Whatever the choice, the domain head is trained, in
        isolation, and gives the relevance of domains unseen in ``fit``.
    head : {"auto", "shared", "per_domain"}, default="auto"
        One supervised head for all domains (the paper's), or one per domain.
        ``"auto"``: one per domain with the mask layer, one shared without it
        (so that ``use_mask=False`` is domain-agnostic learning and
        ``use_mask=False, head="per_domain"`` multi-task learning). With a
        shared head a domain that reverses the others' decision can do so only
        through mask units of its own, which the encoder must give it; a head
        per domain reverses it directly, and the masks and ``L_con`` still
        share units between agreeing domains. Measured against
        ``head="shared"`` (domain-macro AUC, mean over seeds, with
        ``contrastive_mask_updates="own"``): MiniLM's top 2 layers trained on
        the Amazon reviews, 0.819 against 0.832 with the domains agreeing and
        0.807 against 0.766 with dvd and kitchen reversed (MTL 0.826 and 0.819);
        frozen MiniLM features 0.757 against 0.764 and 0.751 against 0.721;
        the numeric reversed-domain problem at lr 5e-5 0.964 against 0.959
        (see the user guide). Agreeing domains lose up to a point; the
        paper's claim is about the domains that disagree.
    head_dropout : float, default=0.5
        Dropout before the supervised head (paper: 0.5).
    head_lr : float or "auto", default="auto"
        Learning rate of the supervised head(s) and the domain head, which start
        from scratch. ``"auto"`` is ``max(lr, 1e-3)``: an MLP head's rate, also
        when a pretrained encoder is fine-tuned at a small ``lr``. Set it to
        ``lr`` for the paper's single learning rate.
    mask_lr : float or "auto", default="auto"
        Learning rate of the domain embeddings ``v_j``. ``"auto"`` is 10 times
        the heads' rate. HAT's gradient compensation was written for SGD: with
        Adam every parameter moves by about its learning rate per step, so
        embeddings drawn from N(0, 1) and trained at a fine-tuning rate keep the
        random masks they start with, and the masks cannot tell domains apart
        (MiniLM fine-tuned on the Amazon reviews with dvd and kitchen reversed:
        domain-macro AUC 0.78 ± 0.15 with one rate for everything, 0.88 ± 0.02
        with the automatic rates; MTL 0.89 ± 0.02, domain-agnostic 0.71 ± 0.04;
        ``benchmarks/results/dcmi_gpu.md``).
        Set it to ``lr`` for the paper's single learning rate.
    loss : str or type, default="ce"
        Supervised loss ``L_sup``: ``"ce"``, ``"logit_adjusted"``, ``"focal"``,
        ``"dice"``, ``"ldam"`` (with a cosine head) or ``"class_balanced"``, or an
        ``nn.Module`` class taking ``(logits, target)``.
    dropout : float, default=0.1
        Dropout after each hidden layer of the MLP body; the supervised head has
        its own, ``head_dropout``.
    batch_size : int, default=64
        Mini-batch size for training and prediction (paper: 64).
    optimizer : {"adam", "adamw", "sgd"} or torch optimizer class, default="adam"
        The optimiser (paper: Adam).
    weight_decay : float, default=0.0
        Weight decay of the optimiser.
    deferred_rebalancing : {"resample", "reweight"} or None, default="resample"
        Deferred re-sampling (DRS, the paper's choice) or re-weighting (DRW) of
        the classes with class-balanced weights, from ``deferred_start`` on (Cao
        et al. 2019); None disables it.
    max_grad_norm : float or None, default=None
        Clip the gradient norm to this value; None (the default) disables
        clipping. The HAT compensation scales the embeddings' gradient by up to
        ``1 / tau_min``, so a global norm clip would shrink every other gradient
        (the HAT code clips at 10000).
    mixed_precision : bool, default=False
        bfloat16 autocast for the forward pass on CUDA, with the contrastive
        similarities computed in float32; ignored on a CPU.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    domains_ : ndarray of shape (n_domains,) or None
        Sorted domain names seen in ``fit``; None when fitted without domains.
    n_domains_ : int
        Number of training domains (1 without domains).
    domain_masks_ : ndarray of shape (n_domains, width) or None
        Final domain masks ``sigmoid(v_j / tau_min)``, rows in the order of
        ``domains_``; None with ``use_mask=False``.
    class_counts_, class_prior_ : ndarray of shape (n_classes,)
        Training class counts and frequencies.
    net_ : skorch.NeuralNet
        The trained net; ``net_.module_`` is the
        :class:`~skimbtext.nn._dcmi.DCMIModule`, ``net_.history`` records the
        mask temperature of each batch as ``"tau"``.
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
    skimbtext.TextClassifier : the domain-agnostic classifier with imbalance losses.
    skimbtext.metrics.domain_roc_auc_score : domain-macro and micro ROC-AUC.

    Notes
    -----
    The paper fine-tunes BERT-base with [CLS] pooling on texts of up to 128
    tokens, for 5 epochs at a learning rate of 3e-5.

    References
    ----------
    Domain-aware Contrastive Knowledge Transfer for Multi-domain Imbalanced
    Learning (DCMI).
    J. Serrà, D. Surís, M. Miron, A. Karatzoglou. "Overcoming Catastrophic
    Forgetting with Hard Attention to the Task". ICML 2018.
    K. Cao et al. "Learning Imbalanced Datasets with Label-Distribution-Aware Margin
    Loss". NeurIPS 2019.

    Examples
    --------
    >>> import pandas as pd
    >>> from skimbtext import DCMIClassifier
    >>> from skimbtext.datasets import make_multidomain_reviews
    >>> from skimbtext.metrics import domain_roc_auc_score
    >>> reviews = make_multidomain_reviews(200, n_domains=3, random_state=0)
    >>> clf = DCMIClassifier(domain_col="domain", text_col="text",
    ...                      encoder="tiny-bert", trainable_layers=0,
    ...                      max_epochs=5, random_state=0)
    >>> proba = clf.fit(reviews, reviews["label"]).predict_proba(reviews)
    >>> proba.shape, list(clf.domains_)
    ((200, 2), ['books', 'dvd', 'electronics'])
    >>> auc = domain_roc_auc_score(reviews["label"], proba[:, 1], reviews["domain"])
    >>> 0.0 <= auc <= 1.0
    True
    >>> unseen = pd.DataFrame({"text": ["a sturdy rake"], "domain": ["garden"]})
    >>> clf.predict_proba(unseen).shape  # an unseen domain does not raise
    (1, 2)
    """

    _parameter_constraints = {
        **BaseTextClassifier._parameter_constraints,
        "domain_col": [str, None],
        "lambda_dom": [Interval(Real, 0, None, closed="left")],
        "lambda_con": [Interval(Real, 0, None, closed="left")],
        "tau_min": [Interval(Real, 0, 1, closed="right")],
        "tau_schedule": [StrOptions({"epoch", "training"})],
        "contrastive_temperature": [Interval(Real, 0, None, closed="neither")],
        "contrastive_updates_body": ["boolean"],
        "contrastive_mask_updates": [StrOptions({"own", "all"})],
        "use_mask": ["boolean"],
        "relevance": [StrOptions(set(RELEVANCES))],
        "head": [StrOptions({"auto", "shared", "per_domain"})],
        "head_dropout": [Interval(Real, 0, 1, closed="left")],
        **LOSS_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        domain_col=None,
        lambda_dom=4.0,
        lambda_con=3.0,
        tau_min=0.0025,
        tau_schedule="epoch",
        contrastive_temperature=1.0,
        contrastive_updates_body=False,
        contrastive_mask_updates="own",
        use_mask=True,
        relevance="agreement",
        head="auto",
        head_dropout=0.5,
        head_lr="auto",
        mask_lr="auto",
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
        batch_size=64,
        max_epochs="auto",
        lr="auto",
        optimizer="adam",
        weight_decay=0.0,
        class_weight=None,
        deferred_rebalancing="resample",
        deferred_start=0.8,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=3,
        max_grad_norm=None,
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
        self.domain_col = domain_col
        self.lambda_dom = lambda_dom
        self.lambda_con = lambda_con
        self.tau_min = tau_min
        self.tau_schedule = tau_schedule
        self.contrastive_temperature = contrastive_temperature
        self.contrastive_updates_body = contrastive_updates_body
        self.contrastive_mask_updates = contrastive_mask_updates
        self.use_mask = use_mask
        self.relevance = relevance
        self.head = head
        self.head_dropout = head_dropout
        self.head_lr = head_lr
        self.mask_lr = mask_lr
        self.loss = loss
        self.loss_params = loss_params

    # ------------------------------------------------------------------ domains

    def _split_domains(self, X, domains):
        """Return ``(X without the domain column, domains)``."""
        if self.domain_col is None:
            return X, domains
        if domains is not None:
            raise ValueError(
                f"Domains are given twice: domain_col={self.domain_col!r} and "
                "domains=...; pass only one of them."
            )
        if not isinstance(X, pd.DataFrame):
            raise ValueError(
                f"domain_col={self.domain_col!r} is set, but X is a "
                f"{type(X).__name__}, not a pandas DataFrame; pass a DataFrame or "
                "set domain_col=None and give domains=... ."
            )
        if self.domain_col not in X.columns:
            raise ValueError(
                f"domain_col={self.domain_col!r} is not a column of X; its columns "
                f"are {list(X.columns)}."
            )
        return X.drop(columns=[self.domain_col]), X[self.domain_col]

    def _extra_fields(self, X, *, texts, fitting, domains=None):
        n_samples = len(texts) if texts is not None else _num_samples(X)
        if fitting:
            if domains is None:
                self.domains_ = None
                self.n_domains_ = 1
                return {"domain": np.zeros(n_samples, dtype=np.int64)}
            values = _check_domains(domains, n_samples)
            try:
                self.domains_, ids = np.unique(values, return_inverse=True)
            except TypeError as exc:
                raise ValueError(
                    "domains must be of one comparable type (e.g. all strings or "
                    f"all integers): {exc}"
                ) from None
            self.n_domains_ = len(self.domains_)
            return {"domain": ids.astype(np.int64)}
        if self.domains_ is None:
            if domains is not None:
                raise ValueError(
                    f"This {type(self).__name__} was fitted without domains; predict "
                    "without them too."
                )
            return {"domain": np.zeros(n_samples, dtype=np.int64)}
        if domains is None:
            where = (
                "domains=..."
                if self.domain_col is None
                else f"a DataFrame with the column {self.domain_col!r}"
            )
            raise ValueError(
                f"This {type(self).__name__} was fitted with domains; give the "
                f"domain of each sample ({where})."
            )
        values = _check_domains(domains, n_samples)
        # -1 marks a domain unseen in fit.
        ids = pd.Index(self.domains_).get_indexer(values)
        if (ids < 0).any():
            unseen = pd.unique(values[ids < 0])
            shown = ", ".join(repr(_plain(d)) for d in unseen[:5])
            more = f" and {len(unseen) - 5} more" if len(unseen) > 5 else ""
            warnings.warn(
                f"{np.sum(ids < 0)} sample(s) belong to domains unseen in fit "
                f"({shown}{more}); they use the view weighted by the relevance "
                "that the domain head predicts for each of them.",
                UserWarning,
                stacklevel=4,
            )
        return {"domain": ids.astype(np.int64)}

    # ------------------------------------------------------------------ hooks

    def _build_module(self, body, n_classes):
        return DCMIModule(
            body,
            n_classes,
            self.n_domains_,
            use_mask=self.use_mask,
            head=self._head(),
            relevance=self.relevance,
            head_dropout=self.head_dropout,
            logits=self._logit_kind(),
            tau_min=self.tau_min,
            contrastive_updates_body=self.contrastive_updates_body,
            contrastive_mask_updates=self.contrastive_mask_updates,
        )

    def _head(self):
        if self.head == "auto":
            return "per_domain" if self.use_mask else "shared"
        return self.head

    def _build_criterion(self):
        return DCMILoss(
            self._make_loss(),
            lambda_dom=self.lambda_dom,
            # Without masks every view is h: L_con is a constant.
            lambda_con=self.lambda_con if self.use_mask else 0.0,
            temperature=self.contrastive_temperature,
        )

    def _param_groups(self, lr):
        head_lr = max(lr, AUTO_LR_MLP) if self.head_lr == "auto" else self.head_lr
        groups = [("head.*", {"lr": head_lr}), ("domain_head.*", {"lr": head_lr})]
        if self.use_mask:
            mask_lr = (
                AUTO_MASK_LR_FACTOR * head_lr
                if self.mask_lr == "auto"
                else self.mask_lr
            )
            groups.append(("domain_masks.*", {"lr": mask_lr}))
        return groups

    def _build_callbacks(self):
        if not self.use_mask:
            return []
        return [DomainMaskAnnealing(schedule=self.tau_schedule, tau_min=self.tau_min)]

    # ------------------------------------------------------------------ API

    def fit(self, X, y, *, domains=None, sample_weight=None):
        """Train the classifier.

        Parameters
        ----------
        X : texts, DataFrame or array-like of shape (n_samples, n_features)
            Texts (list, array, Series, or the ``text_col`` column of a
            DataFrame), or numeric features (MLP body). With ``domain_col``, a
            DataFrame holding the domains in that column.
        y : array-like of shape (n_samples,)
            Class labels.
        domains : array-like of shape (n_samples,), optional
            Domain of each sample, when not given through ``domain_col``. Without
            any domain all samples share one implicit domain.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative per-sample weights of all three loss terms.

        Returns
        -------
        self : DCMIClassifier

        Notes
        -----
        If ``fit`` fails or is interrupted, the estimator keeps the state it had
        before the call (see :class:`~skimbtext.TextClassifier`'s ``fit``).
        """
        self._validate_params()
        if domains is None and self.domain_col is None:
            _warn_about_domain_columns(X)
        X, domains = self._split_domains(X, domains)
        self._fit(X, y, sample_weight=sample_weight, domains=domains)
        masks = self.net_.module_.domain_masks
        if masks is None:
            self.domain_masks_ = None
        else:
            with torch.no_grad():
                self.domain_masks_ = masks.eval()().cpu().numpy()
        return self

    def _domain_logits(self, X, domains):
        check_is_fitted(self, "net_")
        X, domains = self._split_domains(X, domains)
        return self._forward(X, domains=domains)

    def predict_proba(self, X, domains=None):
        """Class probabilities.

        Parameters
        ----------
        X : texts, DataFrame or array-like of shape (n_samples, n_features)
            Same kind of input as in ``fit``.
        domains : array-like of shape (n_samples,), optional
            Domains, when fitted with domains and not using ``domain_col``. Unseen
            domains use the relevance-weighted view.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        return torch.softmax(self._domain_logits(X, domains), dim=-1).numpy()

    def predict(self, X, domains=None):
        """Predicted class labels.

        Parameters
        ----------
        X : texts, DataFrame or array-like of shape (n_samples, n_features)
            Same kind of input as in ``fit``.
        domains : array-like of shape (n_samples,), optional
            As in :meth:`predict_proba`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        logits = self._domain_logits(X, domains)
        return self.classes_[logits.argmax(dim=-1).numpy()]

    def score(self, X, y, sample_weight=None, domains=None):
        """Accuracy of :meth:`predict` on ``X`` (with ``domains``) against ``y``.

        Parameters
        ----------
        X : texts, DataFrame or array-like of shape (n_samples, n_features)
            Same kind of input as in ``fit``.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), optional
            Sample weights.
        domains : array-like of shape (n_samples,), optional
            As in :meth:`predict_proba`.

        Returns
        -------
        score : float
        """
        return accuracy_score(
            y, self.predict(X, domains=domains), sample_weight=sample_weight
        )

    def domain_representations(self, X, domains=None):
        """Representations before and after the domain-aware layer (for plots).

        The paper's t-SNE figure colours these by domain: the encoder output ``h``
        mixes domains, the domain-aware ``h ⊙ m_j`` separates them.

        Parameters
        ----------
        X : texts, DataFrame or array-like of shape (n_samples, n_features)
            Same kind of input as in ``fit``.
        domains : array-like of shape (n_samples,), optional
            As in :meth:`predict_proba`.

        Returns
        -------
        encoded : ndarray of shape (n_samples, width)
            Encoder output ``h`` (before the mask layer).
        domain_aware : ndarray of shape (n_samples, width)
            ``h ⊙ m_j`` for the sample's domain ``j`` at ``tau_min`` (the
            relevance-weighted view for an unseen domain; ``h`` without masks).
        """
        check_is_fitted(self, "net_")
        X, domains = self._split_domains(X, domains)
        fields, _, texts = self._input_fields(X, fitting=False)
        fields.update(
            self._extra_fields(X, texts=texts, fitting=False, domains=domains)
        )
        module = self.net_.module_.eval()
        encoded, domain_aware = [], []
        with torch.no_grad():
            iterator = self.net_.get_iterator(EncodedDataset(fields), training=False)
            for inputs, _ in iterator:
                inputs = to_tensor(inputs, device=self.device_)
                before, after = module.representations(**inputs)
                encoded.append(before.float().cpu())
                domain_aware.append(after.float().cpu())
        return torch.cat(encoded).numpy(), torch.cat(domain_aware).numpy()

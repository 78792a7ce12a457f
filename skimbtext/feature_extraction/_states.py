"""Token states of a frozen lower encoder, computed once per distinct text.

A classifier that trains only the top layers of a transformer
(``trainable_layers=k``) feeds them the output of the frozen layers below. That
output does not change during a fit, so :func:`lower_layer_states` computes it
once per distinct text before training, and every epoch reuses it.
"""

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from ..callbacks._progress import progress_options
from ..encoders import EncodedDataset, PadCollator, length_order, model_fingerprint
from ..utils._device import out_of_memory_error
from ._cache import EmbeddingCache


def lower_layer_states(
    body,
    tokenizer,
    input_ids,
    *,
    texts=None,
    batch_size=64,
    device="cpu",
    cache_dir=None,
    verbose=0,
):
    """Token states entering the first trainable layer of ``body``, per text.

    Parameters
    ----------
    body : TransformerEncoder
        A body with frozen lower layers (``body.cut > 0``).
    tokenizer : transformers tokenizer
        The body's tokenizer (part of the on-disk cache key).
    input_ids : list of 1-D int arrays
        Token ids of each text, from :func:`~skimbtext.encoders.tokenize`.
    texts : list of str, optional
        The texts themselves, needed with ``cache_dir`` (they key the cache).
    batch_size : int, default=64
        Texts per forward pass.
    device : str or torch.device, default="cpu"
        Where the forward passes run; the states are kept on the CPU.
    cache_dir : str or path-like, optional
        Keep the states in the on-disk store of
        :class:`~skimbtext.feature_extraction.TextEmbedder` too, keyed by the
        model's weights, the cut layer, the tokenizer, the length of the ids and
        the text, so later fits (e.g. in a grid search) read them back.
    verbose : int, default=0
        Show a progress bar when positive.

    Returns
    -------
    states : list of ndarray of shape (n_tokens, hidden_size), dtype float32
        One array per text, of its own token count. Equal token sequences share
        one array.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.encoders import (
    ...     TransformerEncoder, load_encoder_model, load_tokenizer, tokenize)
    >>> from skimbtext.feature_extraction import lower_layer_states
    >>> _ = torch.manual_seed(0)
    >>> tokenizer = load_tokenizer("tiny-bert")
    >>> body = TransformerEncoder(load_encoder_model("tiny-bert"), trainable_layers=1)
    >>> ids = tokenize(tokenizer, ["good movie", "bad", "good movie"], max_length=8)
    >>> states = lower_layer_states(body, tokenizer, ids)
    >>> [s.shape for s in states], states[0] is states[2]
    ([(4, 128), (3, 128), (4, 128)], True)
    """
    keys = [ids.tobytes() for ids in input_ids]
    first = {}
    for position, key in enumerate(keys):
        first.setdefault(key, position)
    distinct = list(first.values())
    if cache_dir is None:
        computed = _compute(
            body,
            tokenizer,
            [input_ids[i] for i in distinct],
            batch_size,
            device,
            verbose,
        )
    else:
        if texts is None:
            raise ValueError("lower_layer_states needs the texts with cache_dir.")
        computed = _cached(
            body,
            tokenizer,
            [input_ids[i] for i in distinct],
            [texts[i] for i in distinct],
            batch_size,
            device,
            cache_dir,
            verbose,
        )
    by_key = dict(zip((keys[i] for i in distinct), computed))
    return [by_key[key] for key in keys]


def _cached(body, tokenizer, input_ids, texts, batch_size, device, cache_dir, verbose):
    fingerprint = model_fingerprint(
        body.model, tokenizer, "lower layer states", body.cut
    )
    cache = EmbeddingCache(cache_dir, fingerprint)
    # A text's states depend on its kept tokens only: key by text and token count
    # (the truncation), so any max_length reuses them.
    keys = cache.keys([f"{len(ids)}\x00{text}" for ids, text in zip(input_ids, texts)])
    stored = cache.get(keys)
    missing = [i for i, key in enumerate(keys) if key not in stored]
    if missing:
        computed = _compute(
            body,
            tokenizer,
            [input_ids[i] for i in missing],
            batch_size,
            device,
            verbose,
        )
        cache.put([keys[i] for i in missing], computed)
        stored.update(zip((keys[i] for i in missing), computed))
    width = body.output_dim
    # Writable copies: the store's buffers are read-only.
    return [stored[key].reshape(-1, width).copy() for key in keys]


def _compute(body, tokenizer, input_ids, batch_size, device, verbose):
    order = length_order(input_ids)
    loader = DataLoader(
        EncodedDataset({"input_ids": input_ids}, order=order),
        batch_size=batch_size,
        collate_fn=PadCollator(tokenizer.pad_token_id),
        # Its own generator: iterating must not draw from torch's global one, or
        # a fit that reads the states from the cache would initialise its head
        # from another seed than the fit that computed them.
        generator=torch.Generator(),
    )
    body.to(device)
    states = [None] * len(input_ids)
    positions = iter(order)
    for inputs, _ in tqdm(loader, desc="lower layers", **progress_options(verbose)):
        inputs = {name: value.to(device) for name, value in inputs.items()}
        try:
            hidden = body.lower_states(**inputs).float().cpu().numpy()
        except torch.OutOfMemoryError as exc:
            raise out_of_memory_error(
                exc, inputs, device=device, during="computing lower-layer states"
            ) from exc
        lengths = inputs["attention_mask"].sum(dim=1).tolist()
        for row, length in zip(hidden, lengths):
            states[next(positions)] = np.ascontiguousarray(row[:length])
    return states

"""From validated inputs to padded mini-batches: tokenisation, dataset, collation."""

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import Dataset


def tokenize(tokenizer, texts, max_length):
    """Tokenise texts once, truncated to ``max_length`` and without padding.

    Padding happens per batch (:class:`PadCollator`), to the longest text of the
    batch rather than to ``max_length``.

    Parameters
    ----------
    tokenizer : transformers tokenizer
        E.g. from :func:`load_tokenizer`.
    texts : iterable of str
        The texts.
    max_length : int
        Longest kept sequence, special tokens included.

    Returns
    -------
    input_ids : list of ndarray of int64
        One array of token ids per text, of its own length.

    Examples
    --------
    >>> from skimbtext.encoders import load_tokenizer, tokenize
    >>> ids = tokenize(load_tokenizer("minilm"), ["good movie",
    ...                "a very good movie indeed"], max_length=5)
    >>> [row.tolist() for row in ids]
    [[101, 2204, 3185, 102], [101, 1037, 2200, 2204, 102]]
    """
    encoded = tokenizer(
        list(texts),
        truncation=True,
        max_length=max_length,
        padding=False,
        return_attention_mask=False,
        return_token_type_ids=False,
    )
    return [np.asarray(ids, dtype=np.int64) for ids in encoded["input_ids"]]


#: Per-sample fields of varying length, padded per batch with a matching mask.
SEQUENCE_FIELDS = ("input_ids", "hidden_states")


class EncodedDataset(Dataset):
    """Samples as dicts of model inputs, with an optional target.

    Parameters
    ----------
    fields : dict of str to sequence
        One entry per model input, each indexable by sample: ``"input_ids"`` (a
        list of 1-D token id arrays of varying length) or fixed-size arrays such
        as ``"features"``, ``"sample_weight"`` or ``"domain"``.
    y : ndarray, optional
        Integer class indices; a dummy target of 0 is returned when absent.
    order : ndarray of int, optional
        Sample positions to expose, in this order (e.g. a training subset or a
        length-sorted order for inference).

    Examples
    --------
    >>> import numpy as np
    >>> from skimbtext.encoders import EncodedDataset
    >>> data = EncodedDataset({"features": np.eye(3, dtype=np.float32)},
    ...                       y=np.array([0, 1, 1]), order=np.array([2, 0]))
    >>> len(data), data[0]
    (2, ({'features': array([0., 0., 1.], dtype=float32)}, np.int64(1)))
    """

    def __init__(self, fields, y=None, order=None):
        self.fields = fields
        self.y = y
        n_samples = len(next(iter(fields.values())))
        self.order = np.arange(n_samples) if order is None else np.asarray(order)

    def __len__(self):
        return len(self.order)

    def __getitem__(self, index):
        position = self.order[index]
        inputs = {name: values[position] for name, values in self.fields.items()}
        target = self.y[position] if self.y is not None else np.int64(0)
        return inputs, target


class PadCollator:
    """Collate ``(inputs, target)`` samples, padding token ids to the batch maximum.

    Every field named ``input_ids`` or ``<prefix>input_ids`` (e.g. a second view,
    ``aug_input_ids``) is padded with ``pad_token_id`` and gets a matching
    ``attention_mask`` / ``<prefix>attention_mask``. Fields named
    ``hidden_states`` (token states of a frozen lower encoder, one
    ``(length, width)`` array per sample) are padded with zeros and get their mask
    the same way. Every other input is stacked.

    Examples
    --------
    >>> import numpy as np
    >>> from skimbtext.encoders import PadCollator
    >>> batch = [({"input_ids": np.array([101, 7, 102])}, 0),
    ...          ({"input_ids": np.array([101, 102])}, 1)]
    >>> inputs, target = PadCollator(pad_token_id=0)(batch)
    >>> inputs["input_ids"].tolist(), inputs["attention_mask"].tolist()
    ([[101, 7, 102], [101, 102, 0]], [[1, 1, 1], [1, 1, 0]])
    """

    def __init__(self, pad_token_id=0):
        self.pad_token_id = pad_token_id

    def __call__(self, samples):
        inputs, targets = zip(*samples)
        batch = {}
        for name in inputs[0]:
            values = [sample[name] for sample in inputs]
            sequence = next((s for s in SEQUENCE_FIELDS if name.endswith(s)), None)
            if sequence is not None:
                prefix = name[: -len(sequence)]
                rows = [torch.from_numpy(value) for value in values]
                padding = self.pad_token_id if sequence == "input_ids" else 0.0
                batch[name] = pad_sequence(
                    rows, batch_first=True, padding_value=padding
                )
                masks = [torch.ones(len(value), dtype=torch.long) for value in rows]
                batch[prefix + "attention_mask"] = pad_sequence(masks, batch_first=True)
            else:
                batch[name] = torch.from_numpy(np.stack(values))
        return batch, torch.from_numpy(np.asarray(targets))


def length_order(input_ids):
    """Positions sorted by token count, so inference batches need little padding.

    Sequences of equal length are ordered by their token ids, so the order (and
    with it every batch) depends on the set of sequences only, not on the order
    they come in: a text gets bitwise the same result however its batch-mates are
    shuffled.

    Parameters
    ----------
    input_ids : sequence of 1-D arrays
        Token ids of each text, e.g. from :func:`tokenize`.

    Returns
    -------
    order : ndarray of int
        Positions from the shortest to the longest sequence.

    Examples
    --------
    >>> import numpy as np
    >>> from skimbtext.encoders import length_order
    >>> ids = [np.arange(3), np.array([5]), np.arange(2), np.array([4])]
    >>> length_order(ids).tolist()
    [3, 1, 2, 0]
    """
    return canonical_order({"input_ids": input_ids})


def _byte_keys(values, n_samples):
    """One fixed-size byte string per sample (numpy void), compared bytewise."""
    rows = np.ascontiguousarray(np.asarray(values).reshape(n_samples, -1))
    if rows.shape[1] == 0:
        return np.zeros(n_samples, dtype=np.int8)
    return rows.view(np.dtype((np.void, rows.shape[1] * rows.itemsize))).ravel()


def _sort_keys(name, values, n_samples):
    """Sort keys of one field, least significant first."""
    if not name.endswith("input_ids"):
        return [_byte_keys(values, n_samples)]
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=n_samples)
    padded = np.full((n_samples, lengths.max(initial=0)), -1, dtype=np.int64)
    padded[np.arange(padded.shape[1]) < lengths[:, None]] = np.concatenate(
        [np.asarray(ids, dtype=np.int64) for ids in values]
    )
    return [_byte_keys(padded, n_samples), lengths]


def canonical_order(fields):
    """Positions in an order that depends only on the samples' contents.

    Floating-point results of a batched forward pass depend on what else is in the
    batch (kernels block and reduce differently), so predicting rows in the order
    they are given would make a row's result depend on that order. Forwarding in
    this order instead makes prediction a function of the set of inputs: the same
    rows in any order give bitwise the same outputs. Token sequences come first in
    the key (shortest first), so that inference batches still need little padding.

    Parameters
    ----------
    fields : dict of str to sequence
        Per-sample model inputs, as given to :class:`EncodedDataset`.

    Returns
    -------
    order : ndarray of int

    Examples
    --------
    >>> import numpy as np
    >>> from skimbtext.encoders import canonical_order
    >>> X = np.array([[1.0, 2.0], [0.5, 1.0], [3.0, 0.0]], dtype=np.float32)
    >>> shuffled = X[[2, 0, 1]]
    >>> bool((X[canonical_order({"features": X})]
    ...       == shuffled[canonical_order({"features": shuffled})]).all())
    True
    """
    names = sorted(fields, key=lambda name: (not name.endswith("input_ids"), name))
    n_samples = len(fields[names[0]]) if names else 0
    order = np.arange(n_samples)
    if n_samples == 0:
        return order
    # Stable sorts from the least to the most significant key: ties keep the
    # order of the less significant keys.
    for name in reversed(names):
        for key in _sort_keys(name, fields[name], n_samples):
            order = order[np.argsort(key[order], kind="stable")]
    return order

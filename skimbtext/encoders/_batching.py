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
    ``attention_mask`` / ``<prefix>attention_mask``; every other input is stacked.

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
            if name.endswith("input_ids"):
                prefix = name[: -len("input_ids")]
                ids = [torch.from_numpy(value) for value in values]
                batch[name] = pad_sequence(
                    ids, batch_first=True, padding_value=self.pad_token_id
                )
                masks = [torch.ones(len(value), dtype=torch.long) for value in ids]
                batch[prefix + "attention_mask"] = pad_sequence(masks, batch_first=True)
            else:
                batch[name] = torch.from_numpy(np.stack(values))
        return batch, torch.from_numpy(np.asarray(targets))


def length_order(input_ids):
    """Positions sorted by token count, so inference batches need little padding.

    Parameters
    ----------
    input_ids : sequence of 1-D arrays
        Token ids of each text, e.g. from :func:`tokenize`.

    Returns
    -------
    order : ndarray of int
        Positions from the shortest to the longest sequence (stable for ties).

    Examples
    --------
    >>> import numpy as np
    >>> from skimbtext.encoders import length_order
    >>> length_order([np.arange(3), np.arange(1), np.arange(2)]).tolist()
    [1, 2, 0]
    """
    return np.argsort([len(ids) for ids in input_ids], kind="stable")

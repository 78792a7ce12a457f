"""Device resolution: the only place where skimbtext picks a device."""

import torch


def resolve_device(device="auto"):
    """Turn a ``device`` parameter into a :class:`torch.device`.

    Parameters
    ----------
    device : str or torch.device, default="auto"
        ``"auto"`` selects CUDA when it is available and the CPU otherwise. Any
        other value is passed to :class:`torch.device` (``"cpu"``, ``"cuda"``,
        ``"cuda:1"``, ...).

    Returns
    -------
    device : torch.device

    Raises
    ------
    ValueError
        If the string does not name a device, or names CUDA on a machine
        without it.

    Examples
    --------
    >>> from skimbtext.utils import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, torch.device):
        resolved = device
    elif device == "auto":
        resolved = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            resolved = torch.device(device)
        except (RuntimeError, TypeError) as exc:
            raise ValueError(
                f"device={device!r} is not a device; use 'auto', 'cpu' or 'cuda'."
            ) from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} asks for CUDA, but CUDA is not available here; "
            "use device='auto' or 'cpu'."
        )
    return resolved


class BatchOutOfMemoryError(torch.OutOfMemoryError):
    """A batch did not fit in the device's memory; the message says what to change.

    Subclass of :class:`torch.OutOfMemoryError` (``torch.cuda.OutOfMemoryError``),
    so code that catches the original keeps working. The original error is its
    ``__cause__``.
    """


def describe_batch(inputs):
    """Describe a batch of model inputs for an error message.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.utils._device import describe_batch
    >>> describe_batch({"input_ids": torch.zeros(32, 128, dtype=torch.long)})
    'a batch of 32 texts of up to 128 tokens'
    >>> describe_batch({"features": torch.zeros(8, 384)})
    'a batch of 8 samples'
    """
    if isinstance(inputs, dict):
        if "input_ids" in inputs and getattr(inputs["input_ids"], "ndim", 0) == 2:
            n_texts, n_tokens = inputs["input_ids"].shape
            return f"a batch of {n_texts} texts of up to {n_tokens} tokens"
        inputs = next(iter(inputs.values()), None)
    if isinstance(inputs, torch.Tensor) and inputs.ndim:
        return f"a batch of {inputs.shape[0]} samples"
    return "a batch"


def out_of_memory_error(exc, inputs, *, device, during, advice=""):
    """Turn a raw out-of-memory error into a :class:`BatchOutOfMemoryError`.

    Parameters
    ----------
    exc : torch.OutOfMemoryError
        The original error.
    inputs : dict of str to tensor
        The model inputs of the batch.
    device : str or torch.device
        Where the batch ran.
    during : str
        What was running, e.g. ``"training (epoch 2, batch 5)"``.
    advice : str, optional
        Further remedies, appended to the advice on ``batch_size`` and
        ``max_length``.

    Returns
    -------
    error : BatchOutOfMemoryError
        Raise it ``from exc``.
    """
    original = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return BatchOutOfMemoryError(
        f"{device} ran out of memory on {describe_batch(inputs)} during {during}. "
        "Lower batch_size (or max_length, which caps the tokens per text)"
        f"{'; ' + advice if advice else ''}. (torch: {original})"
    )

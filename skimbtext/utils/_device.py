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

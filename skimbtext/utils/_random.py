"""Seeding from ``random_state``: the only place where skimbtext touches torch's RNG."""

from contextlib import contextmanager

import numpy as np
import torch
from sklearn.utils import check_random_state


def draw_seed(random_state):
    """Draw a 31-bit integer seed from a ``random_state`` parameter.

    Parameters
    ----------
    random_state : int, RandomState instance or None
        As in scikit-learn. ``None`` draws from numpy's global generator.

    Returns
    -------
    seed : int

    Examples
    --------
    >>> from skimbtext.utils import draw_seed
    >>> draw_seed(0) == draw_seed(0)
    True
    """
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextmanager
def torch_random_context(seed, device=None):
    """Run a block with torch's global generators seeded, then restore them.

    Module initialisation and dropout draw from torch's global generators. Forking
    them (:func:`torch.random.fork_rng`) makes a fit repeatable from ``seed``
    without leaving the caller's generators changed.

    Parameters
    ----------
    seed : int
        Seed for the CPU generator (and the CUDA generator of ``device``).
    device : torch.device, optional
        When a CUDA device, its generator is forked and seeded too.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.utils import torch_random_context
    >>> with torch_random_context(0):
    ...     a = torch.rand(2)
    >>> with torch_random_context(0):
    ...     b = torch.rand(2)
    >>> bool(torch.equal(a, b))
    True
    """
    cuda_devices = []
    if device is not None and torch.device(device).type == "cuda":
        cuda_devices = [torch.device(device)]
    with torch.random.fork_rng(devices=cuda_devices, device_type="cuda"):
        torch.manual_seed(seed)
        yield


def make_generator(seed):
    """Return a CPU :class:`torch.Generator` seeded with ``seed``.

    Examples
    --------
    >>> from skimbtext.utils import make_generator
    >>> make_generator(3).initial_seed()
    3
    """
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator

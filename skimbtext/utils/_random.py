"""Seeding from ``random_state``: the only place where skimbtext touches torch's RNG."""

import threading
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


def epoch_seed(seed, epoch):
    """Seed of one training epoch of a fit seeded with ``seed``.

    Each epoch draws its shuffling and dropout from its own seed (as
    :class:`torch.utils.data.DistributedSampler` does with ``seed + epoch``), so an
    epoch is repeatable on its own: a fit resumed from a checkpoint continues as
    the uninterrupted fit would have.

    Parameters
    ----------
    seed : int
        Seed of the fit.
    epoch : int
        Epoch number.

    Returns
    -------
    seed : int
        A 31-bit seed.

    Examples
    --------
    >>> from skimbtext.utils._random import epoch_seed
    >>> epoch_seed(0, 1) == epoch_seed(0, 1), epoch_seed(0, 1) == epoch_seed(0, 2)
    (True, False)
    """
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0] >> 1)


def seed_torch(seed):
    """Seed torch's global CPU and CUDA generators.

    Call it inside :func:`torch_random_context`, which restores the caller's state.
    """
    torch.manual_seed(seed)


# torch's global generators are shared by all threads: seeded blocks running in
# parallel threads (joblib's threading backend) would interleave their draws.
_GLOBAL_RNG_LOCK = threading.RLock()


@contextmanager
def torch_random_context(seed, device=None):
    """Run a block with torch's global generators seeded, then restore them.

    Module initialisation and dropout draw from torch's global generators. Forking
    them (:func:`torch.random.fork_rng`) makes a fit repeatable from ``seed``
    without leaving the caller's generators changed. Since these generators are
    global to the process, blocks in different threads take turns (a re-entrant
    lock): fits in threads stay repeatable, but do not run in parallel; use
    processes (joblib's default ``loky`` backend) for parallel fits.

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
    with (
        _GLOBAL_RNG_LOCK,
        torch.random.fork_rng(devices=cuda_devices, device_type="cuda"),
    ):
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

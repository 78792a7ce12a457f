"""Torch parts of MISO (mutual-information constrained semantic oversampling).

The shared encoder maps minority (``Q``) and majority (``K``) inputs to sequences of
``d``-dimensional states; the semantic fusion module (SFM) mixes them into ``Q̄``;
two MINE critics score ``(Q, Q̄)`` and ``(K, Q̄)``; the coupled adversarial generator
(CAG) has a minority decoder conditioned on the disentangled latent, a majority
decoder and two single-hidden-layer discriminators.

Two input kinds share every part but the ends: token sequences (a compact
vocabulary of the training texts; GRU encoder and decoders, Gumbel-softmax
relaxation for the discriminators) and numeric vectors (one-step "sequences";
MLP decoders of an offset added to the source vector). No device, seeding or
training loop here.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "MINECritic",
    "MISONetwork",
    "SemanticFusion",
    "SequenceDiscriminator",
    "TokenDecoder",
    "TokenEncoder",
    "VectorDecoder",
    "VectorDiscriminator",
    "VectorEncoder",
    "masked_mean",
    "repeated_ngram_mask",
]


def masked_mean(states, mask):
    """Mean of ``states`` (B, L, d) over the positions where ``mask`` (B, L) is 1."""
    weights = mask.to(states.dtype).unsqueeze(-1)
    return (states * weights).sum(1) / weights.sum(1).clamp_min(1.0)


def _pad_to(states, mask, length):
    """Right-pad (B, L, d) states and their (B, L) mask to ``length`` positions."""
    missing = length - states.shape[1]
    if missing == 0:
        return states, mask
    return F.pad(states, (0, 0, 0, missing)), F.pad(mask, (0, missing))


class TokenEncoder(nn.Module):
    """Shared text encoder: token and position embeddings, then a GRU.

    Parameters
    ----------
    vocab_size : int
        Size of the compact vocabulary (index 0 is padding).
    latent_dim : int
        Width ``d`` of the token states.
    max_length : int
        Longest sequence (for the position embeddings).
    """

    def __init__(self, vocab_size, latent_dim, max_length):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, latent_dim, padding_idx=0)
        self.position_embedding = nn.Embedding(max_length, latent_dim)
        self.recurrent = nn.GRU(latent_dim, latent_dim, batch_first=True)

    def forward(self, input_ids, attention_mask):
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        embedded = self.token_embedding(input_ids) + self.position_embedding(positions)
        states, _ = self.recurrent(embedded)
        return states * attention_mask.unsqueeze(-1).to(states.dtype), attention_mask


class VectorEncoder(nn.Module):
    """Shared encoder for numeric input: a vector becomes a one-step sequence."""

    def __init__(self, n_features, latent_dim):
        super().__init__()
        self.projection = nn.Linear(n_features, latent_dim)

    def forward(self, features):
        states = torch.tanh(self.projection(features)).unsqueeze(1)
        mask = torch.ones(states.shape[:2], dtype=torch.long, device=states.device)
        return states, mask


class SemanticFusion(nn.Module):
    """Semantic fusion module: ``Q̄ = [softmax(QKᵀ/√τ) Q] · softmax(QᵀK/√τ)`` per head.

    ``Q`` (difficult minority) and ``K`` (majority) are padded to a common length
    ``L`` and split into ``n_heads`` heads of width ``d / n_heads``. The first
    softmax (``L × L``, over the majority positions, padding masked) spreads
    minority states along the positions where the two texts align; the second
    (``d_h × d_h``, over feature columns) mixes feature channels by their
    minority–majority correlation. The temperature τ = #majority / #minority
    widens both softmaxes when the imbalance is high.

    The concatenated heads pass a feed-forward layer that is added back to
    ``Q`` and layer-normalised, as in a Transformer block:
    ``LayerNorm(Q + FF(heads))``. Without that residual path the fused states
    hold almost nothing of the minority text at high imbalance (at τ ≈ 100
    both softmaxes are nearly uniform, so every position becomes the same
    average), and a decoder reading them writes one text whatever its source.

    Parameters
    ----------
    latent_dim : int
        Width ``d``; a multiple of ``n_heads``.
    n_heads : int
        Number of heads ``h``.
    """

    def __init__(self, latent_dim, n_heads):
        super().__init__()
        if latent_dim % n_heads:
            raise ValueError(
                f"latent_dim={latent_dim} must be a multiple of n_heads={n_heads}."
            )
        self.n_heads = n_heads
        self.feed_forward = nn.Sequential(
            nn.Linear(latent_dim, latent_dim),
            nn.ReLU(),
            nn.Linear(latent_dim, latent_dim),
        )
        self.norm = nn.LayerNorm(latent_dim)

    def _heads(self, states):
        batch, length, width = states.shape
        return states.view(
            batch, length, self.n_heads, width // self.n_heads
        ).transpose(1, 2)

    def attention(self, query, query_mask, key, key_mask, temperature):
        """The paper's two-softmax fusion, heads concatenated: (B, L, d) and mask.

        Both inputs are padded to their common length ``L`` first.
        """
        length = max(query.shape[1], key.shape[1])
        query, query_mask = _pad_to(query, query_mask, length)
        key, key_mask = _pad_to(key, key_mask, length)
        q, k = self._heads(query), self._heads(key)  # (B, h, L, d_h)
        scale = math.sqrt(temperature)
        position_scores = q @ k.transpose(-1, -2) / scale  # QKᵀ/√τ: (B, h, L, L)
        position_scores = position_scores.masked_fill(
            ~key_mask.bool()[:, None, None, :], float("-inf")
        )
        position_weights = torch.softmax(position_scores, dim=-1)
        channel_weights = torch.softmax(q.transpose(-1, -2) @ k / scale, dim=-1)
        fused = (position_weights @ q) @ channel_weights  # (B, h, L, d_h)
        return fused.transpose(1, 2).reshape(query.shape), query_mask

    def forward(self, query, query_mask, key, key_mask, temperature):
        heads, mask = self.attention(query, query_mask, key, key_mask, temperature)
        query, _ = _pad_to(query, query_mask, heads.shape[1])
        fused = self.norm(query + self.feed_forward(heads))
        return fused * mask.unsqueeze(-1).to(fused.dtype), mask


class MINECritic(nn.Module):
    """Statistics network ``T(a, b)`` of MINE: an MLP on the concatenated pair."""

    def __init__(self, latent_dim, hidden_size=100):
        super().__init__()
        self.network = nn.Sequential(
            nn.Linear(2 * latent_dim, hidden_size),
            nn.ELU(),
            nn.Linear(hidden_size, hidden_size),
            nn.ELU(),
            nn.Linear(hidden_size, 1),
        )

    def forward(self, first, second):
        return self.network(torch.cat([first, second], dim=-1)).squeeze(-1)


class TokenDecoder(nn.Module):
    """Autoregressive GRU decoder conditioned on a latent and attending to states.

    The latent ``z`` sets the initial state and is fed at every step next to the
    previous token's embedding. Each recurrent state then attends (dot-product
    attention, Luong et al., 2015) over ``memory`` — the fused minority states
    ``Q̄`` or the majority states ``K`` — and the output layer reads the state
    with its context. Without that attention one pooled vector has to carry a
    whole text, and the decoder falls back on writing the most frequent one.
    The context is not fed back into the recurrence, so teacher-forced
    decoding runs the whole sequence through the GRU in one call.

    The previous token is either the true one (teacher forcing,
    :meth:`forward`), a Gumbel-softmax relaxation of the last output
    (:meth:`relaxed`, differentiable, for the discriminators) or the arg-max
    (:meth:`greedy`, for generation).

    Parameters
    ----------
    vocab_size : int
        Size of the compact vocabulary (index 0 is padding).
    latent_dim : int
        Width ``d`` of the latent, the memory and the recurrent state.
    """

    def __init__(self, vocab_size, latent_dim):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, latent_dim, padding_idx=0)
        self.initial_state = nn.Linear(latent_dim, latent_dim)
        self.recurrent = nn.GRU(2 * latent_dim, latent_dim, batch_first=True)
        self.attention_query = nn.Linear(latent_dim, latent_dim, bias=False)
        self.output = nn.Linear(2 * latent_dim, vocab_size)

    def _run(self, embedded, latent, memory, memory_mask, state):
        """Logits (B, T, V) and the last state for T input embeddings."""
        steps = embedded.shape[1]
        inputs = torch.cat([embedded, latent.unsqueeze(1).expand(-1, steps, -1)], -1)
        states, state = self.recurrent(inputs, state)
        scores = self.attention_query(states) @ memory.transpose(1, 2)  # (B, T, L)
        scores = scores.masked_fill(~memory_mask.bool()[:, None, :], float("-inf"))
        context = torch.softmax(scores, dim=-1) @ memory
        return self.output(torch.cat([states, context], dim=-1)), state

    def _initial_state(self, latent):
        return torch.tanh(self.initial_state(latent)).unsqueeze(0)

    def _free_running(self, latent, memory, memory_mask, start_index, n_steps, emit):
        """Decode ``n_steps`` tokens, each step's input chosen by ``emit``."""
        start = torch.full(
            (latent.shape[0], 1), start_index, dtype=torch.long, device=latent.device
        )
        step_input = self.token_embedding(start)
        state = self._initial_state(latent)
        outputs = []
        for step in range(n_steps):
            logits, state = self._run(step_input, latent, memory, memory_mask, state)
            next_embedding, emitted = emit(step, logits[:, 0])
            step_input = next_embedding.unsqueeze(1)
            outputs.append(emitted)
        return torch.stack(outputs, dim=1)

    def forward(self, latent, memory, memory_mask, input_ids):
        """Teacher-forced logits (B, T, V) for the next token at each position."""
        logits, _ = self._run(
            self.token_embedding(input_ids),
            latent,
            memory,
            memory_mask,
            self._initial_state(latent),
        )
        return logits

    def relaxed(
        self, latent, memory, memory_mask, start_index, n_steps, temperature=1.0
    ):
        """Free-running soft one-hot tokens (B, n_steps, V) by Gumbel-softmax."""

        def emit(step, logits):
            soft_tokens = F.gumbel_softmax(logits, tau=temperature, dim=-1)
            return soft_tokens @ self.token_embedding.weight, soft_tokens

        return self._free_running(
            latent, memory, memory_mask, start_index, n_steps, emit
        )

    def greedy(
        self,
        latent,
        memory,
        memory_mask,
        start_index,
        n_steps,
        banned,
        first_banned,
        no_repeat_ngram_size=0,
    ):
        """Arg-max decoding (B, n_steps) of token indices.

        ``banned`` indices (padding, special tokens) are never emitted; the
        ``first_banned`` ones (the end token) are not emitted at the first step,
        so every decode holds at least one real token. With
        ``no_repeat_ngram_size=n > 0`` no n-gram of tokens appears twice in a
        decode (as in Hugging Face's ``generate``), and no token follows two
        copies of itself (a trigram ban alone lets "firms firms firms" through
        once): greedy decoding otherwise tends to loop on a phrase or a word.
        """
        emitted = []

        def emit(step, logits):
            logits = logits.masked_fill(banned, float("-inf"))
            if step == 0:
                logits = logits.masked_fill(first_banned, float("-inf"))
            if no_repeat_ngram_size and emitted:
                repeats = repeated_ngram_mask(
                    torch.stack(emitted, dim=1), no_repeat_ngram_size, logits.shape[-1]
                )
                logits = logits.masked_fill(repeats, float("-inf"))
            if no_repeat_ngram_size and len(emitted) >= 2:
                last, before = emitted[-1], emitted[-2]
                tripled = torch.zeros_like(logits, dtype=torch.bool)
                tripled.scatter_(1, last.unsqueeze(1), (last == before).unsqueeze(1))
                logits = logits.masked_fill(tripled, float("-inf"))
            tokens = logits.argmax(dim=-1)
            emitted.append(tokens)
            return self.token_embedding(tokens), tokens

        return self._free_running(
            latent, memory, memory_mask, start_index, n_steps, emit
        )


def repeated_ngram_mask(tokens, n, vocab_size):
    """Mask (B, V) of the next tokens that would repeat an n-gram of ``tokens``.

    ``tokens`` (B, t) holds what each row emitted so far; a next token ``v`` is
    masked when the last ``n − 1`` tokens followed by ``v`` already occur.

    Examples
    --------
    >>> import torch
    >>> from skimbtext.nn import repeated_ngram_mask
    >>> mask = repeated_ngram_mask(torch.tensor([[5, 6, 7, 5, 6]]), 3, 10)
    >>> mask[0].nonzero().flatten().tolist()  # "5 6" was followed by 7
    [7]
    """
    batch, length = tokens.shape
    mask = torch.zeros(batch, vocab_size, dtype=torch.bool, device=tokens.device)
    if length < n:
        return mask
    windows = tokens.unfold(1, n, 1)  # (B, t − n + 1, n)
    prefix = tokens[:, length - n + 1 :]  # the last n − 1 tokens
    match = (windows[..., :-1] == prefix[:, None, :]).all(dim=-1)
    counts = torch.zeros(batch, vocab_size, dtype=torch.long, device=tokens.device)
    counts.scatter_add_(1, windows[..., -1], match.long())
    return counts > 0


class VectorDecoder(nn.Module):
    """MLP decoder from the latent to an offset of the numeric source vector.

    A numeric sample is written as its source plus this offset
    (``x̂ = x + FF(z)``), so generated vectors start on the data and stay near
    it: a decoder that had to rebuild a whole embedding from a 64-wide latent
    regresses toward the class mean, off the data's scale and manifold. The
    last layer starts at zero, so an untrained decoder writes its source back.
    """

    def __init__(self, latent_dim, n_features, hidden_size):
        super().__init__()
        self.network = nn.Sequential(
            nn.Linear(latent_dim, hidden_size),
            nn.ReLU(),
            nn.Linear(hidden_size, n_features),
        )
        nn.init.zeros_(self.network[-1].weight)
        nn.init.zeros_(self.network[-1].bias)

    def forward(self, latent, memory=None, memory_mask=None):
        """Offsets (B, n_features) to add to the sources; a vector has no
        states to attend to, so ``memory`` is ignored."""
        return self.network(latent)


class SequenceDiscriminator(nn.Module):
    """Single-hidden-layer discriminator on (soft) one-hot token sequences.

    A sequence of token distributions (B, T, V) — one-hot for real texts,
    Gumbel-softmax samples for generated ones — is embedded linearly,
    mean-pooled over its positions and scored by one hidden ReLU layer.
    """

    def __init__(self, vocab_size, latent_dim, hidden_size):
        super().__init__()
        self.embedding = nn.Linear(vocab_size, latent_dim, bias=False)
        self.hidden = nn.Linear(latent_dim, hidden_size)
        self.output = nn.Linear(hidden_size, 1)

    def forward(self, token_distributions, mask):
        pooled = masked_mean(self.embedding(token_distributions), mask)
        return self.output(torch.relu(self.hidden(pooled))).squeeze(-1)


class VectorDiscriminator(nn.Module):
    """Single-hidden-layer discriminator on numeric vectors."""

    def __init__(self, n_features, hidden_size):
        super().__init__()
        self.hidden = nn.Linear(n_features, hidden_size)
        self.output = nn.Linear(hidden_size, 1)

    def forward(self, features, mask=None):
        return self.output(torch.relu(self.hidden(features))).squeeze(-1)


class MISONetwork(nn.Module):
    """All MISO parts for one minority class, grouped for the three optimisers.

    Parameter groups: :attr:`generator_parameters` (shared encoder, SFM, the
    pre-training fusion ``FF([K;Q])``, the latent layer and both decoders),
    :attr:`discriminator_parameters` and :attr:`critic_parameters`.

    Parameters
    ----------
    input_kind : {"text", "numeric"}
        Token sequences or numeric vectors.
    input_size : int
        Compact vocabulary size (text) or number of features (numeric).
    latent_dim : int, default=64
        Width ``d`` of every representation.
    n_heads : int, default=8
        SFM heads.
    max_length : int, default=32
        Longest token sequence (text).
    hidden_size : int, default=100
        Hidden width of the critics, the discriminators and numeric decoders.
    temperature : float, default=1.0
        τ = #majority / #minority of the SFM.
    """

    def __init__(
        self,
        input_kind,
        input_size,
        *,
        latent_dim=64,
        n_heads=8,
        max_length=32,
        hidden_size=100,
        temperature=1.0,
    ):
        super().__init__()
        self.input_kind = input_kind
        self.temperature = temperature
        if input_kind == "text":
            self.encoder = TokenEncoder(input_size, latent_dim, max_length)
            self.minority_decoder = TokenDecoder(input_size, latent_dim)
            self.majority_decoder = TokenDecoder(input_size, latent_dim)
            self.minority_discriminator = SequenceDiscriminator(
                input_size, latent_dim, hidden_size
            )
            self.majority_discriminator = SequenceDiscriminator(
                input_size, latent_dim, hidden_size
            )
        else:
            self.encoder = VectorEncoder(input_size, latent_dim)
            self.minority_decoder = VectorDecoder(latent_dim, input_size, hidden_size)
            self.majority_decoder = VectorDecoder(latent_dim, input_size, hidden_size)
            self.minority_discriminator = VectorDiscriminator(input_size, hidden_size)
            self.majority_discriminator = VectorDiscriminator(input_size, hidden_size)
        self.fusion = SemanticFusion(latent_dim, n_heads)
        # Stand-in for the SFM while it is frozen in pre-training,
        # Q̃ = LayerNorm(Q + FF([K;Q])): the same residual form as the SFM, so
        # the decoders meet states of the same kind when the SFM takes over.
        self.pretrain_fusion = nn.Sequential(
            nn.Linear(2 * latent_dim, latent_dim),
            nn.ReLU(),
            nn.Linear(latent_dim, latent_dim),
        )
        self.pretrain_norm = nn.LayerNorm(latent_dim)
        # Paper step (5): the feed-forward layer from Q̄ to the decoder's latent z.
        self.latent = nn.Linear(latent_dim, latent_dim)
        self.positive_critic = MINECritic(latent_dim, hidden_size)  # T₊: I(Q; Q̄)
        self.negative_critic = MINECritic(latent_dim, hidden_size)  # T₋: I(K; Q̄)

    @property
    def discriminator_parameters(self):
        return [
            *self.minority_discriminator.parameters(),
            *self.majority_discriminator.parameters(),
        ]

    @property
    def critic_parameters(self):
        return [
            *self.positive_critic.parameters(),
            *self.negative_critic.parameters(),
        ]

    @property
    def generator_parameters(self):
        others = {id(p) for p in self.discriminator_parameters + self.critic_parameters}
        return [p for p in self.parameters() if id(p) not in others]

    def encode(self, inputs, prefix=""):
        """Shared encoder on ``<prefix>input_ids`` or ``<prefix>features``."""
        if self.input_kind == "text":
            return self.encoder(
                inputs[prefix + "input_ids"], inputs[prefix + "attention_mask"]
            )
        return self.encoder(inputs[prefix + "features"])

    def fuse_pretrain(self, query, query_mask, key, key_mask):
        """``Q̃ = LayerNorm(Q + FF([K;Q]))`` position by position, at the common
        length."""
        length = max(query.shape[1], key.shape[1])
        query, query_mask = _pad_to(query, query_mask, length)
        key, _ = _pad_to(key, key_mask, length)
        fused = self.pretrain_fusion(torch.cat([key, query], dim=-1))
        fused = self.pretrain_norm(query + fused)
        return fused * query_mask.unsqueeze(-1).to(fused.dtype), query_mask

    def fuse(self, query, query_mask, key, key_mask):
        """``Q̄`` from the SFM at the network's temperature τ."""
        return self.fusion(query, query_mask, key, key_mask, self.temperature)

    def minority_condition(self, fused, fused_mask):
        """What the minority decoder reads: ``(z, Q̄, mask)``.

        ``z`` is the latent layer on the pooled fused states; the decoder also
        attends over the fused states themselves.
        """
        return self.latent(masked_mean(fused, fused_mask)), fused, fused_mask

    @staticmethod
    def majority_condition(key, key_mask):
        """What the majority decoder reads: ``(mean of K, K, mask)``."""
        return masked_mean(key, key_mask), key, key_mask

    def forward(self, **inputs):
        """Pooled ``(Q, Q̄, K)`` of a batch of (minority, majority) pairs."""
        query, query_mask = self.encode(inputs)
        key, key_mask = self.encode(inputs, prefix="majority_")
        fused, fused_mask = self.fuse(query, query_mask, key, key_mask)
        return (
            masked_mean(query, query_mask),
            masked_mean(fused, fused_mask),
            masked_mean(key, key_mask),
        )

"""MISO torch parts: semantic fusion module, decoders, parameter groups."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from skimbtext.nn import repeated_ngram_mask
from skimbtext.nn._miso import (
    MINECritic,
    MISONetwork,
    SemanticFusion,
    SequenceDiscriminator,
    TokenDecoder,
    TokenEncoder,
    VectorDecoder,
    VectorDiscriminator,
    VectorEncoder,
    masked_mean,
)


def _reference_fusion(query, key, n_heads, temperature):
    """Q̄ per head, written out without batching: [softmax(QKᵀ/√τ) Q] softmax(QᵀK/√τ)."""
    heads = []
    width = query.shape[-1] // n_heads
    for head in range(n_heads):
        q = query[:, head * width : (head + 1) * width]
        k = key[:, head * width : (head + 1) * width]
        positions = torch.softmax(q @ k.T / math.sqrt(temperature), dim=-1)
        channels = torch.softmax(q.T @ k / math.sqrt(temperature), dim=-1)
        heads.append(positions @ q @ channels)
    return torch.cat(heads, dim=-1)


@pytest.fixture
def fusion():
    torch.manual_seed(0)
    return SemanticFusion(latent_dim=8, n_heads=2).attention


def test_fusion_pads_to_a_common_length_and_masks_query_padding():
    fusion = SemanticFusion(latent_dim=8, n_heads=2)
    query = torch.randn(3, 4, 8)
    key = torch.randn(3, 6, 8)
    query_mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]])
    key_mask = torch.ones(3, 6, dtype=torch.long)
    fused, mask = fusion(query, query_mask, key, key_mask, temperature=2.0)
    assert fused.shape == (3, 6, 8)
    assert mask.shape == (3, 6)
    assert mask[:, 4:].sum() == 0
    assert torch.all(fused[1, 2:] == 0)


@pytest.mark.parametrize("temperature", [1.0, 9.0])
def test_fusion_matches_the_formula_at_temperature_tau(fusion, temperature):
    query = torch.randn(1, 5, 8)
    key = torch.randn(1, 5, 8)
    mask = torch.ones(1, 5, dtype=torch.long)
    fused, _ = fusion(query, mask, key, mask, temperature=temperature)
    expected = _reference_fusion(query[0], key[0], n_heads=2, temperature=temperature)
    torch.testing.assert_close(fused[0], expected)


def test_higher_temperature_flattens_the_attention(fusion):
    # τ → ∞ gives uniform softmaxes: every position the mean of Q, times 1/d_h.
    query = torch.randn(1, 5, 8)
    key = torch.randn(1, 5, 8)
    mask = torch.ones(1, 5, dtype=torch.long)
    cold, _ = fusion(query, mask, key, mask, temperature=1.0)
    hot, _ = fusion(query, mask, key, mask, temperature=1e12)
    limit = query[0].view(5, 2, 4).mean(0).sum(-1, keepdim=True).expand(2, 4) / 4
    torch.testing.assert_close(hot[0], limit.reshape(1, 8).expand(5, 8))
    assert not torch.allclose(cold, hot)


def test_fusion_ignores_padded_majority_positions(fusion):
    query = torch.randn(1, 3, 8)
    key = torch.randn(1, 3, 8)
    padded_key = torch.cat([key, torch.full((1, 2, 8), 100.0)], dim=1)
    full = torch.ones(1, 3, dtype=torch.long)
    padded_mask = torch.tensor([[1, 1, 1, 0, 0]])
    fused, _ = fusion(query, full, key, full, temperature=3.0)
    fused_padded, _ = fusion(
        query, full, padded_key * padded_mask[..., None], padded_mask, temperature=3.0
    )
    torch.testing.assert_close(fused_padded[:, :3], fused)


def test_fused_states_add_the_attention_back_to_the_minority_states():
    torch.manual_seed(0)
    module = SemanticFusion(latent_dim=8, n_heads=2)
    query, key = torch.randn(2, 5, 8), torch.randn(2, 5, 8)
    mask = torch.ones(2, 5, dtype=torch.long)
    fused, _ = module(query, mask, key, mask, temperature=100.0)
    heads, _ = module.attention(query, mask, key, mask, temperature=100.0)
    # LayerNorm(Q + FF(heads)), FF = Linear, ReLU, Linear as in a Transformer block.
    first, _, second = module.feed_forward
    feed_forward = second(torch.relu(first(heads)))
    torch.testing.assert_close(fused, module.norm(query + feed_forward))


def test_fused_states_tell_minority_texts_apart_at_high_imbalance():
    # At τ = 100 the attention alone maps every position to about the same
    # average; the residual path keeps what distinguishes two minority texts.
    torch.manual_seed(0)
    module = SemanticFusion(latent_dim=8, n_heads=2)
    query = torch.randn(2, 5, 8)
    key = torch.randn(1, 5, 8).expand(2, 5, 8)
    mask = torch.ones(2, 5, dtype=torch.long)
    heads, _ = module.attention(query, mask, key, mask, temperature=1e4)
    fused, _ = module(query, mask, key, mask, temperature=1e4)
    spread = heads.std(dim=1).mean()
    assert spread < 0.05 * query.std(dim=1).mean()
    assert (fused[0] - fused[1]).abs().mean() > 0.5


def test_fusion_needs_width_divisible_by_heads():
    with pytest.raises(ValueError, match="multiple of n_heads"):
        SemanticFusion(latent_dim=10, n_heads=3)


def test_greedy_decoding_avoids_banned_tokens_and_early_end():
    torch.manual_seed(0)
    decoder = TokenDecoder(vocab_size=6, latent_dim=4)
    with torch.no_grad():
        decoder.output.bias.copy_(torch.tensor([0.0, 0.0, 9.0, 8.0, 0.0, 0.0]))
    banned = torch.tensor([True, True, False, False, False, False])
    first_banned = torch.tensor([False, False, True, False, False, False])
    memory, mask = torch.zeros(3, 2, 4), torch.ones(3, 2, dtype=torch.long)
    tokens = decoder.greedy(torch.zeros(3, 4), memory, mask, 1, 4, banned, first_banned)
    assert tokens.shape == (3, 4)
    assert torch.all(tokens[:, 0] == 3)  # the end token 2 is not allowed first
    assert not torch.isin(tokens, torch.tensor([0, 1])).any()


def test_greedy_decoding_can_forbid_repeated_ngrams():
    torch.manual_seed(0)
    decoder = TokenDecoder(vocab_size=6, latent_dim=4)
    with torch.no_grad():
        decoder.output.weight.zero_()  # logits = bias: token 3, then 4, then 5
        decoder.output.bias.copy_(torch.tensor([0.0, 0.0, -9.0, 9.0, 8.0, 7.0]))
    banned = torch.tensor([True, True, False, False, False, False])
    memory, mask = torch.zeros(2, 2, 4), torch.ones(2, 2, dtype=torch.long)
    args = (torch.zeros(2, 4), memory, mask, 1, 8, banned, torch.zeros_like(banned))
    assert decoder.greedy(*args).unique().tolist() == [3]  # loops on token 3
    tokens = decoder.greedy(*args, no_repeat_ngram_size=2)
    for row in tokens.tolist():
        bigrams = list(zip(row, row[1:]))
        assert len(bigrams) == len(set(bigrams))
    assert tokens[0, :3].tolist() == [3, 3, 4]  # "3 3" may occur once


def test_greedy_decoding_never_writes_a_token_three_times_in_a_row():
    decoder = TokenDecoder(vocab_size=6, latent_dim=4)
    with torch.no_grad():
        decoder.output.weight.zero_()  # logits = bias: token 3 always wins
        decoder.output.bias.copy_(torch.tensor([0.0, 0.0, -9.0, 9.0, 8.0, 7.0]))
    banned = torch.tensor([True, True, False, False, False, False])
    memory, mask = torch.zeros(1, 2, 4), torch.ones(1, 2, dtype=torch.long)
    args = (torch.zeros(1, 4), memory, mask, 1, 9, banned, torch.zeros_like(banned))
    # A trigram ban alone lets "3 3 3" through once.
    row = decoder.greedy(*args, no_repeat_ngram_size=4)[0].tolist()
    assert all(len({a, b, c}) > 1 for a, b, c in zip(row, row[1:], row[2:]))
    # After "3 3" the third 3 is banned, and only then: 4 is the runner-up.
    assert row == [3, 3, 4, 3, 3, 4, 4, 3, 3]


def test_relaxed_decoding_gives_token_distributions():
    decoder = TokenDecoder(vocab_size=7, latent_dim=4)
    memory, mask = torch.randn(2, 3, 4), torch.ones(2, 3, dtype=torch.long)
    soft = decoder.relaxed(torch.randn(2, 4), memory, mask, start_index=1, n_steps=5)
    assert soft.shape == (2, 5, 7)
    torch.testing.assert_close(soft.sum(-1), torch.ones(2, 5))
    soft.sum().backward()  # differentiable end to end
    assert decoder.output.weight.grad is not None


def test_decoder_reads_its_memory_and_ignores_masked_positions():
    torch.manual_seed(0)
    decoder = TokenDecoder(vocab_size=9, latent_dim=4)
    latent = torch.randn(1, 4)
    ids = torch.randint(1, 9, (1, 5))
    memory = torch.randn(1, 3, 4)
    mask = torch.tensor([[1, 1, 0]])
    logits = decoder(latent, memory, mask, ids)
    assert logits.shape == (1, 5, 9)
    changed_padding = memory.clone()
    changed_padding[0, 2] = 50.0
    torch.testing.assert_close(decoder(latent, changed_padding, mask, ids), logits)
    changed_state = memory.clone()
    changed_state[0, 0] += 1.0
    assert not torch.allclose(decoder(latent, changed_state, mask, ids), logits)


def test_teacher_forcing_feeds_the_true_previous_token():
    torch.manual_seed(0)
    decoder = TokenDecoder(vocab_size=9, latent_dim=4)
    latent, memory = torch.randn(1, 4), torch.randn(1, 3, 4)
    mask = torch.ones(1, 3, dtype=torch.long)
    ids = torch.tensor([[1, 4, 5, 6]])
    other = torch.tensor([[1, 4, 7, 6]])
    first, second = (
        decoder(latent, memory, mask, ids),
        decoder(latent, memory, mask, other),
    )
    torch.testing.assert_close(first[:, :2], second[:, :2])  # steps before the change
    assert not torch.allclose(first[:, 2], second[:, 2])


@pytest.mark.parametrize(("kind", "size"), [("text", 30), ("numeric", 5)])
def test_parameter_groups_split_the_network(kind, size):
    network = MISONetwork(kind, size, latent_dim=8, n_heads=2, hidden_size=8)
    groups = [
        network.generator_parameters,
        network.discriminator_parameters,
        network.critic_parameters,
    ]
    ids = [{id(p) for p in group} for group in groups]
    assert sum(len(group) for group in ids) == len(list(network.parameters()))
    assert set.union(*ids) == {id(p) for p in network.parameters()}
    fusion_ids = {id(p) for p in network.fusion.parameters()}
    assert fusion_ids <= ids[0]


def test_network_forward_pools_query_fused_and_key():
    network = MISONetwork("text", 30, latent_dim=8, n_heads=2, temperature=4.0)
    inputs = {
        "input_ids": torch.randint(1, 30, (3, 6)),
        "attention_mask": torch.ones(3, 6, dtype=torch.long),
        "majority_input_ids": torch.randint(1, 30, (3, 4)),
        "majority_attention_mask": torch.ones(3, 4, dtype=torch.long),
    }
    query, fused, key = network(**inputs)
    assert query.shape == fused.shape == key.shape == (3, 8)
    states, mask = network.encode(inputs)
    majority, majority_mask = network.encode(inputs, prefix="majority_")
    torch.testing.assert_close(query, masked_mean(states, mask))
    torch.testing.assert_close(key, masked_mean(majority, majority_mask))
    fused_states, fused_mask = network.fuse(states, mask, majority, majority_mask)
    torch.testing.assert_close(fused, masked_mean(fused_states, fused_mask))


def test_masked_mean_averages_the_unmasked_positions_only():
    states = torch.arange(24.0).view(2, 3, 4)
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    expected = torch.stack([states[0, :2].mean(0), states[1, 0]])
    torch.testing.assert_close(masked_mean(states, mask), expected)
    # A row of padding only pools to zeros rather than NaN.
    empty = torch.zeros(2, 3, dtype=torch.long)
    torch.testing.assert_close(masked_mean(states, empty), torch.zeros(2, 4))


def test_masked_mean_keeps_the_states_dtype():
    states = torch.randn(2, 3, 4, dtype=torch.bfloat16)
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    assert masked_mean(states, mask).dtype == torch.bfloat16


@pytest.mark.parametrize(
    "make", [lambda: TokenEncoder(9, 4, 6), lambda: TokenDecoder(9, 4)]
)
def test_padding_embeds_to_zero_and_is_not_trained(make):
    # Index 0 of the compact vocabulary is padding (and what word dropout
    # feeds the decoders): it carries no word and learns nothing.
    embedding = make().token_embedding
    vectors = embedding(torch.tensor([[3, 0, 5, 0]]))
    assert torch.all(vectors[0, [1, 3]] == 0)
    assert torch.all(vectors[0, [0, 2]].abs().sum(-1) > 0)
    vectors.sum().backward()
    assert torch.all(embedding.weight.grad[0] == 0)
    assert embedding.weight.grad[3].abs().sum() > 0


def test_token_encoder_runs_a_gru_over_each_text_of_token_plus_position():
    torch.manual_seed(0)
    encoder = TokenEncoder(vocab_size=9, latent_dim=4, max_length=6)
    ids = torch.tensor([[1, 4, 5, 2, 0], [1, 7, 2, 0, 0]])
    mask = (ids != 0).long()
    states, states_mask = encoder(ids, mask)
    # A batch-first GRU with the encoder's weights: each text on its own.
    reference = nn.GRU(4, 4, batch_first=True)
    reference.load_state_dict(encoder.recurrent.state_dict())
    embedded = encoder.token_embedding(ids) + encoder.position_embedding.weight[:5]
    expected, _ = reference(embedded)
    torch.testing.assert_close(states, expected * mask[..., None])
    assert states_mask is mask


def test_vector_encoder_gives_one_step_sequences_with_an_integer_mask():
    encoder = VectorEncoder(n_features=5, latent_dim=4)
    features = torch.randn(3, 5)
    states, mask = encoder(features)
    expected = torch.tanh(encoder.projection(features)).unsqueeze(1)
    torch.testing.assert_close(states, expected)
    # The same kind of mask as a tokenizer's attention_mask.
    assert mask.dtype == torch.long and mask.tolist() == [[1], [1], [1]]


def test_critic_is_an_elu_mlp_scoring_each_concatenated_pair():
    torch.manual_seed(0)
    critic = MINECritic(latent_dim=3)
    first, second = torch.randn(4, 3), torch.randn(4, 3)
    scores = critic(first, second)
    assert scores.shape == (4,)  # one score per pair, whatever the batch size
    inner, _, middle, _, last = critic.network
    assert inner.out_features == 100  # the default hidden width
    pairs = torch.cat([first, second], dim=1)
    expected = last(F.elu(middle(F.elu(inner(pairs)))))[:, 0]
    torch.testing.assert_close(scores, expected)


def test_teacher_forced_logits_follow_the_attention_formula():
    torch.manual_seed(0)
    decoder = TokenDecoder(vocab_size=9, latent_dim=4)
    latent, memory = torch.randn(2, 4), torch.randn(2, 3, 4)
    mask = torch.tensor([[1, 1, 1], [1, 1, 0]])
    ids = torch.tensor([[1, 4, 5], [1, 6, 0]])
    # h₀ = tanh(W z + b); at every step the GRU reads [embedding; z].
    initial = torch.tanh(decoder.initial_state(latent)).unsqueeze(0)
    fed = latent[:, None].expand(2, 3, 4)
    steps = torch.cat([decoder.token_embedding(ids), fed], dim=-1)
    states, _ = decoder.recurrent(steps, initial)
    # Luong's general score sᵀ W m (no bias), padded memory masked out.
    scores = states @ decoder.attention_query.weight.T @ memory.transpose(1, 2)
    scores = scores.masked_fill(mask[:, None, :] == 0, float("-inf"))
    context = torch.softmax(scores, dim=-1) @ memory
    expected = decoder.output(torch.cat([states, context], dim=-1))
    torch.testing.assert_close(decoder(latent, memory, mask, ids), expected)


def test_greedy_decoding_is_teacher_forcing_on_its_own_output():
    torch.manual_seed(0)
    decoder = TokenDecoder(vocab_size=9, latent_dim=8)
    with torch.no_grad():  # sharper, so that each token depends on the last ones
        decoder.recurrent.weight_hh_l0.mul_(4.0)
        decoder.output.weight.mul_(4.0)
    latent, memory = torch.randn(4, 8), torch.randn(4, 2, 8)
    mask = torch.ones(4, 2, dtype=torch.long)
    allowed = torch.zeros(9, dtype=torch.bool)
    tokens = decoder.greedy(latent, memory, mask, 1, 6, allowed, allowed)
    assert len(tokens.unique()) > 3
    previous = torch.cat([torch.ones(4, 1, dtype=torch.long), tokens[:, :-1]], dim=1)
    teacher_forced = decoder(latent, memory, mask, previous).argmax(-1)
    torch.testing.assert_close(teacher_forced, tokens)


def test_relaxed_decoding_is_a_gumbel_softmax_at_its_temperature():
    torch.manual_seed(0)
    decoder = TokenDecoder(vocab_size=7, latent_dim=4)
    latent, memory = torch.randn(2, 4), torch.randn(2, 3, 4)
    mask = torch.ones(2, 3, dtype=torch.long)

    def first_step(**kwargs):
        torch.manual_seed(1)  # the same Gumbel noise g for every call
        return decoder.relaxed(latent, memory, mask, 1, 1, **kwargs)[:, 0]

    default, cold = first_step(), first_step(temperature=0.5)
    torch.testing.assert_close(default, first_step(temperature=1.0))
    # log p_τ = (logits + g) / τ − log Z_τ: τ · log p_τ changes with τ by a
    # constant per row only.
    gap = 0.5 * cold.log() - default.log()
    torch.testing.assert_close(gap, gap[:, :1].expand(2, 7), atol=1e-4, rtol=0)
    assert not torch.allclose(cold, default)


def test_repeated_ngram_mask_bans_what_followed_the_last_tokens():
    tokens = torch.tensor([[5, 6, 7, 5, 6], [1, 2, 3, 4, 5]])
    mask = repeated_ngram_mask(tokens, 3, 10)
    assert mask.shape == (2, 10)
    assert mask[0].nonzero().flatten().tolist() == [7]  # "5 6" was followed by 7
    assert not mask[1].any()
    # A decode exactly n tokens long: "5 5" then 5 would repeat the bigram.
    once = repeated_ngram_mask(torch.tensor([[5, 5]]), 2, 10)
    assert once[0].nonzero().flatten().tolist() == [5]
    # Shorter than n: nothing to repeat yet, still one row per decode.
    short = repeated_ngram_mask(torch.tensor([[5], [6]]), 2, 10)
    assert short.shape == (2, 10) and not short.any()


def test_vector_decoder_is_a_relu_mlp_that_starts_at_zero():
    torch.manual_seed(0)
    decoder = VectorDecoder(latent_dim=4, n_features=3, hidden_size=6)
    latent = torch.randn(5, 4)
    assert torch.all(decoder(latent) == 0)  # an untrained decoder adds nothing
    first, _, last = decoder.network
    nn.init.normal_(last.weight)
    torch.testing.assert_close(decoder(latent), last(torch.relu(first(latent))))


def test_sequence_discriminator_scores_the_pooled_linear_embedding():
    torch.manual_seed(0)
    discriminator = SequenceDiscriminator(vocab_size=6, latent_dim=4, hidden_size=5)
    tokens = torch.softmax(torch.randn(3, 4, 6), dim=-1)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]])
    scores = discriminator(tokens, mask)
    assert scores.shape == (3,)
    # A token distribution embeds as the mix of its tokens' embeddings.
    pooled = masked_mean(tokens @ discriminator.embedding.weight.T, mask)
    hidden = torch.relu(discriminator.hidden(pooled))
    torch.testing.assert_close(scores, discriminator.output(hidden)[:, 0])


def test_vector_discriminator_gives_one_score_per_vector():
    torch.manual_seed(0)
    discriminator = VectorDiscriminator(n_features=3, hidden_size=5)
    features = torch.randn(4, 3)
    scores = discriminator(features)
    assert scores.shape == (4,)
    hidden = torch.relu(discriminator.hidden(features))
    torch.testing.assert_close(scores, discriminator.output(hidden)[:, 0])


def test_pretraining_fusion_is_a_residual_feed_forward_at_the_common_length():
    torch.manual_seed(0)
    network = MISONetwork("text", 30, latent_dim=8, n_heads=2, hidden_size=8)
    query, key = torch.randn(2, 3, 8), torch.randn(2, 5, 8)
    query_mask = torch.tensor([[1, 1, 1], [1, 1, 0]])
    key_mask = torch.ones(2, 5, dtype=torch.long)
    fused, mask = network.fuse_pretrain(query, query_mask, key, key_mask)
    assert fused.shape == (2, 5, 8)
    assert mask.tolist() == [[1, 1, 1, 0, 0], [1, 1, 0, 0, 0]]
    # Q̃ = LayerNorm(Q + FF([K;Q])), FF = Linear, ReLU, Linear.
    padded = F.pad(query, (0, 0, 0, 2))
    first, _, second = network.pretrain_fusion
    feed_forward = second(torch.relu(first(torch.cat([key, padded], dim=-1))))
    expected = network.pretrain_norm(padded + feed_forward) * mask[..., None]
    torch.testing.assert_close(fused, expected)
    # A majority text shorter than the minority one is padded too.
    fused, mask = network.fuse_pretrain(key, key_mask, query, query_mask)
    assert fused.shape == (2, 5, 8) and mask.tolist() == key_mask.tolist()


def test_network_defaults_are_the_documented_sizes():
    network = MISONetwork("text", 30)
    assert network.latent.in_features == 64
    assert network.fusion.n_heads == 8
    assert network.encoder.position_embedding.num_embeddings == 32
    assert network.minority_discriminator.hidden.out_features == 100
    assert network.positive_critic.network[0].out_features == 100
    assert network.temperature == 1.0


def test_hidden_size_sets_the_width_of_critics_and_discriminators():
    network = MISONetwork("numeric", 5, latent_dim=8, n_heads=2, hidden_size=16)
    for part in (network.positive_critic, network.negative_critic):
        assert part.network[0].out_features == part.network[2].out_features == 16
    for part in (network.minority_discriminator, network.majority_discriminator):
        assert part.hidden.out_features == 16
    assert network.minority_decoder.network[0].out_features == 16

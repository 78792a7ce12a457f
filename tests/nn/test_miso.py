"""MISO torch parts: semantic fusion module, decoders, parameter groups."""

import math

import pytest
import torch

from skimbtext.nn._miso import MISONetwork, SemanticFusion, TokenDecoder


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
    torch.testing.assert_close(fused, module.norm(query + module.feed_forward(heads)))


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
    assert row[:2] == [3, 3]


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

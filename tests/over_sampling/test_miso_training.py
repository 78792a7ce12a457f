"""MISOTrainingNet: what each phase's step computes and which parts it moves."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from skimbtext.nn import MISONetwork
from skimbtext.over_sampling._miso_training import MISOTrainingNet
from skimbtext.utils._device import BatchOutOfMemoryError

VOCAB = 12  # compact vocabulary: 0 is padding, 1 the start token, 2 the end token


def _module(kind):
    torch.manual_seed(0)
    size = VOCAB if kind == "text" else 3
    return MISONetwork(
        kind,
        size,
        latent_dim=8,
        n_heads=2,
        max_length=8,
        hidden_size=8,
        temperature=2.0,
    )


def _criterion(kind):
    if kind == "text":
        return nn.CrossEntropyLoss(reduction="none", ignore_index=0)
    return nn.MSELoss(reduction="none")


def _net(kind="text", **kwargs):
    params = {
        "module": _module(kind),
        "criterion": _criterion(kind),
        "optimizer": torch.optim.Adam,
        "lr": 1e-2,
        "train_split": None,
        "device": "cpu",
        "start_index": 1 if kind == "text" else None,
    }
    net = MISOTrainingNet(**{**params, **kwargs}).initialize()
    net.history.new_epoch()  # as the loop does before a step
    net.history.new_batch()
    return net


def _text_inputs():
    # Majority texts shorter than the minority ones: the fusions pad them.
    minority = torch.tensor([[1, 4, 5, 6, 2], [1, 7, 2, 0, 0], [1, 8, 9, 10, 2]])
    majority = torch.tensor([[1, 3, 2], [1, 11, 2], [1, 2, 0]])
    return {
        "input_ids": minority,
        "attention_mask": (minority != 0).long(),
        "majority_input_ids": majority,
        "majority_attention_mask": (majority != 0).long(),
    }


def _numeric_inputs():
    generator = torch.Generator().manual_seed(0)
    return {
        "features": torch.randn(4, 3, generator=generator),
        "majority_features": torch.randn(4, 3, generator=generator) + 2.0,
    }


def _step(net, phase, inputs):
    net.training_phase_ = phase
    step = net.train_step((inputs, None))
    return step, net.history[-1, "batches", -1]


def _token_loss(logits, ids):
    """Mean cross-entropy of the next tokens, padding left out."""
    return F.cross_entropy(logits.transpose(1, 2), ids[:, 1:], ignore_index=0)


def _bce(scores, target):
    return F.binary_cross_entropy_with_logits(scores, torch.full_like(scores, target))


def test_net_takes_its_module_positionally_with_the_documented_defaults():
    module = _module("text")
    net = MISOTrainingNet(module, criterion=_criterion("text"), device="cpu")
    net.initialize()
    assert net.module_ is module
    assert net.word_dropout == 0.0 and net.gumbel_temperature == 1.0
    assert net.positive_bound_.ema_rate == net.negative_bound_.ema_rate == 0.01
    assert net.training_phase_ == "pretrain"  # Algorithm 1 starts by pre-training


def test_the_three_optimisers_share_the_learning_rate_and_split_the_parameters():
    net = _net(lr=0.05)
    module = net.module_
    groups = [
        (net.optimizer_, module.generator_parameters),
        (net.discriminator_optimizer_, module.discriminator_parameters),
        (net.critic_optimizer_, module.critic_parameters),
    ]
    for optimizer, parameters in groups:
        assert [group["lr"] for group in optimizer.param_groups] == [0.05]
        owned = {id(p) for group in optimizer.param_groups for p in group["params"]}
        assert owned == {id(p) for p in parameters}


def test_reconstruction_is_the_mean_cross_entropy_over_non_padding_targets():
    net = _net()
    ids = _text_inputs()["input_ids"]
    logits = torch.randn(3, 4, VOCAB, generator=torch.Generator().manual_seed(0))

    def decoder(decoder_inputs):
        return logits[: len(decoder_inputs)]

    loss = net._reconstruction(decoder, (), {"input_ids": ids})
    targets = ids[:, 1:]
    valid = targets != 0
    per_token = -logits.log_softmax(-1).gather(-1, targets[..., None])[..., 0]
    torch.testing.assert_close(loss, per_token[valid].mean())
    # A single real target: its own cross-entropy, not half of it.
    single = torch.tensor([[1, 5, 0, 0, 0]])
    loss = net._reconstruction(decoder, (), {"input_ids": single})
    torch.testing.assert_close(loss, -logits[0, 0].log_softmax(-1)[5])


def test_word_dropout_pads_the_inputs_drawn_below_the_rate_but_not_the_start(
    monkeypatch,
):
    net = _net(word_dropout=0.5)
    ids = torch.tensor([[1, 4, 5, 6, 7], [1, 8, 9, 10, 11]])
    draws = torch.tensor([[0.0, 0.1, 0.5, 0.9], [0.2, 0.7, 0.4, 0.5]])
    monkeypatch.setattr(torch, "rand", lambda shape, **kwargs: draws.clone())
    seen = []

    def decoder(decoder_inputs):
        seen.append(decoder_inputs)
        return torch.zeros(*decoder_inputs.shape, VOCAB)

    net._reconstruction(decoder, (), {"input_ids": ids})
    assert seen[0].tolist() == [[1, 0, 5, 6], [1, 8, 0, 10]]


@pytest.mark.parametrize(
    ("phase", "losses", "moved"),
    [
        ("pretrain", {"reconstruction"}, {"generator"}),
        ("mine_pretrain", {"mi_q", "mi_k"}, {"critic"}),
        (
            "adversarial",
            {"reconstruction", "mi_loss", "adversarial", "discriminator"},
            {"generator", "discriminator", "critic"},
        ),
    ],
)
def test_each_phase_records_its_losses_and_moves_its_parameters(phase, losses, moved):
    net = _net()
    module = net.module_
    groups = {
        "generator": module.generator_parameters,
        "discriminator": module.discriminator_parameters,
        "critic": module.critic_parameters,
    }
    before = {name: [p.detach().clone() for p in ps] for name, ps in groups.items()}
    step, record = _step(net, phase, _text_inputs())
    # skorch records the step's "loss" as train_loss; y_pred is what its
    # callbacks expect from a training step.
    assert set(record) == losses
    assert step.keys() == {"loss", "y_pred"} and step["y_pred"] is None
    changed = {
        name
        for name, ps in groups.items()
        if any(not torch.equal(p, q) for p, q in zip(ps, before[name]))
    }
    assert changed == moved
    if phase == "mine_pretrain":  # the critics ascend both bounds
        assert step["loss"].item() == pytest.approx(-(record["mi_q"] + record["mi_k"]))


def _hand_reconstruction(module, inputs, fusion):
    """Both sides' token losses, the minority decoder reading ``fusion``'s states."""
    with torch.no_grad():
        query, query_mask = module.encode(inputs)
        key, key_mask = module.encode(inputs, prefix="majority_")
        fused = fusion(query, query_mask, key, key_mask)
        minority = module.minority_decoder(
            *module.minority_condition(*fused), inputs["input_ids"][:, :-1]
        )
        majority = module.majority_decoder(
            *module.majority_condition(key, key_mask),
            inputs["majority_input_ids"][:, :-1],
        )
    return _token_loss(minority, inputs["input_ids"]) + _token_loss(
        majority, inputs["majority_input_ids"]
    )


def test_pretraining_reconstructs_each_side_from_its_own_encoding():
    net = _net()
    module, inputs = net.module_, _text_inputs()
    expected = _hand_reconstruction(module, inputs, module.fuse_pretrain)
    step, record = _step(net, "pretrain", inputs)
    assert step["loss"].item() == pytest.approx(expected.item(), rel=1e-5)
    assert record["reconstruction"] == pytest.approx(expected.item(), rel=1e-5)


def test_adversarial_reconstruction_reads_the_fused_and_the_majority_states():
    net = _net()
    module, inputs = net.module_, _text_inputs()
    expected = _hand_reconstruction(module, inputs, module.fuse)
    _, record = _step(net, "adversarial", inputs)
    assert record["reconstruction"] == pytest.approx(expected.item(), rel=1e-5)


def test_adversarial_step_scores_real_and_generated_vectors():
    net = _net("numeric")
    module, inputs = net.module_, _numeric_inputs()
    for decoder in (module.minority_decoder, module.majority_decoder):
        nn.init.normal_(decoder.network[-1].weight)  # offsets away from the source
    minority_d = module.minority_discriminator
    majority_d = module.majority_discriminator
    real, majority_real = inputs["features"], inputs["majority_features"]
    with torch.no_grad():
        query, query_mask = module.encode(inputs)
        key, key_mask = module.encode(inputs, prefix="majority_")
        fused = module.fuse(query, query_mask, key, key_mask)
        # Generated vectors are their source plus the decoder's offset.
        fake = real + module.minority_decoder(*module.minority_condition(*fused))
        majority_fake = majority_real + module.majority_decoder(
            *module.majority_condition(key, key_mask)
        )
        discriminator = (
            _bce(minority_d(real), 1.0)
            + _bce(minority_d(fake), 0.0)
            + _bce(majority_d(majority_real), 1.0)
            + _bce(majority_d(majority_fake), 0.0)
        )
        reconstruction = (fake - real).pow(2).mean() + (
            majority_fake - majority_real
        ).pow(2).mean()
    _, record = _step(net, "adversarial", inputs)
    assert record["discriminator"] == pytest.approx(discriminator.item(), rel=1e-5)
    assert record["reconstruction"] == pytest.approx(reconstruction.item(), rel=1e-5)
    # The generator's term: its vectors scored as real by the discriminators
    # just updated (the generator step leaves them as they are).
    with torch.no_grad():
        adversarial = _bce(minority_d(fake), 1.0) + _bce(majority_d(majority_fake), 1.0)
    assert record["adversarial"] == pytest.approx(adversarial.item(), rel=1e-5)


def test_generated_texts_are_relaxed_at_the_nets_gumbel_temperature():
    net = _net(gumbel_temperature=0.3)
    module, inputs = net.module_, _text_inputs()
    decoder = module.majority_decoder
    condition = module.majority_condition(*module.encode(inputs, prefix="majority_"))
    torch.manual_seed(1)
    real, fake, mask = net._real_and_fake(decoder, condition, inputs, "majority_")
    torch.manual_seed(1)
    expected = decoder.relaxed(*condition, 1, 2, temperature=0.3)
    torch.testing.assert_close(fake, expected)
    targets = inputs["majority_input_ids"][:, 1:]
    torch.testing.assert_close(real, F.one_hot(targets, VOCAB).float())
    torch.testing.assert_close(mask, inputs["majority_attention_mask"][:, 1:])


def test_critic_steps_raise_both_mutual_information_estimates():
    net = _net("numeric")
    generator = torch.Generator().manual_seed(0)
    fused = torch.randn(64, 8, generator=generator)
    query = fused + 0.1 * torch.randn(64, 8, generator=generator)
    key = fused + 0.1 * torch.randn(64, 8, generator=generator)

    def estimates():
        torch.manual_seed(1)  # the same shuffled marginal each time
        with torch.no_grad():
            values = net._mutual_information(query, fused, key)
        return [value.item() for value in values]

    before = estimates()
    for _ in range(50):
        net._critic_step(query, fused, key)
    after = estimates()
    # Measured: from 0 to 2.8 and 1.6 nats in 50 steps; descent would lower them.
    assert after[0] > before[0] + 1.0 and after[1] > before[1] + 1.0
    # MINE's moving average of E[exp T] corrects the critics' gradients.
    assert net.positive_bound_.running_mean > 0
    assert net.negative_bound_.running_mean > 0


def test_out_of_memory_in_a_miso_step_names_the_batch_and_the_step(monkeypatch):
    net = _net()

    def out_of_memory(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory.")

    monkeypatch.setattr(net.module_, "encode", out_of_memory)
    with pytest.raises(
        BatchOutOfMemoryError,
        match=r"batch of 3 texts of up to 5 tokens during training "
        r"\(epoch 1, batch 1\).*max_pairs",
    ):
        _step(net, "pretrain", _text_inputs())

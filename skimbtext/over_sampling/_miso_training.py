"""MISO's training (paper Algorithm 1) on the package's one training loop.

:class:`~skimbtext._training.TrainingNet` runs the loop; :class:`MISOTrainingNet`
only says what a training step does in each phase, and
:class:`~skimbtext.callbacks._miso.TrainingPhases` switches the phase by epoch:

1. ``"pretrain"``: the encoder–decoders learn to reconstruct, with the SFM, the
   MINE critics and the discriminators frozen; the minority decoder reads
   ``Q̃ = FF([K;Q])`` in place of the SFM output.
2. ``"mine_pretrain"``: the two critics maximise their Donsker–Varadhan bounds on
   ``(Q, Q̃)`` and ``(K, Q̃)``.
3. ``"adversarial"``, each batch: the discriminators ascend; the encoder, SFM and
   decoders descend ``(1 − α)·L_MI + α·(L_adv⁺ + L_adv⁻) + reconstruction`` with
   ``L_MI = Î(K;Q̄) − Î(Q;Q̄)`` and α = 1/τ; then the critics ascend on ``Q̄``.
"""

import torch
import torch.nn.functional as F

from .._training import TrainingNet
from ..callbacks._miso import PHASES
from ..losses._mine import MINEBound, donsker_varadhan_bound, shuffle_marginal
from ..losses._miso import generator_objective, real_or_fake_loss
from ..nn._miso import masked_mean


class MISOTrainingNet(TrainingNet):
    """The shared :class:`~skimbtext._training.TrainingNet` for one
    :class:`~skimbtext.nn._miso.MISONetwork`: only the training step differs.

    The loop, interruption, per-epoch reseeding (``random_state``), non-finite
    loss reports and out-of-memory advice are the core's; a step runs the phase
    set by :class:`~skimbtext.callbacks._miso.TrainingPhases`. The criterion is
    the reconstruction loss (per-token cross-entropy with
    ``reduction="none"`` and padding ignored for text, per-element MSE for
    vectors). Three Adam optimisers share the learning rate: ``optimizer_``
    (encoder, SFM, decoders), ``discriminator_optimizer_`` and
    ``critic_optimizer_``.

    Parameters
    ----------
    start_index : int, optional
        Compact index of the start token (text).
    gumbel_temperature : float, default=1.0
        Temperature of the Gumbel-softmax relaxation (text).
    mine_ema_rate : float, default=0.01
        Rate of MINE's moving average of ``E[exp(T)]``.
    word_dropout : float, default=0.0
        Share of teacher-forced decoder inputs replaced by padding (text), so
        that the decoders must rely on their latent (Bowman et al., 2016).
    **kwargs
        Passed to :class:`~skimbtext._training.TrainingNet`.
    """

    out_of_memory_advice = (
        "a smaller max_length, latent_dim or max_pairs needs less too"
    )
    divergence_advice = "Try a lower lr, or check the inputs for extreme values."

    def __init__(
        self,
        *args,
        start_index=None,
        gumbel_temperature=1.0,
        mine_ema_rate=0.01,
        word_dropout=0.0,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.word_dropout = word_dropout
        self.start_index = start_index
        self.gumbel_temperature = gumbel_temperature
        self.mine_ema_rate = mine_ema_rate

    def initialize_optimizer(self, *args, **kwargs):
        module = self.module_
        self.optimizer_ = self.optimizer(module.generator_parameters, lr=self.lr)
        self.discriminator_optimizer_ = self.optimizer(
            module.discriminator_parameters, lr=self.lr
        )
        self.critic_optimizer_ = self.optimizer(module.critic_parameters, lr=self.lr)
        self.positive_bound_ = MINEBound(self.mine_ema_rate).to(self.device)
        self.negative_bound_ = MINEBound(self.mine_ema_rate).to(self.device)
        self.training_phase_ = PHASES[0]
        return self

    # ------------------------------------------------------------ building blocks

    def _reconstruction(self, decoder, condition, inputs, prefix=""):
        """Mean reconstruction loss of one side, and the decoder's targets."""
        if self.module_.input_kind == "text":
            ids = inputs[prefix + "input_ids"]
            decoder_inputs = ids[:, :-1]
            if self.word_dropout > 0:
                dropped = torch.rand(decoder_inputs.shape, device=ids.device)
                dropped = dropped < self.word_dropout
                dropped[:, 0] = False  # keep the start token
                decoder_inputs = decoder_inputs.masked_fill(dropped, 0)
            logits = decoder(*condition, decoder_inputs)
            targets = ids[:, 1:]
            per_token = self.criterion_(logits.transpose(1, 2), targets)
            valid = (targets != 0).to(per_token.dtype)
            return (per_token * valid).sum() / valid.sum().clamp_min(1.0)
        source = inputs[prefix + "features"]
        return self.criterion_(source + decoder(*condition), source).mean()

    def _real_and_fake(self, decoder, condition, inputs, prefix=""):
        """Real samples and differentiable generated ones, with their masks."""
        if self.module_.input_kind == "text":
            targets = inputs[prefix + "input_ids"][:, 1:]
            mask = inputs[prefix + "attention_mask"][:, 1:]
            real = F.one_hot(
                targets, self.module_.encoder.token_embedding.num_embeddings
            )
            fake = decoder.relaxed(
                *condition,
                self.start_index,
                targets.shape[1],
                self.gumbel_temperature,
            )
            return real.to(fake.dtype), fake, mask
        source = inputs[prefix + "features"]
        return source, source + decoder(*condition), None

    def _mutual_information(self, query, fused, key, bounds=None):
        """``(Î(Q;Q̄), Î(K;Q̄))`` from the critics on pooled vectors."""
        module = self.module_
        fused_marginal = shuffle_marginal(fused)
        positive_joint = module.positive_critic(query, fused)
        positive_marginal = module.positive_critic(query, fused_marginal)
        negative_joint = module.negative_critic(key, fused)
        negative_marginal = module.negative_critic(key, fused_marginal)
        if bounds is None:
            return (
                donsker_varadhan_bound(positive_joint, positive_marginal),
                donsker_varadhan_bound(negative_joint, negative_marginal),
            )
        positive_bound, negative_bound = bounds
        return (
            positive_bound(positive_joint, positive_marginal),
            negative_bound(negative_joint, negative_marginal),
        )

    def _critic_step(self, query, fused, key):
        """MINE critics ascend their (EMA-corrected) bounds on detached inputs."""
        self.critic_optimizer_.zero_grad()
        positive, negative = self._mutual_information(
            query.detach(),
            fused.detach(),
            key.detach(),
            bounds=(self.positive_bound_, self.negative_bound_),
        )
        loss = -(positive + negative)
        self.check_finite(loss)
        loss.backward()
        self.critic_optimizer_.step()
        return positive.detach(), negative.detach()

    # ------------------------------------------------------------------ phases

    def train_step(self, batch, **fit_params):
        with self._explain_out_of_memory(batch, f"training ({self._position()})"):
            self.module_.train()
            inputs, _ = batch
            inputs = {name: value.to(self.device) for name, value in inputs.items()}
            phase = self.training_phase_
            if phase == "pretrain":
                losses = self._pretrain_step(inputs)
            elif phase == "mine_pretrain":
                losses = self._mine_pretrain_step(inputs)
            else:
                losses = self._adversarial_step(inputs)
        for name, value in losses.items():
            if name != "loss":
                self.history.record_batch(name, float(value))
        return {"loss": losses["loss"], "y_pred": None}

    def _encode_pair(self, inputs):
        module = self.module_
        query, query_mask = module.encode(inputs)
        key, key_mask = module.encode(inputs, prefix="majority_")
        return query, query_mask, key, key_mask

    def _pretrain_step(self, inputs):
        module = self.module_
        self.optimizer_.zero_grad()
        query, query_mask, key, key_mask = self._encode_pair(inputs)
        stand_in, stand_in_mask = module.fuse_pretrain(query, query_mask, key, key_mask)
        minority_loss = self._reconstruction(
            module.minority_decoder,
            module.minority_condition(stand_in, stand_in_mask),
            inputs,
        )
        majority_loss = self._reconstruction(
            module.majority_decoder,
            module.majority_condition(key, key_mask),
            inputs,
            "majority_",
        )
        loss = minority_loss + majority_loss
        self.check_finite(loss)
        loss.backward()
        self.optimizer_.step()
        return {"loss": loss.detach(), "reconstruction": loss.detach()}

    def _mine_pretrain_step(self, inputs):
        module = self.module_
        with torch.no_grad():
            query, query_mask, key, key_mask = self._encode_pair(inputs)
            stand_in, stand_in_mask = module.fuse_pretrain(
                query, query_mask, key, key_mask
            )
        positive, negative = self._critic_step(
            masked_mean(query, query_mask),
            masked_mean(stand_in, stand_in_mask),
            masked_mean(key, key_mask),
        )
        return {"loss": -(positive + negative), "mi_q": positive, "mi_k": negative}

    def _adversarial_step(self, inputs):
        module = self.module_
        alpha = 1.0 / module.temperature  # α = 1/τ
        minority_d = module.minority_discriminator
        majority_d = module.majority_discriminator

        # One forward pass of the generator side; its generated samples serve
        # both the discriminators' step (detached) and the generator's.
        query, query_mask, key, key_mask = self._encode_pair(inputs)
        fused, fused_mask = module.fuse(query, query_mask, key, key_mask)
        minority = module.minority_condition(fused, fused_mask)
        majority = module.majority_condition(key, key_mask)
        min_real, min_fake, min_mask = self._real_and_fake(
            module.minority_decoder, minority, inputs
        )
        maj_real, maj_fake, maj_mask = self._real_and_fake(
            module.majority_decoder, majority, inputs, "majority_"
        )

        # Discriminators ↑ on real vs generated samples.
        self.discriminator_optimizer_.zero_grad()
        discriminator_loss = (
            real_or_fake_loss(minority_d(min_real, min_mask), True)
            + real_or_fake_loss(minority_d(min_fake.detach(), min_mask), False)
            + real_or_fake_loss(majority_d(maj_real, maj_mask), True)
            + real_or_fake_loss(majority_d(maj_fake.detach(), maj_mask), False)
        )
        discriminator_loss.backward()
        self.discriminator_optimizer_.step()

        # Encoder–decoders and SFM ↓ on (1 − α)·L_MI + α·(L_adv⁺ + L_adv⁻) + rec,
        # the adversarial terms scored by the updated discriminators.
        self.optimizer_.zero_grad()
        pooled_query = masked_mean(query, query_mask)
        pooled_fused = masked_mean(fused, fused_mask)
        pooled_key = majority[0]
        mi_query, mi_key = self._mutual_information(
            pooled_query, pooled_fused, pooled_key
        )
        adversarial_loss = real_or_fake_loss(
            minority_d(min_fake, min_mask), True
        ) + real_or_fake_loss(majority_d(maj_fake, maj_mask), True)
        reconstruction = self._reconstruction(
            module.minority_decoder, minority, inputs
        ) + self._reconstruction(module.majority_decoder, majority, inputs, "majority_")
        loss, mi_loss = generator_objective(
            mi_query, mi_key, adversarial_loss, reconstruction, alpha
        )
        self.check_finite(loss)
        loss.backward()
        # Only the generator side moves here; critics and discriminators keep
        # their gradients out of their next step by zeroing before it.
        self.optimizer_.step()

        # MINE critics ↑ on the new Q̄.
        self._critic_step(pooled_query, pooled_fused, pooled_key)
        return {
            "loss": loss.detach(),
            "reconstruction": reconstruction.detach(),
            "mi_loss": mi_loss.detach(),
            "adversarial": adversarial_loss.detach(),
            "discriminator": discriminator_loss.detach(),
        }

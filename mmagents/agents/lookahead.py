"""The learners' one-step lookahead that LIO and MetaGrad differentiate.

Both methods let REINFORCE learners take one plain SGD step on a rollout τ
whose rewards include incentives, θ̂ = θ - α ∇_θ L(θ, τ, η), then score θ̂ on
a second rollout and differentiate that score w.r.t. the incentive parameters
η through θ̂(η). `LookaheadMixin` takes the real step (keeping θ) and
recomputes θ̂(η) as a differentiable function of whatever the subclass's
`_total_rewards` reads (LIO's incentive functions, MetaGrad's designer).
"""

from __future__ import annotations

from typing import List, Tuple

import tensorflow as tf

from mmagents.core import meta


class LookaheadMixin:
  """For `pg.PolicyGradientAgent` subclasses with incentive-shaped rewards.

  Call `_init_lookahead` once the policy network exists, and implement
  `_total_rewards`.
  """

  def _init_lookahead(self) -> None:
    self._policy_before = [
        tf.Variable(tf.zeros_like(w), trainable=False, name="policy_before")
        for w in self.policy_net.layer_weights]

  def _total_rewards(self, experience, inputs: tf.Tensor
                     ) -> Tuple[tf.Tensor, tf.Tensor]:
    """Rewards the learners maximize ``[B, T, N]`` (extrinsic plus the
    incentives received), and the incentive matrices ``[B, T, givers, N]``."""
    raise NotImplementedError

  def _inner_loss(self, weights, experience, inputs: tf.Tensor,
                  rewards: tf.Tensor) -> tf.Tensor:
    """The learners' summed REINFORCE loss with entropy bonus (Eq. 5.3)."""
    policy_loss, entropy = self.reinforce_terms(weights, experience, inputs,
                                                rewards, self.epsilon)
    return tf.reduce_sum(policy_loss - self.config.entropy_coeff * entropy)

  def update_policies(self, experience) -> tf.Tensor:
    """θ → θ̂: one SGD step of every policy on τ with incentives received.

    Keeps θ for `lookahead_weights`. Returns the inner loss.
    """
    for before, weight in zip(self._policy_before,
                              self.policy_net.layer_weights):
      before.assign(weight)
    loss, gradients = self._policy_gradients(experience)
    self._optimizer.apply_gradients(zip(gradients,
                                        self.policy_net.layer_weights))
    return loss

  @tf.function(jit_compile=True)
  def _policy_gradients(self, experience):
    inputs = self._policy_inputs(experience)
    rewards, _ = self._total_rewards(experience, inputs)
    weights = self.policy_net.layer_weights
    with tf.GradientTape() as tape:
      loss = self._inner_loss(weights, experience, inputs, rewards)
    return loss, tape.gradient(loss, weights)

  def lookahead_weights(self, experience
                        ) -> Tuple[List[tf.Tensor], tf.Tensor]:
    """θ̂(η) recomputed from the θ kept by `update_policies`, and the
    incentive matrices of τ; run under the tape that watches η."""
    inputs = self._policy_inputs(experience)
    rewards, given = self._total_rewards(experience, inputs)
    new_weights = meta.differentiable_sgd_step(
        lambda w: self._inner_loss(w, experience, inputs, rewards),
        self._policy_before, self.config.learning_rate)
    return new_weights, given


class CriticAfterLookaheadMixin:
  """For actor-critic learners of a lookahead method (LIO, MetaGrad).

  After the outer step the critics take one step on τ (``experience.first``)
  toward `critic_rewards` and the target critics follow. Doing this last
  keeps the critic that the recomputed θ̂(η) reads equal to the one the real
  inner step used.
  """

  def _train(self, experience, weights=None):
    loss_info = super()._train(experience, weights)
    first = experience.first
    self.train_critic(first, self._policy_inputs(first),
                      self.critic_rewards(first))
    return loss_info

"""LIO: agents that learn to incentivize other learning agents (thesis ch. 5).

Every agent has a policy (REINFORCE, as `PolicyGradientAgent`) and an
incentive function r_η^i(o^i, a^{-i}) = R_max · sigmoid(MLP), one output per
agent (output layer without bias, as in the authors' network), its own entry
zeroed. One iteration (thesis Algorithm 2):

1. roll out τ with θ; every recipient j receives the extrinsic reward plus
   the incentives of the others (Eq. 5.1);
2. each policy takes one plain SGD step on τ: θ̂ = θ + β f(τ, θ, η) (Eq. 5.3);
3. roll out τ̂ with θ̂;
4. each giver i descends Eq. 5.10,
   -Σ_{j≠i} Σ_t log π_{θ̂^j(η)}(â^j_t|ô^j_t) Ĝ^{i,env}_t, where θ̂^j(η) is
   recomputed from θ as a differentiable function of η (functional weights,
   `mmagents.core.meta`), plus the L1 cost of Eq. 5.6 on the incentives it
   gave in τ, Σ_t γ^t ||r_η^i(o_t^i, a_t^{-i})||_1 (own Adam optimizer by
   default, as in the thesis' Escape Room setup);
5. keep θ̂ and the new η.

Each giver's gradient is its own objective's gradient w.r.t. its own η only
(`meta.per_owner_gradients`); with three or more agents the others'
objectives also depend on η^i and are kept out. The outer log-probabilities
use π_θ̂ without the exploration floor ε, the inner update the behaviour
policy π̃ that collected τ, as in the authors' implementation.

With ``observe_given`` (Escape Room) each agent's policy and incentive
function also observe the total incentive it has given each other agent in
the current episode.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Sequence, Tuple

import tensorflow as tf
from tf_agents.agents import tf_agent

from mmagents.agents import giving
from mmagents.agents import lookahead
from mmagents.agents import pg
from mmagents.core import meta
from mmagents.core import returns as returns_lib

LIOExperience = collections.namedtuple("LIOExperience", ["first", "second"])
LIOLossExtra = collections.namedtuple("LIOLossExtra",
                                      ["incentive_loss", "cost"])


@dataclasses.dataclass(frozen=True)
class LIOConfig(giving.GivingConfig):
  """Hyperparameters (defaults: thesis Table B.4, LIO on ER(2, 1))."""
  hidden_sizes: Tuple[int, ...] = (64, 32)
  learning_rate: float = 1e-4            # α_θ, plain SGD (the inner step).
  entropy_coeff: float = 0.01
  epsilon_start: float = 0.5
  epsilon_end: float = 0.1
  epsilon_episodes: int = 1000
  incentive_hidden_sizes: Tuple[int, ...] = (64, 16)
  incentive_learning_rate: float = 1e-3  # α_η, Adam.
  max_incentive: float = 2.0             # R_max.
  cost_coeff: float = 1.0                # α of Eq. 5.5.
  cost_learning_rate: float = 1e-4       # Adam on the cost; 0: in the loss.

  def __post_init__(self):
    super().__post_init__()
    if self.optimizer != "sgd":
      raise ValueError("LIO differentiates through a plain SGD policy step: "
                       "optimizer must be sgd")
    if self.incentive_learning_rate <= 0 or self.cost_learning_rate < 0:
      raise ValueError("incentive_learning_rate must be > 0 and "
                       "cost_learning_rate >= 0")
    if self.cost_coeff < 0:
      raise ValueError(f"cost_coeff must be >= 0, got {self.cost_coeff}")


class LIOAgent(lookahead.LookaheadMixin, giving.GivingAgent):
  """N LIO agents: policies and incentive functions, each batched over N."""

  def __init__(self, time_step_spec, action_spec, agent_ids: Sequence[str],
               config: LIOConfig = LIOConfig(), seed: int = 0,
               name: str = "lio"):
    super().__init__(time_step_spec, action_spec, agent_ids, config=config,
                     seed=seed, name=name)
    self._init_lookahead()
    self._incentive_optimizer = tf.keras.optimizers.Adam(
        config.incentive_learning_rate)
    self._cost_optimizer = (tf.keras.optimizers.Adam(config.cost_learning_rate)
                            if config.cost_learning_rate > 0 else None)

  def incentives(self, inputs: tf.Tensor, actions: tf.Tensor,
                 noise=None) -> tf.Tensor:
    """Incentive matrix ``[..., givers, recipients]`` (Eq. 5.1's r_η^i).

    Args:
      inputs: the givers' inputs ``[..., N, D]`` (as the policies see them).
      actions: joint actions ``[..., N]``.
      noise: unused (LIO's incentives are deterministic).
    """
    del noise
    return (self.config.max_incentive
            * tf.sigmoid(self.incentive_outputs(inputs, actions))
            * self.give_mask)

  # --------------------------------------------------------------- training
  def _trainable_variables(self):
    return self.policy_net.trainable_variables

  def build_optimizers(self) -> None:
    super().build_optimizers()
    self._incentive_optimizer.build(self.incentive_net.trainable_variables)
    if self._cost_optimizer is not None:
      self._cost_optimizer.build(self.incentive_net.trainable_variables)

  def train_iteration(self, collect):
    """Algorithm 2: roll out, update policies, roll out, update incentives."""
    first = collect()
    self.update_policies(first)
    second = collect()
    return self.train(LIOExperience(first, second)), [first, second]

  def _total_rewards(self, experience, inputs: tf.Tensor
                     ) -> Tuple[tf.Tensor, tf.Tensor]:
    given = self.incentives(inputs, self.layout.stack_actions(
        experience.action))
    return experience.reward + tf.reduce_sum(given, axis=-2), given

  def incentive_objectives(self, experience: LIOExperience
                           ) -> Tuple[tf.Tensor, tf.Tensor]:
    """Per-giver Eq. 5.10 loss and Eq. 5.6 cost ``[N]``, per episode.

    Must run after `update_policies` on ``experience.first``: θ̂(η) is
    recomputed from the θ saved there.
    """
    first, second = experience
    new_weights, given = self.lookahead_weights(first)

    probs = self.policy_probs(new_weights, self._policy_inputs(second),
                              tf.constant(0.0))                  # [B,T,N,A]
    mask = returns_lib.valid_mask(second)[..., None]
    log_probs = pg.log_prob_taken(
        probs, self.layout.stack_actions(second.action), mask)
    extrinsic = self.giver_signal(second)                         # [B,T,N]
    extrinsic *= self._outer_weights(second, log_probs)
    # cross[i, j] = Σ_t G^{i,env}_t log π̂^j_t.
    cross = tf.einsum("bti,btj->ij", mask * extrinsic, mask * log_probs)
    others = 1.0 - tf.eye(self.num_agents)
    incentive_loss = (-tf.reduce_sum(cross * others, axis=1)
                      / returns_lib.num_episodes(second))

    return incentive_loss, self.incentive_cost(first, given)

  def giver_signal(self, experience) -> tf.Tensor:
    """What each giver's Eq. 5.10 term weights log π̂^j by ``[B, T, N]``:
    its discounted extrinsic returns Ĝ^{i,env}_t on τ̂."""
    return returns_lib.discounted_returns(
        experience.reward, experience.is_last(), self.config.gamma)

  def incentive_cost(self, experience, given: tf.Tensor) -> tf.Tensor:
    """Eq. 5.6 per giver ``[N]``: Σ_t γ^t ||r_η^i||_1 per episode."""
    discount = self.config.gamma ** returns_lib.steps_since_start(experience)
    mask = returns_lib.valid_mask(experience)
    return (tf.einsum("bt,btij->i", mask * discount, tf.abs(given))
            / returns_lib.num_episodes(experience))

  def _outer_weights(self, experience, new_log_probs: tf.Tensor
                     ) -> tf.Tensor:
    """Weights ``[B, T, 1]`` of the Eq. 5.10 terms: 1, as τ̂ comes from θ̂."""
    del new_log_probs
    return tf.ones_like(experience.reward[..., :1])

  def _loss(self, experience, weights=None, training: bool = False):
    del weights, training
    incentive_loss, cost = self.incentive_objectives(experience)
    total = tf.reduce_sum(incentive_loss + self.config.cost_coeff * cost)
    return tf_agent.LossInfo(total, LIOLossExtra(incentive_loss, cost))

  def _train(self, experience, weights=None):
    del weights
    variables = self.incentive_net.trainable_variables
    incentive_loss, cost, gradients, cost_gradients = (
        self._incentive_gradients(experience))
    self._incentive_optimizer.apply_gradients(zip(gradients, variables))
    if self._cost_optimizer is not None:
      self._cost_optimizer.apply_gradients(zip(cost_gradients, variables))
    self.train_step_counter.assign_add(1)
    total = tf.reduce_sum(incentive_loss + self.config.cost_coeff * cost)
    return tf_agent.LossInfo(total, LIOLossExtra(incentive_loss, cost))

  @tf.function(jit_compile=True)
  def _incentive_gradients(self, experience):
    """Losses and gradients of the incentive step, compiled with XLA.

    Without a separate cost optimizer the cost is part of each giver's
    objective and the cost gradients are zeros.
    """
    variables = self.incentive_net.trainable_variables
    alpha = self.config.cost_coeff
    separate = self._cost_optimizer is not None
    with tf.GradientTape(persistent=True) as tape:
      incentive_loss, cost = self.incentive_objectives(experience)
      objectives = incentive_loss if separate else incentive_loss + alpha * cost
      per_giver = tf.unstack(objectives)  # On the tape, as the tape needs.
      total_cost = alpha * tf.reduce_sum(cost)
    gradients = meta.per_owner_gradients(tape, per_giver, variables)
    if separate:
      # Each giver's cost depends on its own η only: one gradient suffices.
      cost_gradients = tape.gradient(total_cost, variables)
    else:
      cost_gradients = [tf.zeros_like(v) for v in variables]
    del tape
    return incentive_loss, cost, gradients, cost_gradients

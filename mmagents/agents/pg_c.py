"""PG-c: policy gradient with continuous give-reward actions (thesis ch. 5).

Each agent's action is a pair: its discrete environment action a_d ~ π(·|o)
and the rewards a_r ∈ [0, R_max]^N it gives the others, with the factorized
policy π(a_d, a_r|o) = π(a_d|o) π(a_r|o) of App. B.4.2. The give-reward part
is a sigmoid-squashed unit Gaussian, u ~ N(f_η(o, a^{-i}), 1) and
a_r = R_max σ(u), whose log-density follows from the change of variables:

  log π(a_r|o) = Σ_j [log N(u_j; f_η, 1) - log(R_max σ(u_j)(1 - σ(u_j)))]

over the agents j it may give to. Unlike LIO, the incentive is an ordinary
action learned by REINFORCE from the giver's own return, which includes the
rewards it received and, with ``give_cost`` (1.0: "giving reward incurs an
equivalent cost"), minus what it gave. f_η sees the same inputs as LIO's
incentive function (own observation, the others' actions).
"""

from __future__ import annotations

import collections
import dataclasses
import math
from typing import Optional, Sequence, Tuple

import tensorflow as tf
from tf_agents.agents import tf_agent

from mmagents.agents import giving
from mmagents.core import incentives as incentives_lib
from mmagents.core import returns as returns_lib

PGcLossExtra = collections.namedtuple(
    "PGcLossExtra", ["policy_loss", "give_loss", "entropy"])


@dataclasses.dataclass(frozen=True)
class PGcConfig(giving.GivingConfig):
  """Hyperparameters (defaults: thesis Table B.4, PG-c on ER(2, 1))."""
  hidden_sizes: Tuple[int, ...] = (64, 32)
  learning_rate: float = 1e-3
  entropy_coeff: float = 0.1
  epsilon_start: float = 1.0
  epsilon_end: float = 0.1
  epsilon_episodes: int = 1000
  give_cost: float = 1.0   # What giving 1 costs the giver.

  def __post_init__(self):
    super().__post_init__()
    if self.give_cost < 0:
      raise ValueError(f"give_cost must be >= 0, got {self.give_cost}")


def squashed_gaussian_log_prob(u: tf.Tensor, mean: tf.Tensor,
                               max_value: float) -> tf.Tensor:
  """Elementwise log-density of a = max_value·σ(u), u ~ N(mean, 1), at u."""
  log_normal = -0.5 * tf.square(u - mean) - 0.5 * math.log(2.0 * math.pi)
  log_jacobian = (math.log(max_value) + tf.math.log_sigmoid(u)
                  + tf.math.log_sigmoid(-u))
  return log_normal - log_jacobian


class PGcAgent(giving.GivingAgent):
  """N REINFORCE learners whose actions include continuous rewards given."""

  stochastic_incentives = True

  def __init__(self, time_step_spec, action_spec, agent_ids: Sequence[str],
               config: PGcConfig = PGcConfig(), seed: int = 0,
               name: str = "pg_c"):
    super().__init__(time_step_spec, action_spec, agent_ids, config=config,
                     seed=seed, name=name)

  def incentives(self, inputs: tf.Tensor, actions: tf.Tensor,
                 noise: Optional[tf.Tensor] = None) -> tf.Tensor:
    """Given rewards R_max σ(f_η + noise) ``[..., givers, recipients]``."""
    u = self.incentive_outputs(inputs, actions)
    if noise is not None:
      u += noise
    return self.config.max_incentive * tf.sigmoid(u) * self.give_mask

  def _trainable_variables(self):
    return (self.policy_net.trainable_variables
            + self.incentive_net.trainable_variables)

  def rewards_with_gifts(self, experience) -> tf.Tensor:
    """Rewards ``[B, T, N]`` plus the gifts received, minus ``give_cost``
    times the gifts made (as recorded when the episode was played)."""
    given = experience.policy_info[incentives_lib.INCENTIVES]   # [B,T,G,N]
    return (experience.reward + tf.reduce_sum(given, axis=-2)
            - self.config.give_cost * tf.reduce_sum(given, axis=-1))

  def _loss(self, experience, weights=None, training: bool = False):
    del weights, training
    info = experience.policy_info
    inputs = self._policy_inputs(experience)
    mean = self.incentive_outputs(
        inputs, self.layout.stack_actions(experience.action))   # [B,T,G,N]
    u = tf.stop_gradient(mean + info[incentives_lib.NOISE])
    rewards = self.rewards_with_gifts(experience)
    policy_loss, entropy = self.reinforce_terms(
        self.policy_net.layer_weights, experience, inputs, rewards,
        self.epsilon)
    log_give = tf.reduce_sum(
        self.give_mask * squashed_gaussian_log_prob(
            u, mean, self.config.max_incentive), axis=-1)       # [B,T,G]
    weights = self.step_weights(experience, inputs, rewards)
    mask = returns_lib.valid_mask(experience)[..., None]
    give_loss = (-tf.reduce_sum(mask * log_give * weights, [0, 1])
                 / returns_lib.num_episodes(experience))
    total = tf.reduce_sum(policy_loss + give_loss
                          - self.config.entropy_coeff * entropy)
    return tf_agent.LossInfo(total,
                             PGcLossExtra(policy_loss, give_loss, entropy))

"""Inequity-averse actor-critic agents (IA, Hughes et al. 2018; thesis §5.3.2).

Every agent tracks temporally smoothed rewards of all agents,
e_j ← γλ e_j + r_j, and maximizes the subjective reward

  u_i = r_i - α/(N-1) Σ_{j≠i} max(e_j - e_i, 0)
            - β/(N-1) Σ_{j≠i} max(e_i - e_j, 0)

(α: disadvantageous aversion, β: advantageous; the thesis uses α = 0,
β = 0.05, λ = 0.95, γ = 0.99). The smoothed rewards are also an input: they
join the network after its first hidden layer (App. B.4.2).

The policy keeps e as its state: at step t it sees the reward of the
previous transition in the time step, so it holds e_{t-1} and records it in
the trajectory; training adds r_t to get the e_t the subjective reward uses.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import tensorflow as tf
from tf_agents.policies import tf_policy
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import policy_step

from mmagents.agents import ac
from mmagents.core import policies

SMOOTHED = "smoothed_rewards"


@dataclasses.dataclass(frozen=True)
class IAConfig(ac.ACConfig):
  """Hyperparameters (defaults: thesis Table B.5, IA on 7x7 Cleanup)."""
  learning_rate: float = 1e-3
  epsilon_episodes: int = 1000
  disadvantageous_aversion: float = 0.0   # α
  advantageous_aversion: float = 0.05     # β
  smoothing: float = 0.95                 # λ

  def __post_init__(self):
    super().__post_init__()
    if min(self.disadvantageous_aversion, self.advantageous_aversion) < 0:
      raise ValueError("aversion coefficients must be >= 0")
    if not 0.0 <= self.smoothing <= 1.0:
      raise ValueError(f"smoothing must be in [0, 1], got {self.smoothing}")


def subjective_rewards(rewards: tf.Tensor, smoothed: tf.Tensor, alpha: float,
                       beta: float) -> tf.Tensor:
  """u_i of the module docstring; `rewards`, `smoothed` ``[..., N]``."""
  gaps = smoothed[..., None, :] - smoothed[..., :, None]   # [i, j]: e_j - e_i
  others = float(smoothed.shape[-1] - 1)
  envy = tf.reduce_sum(tf.nn.relu(gaps), -1)
  guilt = tf.reduce_sum(tf.nn.relu(-gaps), -1)
  return rewards - (alpha * envy + beta * guilt) / others


class SmoothedRewardPolicy(tf_policy.TFPolicy):
  """Joint categorical actions from observations and smoothed rewards."""

  def __init__(self, time_step_spec, action_spec, agent_ids: Sequence[str],
               probs_fn, decay: float, generator: tf.random.Generator,
               name: str):
    num_agents = len(agent_ids)
    spec = tensor_spec.TensorSpec([num_agents], tf.float32)
    super().__init__(time_step_spec, action_spec, policy_state_spec=spec,
                     info_spec={SMOOTHED: spec}, name=name)
    self._agent_ids = tuple(agent_ids)
    self._probs_fn = probs_fn
    self._decay = decay
    self._generator = generator

  def _action(self, time_step, policy_state, seed):
    del seed  # Sampling uses the checkpointed generator.
    first = time_step.is_first()[:, None]
    smoothed = tf.where(first, tf.zeros_like(policy_state),
                        self._decay * policy_state + time_step.reward)
    joint = policies.gumbel_max_sample(
        self._probs_fn(time_step.observation, smoothed), self._generator)
    actions = {a: tf.cast(joint[:, i], self.action_spec[a].dtype)
               for i, a in enumerate(self._agent_ids)}
    return policy_step.PolicyStep(actions, smoothed, {SMOOTHED: smoothed})


class InequityAversionAgent(ac.ActorCriticAgent):
  """Independent actor-critics with inequity-averse subjective rewards."""

  def __init__(self, time_step_spec, action_spec, agent_ids: Sequence[str],
               config: IAConfig = IAConfig(), seed: int = 0,
               name: str = "ia"):
    super().__init__(time_step_spec, action_spec, agent_ids, config=config,
                     seed=seed, name=name)

  @property
  def _decay(self) -> float:
    return self.config.gamma * self.config.smoothing

  def _build_network(self, output_size: int, name: str, hidden_sizes=None,
                     extra_inputs: int = 0, output_bias: bool = True):
    return super()._build_network(output_size, name, hidden_sizes,
                                  extra_inputs + self.num_agents, output_bias)

  def _make_policy(self, time_step_spec, action_spec, explore, generator,
                   name):
    def probs_fn(observation, smoothed):
      inputs = self._with_smoothed(
          self.layout.stack_observations(observation), smoothed)
      epsilon = self.epsilon if explore else tf.constant(0.0)
      return self.layout.masked_probs(self.policy_net(inputs), epsilon)

    return SmoothedRewardPolicy(time_step_spec, action_spec,
                                self.layout.agent_ids, probs_fn, self._decay,
                                generator, name)

  def _with_smoothed(self, observations: tf.Tensor,
                     smoothed: tf.Tensor) -> tf.Tensor:
    """Every agent's inputs ``[..., N, D + N]``: its observation, then all
    agents' smoothed rewards."""
    shared = tf.repeat(smoothed[..., None, :], self.num_agents, axis=-2)
    return tf.concat([observations, shared], -1)

  def _policy_inputs(self, experience) -> tf.Tensor:
    return self._with_smoothed(
        self.layout.stack_observations(experience.observation),
        experience.policy_info[SMOOTHED])

  def training_rewards(self, experience) -> tf.Tensor:
    """Subjective rewards with e_t = γλ e_{t-1} + r_t."""
    smoothed = (self._decay * experience.policy_info[SMOOTHED]
                + experience.reward)
    return subjective_rewards(experience.reward, smoothed,
                              self.config.disadvantageous_aversion,
                              self.config.advantageous_aversion)

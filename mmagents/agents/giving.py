"""Policy-gradient agents that also give each other rewards (LIO, PG-c).

Each agent has a REINFORCE policy (`PolicyGradientAgent`) and a second,
agent-stacked network that maps its inputs and the other agents' chosen
actions to one raw output per recipient; subclasses turn those outputs into
the incentives given (LIO: a deterministic function, PG-c: a stochastic
give-reward action). The policies run behind an `IncentiveChannelPolicy`, so
every step's incentives land in the trajectory. With ``observe_given`` (as in
Escape Room) policies and incentive networks also see what the agent has
given each other agent so far in the episode.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

from mmagents.agents import pg
from mmagents.core import incentives as incentives_lib
from mmagents.core import returns as returns_lib


@dataclasses.dataclass(frozen=True)
class GivingConfig(pg.PGConfig):
  """PG hyperparameters plus those of the incentive network."""
  incentive_hidden_sizes: Tuple[int, ...] = (64, 16)
  max_incentive: float = 2.0             # R_max: incentives in [0, R_max].
  observe_given: bool = True
  givers: Tuple[int, ...] = ()           # Agents that give; () = all.
  # What the incentive network sees of the others' actions: -1 their
  # one-hot actions; k >= 0 a multi-hot of which other agents chose action
  # k (Cleanup: who else used the cleaning beam).
  watched_action: int = -1

  def __post_init__(self):
    super().__post_init__()
    if self.max_incentive <= 0:
      raise ValueError(f"max_incentive must be > 0, got {self.max_incentive}")
    if (not self.incentive_hidden_sizes
        or min(self.incentive_hidden_sizes) < 1):
      raise ValueError("incentive_hidden_sizes must be positive")


class GivingAgent(pg.PolicyGradientAgent):
  """Base of agents with an incentive network beside the policy."""

  stochastic_incentives = False  # True: the policy draws incentive noise.

  def __init__(self, time_step_spec, action_spec, agent_ids: Sequence[str],
               config: GivingConfig, seed: int = 0, name: str = "giving"):
    super().__init__(time_step_spec, action_spec, agent_ids, config=config,
                     seed=seed, name=name)
    n = self.num_agents
    if any(not 0 <= g < n for g in config.givers):
      raise ValueError(f"givers must be agent indices < {n}, got "
                       f"{config.givers}")
    givers = np.ones(n, np.float32)
    if config.givers:
      givers[:] = 0.0
      givers[list(config.givers)] = 1.0
    # give_mask[i, j]: whether i may give to j (never to itself).
    self.give_mask = tf.constant(givers[:, None] * (1.0 - np.eye(n)),
                                 tf.float32)
    if config.watched_action >= self.layout.max_actions:
      raise ValueError(f"watched_action {config.watched_action} is not an "
                       f"action (< {self.layout.max_actions})")
    self.incentive_net = self._build_network(
        n, "incentive_net", config.incentive_hidden_sizes,
        extra_inputs=self._action_features_size(), output_bias=False)

  # --------------------------------------------------------------- policies
  def _make_policy(self, time_step_spec, action_spec, explore, generator,
                   name):
    def inputs_fn(observation, given):
      return self._inputs(self.layout.stack_observations(observation), given)

    return incentives_lib.IncentiveChannelPolicy(
        time_step_spec, action_spec, self.layout.agent_ids, inputs_fn,
        self.behaviour_probs_fn(explore), self.incentives,
        num_givers=self.layout.num_agents, generator=generator,
        noise=self.stochastic_incentives, name=name)

  def _policy_input_size(self) -> int:
    extra = self.layout.num_agents - 1 if self.config.observe_given else 0
    return self.layout.max_obs + extra

  def _inputs(self, observations: tf.Tensor, given: tf.Tensor) -> tf.Tensor:
    """Observations ``[..., N, D]`` plus, if observed, what each gave."""
    if not self.config.observe_given:
      return observations
    return tf.concat([observations, incentives_lib.off_diagonal(given)], -1)

  def _policy_inputs(self, experience) -> tf.Tensor:
    return self._inputs(self.layout.stack_observations(experience.observation),
                        experience.policy_info[incentives_lib.GIVEN])

  def _action_features_size(self) -> int:
    if self.config.watched_action >= 0:
      return self.num_agents - 1
    return (self.num_agents - 1) * self.layout.max_actions

  def action_features(self, actions: tf.Tensor) -> tf.Tensor:
    """What each giver sees of the joint action ``[..., N, F]``."""
    if self.config.watched_action >= 0:
      return incentives_lib.who_chose(actions, self.config.watched_action)
    return incentives_lib.others_one_hot(actions, self.layout.max_actions)

  def incentive_outputs(self, inputs: tf.Tensor,
                        actions: tf.Tensor) -> tf.Tensor:
    """Raw incentive network outputs ``[..., givers, recipients]``.

    Args:
      inputs: the givers' inputs ``[..., N, D]`` (as the policies see them).
      actions: joint actions ``[..., N]``.
    """
    x = tf.concat([inputs, self.action_features(actions)], -1)
    flat = tf.reshape(x, [-1, self.num_agents, x.shape[-1]])
    return tf.reshape(self.incentive_net(flat), tf.concat(
        [tf.shape(x)[:-1], [self.num_agents]], 0))

  def incentives(self, inputs: tf.Tensor, actions: tf.Tensor,
                 noise: Optional[tf.Tensor] = None) -> tf.Tensor:
    """Incentive matrix ``[..., givers, recipients]`` in [0, R_max]."""
    raise NotImplementedError

  # ---------------------------------------------------------------- metrics
  def experience_metrics(self, experience) -> Dict[str, tf.Tensor]:
    """The policies' entropy, incentives per episode (given and received per
    agent) and the mean incentive received for each action (per recipient)."""
    return {**super().experience_metrics(experience),
            **incentive_metrics(experience, self.layout.agent_ids,
                                self.layout.max_actions,
                                self.layout.stack_actions(experience.action))}


def incentive_metrics(experience, agent_ids: Sequence[str], num_actions: int,
                      actions: tf.Tensor,
                      given: Optional[tf.Tensor] = None
                      ) -> Dict[str, tf.Tensor]:
  """Incentive statistics of a batch of episodes: `given` ``[B, T, G, N]``
  (default: as recorded in its `policy_info`), per action of `actions`
  (``num_actions`` kinds)."""
  if given is None:
    given = experience.policy_info[incentives_lib.INCENTIVES]    # [B,T,G,N]
  mask = returns_lib.valid_mask(experience)                      # [B,T]
  episodes = returns_lib.num_episodes(experience)
  received = tf.reduce_sum(given, axis=-2) * mask[..., None]     # [B,T,N]
  metrics = {
      "incentive_given": tf.einsum("bt,btgn->g", mask, given) / episodes,
      "incentive_received": tf.reduce_sum(received, [0, 1]) / episodes,
  }
  taken = tf.one_hot(actions, num_actions) * mask[..., None, None]
  per_action = (tf.einsum("btn,btna->na", received, taken)
                / tf.maximum(tf.reduce_sum(taken, [0, 1]), 1.0))  # [N, A]
  for i, agent_id in enumerate(agent_ids):
    metrics[f"incentive_received_per_action/{agent_id}"] = per_action[i]
  return metrics

"""What every central incentive designer shares (MetaGrad, dual-RL).

One designer watches the global state s (the environment's ``"state"``
observation) and the joint action a of N PG learners, and gives each learner
an incentive at every step through an `IncentiveChannelPolicy` with a single
giver, so the incentives land in the trajectory. Its test-time return is the
collective extrinsic return minus every incentive it gave (``designer_return``,
thesis §6.3.2).
"""

from __future__ import annotations

from typing import Dict

import numpy as np
import tensorflow as tf

from environments import base as env_base
from mmagents.agents import giving
from mmagents.core import incentives as incentives_lib
from mmagents.core import returns as returns_lib


class CentralDesignerMixin:
  """For `pg.PolicyGradientAgent` subclasses with one central designer.

  Call `_init_central(time_step_spec)` before the base ``__init__`` (it builds
  the policies) and implement ``incentives(designer_inputs, actions, noise)``
  returning ``[..., 1, N]``; set ``stochastic_incentives`` if it samples.
  """

  progress_metrics = ("designer_return",)
  stochastic_incentives = False

  def _init_central(self, time_step_spec) -> None:
    state_spec = time_step_spec.observation.get(env_base.STATE_KEY)
    if state_spec is None:
      raise ValueError("a central designer reads the global state: build the "
                       "environment with with_state=True")
    self._state_rank = len(state_spec.shape)
    self._state_size = int(np.prod(state_spec.shape))

  def _make_policy(self, time_step_spec, action_spec, explore, generator,
                   name):
    return incentives_lib.IncentiveChannelPolicy(
        time_step_spec, action_spec, self.layout.agent_ids,
        lambda observation, _: self.layout.stack_observations(observation),
        self.behaviour_probs_fn(explore), self.incentives, num_givers=1,
        generator=generator, noise=self.stochastic_incentives,
        giver_inputs_fn=lambda observation, _: self._state(observation)[
            ..., None, :], name=name)

  def _state(self, observation) -> tf.Tensor:
    """The global state, flattened: ``[*outer, S]``."""
    state = tf.cast(observation[env_base.STATE_KEY], tf.float32)
    outer = tf.shape(state)[:len(state.shape) - self._state_rank]
    return tf.reshape(state, tf.concat([outer, [self._state_size]], 0))

  def designer_features_size(self) -> int:
    return self._state_size + self.num_agents * self.layout.max_actions

  def designer_features(self, state: tf.Tensor,
                        actions: tf.Tensor) -> tf.Tensor:
    """Designer network input ``[..., S + N·A]``: s and one-hot a."""
    joint = tf.one_hot(actions, self.layout.max_actions)
    joint = tf.reshape(joint, tf.concat(
        [tf.shape(actions)[:-1], [self.num_agents * self.layout.max_actions]],
        0))
    return tf.concat([state, joint], -1)

  @staticmethod
  def run_designer(network, features: tf.Tensor) -> tf.Tensor:
    """A one-owner `StackedMLP` on ``[..., D]`` features → ``[..., out]``."""
    out = network(tf.reshape(features, [-1, 1, features.shape[-1]]))
    return tf.reshape(out, tf.concat([tf.shape(features)[:-1],
                                      [network.output_size]], 0))

  def experience_metrics(self, experience) -> Dict[str, tf.Tensor]:
    """Incentives received per agent and action, and the designer's return
    at test time: collective extrinsic return minus incentives given."""
    actions = self.layout.stack_actions(experience.action)
    metrics = giving.incentive_metrics(experience, self.layout.agent_ids,
                                       self.layout.max_actions, actions)
    mask = returns_lib.valid_mask(experience)
    given = tf.reduce_sum(
        experience.policy_info[incentives_lib.INCENTIVES], [-2, -1])
    net = mask * (tf.reduce_sum(experience.reward, -1) - given)
    metrics["designer_return"] = (tf.reduce_sum(net)
                                  / returns_lib.num_episodes(experience))
    return metrics

"""What every central incentive designer shares (MetaGrad, dual-RL).

One designer watches the global state s (the environment's ``"state"``
observation) and the joint action a of N PG learners, and gives each learner
an incentive at every step through an `IncentiveChannelPolicy` with a single
giver, so the incentives land in the trajectory. Its test-time return is the
collective extrinsic return minus every incentive it gave (``designer_return``,
thesis §6.3.2).

Where an incentive depends on the step's outcome (Cleanup pays for
"collect apple", known only after the step) and agents do not observe
incentives, the designer pays after the episode instead
(``incentives_at_act_time = False``): the learners' actions do not depend on
the incentives of their episode, so this changes nothing they do, and the
incentives are recomputed from the trajectory wherever needed. A dict state
(Cleanup's ``{"image", "cleaners"}``) is read through its ``"image"``.
"""

from __future__ import annotations

from typing import Dict

import numpy as np
import tensorflow as tf

from environments import base as env_base
from mmagents.agents import giving
from mmagents.core import incentives as incentives_lib
from mmagents.core import networks
from mmagents.core import returns as returns_lib

STATE_IMAGE_KEY = "image"


class CentralDesignerMixin:
  """For `pg.PolicyGradientAgent` subclasses with one central designer.

  Call `_init_central(time_step_spec)` before the base ``__init__`` (it builds
  the policies) and implement ``incentives(designer_inputs, actions, noise)``
  returning ``[..., 1, N]``; set ``stochastic_incentives`` if it samples.
  """

  progress_metrics = ("designer_return",)
  stochastic_incentives = False
  incentives_at_act_time = True

  def _init_central(self, time_step_spec) -> None:
    state_spec = time_step_spec.observation.get(env_base.STATE_KEY)
    if state_spec is None:
      raise ValueError("a central designer reads the global state: build the "
                       "environment with with_state=True")
    if isinstance(state_spec, dict):
      state_spec = state_spec[STATE_IMAGE_KEY]
    self._state_shape = tuple(int(d) for d in state_spec.shape)
    self._state_rank = len(state_spec.shape)
    self._state_size = int(np.prod(state_spec.shape))

  def _make_policy(self, time_step_spec, action_spec, explore, generator,
                   name):
    if not self.incentives_at_act_time:
      return super()._make_policy(time_step_spec, action_spec, explore,
                                  generator, name)
    return incentives_lib.IncentiveChannelPolicy(
        time_step_spec, action_spec, self.layout.agent_ids,
        lambda observation, _: self.layout.stack_observations(observation),
        self.behaviour_probs_fn(explore), self.incentives, num_givers=1,
        generator=generator, noise=self.stochastic_incentives,
        giver_inputs_fn=lambda observation, _: self._state(observation)[
            ..., None, :], name=name)

  def _state(self, observation) -> tf.Tensor:
    """The global state, flattened: ``[*outer, S]``."""
    state = observation[env_base.STATE_KEY]
    if isinstance(state, dict):
      state = state[STATE_IMAGE_KEY]
    state = tf.cast(state, tf.float32)
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

  def build_designer_network(self, input_size: int, hidden_sizes,
                             output_size: int, output_bias: bool = True,
                             name: str = "designer_net"):
    """A network of the designer on ``[..., input_size]`` features."""
    return networks.StackedMLP(1, input_size, hidden_sizes, output_size,
                               output_bias=output_bias, name=name)

  @staticmethod
  def run_designer(network, features: tf.Tensor) -> tf.Tensor:
    """A one-owner `StackedMLP` on ``[..., D]`` features → ``[..., out]``."""
    out = network(tf.reshape(features, [-1, 1, features.shape[-1]]))
    return tf.reshape(out, tf.concat([tf.shape(features)[:-1],
                                      [network.output_size]], 0))

  # ------------------------------------------------------ designer critic
  def _init_designer_critic(self, hidden_sizes, learning_rate: float) -> None:
    """V(s) of the designer's reward, on the state alone (Adam)."""
    self.designer_value_net = self.build_designer_network(
        self._state_size, hidden_sizes, 1, name="designer_value_net")
    self._designer_value_optimizer = tf.keras.optimizers.Adam(learning_rate)

  def build_designer_critic_optimizer(self) -> None:
    self._designer_value_optimizer.build(
        self.designer_value_net.trainable_variables)

  def designer_values(self, experience) -> tf.Tensor:
    """The designer critic's V(s_t) ``[B, T]``."""
    return self.run_designer(self.designer_value_net,
                             self._state(experience.observation))[..., 0]

  def designer_advantages(self, experience, rewards: tf.Tensor,
                          gae_lambda: float) -> tf.Tensor:
    """GAE(λ) advantages ``[B, T]`` of the designer's `rewards` ``[B, T]``."""
    return returns_lib.gae_advantages(
        rewards, self.designer_values(experience), experience.is_last(),
        self.config.gamma, gae_lambda)

  @tf.function(jit_compile=True)
  def _designer_critic_gradients(self, experience, rewards, gae_lambda):
    variables = self.designer_value_net.trainable_variables
    mask = returns_lib.valid_mask(experience)
    targets = tf.stop_gradient(
        self.designer_advantages(experience, rewards, gae_lambda)
        + self.designer_values(experience))
    with tf.GradientTape() as tape:
      errors = mask * (self.designer_values(experience) - targets) ** 2
      loss = tf.reduce_sum(errors) / tf.maximum(tf.reduce_sum(mask), 1.0)
    return loss, tape.gradient(loss, variables)

  def train_designer_critic(self, experience, rewards: tf.Tensor,
                            gae_lambda: float) -> tf.Tensor:
    """One Adam step of the designer's critic toward the λ-returns of its
    `rewards` ``[B, T]``."""
    loss, gradients = self._designer_critic_gradients(
        experience, rewards, tf.constant(gae_lambda, tf.float32))
    self._designer_value_optimizer.apply_gradients(
        zip(gradients, self.designer_value_net.trainable_variables))
    return loss

  # ------------------------------------------------------ paid incentives
  @property
  def num_action_types(self) -> int:
    """How many kinds of action the designer prices (here: every action)."""
    return self.layout.max_actions

  def action_types(self, experience) -> tf.Tensor:
    """The kind of each agent's step ``[B, T, N]`` (here: its action)."""
    return self.layout.stack_actions(experience.action)

  def given_incentives(self, experience) -> tf.Tensor:
    """Incentives paid in a trajectory ``[B, T, 1, N]``: as recorded, or
    recomputed when the designer pays after the episode."""
    if self.incentives_at_act_time:
      return experience.policy_info[incentives_lib.INCENTIVES]
    raise NotImplementedError("a designer that pays after the episode "
                              "recomputes its incentives")

  def experience_metrics(self, experience) -> Dict[str, tf.Tensor]:
    """Incentives received per agent and action type, the designer's
    return at test time (collective extrinsic return minus incentives) and
    the learners' policy entropy."""
    given = self.given_incentives(experience)
    metrics = giving.incentive_metrics(
        experience, self.layout.agent_ids, self.num_action_types,
        self.action_types(experience), given)
    mask = returns_lib.valid_mask(experience)
    net = mask * (tf.reduce_sum(experience.reward, -1)
                  - tf.reduce_sum(given, [-2, -1]))
    metrics["designer_return"] = (tf.reduce_sum(net)
                                  / returns_lib.num_episodes(experience))
    return {**super().experience_metrics(experience), **metrics}

"""IAC and COMA on multi-goal games, with CM3's actor (thesis §3.4, A.8).

* IAC: each agent's critic V(o_self^n, g^n, o_others^n) (the others joining
  at the last hidden layer, like CM3's augmentation) fits
  r^n + γ V'(o'^n); the policy ascends ∇ log π̃(a^n) δ^n with the TD error
  δ^n = r^n + γ V(o'^n) − V(o^n) of its own individual reward.
* COMA: one global critic Q(s, a^{-n}, g^n, g^{-n}, n, o_self^n) with one
  output per action a^n, fit to the team reward R = Σ_n r^n:
  y = R + γ Q'(s', **a**')[a'^n] with **a**' ~ π'; the policy ascends
  ∇ log π̃(a^n) (Q[a^n] − Σ_â π̃(â|o^n) Q[â]) (the counterfactual baseline).
  As in the thesis, no recurrent networks and no previous actions.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Tuple

import tensorflow as tf

from mmagents.cm3 import base
from mmagents.core import augmentation


@dataclasses.dataclass(frozen=True)
class IACConfig(base.MultiGoalConfig):
  """IAC (defaults: Table A.3, IAC column; critic = V with lr_V)."""
  epsilon_start: float = 1.0
  epsilon_episodes: int = 80_000


class IACAgent(base.MultiGoalActorCritic):
  """Independent actor-critic with individual rewards and shared weights."""

  def __init__(self, time_step_spec, action_spec, agent_ids, parts,
               config: IACConfig = IACConfig(), seed: int = 0,
               name: str = "iac"):
    super().__init__(time_step_spec, action_spec, agent_ids, parts, config,
                     seed=seed, name=name)
    self.value = self._make_value()
    self.target_value = self._make_value()
    self.target_value.copy_weights_from(self.value)
    self._value_optimizer = tf.keras.optimizers.Adam(
        config.critic_learning_rate)

  def _make_value(self) -> augmentation.AugmentableNetwork:
    c = self.config
    return self.observation_network(c.critic_hidden_sizes, 1, 0,
                                    c.critic_side_sizes, "value")

  def values(self, net, observations: tf.Tensor) -> tf.Tensor:
    """V(o^n, g^n) of every agent ``[B, N]``."""
    return self.apply_observation_network(net, observations)[..., 0]

  def target_pairs(self) -> list:
    return super().target_pairs() + [(self.target_value, self.value)]

  def critic_loss_names(self):
    return ("value_loss",)

  def build_optimizers(self) -> None:
    super().build_optimizers()
    self._value_optimizer.build(self.value.trainable_variables)

  def _update(self, batch: Dict[str, tf.Tensor]) -> tf.Tensor:
    gamma_d = self.config.gamma * batch["discount"][:, None]
    obs, next_obs = batch["observation"], batch["next_observation"]
    targets = tf.stop_gradient(
        batch["reward"] + gamma_d * self.values(self.target_value, next_obs))
    self.regression_step(
        self._value_optimizer, self.value.trainable_variables,
        lambda: tf.reduce_mean((targets - self.values(self.value, obs)) ** 2))
    td_errors = (batch["reward"] + gamma_d * self.values(self.value, next_obs)
                 - self.values(self.value, obs))
    return self.policy_step(batch, td_errors)


@dataclasses.dataclass(frozen=True)
class COMAConfig(base.MultiGoalConfig):
  """COMA (defaults: Table A.3 COMA column, App. A.8.1 critic 128-128)."""
  critic_hidden_sizes: Tuple[int, ...] = (128, 128)
  policy_learning_rate: float = 1e-5
  critic_learning_rate: float = 1e-4
  epsilon_start: float = 1.0


class COMAAgent(base.MultiGoalActorCritic):
  """COMA's counterfactual baseline on the team reward."""

  def __init__(self, time_step_spec, action_spec, agent_ids, parts,
               config: COMAConfig = COMAConfig(), seed: int = 0,
               name: str = "coma"):
    super().__init__(time_step_spec, action_spec, agent_ids, parts, config,
                     seed=seed, name=name)
    self.critic = self._make_critic()
    self.target_critic = self._make_critic()
    self.target_critic.copy_weights_from(self.critic)
    self._critic_optimizer = tf.keras.optimizers.Adam(
        config.critic_learning_rate)

  def _critic_input_size(self) -> int:
    p, n, a = self.parts, self.num_agents, self.layout.max_actions
    return (p.state_size + (n - 1) * a + n * p.goal_size + n + p.self_size)

  def _make_critic(self) -> augmentation.AugmentableNetwork:
    net = augmentation.AugmentableNetwork(
        self.inputs.critic_images(self.env_image(), self.self_image()),
        self.config.critic_hidden_sizes, self.layout.max_actions,
        name="coma_critic")
    net.build_weights(self._critic_input_size())
    return net

  def critic_inputs(self, state, observations, joint_one_hot) -> tf.Tensor:
    """Per agent n: (s, a^{-n}, g^n, g^{-n}, one-hot n, o_self^n), images
    (the state's, then the own view) first: ``[B, N, D]``."""
    n = self.num_agents
    own, goals, _ = self.parts.split_observation(observations)
    env_image = self.inputs.env_image_size
    self_image = self.inputs.self_image_size
    batch = tf.shape(state)[0]
    tile = lambda x: tf.broadcast_to(x[:, None, :], tf.stack(
        [batch, n, tf.shape(x)[-1]]))
    labels = tf.broadcast_to(tf.eye(n)[None], tf.stack([batch, n, n]))
    return tf.concat([
        tile(state[:, :env_image]), own[..., :self_image],
        tile(state[:, env_image:]),
        self.inputs.others_actions(joint_one_hot),
        goals, self.inputs.others_of(goals),
        labels, own[..., self_image:]], -1)

  def q_values(self, net, state, observations, joint_one_hot) -> tf.Tensor:
    """Q(s, (·, a^{-n}), **g**) for every agent n ``[B, N, A]``."""
    inputs = self.critic_inputs(state, observations, joint_one_hot)
    flat = net(tf.reshape(inputs, [-1, inputs.shape[-1]]))
    return tf.reshape(flat, [-1, self.num_agents, self.layout.max_actions])

  def target_pairs(self) -> list:
    return super().target_pairs() + [(self.target_critic, self.critic)]

  def critic_loss_names(self):
    return ("q_loss",)

  def build_optimizers(self) -> None:
    super().build_optimizers()
    self._critic_optimizer.build(self.critic.trainable_variables)

  def _update(self, batch: Dict[str, tf.Tensor]) -> tf.Tensor:
    state, obs = batch["state"], batch["observation"]
    taken = self.one_hot(batch["action"])
    next_probs = self.policy_probs(self.target_actor,
                                   batch["next_observation"], self.epsilon)
    next_joint = self.one_hot(self.sample_actions(next_probs))
    next_q = tf.reduce_sum(self.q_values(
        self.target_critic, batch["next_state"], batch["next_observation"],
        next_joint) * next_joint, -1)                              # [B, N]
    team_reward = tf.reduce_sum(batch["reward"], -1, keepdims=True)
    targets = tf.stop_gradient(
        team_reward + self.config.gamma * batch["discount"][:, None] * next_q)
    self.regression_step(
        self._critic_optimizer, self.critic.trainable_variables,
        lambda: tf.reduce_mean((targets - tf.reduce_sum(self.q_values(
            self.critic, state, obs, taken) * taken, -1)) ** 2))
    return self.policy_step(batch, self.counterfactual_advantages(
        state, obs, taken))

  def counterfactual_advantages(self, state, obs, taken) -> tf.Tensor:
    """A^n = Q[a^n] − Σ_â π̃(â|o^n) Q[â] ``[B, N]``."""
    q = self.q_values(self.critic, state, obs, taken)
    probs = self.policy_probs(self.actor, obs, self.epsilon)
    return tf.stop_gradient(tf.reduce_sum(q * taken, -1)
                            - tf.reduce_sum(q * probs, -1))

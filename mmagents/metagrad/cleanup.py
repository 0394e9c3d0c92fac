"""MetaGrad and dual-RL (c) on Cleanup (thesis §6.3.2, App. C.2, Table C.3).

A central designer pays actor-critic learners (one shared set of weights, as
in the thesis) per action *type*: cleaning (the clean action), collecting an
apple (a step whose extrinsic reward is positive: apples are the only reward
in the LIO setting of Cleanup) and anything else. It sees the full map image
(convolution, first hidden layer) and a multi-hot of which agents cleaned
(joining before the second hidden layer); three outputs, R_max σ(·).

Whether a step collected an apple is known only after the step, so the
designer pays after the episode (`CentralDesignerMixin`, agents never see
incentives). Designer and critics learn as follows:

* `MetaGradACAgent`: MetaGrad's pipelined iteration with the actor-critic
  inner step (TD advantages of the total rewards) and the PPO outer
  objective with GAE from the designer's critic (Table C.3 ``use_ppo``);
  after the designer step the learners' critics take one step on τ.
* `DualRLACAgent`: the designer's action is u ~ N(f_η(s, a), 1) per type,
  incentives R_max σ(u), learned by policy gradient with GAE advantages of
  its reward (extrinsic rewards minus incentives paid) alongside the
  learners.

Choices where the sources are silent or differ (each a flag):
* the authors' code charges no incentive cost in MetaGrad on Cleanup; the
  thesis' ψ applies to Escape Room. ``cost_coeff`` defaults to 0;
* Table C.3 gives the designer critic a target network (c_v); here it
  regresses the λ-returns directly, as in MetaGrad on Escape Room;
* PPO with one pass over each rollout has ratio 1, so its clip (ε = 0.0164)
  never acts for dual-RL, which is therefore trained by the plain
  advantage-weighted policy gradient; its entropy bonus is omitted (a
  unit-variance Gaussian's entropy does not depend on η).
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Sequence, Tuple

import tensorflow as tf
from tf_agents.agents import tf_agent

from mmagents.agents import ac
from mmagents.agents import lookahead
from mmagents.agents import pg_c
from mmagents.core import networks
from mmagents.core import returns as returns_lib
from mmagents.metagrad import central
from mmagents.metagrad import designer

ACTION_TYPES = ("clean", "apple", "else")
CLEAN, APPLE, ELSE = range(len(ACTION_TYPES))
DualRLACLossExtra = collections.namedtuple(
    "DualRLACLossExtra", ["policy_loss", "designer_loss", "entropy"])


class CleanupDesignerMixin:
  """Cleanup's designer inputs, network and action types; pays after the
  episode. Configs carry ``clean_action``, ``conv_filters``, ``kernel_size``.
  """

  incentives_at_act_time = False
  num_action_types = len(ACTION_TYPES)

  def designer_features_size(self) -> int:
    return self._state_size + self.num_agents

  def designer_features(self, state: tf.Tensor,
                        actions: tf.Tensor) -> tf.Tensor:
    """The flattened map image and who cleaned ``[..., S + N]``."""
    cleaned = tf.cast(tf.equal(actions, self.config.clean_action), tf.float32)
    return tf.concat([state, cleaned], -1)

  def build_designer_network(self, input_size: int, hidden_sizes,
                             output_size: int, output_bias: bool = True,
                             name: str = "designer_net"):
    """Convolution on the image, the rest of the input after the first
    hidden layer."""
    config = self.config
    return networks.StackedConvMLP(
        1, self._state_shape, config.conv_filters, config.kernel_size,
        hidden_sizes, output_size, side_size=input_size - self._state_size,
        output_bias=output_bias, name=name)

  def action_types(self, experience) -> tf.Tensor:
    """Clean, apple or else for each agent's step ``[B, T, N]`` (int32)."""
    actions = self.layout.stack_actions(experience.action)
    kind = tf.where(experience.reward > 0, APPLE, ELSE)
    return tf.where(tf.equal(actions, self.config.clean_action), CLEAN, kind)

  def paid_incentives(self, per_type: tf.Tensor, experience) -> tf.Tensor:
    """What each agent receives ``[B, T, N]`` from prices ``[B, T, K]``."""
    types = self.action_types(experience)
    return tf.gather(per_type, types, batch_dims=len(types.shape) - 1)


# ------------------------------------------------------------------ MetaGrad
@dataclasses.dataclass(frozen=True)
class MetaGradACConfig(designer.MetaGradConfig, ac.ACConfig):
  """Hyperparameters (defaults: thesis Table C.3, MetaGrad, 7x7 map)."""
  hidden_sizes: Tuple[int, ...] = (64, 64)
  learning_rate: float = 6.73e-4
  entropy_coeff: float = 0.129
  epsilon_start: float = 1.0
  epsilon_end: float = 0.05
  epsilon_episodes: int = 100
  value_learning_rate: float = 5.54e-4
  target_update_rate: float = 7.93e-3
  share_parameters: bool = True
  designer_hidden_sizes: Tuple[int, ...] = (64, 64)
  designer_learning_rate: float = 1.24e-5
  designer_value_hidden_sizes: Tuple[int, ...] = (64, 64)
  designer_value_learning_rate: float = 2.4e-5
  outer_objective: str = "ppo"
  ppo_clip: float = 0.0172
  gae_lambda: float = 0.99
  cost_coeff: float = 0.0
  cost_learning_rate: float = 0.0
  clean_action: int = ac.CLEANUP_CLEAN_ACTION


class MetaGradACAgent(CleanupDesignerMixin,
                      lookahead.CriticAfterLookaheadMixin,
                      designer.MetaGradAgent, ac.ActorCriticAgent):
  """MetaGrad's designer over actor-critic learners on Cleanup."""

  def __init__(self, time_step_spec, action_spec, agent_ids: Sequence[str],
               config: MetaGradACConfig = MetaGradACConfig(), seed: int = 0,
               name: str = "metagrad_ac"):
    super().__init__(time_step_spec, action_spec, agent_ids, config=config,
                     seed=seed, name=name)

  def critic_rewards(self, experience) -> tf.Tensor:
    """Extrinsic rewards plus the incentives paid."""
    return self._total_rewards(experience, None)[0]


# ------------------------------------------------------------------- dual-RL
@dataclasses.dataclass(frozen=True)
class DualRLACConfig(ac.ACConfig):
  """Hyperparameters (defaults: thesis Table C.3, dual-RL (c), 7x7 map)."""
  hidden_sizes: Tuple[int, ...] = (64, 64)
  learning_rate: float = 6.23e-4
  entropy_coeff: float = 0.173
  epsilon_start: float = 1.0
  epsilon_end: float = 0.1
  epsilon_episodes: int = 100
  value_learning_rate: float = 4.46e-4
  target_update_rate: float = 0.292
  share_parameters: bool = True
  max_incentive: float = 2.0
  designer_hidden_sizes: Tuple[int, ...] = (64, 64)
  designer_learning_rate: float = 1.15e-5
  designer_value_hidden_sizes: Tuple[int, ...] = (64, 64)
  designer_value_learning_rate: float = 1.72e-5
  gae_lambda: float = 0.99
  clean_action: int = ac.CLEANUP_CLEAN_ACTION

  def __post_init__(self):
    super().__post_init__()
    for name in ("max_incentive", "designer_learning_rate",
                 "designer_value_learning_rate"):
      if getattr(self, name) <= 0:
        raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
    if not 0.0 <= self.gae_lambda <= 1.0:
      raise ValueError(f"gae_lambda must be in [0, 1], got "
                       f"{self.gae_lambda}")


class DualRLACAgent(CleanupDesignerMixin, central.CentralDesignerMixin,
                    ac.ActorCriticAgent):
  """An RL designer (Gaussian through a sigmoid) beside actor-critics."""

  def __init__(self, time_step_spec, action_spec, agent_ids: Sequence[str],
               config: DualRLACConfig = DualRLACConfig(), seed: int = 0,
               name: str = "dual_rl_ac"):
    self._init_central(time_step_spec)
    super().__init__(time_step_spec, action_spec, agent_ids, config=config,
                     seed=seed, name=name)
    self.designer_net = self.build_designer_network(
        self.designer_features_size(), config.designer_hidden_sizes,
        self.num_action_types)
    self._init_designer_critic(config.designer_value_hidden_sizes,
                               config.designer_value_learning_rate)
    self._designer_optimizer = tf.keras.optimizers.Adam(
        config.designer_learning_rate)
    # The designer's draws, apart from the agents' streams.
    self.designer_rng = tf.random.Generator.from_seed(seed + 104729)

  def build_optimizers(self) -> None:
    super().build_optimizers()
    self._designer_optimizer.build(self.designer_net.trainable_variables)
    self.build_designer_critic_optimizer()

  def designer_means(self, experience) -> tf.Tensor:
    """f_η(s_t, a_t) ``[B, T, K]``: the Gaussian means per action type."""
    state = self._state(experience.observation)
    actions = self.layout.stack_actions(experience.action)
    return self.run_designer(self.designer_net,
                             self.designer_features(state, actions))

  def given_incentives(self, experience) -> tf.Tensor:
    """At test time the designer pays its mean action R_max σ(f_η)."""
    per_type = self.config.max_incentive * tf.sigmoid(
        self.designer_means(experience))
    return self.paid_incentives(per_type, experience)[..., None, :]

  def _loss(self, experience, weights=None, training: bool = False):
    """Both losses for one draw u of the designer's actions."""
    del weights, training
    means = self.designer_means(experience)
    u = tf.stop_gradient(means + self.designer_rng.normal(tf.shape(means)))
    return self._losses(experience, means, u)[0]

  def _losses(self, experience, means: tf.Tensor, u: tf.Tensor):
    """The loss info, and the rewards of learners ``[B, T, N]`` and of the
    designer ``[B, T]`` for designer actions `u` ``[B, T, K]``."""
    config = self.config
    given = self.paid_incentives(config.max_incentive * tf.sigmoid(u),
                                 experience)
    rewards = experience.reward + given
    policy_loss, entropy = self.reinforce_terms(
        self.policy_net.layer_weights, experience,
        self._policy_inputs(experience), rewards, self.epsilon)
    designer_reward = tf.reduce_sum(experience.reward - given, -1)
    advantages = tf.stop_gradient(self.designer_advantages(
        experience, designer_reward, config.gae_lambda))
    log_prob = tf.reduce_sum(pg_c.squashed_gaussian_log_prob(
        u, means, config.max_incentive), -1)
    designer_loss = (-tf.reduce_sum(returns_lib.valid_mask(experience)
                                    * advantages * log_prob)
                     / returns_lib.num_episodes(experience))
    agents_loss = tf.reduce_sum(policy_loss - config.entropy_coeff * entropy)
    loss_info = tf_agent.LossInfo(
        agents_loss + designer_loss,
        DualRLACLossExtra(policy_loss, designer_loss, entropy))
    return loss_info, rewards, designer_reward

  def _train(self, experience, weights=None):
    """One step of learners and designer, then both kinds of critic."""
    del weights
    policy_vars = self.policy_net.trainable_variables
    designer_vars = self.designer_net.trainable_variables
    noise = self.designer_rng.normal(
        tf.concat([tf.shape(experience.reward)[:2],
                   [self.num_action_types]], 0))
    with tf.GradientTape() as tape:
      means = self.designer_means(experience)
      loss_info, rewards, designer_reward = self._losses(
          experience, means, tf.stop_gradient(means + noise))
    gradients = tape.gradient(loss_info.loss, policy_vars + designer_vars)
    self._optimizer.apply_gradients(zip(gradients[:len(policy_vars)],
                                        policy_vars))
    self._designer_optimizer.apply_gradients(
        zip(gradients[len(policy_vars):], designer_vars))
    self.train_critic(experience, self._policy_inputs(experience),
                      tf.stop_gradient(rewards))
    self.train_designer_critic(experience, tf.stop_gradient(designer_reward),
                               self.config.gae_lambda)
    self.train_step_counter.assign_add(1)
    return loss_info

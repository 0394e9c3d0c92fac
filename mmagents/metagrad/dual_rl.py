"""Dual-RL: the incentive designer as one more RL agent (thesis §6.3.2).

The baseline of MetaGrad: the designer learns by REINFORCE (Adam) from its
own reward, R^ID minus the incentives it gives, on the same timescale as the
N PG learners (plain SGD), without looking through their learning. Its
action at each step, given the global state and joint action:

* ``discrete`` (dual-RL (d)): one of |S_r|^|A| assignments of a value from
  the set S_r to each action type, a categorical choice; an agent that took
  action k receives the value assigned to k. Sets of §6.3.2: ``small``
  {0, 1.1}, ``medium`` {0, 1.1, 2}, ``large`` {0, 0.5, 1, 1.5, 2} (the
  authors' code has 1.1 in place of 1.0 in the large set; the thesis text is
  the default, ``incentive_values`` takes any set);
* ``continuous`` (dual-RL (c)): one incentive per agent, R_max σ(u) with
  u ~ N(f_η(s, a), 1), whose log-density follows from the change of variables
  (as PG-c's give-reward actions).

The channel policy records a standard normal draw per agent and step; the
categorical choice is the inverse-CDF sample at Φ(z), so training recomputes
exactly the choice made (one update per collection: the policy that chose is
the one trained).
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import math
from typing import Sequence, Tuple

import tensorflow as tf
from tf_agents.agents import tf_agent

from mmagents.agents import pg
from mmagents.agents import pg_c
from mmagents.core import incentives as incentives_lib
from mmagents.core import networks
from mmagents.core import returns as returns_lib
from mmagents.metagrad import central

DualRLLossExtra = collections.namedtuple(
    "DualRLLossExtra", ["policy_loss", "designer_loss", "entropy"])
ACTION_SETS = {"small": (0.0, 1.1), "medium": (0.0, 1.1, 2.0),
               "large": (0.0, 0.5, 1.0, 1.5, 2.0)}
ACTION_SPACES = ("discrete", "continuous")


@dataclasses.dataclass(frozen=True)
class DualRLConfig(pg.PGConfig):
  """Hyperparameters (defaults: thesis Table C.1, dual-RL (d) on ER(5, 2))."""
  hidden_sizes: Tuple[int, ...] = (128, 64)
  learning_rate: float = 3.41e-4
  entropy_coeff: float = 0.386
  epsilon_start: float = 0.0
  epsilon_end: float = 0.0
  action_space: str = "discrete"
  incentive_values: Tuple[float, ...] = ACTION_SETS["small"]
  max_incentive: float = 2.0            # Continuous: incentives in (0, 2).
  designer_hidden_sizes: Tuple[int, ...] = (128, 64)
  designer_learning_rate: float = 2.47e-3
  designer_entropy_coeff: float = 0.488  # Discrete designer only.

  def __post_init__(self):
    super().__post_init__()
    if self.action_space not in ACTION_SPACES:
      raise ValueError(f"action_space must be one of {ACTION_SPACES}, got "
                       f"{self.action_space!r}")
    if not self.incentive_values or min(self.incentive_values) < 0:
      raise ValueError(f"incentive_values must be non-empty and >= 0, got "
                       f"{self.incentive_values}")
    if self.max_incentive <= 0 or self.designer_learning_rate <= 0:
      raise ValueError("max_incentive and designer_learning_rate must be > 0")
    if self.designer_entropy_coeff < 0:
      raise ValueError("designer_entropy_coeff must be >= 0")
    if (not self.designer_hidden_sizes
        or min(self.designer_hidden_sizes) < 1):
      raise ValueError(f"designer_hidden_sizes must be positive, got "
                       f"{self.designer_hidden_sizes}")


class DualRLAgent(central.CentralDesignerMixin, pg.PolicyGradientAgent):
  """N PG learners and an RL incentive designer, trained side by side."""

  stochastic_incentives = True

  def __init__(self, time_step_spec, action_spec, agent_ids: Sequence[str],
               config: DualRLConfig = DualRLConfig(), seed: int = 0,
               name: str = "dual_rl"):
    self._init_central(time_step_spec)
    super().__init__(time_step_spec, action_spec, agent_ids, config=config,
                     seed=seed, name=name)
    self.discrete = config.action_space == "discrete"
    if self.discrete:
      # Row k: the value given for each action type under choice k.
      self._assignments = tf.constant(list(itertools.product(
          config.incentive_values, repeat=self.layout.max_actions)),
                                      tf.float32)                   # [K, A]
      outputs = int(self._assignments.shape[0])
    else:
      outputs = self.num_agents
    self.designer_net = networks.StackedMLP(
        1, self.designer_features_size(), config.designer_hidden_sizes,
        outputs, name="designer_net")
    self._designer_optimizer = tf.keras.optimizers.Adam(
        config.designer_learning_rate)

  def build_optimizers(self) -> None:
    super().build_optimizers()
    self._designer_optimizer.build(self.designer_net.trainable_variables)

  # ------------------------------------------------------------- incentives
  def designer_outputs(self, state: tf.Tensor,
                       actions: tf.Tensor) -> tf.Tensor:
    """Choice logits ``[..., K]`` (discrete) or Gaussian means ``[..., N]``."""
    return self.run_designer(self.designer_net,
                             self.designer_features(state, actions))

  @staticmethod
  def inverse_cdf_choice(logits: tf.Tensor, normal: tf.Tensor) -> tf.Tensor:
    """The categorical sample at the uniform Φ(normal) ``[...]`` (int32)."""
    uniform = 0.5 * (1.0 + tf.math.erf(normal / math.sqrt(2.0)))
    below = tf.cumsum(tf.nn.softmax(logits), axis=-1) < uniform[..., None]
    choice = tf.reduce_sum(tf.cast(below, tf.int32), -1)
    return tf.minimum(choice, tf.shape(logits)[-1] - 1)

  def incentives(self, designer_inputs: tf.Tensor, actions: tf.Tensor,
                 noise=None) -> tf.Tensor:
    """Incentive matrix ``[..., 1, N]`` drawn with the recorded `noise`
    (standard normal ``[..., 1, N]``; zeros give the median choice)."""
    state = designer_inputs[..., 0, :]
    outputs = self.designer_outputs(state, actions)
    normal = (tf.zeros_like(state[..., 0]) if noise is None
              else noise[..., 0, 0])
    if self.discrete:
      per_action = tf.gather(self._assignments,
                             self.inverse_cdf_choice(outputs, normal))
      per_agent = tf.gather(per_action, actions,
                            batch_dims=len(actions.shape) - 1)
    else:
      u = outputs if noise is None else outputs + noise[..., 0, :]
      per_agent = self.config.max_incentive * tf.sigmoid(u)
    return per_agent[..., None, :]

  # --------------------------------------------------------------- training
  def designer_log_prob(self, experience) -> Tuple[tf.Tensor, tf.Tensor]:
    """log π_ID of the recorded choices and the designer's entropy ``[B, T]``
    (entropy 0 for the continuous designer)."""
    state = self._state(experience.observation)
    actions = self.layout.stack_actions(experience.action)
    noise = experience.policy_info[incentives_lib.NOISE][..., 0, :]  # [B,T,N]
    outputs = self.designer_outputs(state, actions)
    if self.discrete:
      choice = self.inverse_cdf_choice(tf.stop_gradient(outputs),
                                       noise[..., 0])
      log_probs = tf.nn.log_softmax(outputs)
      entropy = -tf.reduce_sum(tf.exp(log_probs) * log_probs, -1)
      return tf.gather(log_probs, choice, batch_dims=2), entropy
    u = tf.stop_gradient(outputs + noise)
    log_prob = tf.reduce_sum(pg_c.squashed_gaussian_log_prob(
        u, outputs, self.config.max_incentive), -1)
    return log_prob, tf.zeros_like(log_prob)

  def _loss(self, experience, weights=None, training: bool = False):
    del weights, training
    given = experience.policy_info[incentives_lib.INCENTIVES][..., 0, :]
    rewards = experience.reward + given                          # [B,T,N]
    policy_loss, entropy = self.reinforce_terms(
        self.policy_net.layer_weights, experience,
        self._policy_inputs(experience), rewards, self.epsilon)
    designer_reward = tf.reduce_sum(experience.reward - given, -1)  # [B,T]
    returns = returns_lib.discounted_returns(
        designer_reward, experience.is_last(), self.config.gamma)
    log_prob, designer_entropy = self.designer_log_prob(experience)
    mask = returns_lib.valid_mask(experience)
    designer_loss = -tf.reduce_sum(
        mask * (log_prob * returns + self.config.designer_entropy_coeff
                * designer_entropy)) / returns_lib.num_episodes(experience)
    agents_loss = tf.reduce_sum(policy_loss
                                - self.config.entropy_coeff * entropy)
    return tf_agent.LossInfo(agents_loss + designer_loss,
                             DualRLLossExtra(policy_loss, designer_loss,
                                             entropy))

  def _train(self, experience, weights=None):
    """One SGD step of the learners and one Adam step of the designer."""
    del weights
    policy_vars = self.policy_net.trainable_variables
    designer_vars = self.designer_net.trainable_variables
    with tf.GradientTape() as tape:
      loss_info = self._loss(experience)
    gradients = tape.gradient(loss_info.loss, policy_vars + designer_vars)
    self._optimizer.apply_gradients(zip(gradients[:len(policy_vars)],
                                        policy_vars))
    self._designer_optimizer.apply_gradients(
        zip(gradients[len(policy_vars):], designer_vars))
    self.train_step_counter.assign_add(1)
    return loss_info

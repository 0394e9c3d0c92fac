"""Independent actor-critic: the base learner of every Cleanup method.

Each agent j has a policy π_θj and a critic V_φj on its own observation, and
a target critic V_φ̃j that tracks φj softly (φ̃ ← τ φ + (1 - τ) φ̃, τ = 0.01).
As in thesis App. B.4.2:

  policy (Eq. B.9):  θ ← θ + α_θ Σ_t ∇ log π̃(a_t|o_t) (r_t + γ V_φ(s_{t+1})
                                                       - V_φ̃(s_t)) + entropy
  critic (Eq. B.10): min_φ mean_t (r_t + γ V_φ̃(s_{t+1}) - V_φ(s_t))²

with plain gradient descent on the policy and Adam on the critic. Eq. B.9
reads the online critic at s_{t+1} and the target critic at s_t; that is
implemented as written. V(s_{t+1}) is 0 after a termination and bootstrapped
after a truncation (the trajectory's discount). Observations that are images
go through one convolution (6 filters 3x3, stride 1, ReLU) before two
hidden layers of 64; ``share_parameters`` gives all agents one policy and
one critic (the agent's own colour in its view tells them apart).

``reward="collective"`` trains every agent on the sum of all rewards: the
fully centralized "Cen" upper bound of thesis §5.3.2.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Tuple

import tensorflow as tf
from tf_agents.agents import tf_agent

from mmagents.agents import pg
from mmagents.core import networks
from mmagents.core import returns as returns_lib

ACLossExtra = collections.namedtuple(
    "ACLossExtra", ["policy_loss", "entropy", "value_loss"])
REWARDS = ("individual", "collective")
# Index of "clean" in LIO's Cleanup action set (left, right, up, down, stay,
# clean): what incentive functions watch there by default.
CLEANUP_CLEAN_ACTION = 5


@dataclasses.dataclass(frozen=True)
class ACConfig(pg.PGConfig):
  """Hyperparameters (defaults: thesis Table B.5, AC on 7x7 Cleanup)."""
  hidden_sizes: Tuple[int, ...] = (64, 64)
  learning_rate: float = 1e-3
  entropy_coeff: float = 0.1
  epsilon_start: float = 0.5
  epsilon_end: float = 0.05
  epsilon_episodes: int = 100
  conv_filters: int = 6           # 0: no convolution (vector observations).
  kernel_size: int = 3
  value_learning_rate: float = 1e-3
  target_update_rate: float = 0.01
  share_parameters: bool = False
  reward: str = "individual"

  def __post_init__(self):
    super().__post_init__()
    if self.conv_filters < 0 or self.kernel_size < 1:
      raise ValueError("conv_filters must be >= 0 and kernel_size >= 1")
    if self.value_learning_rate <= 0:
      raise ValueError("value_learning_rate must be > 0")
    if not 0.0 < self.target_update_rate <= 1.0:
      raise ValueError(f"target_update_rate must be in (0, 1], got "
                       f"{self.target_update_rate}")
    if self.reward not in REWARDS:
      raise ValueError(f"reward must be one of {REWARDS}, got {self.reward}")


def next_step_values(values: tf.Tensor, experience) -> tf.Tensor:
  """γ-free bootstrap values V(s_{t+1}) ``[B, T, N]``: the next row's value
  times the transition's discount (0 after a termination)."""
  following = tf.concat([values[:, 1:], tf.zeros_like(values[:, :1])], 1)
  return following * experience.discount[..., None]


class ActorCriticAgent(pg.PolicyGradientAgent):
  """N independent actor-critic learners evaluated in one batched call."""

  def __init__(self, time_step_spec, action_spec, agent_ids,
               config: ACConfig = ACConfig(), seed: int = 0,
               name: str = "ac"):
    self._observation_shapes = {
        tuple(time_step_spec.observation[a].shape) for a in agent_ids}
    super().__init__(time_step_spec, action_spec, agent_ids, config=config,
                     seed=seed, name=name)
    self.value_net = self._build_network(1, "value_net")
    self.target_value_net = self._build_network(1, "target_value_net")
    self.target_value_net.trainable = False
    soft_update(self.target_value_net, self.value_net, 1.0)
    self._value_optimizer = tf.keras.optimizers.Adam(
        config.value_learning_rate)

  def _build_network(self, output_size: int, name: str,
                     hidden_sizes=None, extra_inputs: int = 0,
                     output_bias: bool = True):
    """Image observations: convolution, first hidden layer, then the extra
    inputs join; otherwise the MLP of `PolicyGradientAgent`."""
    config = self.config
    image = (config.conv_filters > 0 and len(self._observation_shapes) == 1
             and len(next(iter(self._observation_shapes))) == 3
             and self._policy_input_size() == self.layout.max_obs)
    if image:
      return networks.StackedConvMLP(
          self.num_agents, next(iter(self._observation_shapes)),
          config.conv_filters, config.kernel_size,
          config.hidden_sizes if hidden_sizes is None else hidden_sizes,
          output_size, side_size=extra_inputs, output_bias=output_bias,
          shared=config.share_parameters, name=name)
    if config.share_parameters:
      raise ValueError("share_parameters needs image observations of one "
                       "shape (a convolutional network)")
    return super()._build_network(output_size, name, hidden_sizes,
                                  extra_inputs, output_bias)

  def train_critic(self, experience, inputs: tf.Tensor,
                   rewards: tf.Tensor, critic=None) -> tf.Tensor:
    """One Adam step of the critics on Eq. B.10, then the target update;
    returns the per-agent losses ``[N]`` before the step.

    ``critic``: another ``(net, target_net, optimizer)`` to train the same
    way (default: `value_net`, `target_value_net`, their optimizer).
    """
    net, target_net, optimizer = critic or (
        self.value_net, self.target_value_net, self._value_optimizer)
    variables = net.trainable_variables
    with tf.GradientTape() as tape:
      losses = self.value_loss(experience, inputs, rewards,
                               nets=(net, target_net))
      total = tf.reduce_sum(losses)
    optimizer.apply_gradients(zip(tape.gradient(total, variables), variables))
    soft_update(target_net, net, self.config.target_update_rate)
    return losses

  def build_optimizers(self) -> None:
    super().build_optimizers()
    self._value_optimizer.build(self.value_net.trainable_variables)

  # ------------------------------------------------------------ loss pieces
  def training_rewards(self, experience) -> tf.Tensor:
    """The rewards ``[B, T, N]`` each agent maximizes (collective: the sum
    of everyone's)."""
    rewards = experience.reward
    if self.config.reward == "collective":
      return tf.broadcast_to(tf.reduce_sum(rewards, -1, keepdims=True),
                             tf.shape(rewards))
    return rewards

  def state_values(self, net, inputs: tf.Tensor) -> tf.Tensor:
    """V(s_t) ``[B, T, N]`` of `net` on policy inputs ``[B, T, N, D]``."""
    flat = tf.reshape(inputs, [-1, self.num_agents, inputs.shape[-1]])
    values = net(flat)[..., 0]
    return tf.reshape(values, tf.shape(inputs)[:-1])

  def step_weights(self, experience, inputs: tf.Tensor,
                   rewards: tf.Tensor) -> tf.Tensor:
    """TD advantage of Eq. B.9, a constant for the policy gradient."""
    values = tf.stop_gradient(self.state_values(self.value_net, inputs))
    baseline = tf.stop_gradient(
        self.state_values(self.target_value_net, inputs))
    return (rewards + self.config.gamma * next_step_values(values, experience)
            - baseline)

  def value_loss(self, experience, inputs: tf.Tensor,
                 rewards: tf.Tensor, nets=None) -> tf.Tensor:
    """Per-agent TD loss of Eq. B.10 ``[N]`` (mean over valid steps) of
    ``nets`` = (critic, target critic), by default the agent's own."""
    net, target_net = nets or (self.value_net, self.target_value_net)
    targets = tf.stop_gradient(
        rewards + self.config.gamma * next_step_values(
            self.state_values(target_net, inputs), experience))
    errors = targets - self.state_values(net, inputs)
    mask = returns_lib.valid_mask(experience)[..., None]
    return (tf.reduce_sum(mask * errors ** 2, [0, 1])
            / tf.maximum(tf.reduce_sum(mask), 1.0))

  def _loss(self, experience, weights=None, training: bool = False):
    del weights, training
    inputs = self._policy_inputs(experience)
    rewards = self.training_rewards(experience)
    policy_loss, entropy = self.reinforce_terms(
        self.policy_net.layer_weights, experience, inputs, rewards,
        self.epsilon)
    value_loss = self.value_loss(experience, inputs, rewards)
    total = tf.reduce_sum(policy_loss - self.config.entropy_coeff * entropy)
    return tf_agent.LossInfo(total, ACLossExtra(policy_loss, entropy,
                                                value_loss))

  def critic_rewards(self, experience) -> tf.Tensor:
    """Rewards the critics fit ``[B, T, N]``: those the policies maximize
    (methods that move rewards between agents add those moves)."""
    return self.training_rewards(experience)

  def _train(self, experience, weights=None):
    """One policy step, then one critic step and the soft target update."""
    loss_info = super()._train(experience, weights)
    self.train_critic(experience, self._policy_inputs(experience),
                      self.critic_rewards(experience))
    return loss_info


def soft_update(target_net, source_net, tau: float) -> None:
  """θ' ← τ θ + (1 − τ) θ' over the two networks' weights."""
  for target, source in zip(target_net.layer_weights,
                            source_net.layer_weights):
    target.assign(tau * source + (1.0 - tau) * target)

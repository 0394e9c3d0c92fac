"""LIO-dec: fully decentralized LIO with models of the other agents.

LIO differentiates through the recipients' real policy update, which needs
their parameters. LIO-dec does without (thesis §5.2, last paragraph): every
agent i keeps a behaviour-cloned model φ^{ij} of each other agent j's policy
(same network as a policy, fitted by cross-entropy on j's observed actions
after each rollout, Adam), and its incentive gradient runs through a
*fictitious* update of that model,

  φ̂^{ij}(η^i) = φ^{ij} - α_θ ∇ [-Σ_t log π̃_φ(a^j_t|o^j_t) G^{ij}_t - β H],

where G^{ij} is j's extrinsic return plus the incentives i itself gave j (i
does not know what the others gave). Eq. 5.10 then uses log π_φ̂^{ij} on the
second rollout. The models of all N·(N-1) (giver, recipient) pairs live in
one stacked network indexed i·N + j (diagonal entries unused). Assumes every
agent has the same number of actions, as in Escape Room and the IPD.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

from mmagents.core import meta
from mmagents.core import networks
from mmagents.core import returns as returns_lib
from mmagents.lio import agent as lio


@dataclasses.dataclass(frozen=True)
class LIODecConfig(lio.LIOConfig):
  """LIO hyperparameters plus the behaviour-cloning learning rate."""
  model_learning_rate: float = 1e-3   # Adam, cross-entropy on observed actions.

  def __post_init__(self):
    super().__post_init__()
    if self.model_learning_rate <= 0:
      raise ValueError(f"model_learning_rate must be > 0, got "
                       f"{self.model_learning_rate}")


class LIODecAgent(lio.LIOAgent):
  """LIO whose givers differentiate through models of the recipients."""

  def __init__(self, time_step_spec, action_spec, agent_ids,
               config: LIODecConfig = LIODecConfig(), seed: int = 0,
               name: str = "lio_dec"):
    super().__init__(time_step_spec, action_spec, agent_ids, config=config,
                     seed=seed, name=name)
    if len(set(self.layout.num_actions)) != 1:
      raise ValueError("LIO-dec models need equal action counts, got "
                       f"{self.layout.num_actions}")
    n = self.num_agents
    self.model_net = networks.StackedMLP(
        n * n, self._policy_input_size(), config.hidden_sizes,
        self.layout.max_actions, name="model_net")
    self._model_optimizer = tf.keras.optimizers.Adam(
        config.model_learning_rate)
    # pair_mask[i·N + j] = 1 for i != j.
    self._pair_mask = tf.constant((1.0 - np.eye(n)).ravel(), tf.float32)

  def build_optimizers(self) -> None:
    super().build_optimizers()
    self._model_optimizer.build(self.model_net.trainable_variables)

  def train_iteration(self, collect):
    first = collect()
    self.fit_models(first)
    self.update_policies(first)
    second = collect()
    loss_info = self.train(lio.LIOExperience(first, second))
    self.fit_models(second)
    return loss_info, [first, second]

  # ----------------------------------------------------------- the models
  def _per_pair(self, x: tf.Tensor) -> tf.Tensor:
    """``[B, T, N, ...]`` recipient values → ``[B, T, N·N, ...]`` (i, j)."""
    n = self.num_agents
    tiled = tf.stack([x] * n, axis=2)                   # [B,T,N(i),N(j),...]
    return tf.reshape(tiled, tf.concat(
        [tf.shape(x)[:2], [n * n], tf.shape(x)[3:]], 0))

  def _model_probs(self, weights, inputs: tf.Tensor,
                   epsilon: tf.Tensor) -> tf.Tensor:
    """π̃ of every pair model ``[B, T, N·N, A]`` on the recipients' inputs."""
    x = self._per_pair(inputs)
    flat = tf.reshape(x, [-1, self.num_agents ** 2, x.shape[-1]])
    probs = tf.nn.softmax(networks.StackedMLP.apply(flat, weights))
    probs = (1.0 - epsilon) * probs + epsilon / self.layout.max_actions
    return tf.reshape(probs, tf.concat([tf.shape(x)[:3], [-1]], 0))

  def _taken(self, probs: tf.Tensor, experience) -> tf.Tensor:
    """log π(a^j_t) of each pair ``[B, T, N·N]`` (0 at boundaries)."""
    actions = self._per_pair(self.layout.stack_actions(experience.action))
    mask = returns_lib.valid_mask(experience)[..., None]
    taken = tf.gather(probs, actions, batch_dims=3)
    return tf.math.log(tf.where(mask > 0, taken, tf.ones_like(taken)))

  def fit_models(self, experience) -> tf.Tensor:
    """One Adam step of behaviour cloning on every pair model."""
    variables = self.model_net.trainable_variables
    inputs = self._policy_inputs(experience)
    mask = returns_lib.valid_mask(experience)[..., None]
    with tf.GradientTape() as tape:
      log_probs = self._taken(self._model_probs(
          self.model_net.layer_weights, inputs, tf.constant(0.0)), experience)
      per_pair = (-tf.reduce_sum(mask * log_probs, [0, 1])
                  / tf.maximum(tf.reduce_sum(mask), 1.0))
      loss = tf.reduce_sum(per_pair * self._pair_mask)
    self._model_optimizer.apply_gradients(
        zip(tape.gradient(loss, variables), variables))
    return loss

  # ------------------------------------------------- incentive objectives
  def incentive_objectives(self, experience: lio.LIOExperience):
    first, second = experience
    n = self.num_agents
    inputs = self._policy_inputs(first)
    _, given = self._total_rewards(first, inputs)               # [B,T,G,N]
    # Pair (i, j): j's extrinsic reward plus what i gave j.
    rewards = (self._per_pair(first.reward)
               + tf.reshape(given, tf.concat([tf.shape(given)[:2], [n * n]],
                                             0)))
    returns = returns_lib.discounted_returns(rewards, first.is_last(),
                                             self.config.gamma)
    mask = returns_lib.valid_mask(first)[..., None]
    episodes = returns_lib.num_episodes(first)

    def fictitious_loss(weights):
      probs = self._model_probs(weights, inputs, self.epsilon)
      entropy = -tf.reduce_sum(tf.math.xlogy(probs, probs), axis=-1)
      per_pair = -tf.reduce_sum(
          mask * (self._taken(probs, first) * returns
                  + self.config.entropy_coeff * entropy), [0, 1]) / episodes
      return tf.reduce_sum(per_pair * self._pair_mask)

    new_weights = meta.differentiable_sgd_step(
        fictitious_loss, self.model_net.layer_weights,
        self.config.learning_rate)
    log_probs = self._taken(self._model_probs(
        new_weights, self._policy_inputs(second), tf.constant(0.0)),
                            second)                              # [B,T,N·N]
    extrinsic = returns_lib.discounted_returns(
        second.reward, second.is_last(), self.config.gamma)      # [B,T,N]
    second_mask = returns_lib.valid_mask(second)[..., None]
    # Giver i's return for each of its pairs (i, j).
    giver_returns = tf.repeat(extrinsic, n, axis=2)
    per_pair = tf.reduce_sum(second_mask * giver_returns * log_probs, [0, 1])
    incentive_loss = (-tf.reduce_sum(
        tf.reshape(per_pair * self._pair_mask, [n, n]), axis=1)
                      / returns_lib.num_episodes(second))
    return incentive_loss, self.incentive_cost(first, given)

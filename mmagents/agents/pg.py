"""Independent policy gradient (REINFORCE): the baseline of thesis ch. 5 and 6.

Each agent has its own MLP policy (no parameter sharing) and maximizes its own
discounted return. Exploration uses the lower bound of thesis App. B.4.2,
π̃(a|o) = (1 - ε) π(a|o) + ε/|A|, with ε decaying linearly over episodes; the
loss follows the behaviour policy π̃ that generated the data:

  L = Σ_i [ -Σ_t log π̃_i(a_t|o_t) G_t^i - β Σ_t H(π̃_i(·|o_t)) ] / #episodes

with G_t^i the Monte-Carlo return of agent i (sums over time, mean over the
episodes in the batch, as in the thesis' implementation). The evaluation
policy samples from π (ε = 0).
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Dict, Optional, Sequence, Tuple

import tensorflow as tf
from tf_agents.agents import tf_agent

from mmagents.core import agent as agent_lib
from mmagents.core import layout
from mmagents.core import networks
from mmagents.core import returns as returns_lib

PGLossExtra = collections.namedtuple("PGLossExtra",
                                     ["policy_loss", "entropy"])


@dataclasses.dataclass(frozen=True)
class PGConfig:
  """Hyperparameters (defaults: thesis Table B.4, PG on ER(2, 1))."""
  hidden_sizes: Tuple[int, ...] = (64, 32)
  learning_rate: float = 1e-4
  optimizer: str = "sgd"          # Thesis: plain gradient descent.
  entropy_coeff: float = 0.01
  gamma: float = 0.99
  epsilon_start: float = 0.5
  epsilon_end: float = 0.05
  epsilon_episodes: int = 100     # ε reaches epsilon_end after this many.
  # Which probabilities the score function log p(a) and the entropy bonus
  # use: "behaviour" the ε-floored π̃ the actions came from (thesis and its
  # authors' code), "policy" π itself, whose gradient does not vanish on
  # actions far below the floor ε/|A|, so a near-deterministic policy can
  # still move.
  score_function: str = "behaviour"

  def __post_init__(self):
    if self.learning_rate <= 0:
      raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")
    if not 0.0 <= self.epsilon_end <= 1.0 or not 0 <= self.epsilon_start <= 1:
      raise ValueError("epsilon_start and epsilon_end must be in [0, 1]")
    if self.epsilon_episodes < 1:
      raise ValueError("epsilon_episodes must be >= 1")
    if not 0.0 <= self.gamma <= 1.0:
      raise ValueError(f"gamma must be in [0, 1], got {self.gamma}")
    layout.check_score_function(self.score_function)
    if self.optimizer not in ("sgd", "adam"):
      raise ValueError(f"optimizer must be sgd or adam, got {self.optimizer}")
    if not self.hidden_sizes or min(self.hidden_sizes) < 1:
      raise ValueError(f"hidden_sizes must be positive, got "
                       f"{self.hidden_sizes}")


def linear_epsilon(episode: int, config: PGConfig) -> float:
  """ε decays linearly from start to end over `epsilon_episodes`."""
  frac = min(1.0, episode / config.epsilon_episodes)
  return config.epsilon_start + frac * (config.epsilon_end -
                                        config.epsilon_start)


def make_optimizer(name: str, learning_rate: float):
  if name == "sgd":
    return tf.keras.optimizers.SGD(learning_rate)
  return tf.keras.optimizers.Adam(learning_rate)


def log_prob_taken(probs: tf.Tensor, actions: tf.Tensor,
                   mask: tf.Tensor) -> tf.Tensor:
  """log π(a_t) ``[B, T, N]``; 0 where `mask` is 0 (boundary steps), so an
  arbitrary action there never turns the loss or its gradient into NaN.
  Probabilities that underflowed to 0 (a saturated π without the ε floor)
  count as the smallest normal float: finite, with no gradient."""
  taken = tf.gather(probs, actions, batch_dims=3)
  taken = tf.maximum(taken, layout.SMALLEST_PROBABILITY)
  return tf.math.log(tf.where(mask > 0, taken, tf.ones_like(taken)))


class PolicyGradientAgent(agent_lib.MultiAgentTFAgent):
  """N independent REINFORCE learners evaluated in one batched call."""

  def __init__(self, time_step_spec, action_spec, agent_ids: Sequence[str],
               config: PGConfig = PGConfig(), seed: int = 0,
               name: str = "pg"):
    self.config = config
    self.epsilon = tf.Variable(config.epsilon_start, trainable=False,
                               dtype=tf.float32, name="epsilon")
    super().__init__(time_step_spec, action_spec, agent_ids,
                     optimizer=make_optimizer(config.optimizer,
                                              config.learning_rate),
                     seed=seed, name=name)
    self.policy_net = self._build_network(self.layout.max_actions,
                                          "policy_net")

  def _build_network(self, output_size: int, name: str,
                     hidden_sizes: Optional[Sequence[int]] = None,
                     extra_inputs: int = 0, output_bias: bool = True):
    """A stacked network on the policy inputs plus `extra_inputs` features
    (subclasses may change the architecture).

    Args:
      output_size: outputs per agent.
      name: layer name.
      hidden_sizes: hidden layers (default: the policy's).
      extra_inputs: width of a feature vector appended to the inputs.
      output_bias: whether the output layer learns a bias.
    """
    hidden = self.config.hidden_sizes if hidden_sizes is None else hidden_sizes
    return networks.StackedMLP(self.num_agents,
                               self._policy_input_size() + extra_inputs,
                               hidden, output_size, output_bias=output_bias,
                               name=name)

  def _policy_input_size(self) -> int:
    """Width of the policy network's input (subclasses may extend it)."""
    return self.layout.max_obs

  def _trainable_variables(self):
    return self.policy_net.trainable_variables

  def begin_iteration(self, episode: int) -> None:
    self.epsilon.assign(linear_epsilon(episode, self.config))

  def scalars(self) -> Dict[str, float]:
    return {"epsilon": float(self.epsilon.numpy())}

  def experience_metrics(self, experience) -> Dict[str, tf.Tensor]:
    """Mean entropy of each agent's policy π (no ε floor) over the steps of
    a batch ``[N]``: near 0 the policy is deterministic, and through the ε
    floor its gradient all but vanishes, so it rarely changes again."""
    probs = self.policy_probs(self.policy_net.layer_weights,
                              self._policy_inputs(experience),
                              tf.constant(0.0))                   # [B,T,N,A]
    return {"policy_entropy": layout.mean_entropy(
        probs, returns_lib.valid_mask(experience)[..., None])}

  def behaviour_probs_fn(self, explore: bool):
    """Stacked policy inputs ``[B, N, D]`` → π̃ ``[B, N, A]`` (ε only when
    exploring), for policies that build their own inputs."""
    def probs_fn(inputs):
      epsilon = self.epsilon if explore else tf.constant(0.0)
      return self.policy_probs(self.policy_net.layer_weights, inputs, epsilon)
    return probs_fn

  def _behaviour_probs(self, observation, explore: bool) -> tf.Tensor:
    logits = self.policy_net(self.layout.stack_observations(observation))
    epsilon = self.epsilon if explore else tf.constant(0.0)
    return self.layout.masked_probs(logits, epsilon)

  # ------------------------------------------------------------ loss pieces
  def _policy_inputs(self, experience) -> tf.Tensor:
    """Policy network inputs ``[B, T, N, D]`` of a trajectory batch."""
    return self.layout.stack_observations(experience.observation)

  def policy_probs(self, weights, inputs: tf.Tensor,
                   epsilon: tf.Tensor) -> tf.Tensor:
    """π̃ ``[..., N, A]`` of the policy MLP run on explicit `weights`."""
    flat = tf.reshape(inputs, [-1, self.num_agents, inputs.shape[-1]])
    probs = self.layout.masked_probs(
        self.policy_net.apply_weights(flat, weights), epsilon)
    return tf.reshape(probs, tf.concat(
        [tf.shape(inputs)[:-2], [self.num_agents, self.layout.max_actions]],
        0))

  def step_weights(self, experience, inputs: tf.Tensor,
                   rewards: tf.Tensor) -> tf.Tensor:
    """What multiplies ∇ log π̃(a_t|o_t) ``[B, T, N]``: here the Monte-Carlo
    return G_t (actor-critic methods use a TD advantage)."""
    del inputs
    return returns_lib.discounted_returns(rewards, experience.is_last(),
                                         self.config.gamma)

  def score_epsilon(self, epsilon: tf.Tensor) -> tf.Tensor:
    """The exploration floor of the probabilities that the score function
    and entropy bonus use: ε, or 0 with ``score_function="policy"``."""
    return tf.convert_to_tensor(
        layout.score_epsilon(self.config.score_function, epsilon))

  def reinforce_terms(self, weights, experience, inputs: tf.Tensor,
                      rewards: tf.Tensor, epsilon: tf.Tensor
                      ) -> Tuple[tf.Tensor, tf.Tensor]:
    """Per-agent policy-gradient loss and entropy ``[N]``, each per episode.

    Args:
      weights: policy network weights (variables, or tensors of an inner
        update).
      experience: trajectory batch ``[B, T]`` (actions, step types).
      inputs: policy inputs ``[B, T, N, D]``.
      rewards: rewards to maximize ``[B, T, N]`` (extrinsic, or with
        incentives).
      epsilon: exploration lower bound of the behaviour policy (unused
        with ``score_function="policy"``).
    """
    probs = self.policy_probs(weights, inputs,
                              self.score_epsilon(epsilon))        # [B,T,N,A]
    mask = returns_lib.valid_mask(experience)[..., None]          # [B,T,1]
    log_probs = log_prob_taken(probs, self.layout.stack_actions(
        experience.action), mask)
    entropy = -tf.reduce_sum(tf.math.xlogy(probs, probs), axis=-1)
    step_weights = self.step_weights(experience, inputs, rewards)
    episodes = returns_lib.num_episodes(experience)
    policy_loss = -tf.reduce_sum(mask * log_probs * step_weights,
                                 [0, 1]) / episodes
    entropy_sum = tf.reduce_sum(mask * entropy, [0, 1]) / episodes
    return policy_loss, entropy_sum

  def _loss(self, experience, weights=None, training: bool = False):
    del weights, training
    policy_loss, entropy = self.reinforce_terms(
        self.policy_net.layer_weights, experience,
        self._policy_inputs(experience), experience.reward, self.epsilon)
    total = tf.reduce_sum(policy_loss - self.config.entropy_coeff * entropy)
    return tf_agent.LossInfo(total, PGLossExtra(policy_loss, entropy))

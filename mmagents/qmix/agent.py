"""QMIX (Rashid et al. 2018) for multi-goal games: the CM3 baseline of
thesis ch. 3 and, later, the high level of HSD (ch. 4).

Every agent n has a utility Q^n(o^n, g^n, ·) over its actions: one network
shared by all agents (parameter sharing, goals as input, as the thesis does
for every method). A `QMixer` mixes the agents' chosen values into Q_tot,
conditioned on the global state and all agents' goals (thesis §3.4: "giving
all goals to the mixer and individual goals to each agent network"). One
minibatch step (`_update`) on transitions (s, o, a, r, s', o', d):

  y = r_tot + γ d Q_tot'(s', q'(o', a*)),    r_tot = Σ_n r^n,
  a*^n = argmax_a' Q'^n(o'^n, a')             (target network), or, with
  a*^n = argmax_a' Q^n(o'^n, a')              (``double_q``: online net),
  L = mean_i (y_i − Q_tot(s_i, q(o_i, a_i)))²,

Adam on the agent network and the mixer together; then the targets track
softly (θ' ← τ θ + (1 − τ) θ', τ = ``target_update_rate``, after every
step: HSD's "update factor 0.01"; the original paper copies every 200
episodes instead). Actions are ε-greedy: (1 − ε) onehot(argmax Q) + ε/|A|,
ε decaying linearly (`MultiGoalAgent.begin_iteration`); evaluation is greedy.

Choices the sources leave open, made here:

* the loss is the plain mean squared TD error (HSD Eq. 4.5 halves it: the
  same minimiser, a learning rate twice as large);
* three stabilisers. Measured on the merge scenario: the hypernetworks that
  output the mixing weights start from a truncated normal with deviation
  ``mixer_init_stddev`` = 0.01, as in CM3's code, not from Keras' Glorot
  default: with Glorot the mixer starts with a large gain from agent values
  to Q_tot and the TD loss grew about 1,000-fold every 400 episodes until
  it was NaN (seeds 1 and 2, with or without clipping). With the small
  init alone seed 1 still diverged from episode 5,600. Gradients are then
  clipped to a global norm of ``grad_clip_norm`` = 10, as in the original
  QMIX code (CM3's code does not clip): seed 1 then kept its loss at
  0.2-0.25 through 8,000 episodes (0 turns clipping off);
* on the four-agent navigation scenarios (antipodal, cross) the TD loss
  still grew about fivefold every 200 episodes from episode 1,200 (49 at
  1,600, NaN later), also with ε decayed over 10,000 episodes, double
  Q-learning or a clip norm of 1. The soft target rate was the cause: τ =
  0.01 after every minibatch step (one per 10 environment steps, 5 per
  50-step episode) lets the targets follow the online network within
  about 20 episodes, where the original code copies them every 200. The
  cooperative-navigation preset (`mmagents.cm3.presets`) therefore uses τ
  = 0.001, a time constant of 1,000 steps or 200 episodes: the loss then
  stayed between 0.07 and 1.3 through 10,000 episodes in three seeds of
  antipodal and cross (γ = 0.95 also held, but changes the objective). The
  class default stays 0.01, the value measured stable on Checkers and SUMO;
* no agent-id input: the goal already tells parameter-shared agents apart,
  and App. A.8 lists only (o_self, o_others, g) as inputs;
* γ = 0.99 (not in the thesis tables; HSD's value);
* ties in argmax go to the lowest action index.

Network layout (App. A.8). The utility's *main* input is (o_self, g), its
*side* input o_others (`mmagents.core.augmentation.AugmentableNetwork`):

* ``q_side_sizes=()`` (default, cooperative navigation): o_others joins the
  main input, so (o_self, g, o_others) → ``q_hidden_sizes`` = (64,) → |A|,
  exactly "one hidden layer with 64 units";
* ``q_side_sizes=(64,)`` (Checkers): o_others → 64 → into the last hidden
  layer h2 (64 units) next to (o_self, g), whose own-view image is encoded
  by the policy's convolution and a dense layer of ``q_image_units`` (32).

The mixer encodes the state's image (Checkers' s_T) with the critics'
convolution (``env_conv_*``); ``mixer_embed_dim`` is 64 (128 in Checkers).
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Optional, Tuple

import tensorflow as tf

from mmagents.cm3 import base
from mmagents.core import augmentation
from mmagents.qmix import mixer as mixer_lib


@dataclasses.dataclass(frozen=True)
class QMIXConfig(base.MultiGoalConfig):
  """QMIX hyperparameters (defaults: thesis Table A.3, QMIX column,
  cooperative navigation). The inherited policy_* fields are unused."""
  q_hidden_sizes: Tuple[int, ...] = (64,)
  q_side_sizes: Tuple[int, ...] = ()        # (): o_others joins the main.
  q_image_units: int = 32
  mixer_embed_dim: int = 64
  mixer_hypernet_hidden: int = 0            # 0: the original linear ones.
  mixer_init_stddev: float = 0.01           # 0: Glorot (see module doc).
  double_q: bool = False
  grad_clip_norm: float = 10.0              # 0: no clipping.
  critic_learning_rate: float = 1e-3        # Learning rate Q.
  epsilon_start: float = 1.0
  epsilon_end: float = 0.05
  epsilon_episodes: int = 80_000
  steps_per_train: int = 10

  def __post_init__(self):
    super().__post_init__()
    if not self.q_hidden_sizes:
      raise ValueError("the agent network needs at least one hidden layer")
    if self.mixer_embed_dim < 1:
      raise ValueError("mixer_embed_dim must be >= 1")
    if self.mixer_hypernet_hidden < 0:
      raise ValueError("mixer_hypernet_hidden must be >= 0")
    if self.mixer_init_stddev < 0:
      raise ValueError("mixer_init_stddev must be >= 0")
    if self.grad_clip_norm < 0:
      raise ValueError("grad_clip_norm must be >= 0 (0: no clipping)")


class QMIXAgent(base.MultiGoalAgent):
  """Parameter-shared utilities, a monotone mixer and ε-greedy behaviour."""

  def __init__(self, time_step_spec, action_spec, agent_ids, parts,
               config: QMIXConfig = QMIXConfig(), seed: int = 0,
               name: str = "qmix"):
    super().__init__(time_step_spec, action_spec, agent_ids, parts, config,
                     seed=seed, name=name)
    self.q_network = self._make_q_network()
    self.target_q_network = self._make_q_network()
    self.mixer = self._make_mixer()
    self.target_mixer = self._make_mixer()
    for target, source in self.target_pairs():
      target.copy_weights_from(source)
    self._q_optimizer = tf.keras.optimizers.Adam(config.critic_learning_rate)

  # ------------------------------------------------------------ networks
  def _make_q_network(self) -> augmentation.AugmentableNetwork:
    c = self.config
    return self.observation_network(c.q_hidden_sizes, self.layout.max_actions,
                                    c.q_image_units, c.q_side_sizes,
                                    "q_network")

  @property
  def condition_size(self) -> int:
    """Width of the mixer's conditioning vector [s, g^1, ..., g^N]."""
    return self.parts.state_size + self.num_agents * self.parts.goal_size

  def _make_mixer(self) -> mixer_lib.QMixer:
    c = self.config
    mixer = mixer_lib.QMixer(self.num_agents, c.mixer_embed_dim,
                             c.mixer_hypernet_hidden, image=self.env_image(),
                             init_stddev=c.mixer_init_stddev)
    mixer.build_weights(self.condition_size)
    return mixer

  def target_pairs(self) -> list:
    return [(self.target_q_network, self.q_network),
            (self.target_mixer, self.mixer)]

  def _trainable_variables(self):
    return (self.q_network.trainable_variables
            + self.mixer.trainable_variables)

  def build_optimizers(self) -> None:
    self._q_optimizer.build(self._trainable_variables())

  # ------------------------------------------------------------ values
  def q_values(self, net: augmentation.AugmentableNetwork,
               observations: tf.Tensor) -> tf.Tensor:
    """Q^n(o^n, g^n, a) ``[B, N, A]`` of stacked observations ``[B, N, D]``."""
    return self.apply_observation_network(net, observations)

  def mixer_condition(self, state: tf.Tensor,
                      observations: tf.Tensor) -> tf.Tensor:
    """[s, g^1, ..., g^N] ``[B, C]`` (the state first: its image leads)."""
    _, goals, _ = self.parts.split_observation(observations)
    flat_goals = tf.reshape(goals, [-1, self.num_agents
                                    * self.parts.goal_size])
    return tf.concat([state, flat_goals], -1)

  def epsilon_greedy(self, q_values: tf.Tensor, epsilon) -> tf.Tensor:
    """(1 − ε) onehot(argmax_a Q) + ε/|A| ``[B, N, A]``."""
    a = self.layout.max_actions
    greedy = tf.one_hot(tf.argmax(q_values, -1), a)
    return (1.0 - epsilon) * greedy + epsilon / a

  def _behaviour_probs(self, observation, explore: bool) -> tf.Tensor:
    epsilon = self.epsilon if explore else tf.constant(0.0)
    q = self.q_values(self.q_network,
                      self.layout.stack_observations(observation))
    return self.epsilon_greedy(q, epsilon)

  # ------------------------------------------------------------ training
  def td_targets(self, batch: Dict[str, tf.Tensor]) -> tf.Tensor:
    """y = r_tot + γ d Q_tot'(s', q'(o', a*)) ``[B]`` (a constant)."""
    next_obs = batch["next_observation"]
    target_q = self.q_values(self.target_q_network, next_obs)     # [B,N,A]
    chooser = (self.q_values(self.q_network, next_obs)
               if self.config.double_q else target_q)
    best = tf.one_hot(tf.argmax(chooser, -1), self.layout.max_actions)
    next_values = tf.reduce_sum(target_q * best, -1)              # [B,N]
    next_total = self.target_mixer(
        next_values, self.mixer_condition(batch["next_state"], next_obs))
    reward_total = tf.reduce_sum(batch["reward"], -1)
    return tf.stop_gradient(reward_total + self.config.gamma
                            * batch["discount"] * next_total)

  def chosen_total(self, batch: Dict[str, tf.Tensor]) -> tf.Tensor:
    """Q_tot(s, q(o, a)) ``[B]`` of the taken joint actions (online nets)."""
    obs = batch["observation"]
    chosen = tf.reduce_sum(self.q_values(self.q_network, obs)
                           * self.one_hot(batch["action"]), -1)
    return self.mixer(chosen, self.mixer_condition(batch["state"], obs))

  def td_loss(self, batch: Dict[str, tf.Tensor],
              targets: Optional[tf.Tensor] = None) -> tf.Tensor:
    """mean (y − Q_tot)² over the minibatch."""
    if targets is None:
      targets = self.td_targets(batch)
    return tf.reduce_mean((targets - self.chosen_total(batch)) ** 2)

  def _update(self, batch: Dict[str, tf.Tensor]) -> tf.Tensor:
    """One Adam step on the TD loss; returns the loss before the step."""
    targets = self.td_targets(batch)
    variables = self._trainable_variables()
    with tf.GradientTape() as tape:
      loss = self.td_loss(batch, targets)
    gradients = tape.gradient(loss, variables)
    if self.config.grad_clip_norm > 0:
      gradients, _ = tf.clip_by_global_norm(gradients,
                                            self.config.grad_clip_norm)
    self._q_optimizer.apply_gradients(zip(gradients, variables))
    return loss

"""What CM3 and its baselines share: the multi-goal actor, the transition
replay and the training schedule of thesis Algorithms 5–7.

Every method here trains on minibatches of single transitions
``(s, o, a, r, s', o')`` drawn from a `TransitionReplay`:

* on-policy (``steps_per_train = 0``, thesis Algorithm 6): each iteration
  plays ``episodes_per_iteration`` episodes (E_train), takes ``epochs``
  minibatch steps on them, then empties the buffer;
* off-policy (``steps_per_train > 0``, App. A.1): the buffer is circular and
  never emptied; one minibatch step per ``steps_per_train`` environment steps
  collected (taken after each collected batch of episodes rather than during
  it, so collection stays one compiled driver call).

The actor is one network shared by all agents (parameter sharing with goals
as input, §3.3.5), ε-floored as in App. A.8: π̃ = (1 − ε) softmax + ε/|A|,
with ε decaying linearly over ``epsilon_episodes`` episodes.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional, Sequence, Tuple

import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.trajectories import time_step as ts

from environments import base as env_base
from environments import multigoal
from mmagents.cm3 import inputs as inputs_lib
from mmagents.core import agent as agent_lib
from mmagents.core import augmentation
from mmagents.core import config_args
from mmagents.core import layout
from mmagents.core import replay as replay_lib
from mmagents.core import returns as returns_lib

# Per-update decay of the critics' running mean losses; two slots (CM3's
# global Q and credit function or V; one critic elsewhere).
LOSS_AVERAGE_DECAY = 0.99
_LOSS_SLOTS = 2


@dataclasses.dataclass(frozen=True)
class MultiGoalConfig:
  """Hyperparameters shared by CM3 and its baselines (defaults: thesis
  Table A.3 and App. A.8.1, cooperative navigation)."""
  policy_hidden_sizes: Tuple[int, ...] = (64, 64)
  policy_side_sizes: Tuple[int, ...] = (128,)
  critic_hidden_sizes: Tuple[int, ...] = (64, 64)
  critic_side_sizes: Tuple[int, ...] = (128,)
  # Image encoders (Checkers): filters, kernel height and width, dense
  # units after the policy's convolution; 0 filters: no image input.
  self_conv_filters: int = 6
  self_conv_kernel: Tuple[int, int] = (3, 3)
  policy_image_units: int = 32
  env_conv_filters: int = 4
  env_conv_kernel: Tuple[int, int] = (3, 5)
  others_conv_filters: int = 4        # SUMO's grid of nearby vehicles.
  others_conv_kernel: Tuple[int, int] = (5, 3)
  policy_learning_rate: float = 1e-4
  critic_learning_rate: float = 1e-3
  gamma: float = 0.99
  target_update_rate: float = 0.01
  epsilon_start: float = 0.5
  epsilon_end: float = 0.05
  epsilon_episodes: int = 20_000
  replay_capacity: int = 10_000
  batch_size: int = 128
  epochs: int = 24
  steps_per_train: int = 0
  # Probabilities of the score function log p(a): "behaviour" the ε-floored
  # π̃ the actions came from (thesis), "policy" π itself, whose gradient
  # does not vanish on actions far below the floor ε/|A| (a near-
  # deterministic policy can still move). Baselines stay on π̃.
  score_function: str = "behaviour"
  # Truncation c̄ of the importance weights min(ρ, c̄), ρ = p(a)/μ(a), that
  # multiply the policy gradient's weights on replayed actions, with p the
  # score function's probabilities and μ the behaviour policy's, stored at
  # collection. They cancel a constant offset b of the weights in
  # expectation (E_μ[ρ b ∇log p] = b ∇Σ p = 0 for ρ ≤ c̄), which stale
  # replay otherwise turns into a pull towards (b > 0) or away from (b < 0)
  # old policies' actions. 0: no weights (thesis).
  importance_weight_cap: float = 0.0
  # Weight of a bonus on the mean summed entropy Σ_m H(π(·|o^m)) of the
  # replayed observations' policies (no ε floor), which keeps the actor
  # from becoming deterministic before the agents have found a joint
  # change (Checkers). 0: none (thesis).
  entropy_coeff: float = 0.0

  def __post_init__(self):
    config_args.check_ranges(
        self, at_least_one=("epsilon_episodes", "replay_capacity",
                            "batch_size", "epochs"),
        positive=("policy_learning_rate", "critic_learning_rate"),
        probabilities=("epsilon_start", "epsilon_end"))
    if self.steps_per_train < 0:
      raise ValueError("steps_per_train must be >= 0 (0: on-policy)")
    if self.importance_weight_cap < 0:
      raise ValueError("importance_weight_cap must be >= 0 (0: none)")
    if self.entropy_coeff < 0:
      raise ValueError("entropy_coeff must be >= 0 (0: no bonus)")
    layout.check_score_function(self.score_function)
    if not self.policy_hidden_sizes or not self.critic_hidden_sizes:
      raise ValueError("policy and critic need at least one hidden layer")


def fold_running_mean(sums: tf.Variable, counts: tf.Variable,
                      mask: tf.Tensor, value: tf.Tensor) -> None:
  """Folds `value` into the exponential running sums where `mask` is 1
  (decay `LOSS_AVERAGE_DECAY` per value) and counts it there."""
  weight = (1.0 - LOSS_AVERAGE_DECAY) * mask
  sums.assign(sums * (1.0 - weight) + weight * tf.cast(value, tf.float32))
  counts.assign_add(mask)


def running_means(sums: tf.Variable,
                  counts: tf.Variable) -> List[Optional[float]]:
  """Bias-corrected means of `fold_running_mean`'s sums (None: no value)."""
  return [float(s / (1.0 - LOSS_AVERAGE_DECAY ** c)) if c > 0 else None
          for s, c in zip(sums.numpy(), counts.numpy())]


class MultiGoalAgent(agent_lib.CentralizedTeamAgent):
  """Base of the multi-goal methods: actor, replay and the update loop.

  Subclasses build their critics in `_build_critics` and implement
  `_update(batch)`: one minibatch step of every network, returning the
  policy loss.
  """

  batched_collection = True  # Transitions of every row go to the replay.

  def __init__(self, time_step_spec, action_spec, agent_ids: Sequence[str],
               parts: multigoal.MultiGoalParts,
               config: MultiGoalConfig, seed: int = 0,
               name: Optional[str] = None):
    if parts.num_agents != len(agent_ids):
      raise ValueError(f"parts describe {parts.num_agents} agents, the "
                       f"environment has {len(agent_ids)}")
    self.parts = parts
    super().__init__(time_step_spec, action_spec, agent_ids, config,
                     seed=seed, name=name)
    self.inputs = inputs_lib.MultiGoalInputs(parts, self.layout.max_actions)
    self.replay = replay_lib.TransitionReplay(
        config.replay_capacity, self._replay_fields())
    self.updates_done = tf.Variable(0, dtype=tf.int64, trainable=False,
                                    name="updates_done")
    # Running means of the critics' regression losses (`regression_step`'s
    # slots), for the metrics rows: a critic that drifts or diverges shows
    # there before the returns move.
    self._loss_sums = tf.Variable(tf.zeros([_LOSS_SLOTS]), trainable=False,
                                  name="critic_loss_sums")
    self._loss_counts = tf.Variable(tf.zeros([_LOSS_SLOTS]),
                                    trainable=False, name="critic_loss_counts")

  # ---------------------------------------------------------------- inputs
  @property
  def augmented(self) -> bool:
    """Whether networks read the other agents (Stage 2 and baselines)."""
    return self.parts.others_size > 0

  def self_image(self) -> Optional[augmentation.ImageInput]:
    c = self.config
    if self.parts.self_image_shape is None or c.self_conv_filters == 0:
      return None
    return augmentation.ImageInput(tuple(self.parts.self_image_shape),
                                   c.self_conv_filters,
                                   tuple(c.self_conv_kernel))

  def env_image(self) -> Optional[augmentation.ImageInput]:
    c = self.config
    if self.parts.env_image_shape is None or c.env_conv_filters == 0:
      return None
    return augmentation.ImageInput(tuple(self.parts.env_image_shape),
                                   c.env_conv_filters,
                                   tuple(c.env_conv_kernel))

  def others_image(self) -> Optional[augmentation.ImageInput]:
    c = self.config
    if self.parts.others_image_shape is None or c.others_conv_filters == 0:
      return None
    return augmentation.ImageInput(tuple(self.parts.others_image_shape),
                                   c.others_conv_filters,
                                   tuple(c.others_conv_kernel))

  def observation_network(self, hidden_sizes: Sequence[int],
                          output_size: int, image_units: int,
                          side_sizes: Sequence[int], name: str
                          ) -> augmentation.AugmentableNetwork:
    """A network shared by all agents on their own observations: (o_self, g)
    as the main input, o_others through a side module of `side_sizes` (or,
    with none, appended to the main input). An own view goes through a
    convolution and `image_units` dense units (0: none)."""
    image = self.self_image()
    if image is not None:
      image = dataclasses.replace(image, dense_units=image_units)
    side = tuple(side_sizes) if self.augmented and side_sizes else None
    others_image = self.others_image()
    if side is None and others_image is not None:
      raise ValueError("an image of the others needs side layers "
                       "(o_others cannot join the main input)")
    net = augmentation.AugmentableNetwork(
        self.inputs.policy_images(image), hidden_sizes, output_size,
        side_sizes=side,
        side_images=[others_image] if side and others_image else (),
        name=name)
    side_size = self.parts.others_size if side else 0
    net.build_weights(self.parts.observation_size - side_size, side_size)
    return net

  def apply_observation_network(self, net: augmentation.AugmentableNetwork,
                                observations: tf.Tensor) -> tf.Tensor:
    """`net` on stacked observations ``[B, N, D]`` → ``[B, N, outputs]``."""
    main, others = self.inputs.policy(observations)
    side = None
    if net.augmented:
      side = tf.reshape(others, [-1, others.shape[-1]])
    elif self.augmented:
      main = tf.concat([main, others], -1)
    flat = net(tf.reshape(main, [-1, main.shape[-1]]), side)
    return tf.reshape(flat, [-1, self.num_agents, flat.shape[-1]])

  def sample_actions(self, probs: tf.Tensor) -> tf.Tensor:
    """One action per row of ``[B, N, A]`` probabilities from `train_rng`."""
    logits = tf.math.log(tf.maximum(probs, 1e-30))
    flat = tf.reshape(logits, [-1, logits.shape[-1]])
    uniform = self.train_rng.uniform(tf.shape(flat), 1e-20, 1.0)
    gumbel = -tf.math.log(-tf.math.log(uniform))
    return tf.reshape(tf.argmax(flat + gumbel, -1, output_type=tf.int32),
                      tf.shape(probs)[:-1])

  def one_hot(self, actions: tf.Tensor) -> tf.Tensor:
    return tf.one_hot(actions, self.layout.max_actions)

  def regression_step(self, optimizer: tf.keras.optimizers.Optimizer,
                      variables, loss_fn, slot: int = 0) -> tf.Tensor:
    """One optimizer step on `loss_fn()`; returns the loss before it and
    folds it into the running mean of `critic_loss_names()[slot]`."""
    with tf.GradientTape() as tape:
      loss = loss_fn()
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    fold_running_mean(self._loss_sums, self._loss_counts,
                      tf.one_hot(slot, _LOSS_SLOTS), loss)
    return loss

  def critic_loss_names(self) -> Tuple[str, ...]:
    """Names of the regression losses in `regression_step`'s slots."""
    return ()

  def critic_losses(self) -> Dict[str, float]:
    """Bias-corrected running mean (decay `LOSS_AVERAGE_DECAY` per update,
    about the last 100 updates) of each critic's loss, once it has one."""
    means = running_means(self._loss_sums, self._loss_counts)
    return {name: means[i] for i, name in enumerate(self.critic_loss_names())
            if means[i] is not None}

  def scalars(self) -> Dict[str, float]:
    return dict(super().scalars(), **self.critic_losses())


  # --------------------------------------------------------------- replay
  def _replay_fields(self) -> dict:
    n, d = self.num_agents, self.layout.max_obs
    s = self.parts.state_size
    return {"observation": ((n, d), tf.float32),
            "next_observation": ((n, d), tf.float32),
            "state": ((s,), tf.float32), "next_state": ((s,), tf.float32),
            "action": ((n,), tf.int32), "reward": ((n,), tf.float32),
            "discount": ((), tf.float32)}

  def add_experience(self, experience) -> None:
    """Adds the transitions of a ``[B, T]`` trajectory batch (one row per
    environment) that have a successor in their row: a row of a batch of
    environments may stop inside an episode."""
    observations = self.layout.stack_observations(experience.observation)
    state = tf.cast(experience.observation[env_base.STATE_KEY], tf.float32)
    actions = self.layout.stack_actions(experience.action)
    # The row's last step is followed by a padding-like LAST step.
    last = tf.ones_like(experience.step_type[:, :1]) * ts.StepType.LAST
    following = tf.concat([experience.step_type[:, 1:], last], 1)
    orphan = tf.logical_and(
        tf.equal(experience.next_step_type, ts.StepType.MID),
        tf.not_equal(following, ts.StepType.MID))
    valid = tf.logical_and(returns_lib.valid_mask(experience) > 0, ~orphan)
    shift = lambda x: tf.concat([x[:, 1:], x[:, -1:]], 1)
    flat = lambda x: tf.reshape(x, tf.concat([[-1], tf.shape(x)[2:]], 0))
    transitions = {
        "observation": flat(observations),
        "next_observation": flat(shift(observations)),
        "state": flat(state), "next_state": flat(shift(state)),
        "action": flat(actions), "reward": flat(experience.reward),
        "discount": flat(experience.discount)}
    transitions.update(self.behaviour_fields(transitions))
    self.replay.add(transitions, flat(valid))

  def behaviour_fields(self, transitions: Dict[str, tf.Tensor]
                       ) -> Dict[str, tf.Tensor]:
    """Replay fields computed from the policy that just collected
    `transitions` (training has not changed it yet). Default: none."""
    del transitions
    return {}

  # ------------------------------------------------------------- training
  def train_iteration(self, collect):
    experience = collect()
    return self.train(experience), [experience]

  def _num_updates(self) -> tf.Tensor:
    """Minibatch steps this iteration (after the batch was added)."""
    c = self.config
    if c.steps_per_train == 0:
      return tf.constant(c.epochs, tf.int64)
    if_ready = tf.cast(self.replay.size >= c.batch_size, tf.int64)
    due = self.replay.total_added // c.steps_per_train - self.updates_done
    return due * if_ready

  def _train(self, experience, weights=None):
    del weights
    self.add_experience(experience)
    count = self._num_updates()

    def body(i, last_loss):
      del last_loss
      return i + 1, self._minibatch_step()

    _, loss = tf.while_loop(lambda i, _: i < count, body,
                            (tf.constant(0, tf.int64), tf.constant(0.0)))
    self.updates_done.assign_add(count)
    if self.config.steps_per_train == 0:
      self.replay.clear()
    self.train_step_counter.assign_add(1)
    return tf_agent.LossInfo(loss, ())

  @tf.function(autograph=False)
  def _minibatch_step(self) -> tf.Tensor:
    """One update of every network on a fresh minibatch (a function of its
    own inside the update loop, which graph optimizers handle better)."""
    loss = self._update(self.replay.sample(self.config.batch_size,
                                           self.train_rng))
    self.update_targets()
    return loss

  def _loss(self, experience, weights=None, training: bool = False):
    raise NotImplementedError("multi-goal agents train on replay minibatches;"
                              " use train()")

  def _trainable_variables(self):
    return []

  def update_targets(self) -> None:
    """Soft update θ' ← τ θ + (1 − τ) θ' of every target network."""
    tau = self.config.target_update_rate
    for target, source in self.target_pairs():
      target.soft_update_from(source, tau)

  def target_pairs(self) -> list:
    """(target, online) network pairs that track softly."""
    return []

  def _update(self, batch: Dict[str, tf.Tensor]) -> tf.Tensor:
    raise NotImplementedError


class MultiGoalActorCritic(MultiGoalAgent):
  """A shared ε-floored actor on (o_self, g) and, augmented, o_others;
  subclasses add critics and the weights of the policy gradient."""

  def __init__(self, time_step_spec, action_spec, agent_ids: Sequence[str],
               parts: multigoal.MultiGoalParts,
               config: MultiGoalConfig, seed: int = 0,
               name: Optional[str] = None):
    super().__init__(time_step_spec, action_spec, agent_ids, parts, config,
                     seed=seed, name=name)
    self.actor = self._make_actor()
    self.target_actor = self._make_actor()
    self.target_actor.copy_weights_from(self.actor)
    self._policy_optimizer = tf.keras.optimizers.Adam(
        config.policy_learning_rate)
    # Running mean of the policy gradient's weights (`policy_step`), logged
    # as ``advantage_mean``. An offset b adds b ∇ Σ_a μ(a) log π̃(a) for
    # replayed actions a ~ μ: it pulls π towards (b > 0) or pushes it away
    # from (b < 0) old policies' actions whatever their value (on fresh,
    # on-policy data it averages out). Stale replay makes such offsets.
    self._weight_sums = tf.Variable(tf.zeros([1]), trainable=False,
                                    name="advantage_sums")
    self._weight_counts = tf.Variable(tf.zeros([1]), trainable=False,
                                      name="advantage_counts")

  def _replay_fields(self) -> dict:
    fields = super()._replay_fields()
    if self.config.importance_weight_cap > 0:
      fields["behaviour_prob"] = ((self.num_agents,), tf.float32)
    return fields

  def behaviour_fields(self, transitions: Dict[str, tf.Tensor]
                       ) -> Dict[str, tf.Tensor]:
    """μ(a^m | o^m) ``[B, N]`` of the taken actions, for importance weights."""
    if self.config.importance_weight_cap <= 0:
      return {}
    probs = self.policy_probs(self.actor, transitions["observation"],
                              self.explore_epsilon(True))
    return {"behaviour_prob": tf.reduce_sum(
        probs * self.one_hot(transitions["action"]), -1)}

  def _make_actor(self) -> augmentation.AugmentableNetwork:
    c = self.config
    return self.observation_network(c.policy_hidden_sizes,
                                    self.layout.max_actions,
                                    c.policy_image_units, c.policy_side_sizes,
                                    "actor")

  def policy_probs(self, net: augmentation.AugmentableNetwork,
                   observations: tf.Tensor, epsilon) -> tf.Tensor:
    """π̃ ``[B, N, A]`` of `net` on stacked observations ``[B, N, D]``."""
    return self.layout.masked_probs(
        self.apply_observation_network(net, observations), epsilon)

  def _behaviour_probs(self, observation, explore: bool) -> tf.Tensor:
    return self.policy_probs(self.actor,
                             self.layout.stack_observations(observation),
                             self.explore_epsilon(explore))

  def experience_metrics(self, experience) -> Dict[str, tf.Tensor]:
    """Mean entropy of each agent's policy π (no ε floor) over the steps of
    a batch ``[N]`` (``policy_entropy``)."""
    observations = self.layout.stack_observations(
        experience.observation)                                  # [B,T,N,D]
    probs = self.policy_probs(
        self.actor,
        tf.reshape(observations, [-1] + observations.shape[2:].as_list()),
        0.0)                                                     # [BT,N,A]
    probs = tf.reshape(probs, tf.concat(
        [tf.shape(observations)[:2], tf.shape(probs)[1:]], 0))   # [B,T,N,A]
    return {"policy_entropy": layout.mean_entropy(
        probs, returns_lib.valid_mask(experience)[..., None])}

  def policy_gradient_loss(self, batch: Dict[str, tf.Tensor],
                           weights: tf.Tensor) -> tf.Tensor:
    """−mean_i Σ_m log π̃(a^m_i | o^m_i) w_{i,m} on the online actor (π
    without the floor with ``score_function="policy"``), each term times
    min(π̃(a^m_i)/μ(a^m_i), c̄) with ``importance_weight_cap`` c̄ > 0,
    minus ``entropy_coeff`` times mean_i Σ_m H(π(·|o^m_i)).

    Args:
      batch: a replay minibatch.
      weights: ``[B, N]`` constants (advantages summed over goals).
    """
    probs = self.policy_probs(self.actor, batch["observation"],
                              layout.score_epsilon(self.config.score_function,
                                                   self.epsilon))
    taken = tf.maximum(tf.reduce_sum(probs * self.one_hot(batch["action"]),
                                     -1), layout.SMALLEST_PROBABILITY)
    cap = self.config.importance_weight_cap
    if cap > 0:
      ratios = taken / tf.maximum(batch["behaviour_prob"],
                                  layout.SMALLEST_PROBABILITY)
      weights = weights * tf.minimum(ratios, cap)
    loss = -tf.reduce_mean(tf.reduce_sum(
        tf.math.log(taken) * tf.stop_gradient(weights), -1))
    if self.config.entropy_coeff > 0:
      policy = self.policy_probs(self.actor, batch["observation"], 0.0)
      entropy = -tf.reduce_sum(policy * tf.math.log(
          tf.maximum(policy, layout.SMALLEST_PROBABILITY)), -1)   # [B, N]
      loss -= self.config.entropy_coeff * tf.reduce_mean(
          tf.reduce_sum(entropy, -1))
    return loss

  def policy_step(self, batch: Dict[str, tf.Tensor],
                  weights: tf.Tensor) -> tf.Tensor:
    variables = self.actor.trainable_variables
    with tf.GradientTape() as tape:
      loss = self.policy_gradient_loss(batch, weights)
    self._policy_optimizer.apply_gradients(
        zip(tape.gradient(loss, variables), variables))
    fold_running_mean(self._weight_sums, self._weight_counts, tf.ones([1]),
                      tf.reduce_mean(weights))
    return loss

  def scalars(self) -> Dict[str, float]:
    mean = running_means(self._weight_sums, self._weight_counts)[0]
    extra = {} if mean is None else {"advantage_mean": mean}
    return dict(super().scalars(), **extra)

  def _trainable_variables(self):
    return self.actor.trainable_variables

  def target_pairs(self) -> list:
    return [(self.target_actor, self.actor)]

  def build_optimizers(self) -> None:
    self._policy_optimizer.build(self.actor.trainable_variables)

"""HSD: hierarchical MARL with unsupervised skill discovery (thesis ch. 4,
Algorithm 1).

* High level: every ``segment_length`` (t_seg) steps each agent picks one of
  ``num_skills`` latent skills ε-greedily from a shared utility Q^n(o, z);
  a `QMIXLearner` mixes them with hypernetworks on the global state and
  trains on the segment's team reward (Eq. 4.5–4.6).
* Low level: a shared IQL network Q(o, z, a) (o and one-hot z in, 64-64)
  acts every step and learns from R_L = α R + (1 − α) R_I (Eq. 4.3), where
  the intrinsic reward R_I = p_ψ(z | τ) of a segment (Eq. 4.4) is given at
  the segment's last step only; the target keeps the segment's skill
  (Eq. 4.8).
* Decoder: a BiLSTM (`decoder.SkillDecoder`) on each agent's segment of
  observation features (the first ``decoder_features``: puck-relative
  position and velocity, possession flags, own position and velocity),
  downsampled by ``downsample`` (k_skip) and differenced. Segments gather in
  a dataset; once it holds ``decoder_batch`` (1,000) the decoder takes
  ``decoder_steps`` Adam steps on all of it and the dataset is emptied.
* α curriculum: after each evaluation whose win rate is at least
  ``alpha_threshold``, α ← max(α_end, α − α_step).

Choices the sources leave open, made here:

* SMDP reward: ``smdp_reward="discounted"`` (default) uses the semi-Markov
  form R̃ = Σ_i γ^i r_{t+i} over the segment and bootstraps with γ^k for a
  k-step segment (thesis text, §4.2.3); ``"scaled_sum"`` is the authors'
  code: γ^{t_seg} Σ_i r_{t+i}, bootstrapping with γ.
* A segment cut short by the episode's end is a segment too (transition,
  intrinsic reward, dataset entry); one too short to leave a single
  difference after downsampling gets R_I = 0 and stays out of the dataset.
* The intrinsic reward of a segment is computed with the decoder as it is
  when the episode's batch is trained on (the decoder only changes between
  batches, so this equals Algorithm 1's value at collection time).
* "Exceeds the threshold" is read as ≥ (the authors' code).
* The dataset keeps the newest ``decoder_batch`` segments if one batch of
  episodes brings more than fit.
* ``skill_reward="scripted"`` is HSD-scripted: two skills whose low-level
  reward is the subtask reward of `subtasks` (no decoder, no α).
  HSD-ext is ``alpha_start = alpha_end = 0`` (no extrinsic low-level
  reward).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict

import tensorflow as tf

from mmagents.core import replay as replay_lib
from mmagents.core import value_learning
from mmagents.hsd import baselines
from mmagents.hsd import decoder as decoder_lib
from mmagents.hsd import policy as policy_lib
from mmagents.hsd import segments as segments_lib
from mmagents.hsd import subtasks
from mmagents.hsd import team

SMDP_REWARDS = ("discounted", "scaled_sum")
SKILL_REWARDS = ("decoder", "scripted")


@dataclasses.dataclass(frozen=True)
class HSDConfig(baselines.QMIXTeamConfig):
  """HSD hyperparameters (defaults: thesis §4.3.2; ``hidden_sizes`` is the
  high-level utility's)."""
  low_hidden_sizes: tuple = (64, 64)
  num_skills: int = 4
  segment_length: int = 10
  downsample: int = 2
  decoder_features: int = 10
  decoder_units: int = 128
  decoder_batch: int = 1_000
  decoder_learning_rate: float = 1e-4
  decoder_steps: int = 1
  alpha_start: float = 1.0
  alpha_end: float = 0.6
  alpha_step: float = 0.01
  alpha_threshold: float = 0.7
  smdp_reward: str = "discounted"
  skill_reward: str = "decoder"

  def __post_init__(self):
    super().__post_init__()
    if not self.low_hidden_sizes or min(self.low_hidden_sizes) < 1:
      raise ValueError("low_hidden_sizes needs at least one positive width")
    if self.num_skills < 2:
      raise ValueError(f"num_skills must be >= 2, got {self.num_skills}")
    for name in ("segment_length", "downsample", "decoder_features",
                 "decoder_units", "decoder_batch", "decoder_steps"):
      if getattr(self, name) < 1:
        raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
    if segments_lib.num_points(self.segment_length, self.downsample) < 2:
      raise ValueError("segment_length must exceed downsample (the decoder "
                       "reads differences of downsampled observations)")
    if self.decoder_learning_rate <= 0:
      raise ValueError("decoder_learning_rate must be > 0")
    if not 0.0 <= self.alpha_end <= self.alpha_start <= 1.0:
      raise ValueError("need 0 <= alpha_end <= alpha_start <= 1")
    if self.alpha_step < 0:
      raise ValueError("alpha_step must be >= 0")
    if self.smdp_reward not in SMDP_REWARDS:
      raise ValueError(f"smdp_reward must be one of {SMDP_REWARDS}")
    if self.skill_reward not in SKILL_REWARDS:
      raise ValueError(f"skill_reward must be one of {SKILL_REWARDS}")
    if (self.skill_reward == "scripted"
        and self.num_skills != subtasks.NUM_SUBTASKS):
      raise ValueError("skill_reward=scripted has exactly "
                       f"{subtasks.NUM_SUBTASKS} skills (num_skills="
                       f"{subtasks.NUM_SUBTASKS})")


class HSDAgent(team.TeamQAgent):
  """High-level QMIX over skills, low-level IQL, skill decoder, α."""

  def __init__(self, time_step_spec, action_spec, agent_ids,
               config: HSDConfig = HSDConfig(), seed: int = 0,
               name: str = "hsd"):
    super().__init__(time_step_spec, action_spec, agent_ids, config,
                     seed=seed, name=name)
    c, n, d = config, self.num_agents, self.layout.max_obs
    if c.decoder_features > d:
      raise ValueError(f"decoder_features {c.decoder_features} > "
                       f"observation size {d}")
    self.high = baselines.make_qmix_learner(c, n, d, self.state_size,
                                            c.num_skills, name="high")
    self.low = value_learning.QLearner(
        d + c.num_skills, self.layout.max_actions, c.low_hidden_sizes,
        c.learning_rate, c.target_update_rate, c.grad_clip_norm, name="low")
    self.high_replay = replay_lib.TransitionReplay(
        c.replay_capacity, baselines.team_fields(n, d, self.state_size),
        name="high_replay")
    self.low_replay = replay_lib.TransitionReplay(
        c.replay_capacity, baselines.agent_fields(d + c.num_skills),
        name="low_replay")
    self.decoder_steps_len = segments_lib.num_points(
        c.segment_length, c.downsample) - 1
    self.decoder = decoder_lib.SkillDecoder(
        c.num_skills, c.decoder_features, self.decoder_steps_len,
        c.decoder_units)
    self.decoder_data = replay_lib.TransitionReplay(c.decoder_batch, {
        "sequence": ((self.decoder_steps_len, c.decoder_features),
                     tf.float32),
        "mask": ((self.decoder_steps_len,), tf.float32),
        "skill": ((), tf.int32)}, name="decoder_data")
    self._decoder_optimizer = tf.keras.optimizers.Adam(
        c.decoder_learning_rate)
    self.alpha = tf.Variable(c.alpha_start, trainable=False, name="alpha")
    self.decoder_accuracy = tf.Variable(0.0, trainable=False,
                                        name="decoder_accuracy")
    self.decoder_trainings = tf.Variable(0, dtype=tf.int64, trainable=False,
                                         name="decoder_trainings")
    self.high_updates = tf.Variable(0, dtype=tf.int64, trainable=False,
                                    name="high_updates")
    self.low_updates = tf.Variable(0, dtype=tf.int64, trainable=False,
                                   name="low_updates")
    # Skills pinned per agent for analysis (-1: chosen by the high level).
    self.fixed_skills = tf.Variable(tf.fill([n], -1), trainable=False,
                                    name="fixed_skills")

  def _make_policy(self, time_step_spec, action_spec, explore: bool,
                   generator: tf.random.Generator, name: str):
    return policy_lib.SkillPolicy(
        time_step_spec, action_spec, self.layout.agent_ids,
        self.config.segment_length,
        lambda obs: self.skill_probs(obs, explore),
        lambda obs, skills: self.action_probs(obs, skills, explore),
        generator, name=name)

  def build_optimizers(self) -> None:
    self.high.build_optimizer()
    self.low.build_optimizer()
    self._decoder_optimizer.build(self.decoder.trainable_variables)

  # --------------------------------------------------------------- acting
  def skill_probs(self, observation, explore: bool) -> tf.Tensor:
    """ε-greedy skill distribution ``[B, N, Z]`` (pinned skills: one-hot)."""
    q = self.high.utility(self.layout.stack_observations(observation))
    probs = value_learning.epsilon_greedy(q, self.explore_epsilon(explore))
    pinned = tf.one_hot(tf.maximum(self.fixed_skills, 0),
                        self.config.num_skills)
    return tf.where((self.fixed_skills >= 0)[:, None], pinned, probs)

  def low_inputs(self, observations: tf.Tensor, skills: tf.Tensor
                 ) -> tf.Tensor:
    """[o, onehot(z)] ``[..., N, D + Z]``."""
    return tf.concat([observations,
                      tf.one_hot(skills, self.config.num_skills)], -1)

  def action_probs(self, observation, skills: tf.Tensor,
                   explore: bool) -> tf.Tensor:
    q = self.low.q_network(self.low_inputs(
        self.layout.stack_observations(observation), skills))
    return value_learning.epsilon_greedy(q, self.explore_epsilon(explore))

  def _behaviour_probs(self, observation, explore: bool) -> tf.Tensor:
    raise NotImplementedError("HSD acts through its SkillPolicy")

  # ------------------------------------------------------------- learning
  def _learn(self, experience) -> tf.Tensor:
    c = self.config
    s = self.steps(experience)
    info = experience.policy_info
    skills = info["skill"][0]                                      # [T, N]
    segs = segments_lib.split(info["new_segment"][0], s["valid"])
    self._add_segments(s, skills, segs)
    low_reward = self._low_rewards(s, skills, segs)                # [T, N]
    self.low_replay.add({
        "input": self.per_agent(self.low_inputs(s["observation"], skills)),
        "next_input": self.per_agent(
            self.low_inputs(s["next_observation"], skills)),
        "action": self.per_agent(s["action"]),
        "reward": self.per_agent(low_reward),
        "bootstrap": self.repeat_for_agents(c.gamma * s["discount"])},
        self.repeat_for_agents(s["valid"]))
    low_loss = self.run_updates(
        self.low_replay, self.low_replay.total_added // self.num_agents,
        self.low_updates, self._low_update)
    self.run_updates(self.high_replay, self.high_replay.total_added,
                     self.high_updates, self._high_update)
    if c.skill_reward == "decoder":
      tf.cond(self.decoder_data.size >= c.decoder_batch,
              self._train_decoder, lambda: tf.constant(0.0))
    return low_loss

  def _add_segments(self, s, skills: tf.Tensor,
                    segs: segments_lib.Segments) -> None:
    """High-level transitions, one per segment."""
    c = self.config
    end, after = segs.end, segs.end + 1
    if c.smdp_reward == "discounted":
      reward = segments_lib.discounted_sums(s["team_reward"], segs, c.gamma)
      factor = tf.pow(c.gamma, tf.cast(segs.length, tf.float32))
    else:
      reward = c.gamma ** c.segment_length * segs.sum(s["team_reward"])
      factor = c.gamma * tf.ones_like(reward)
    self.high_replay.add({
        "observation": tf.gather(s["observation"], segs.start),
        "next_observation": tf.gather(s["observation"], after),
        "state": tf.gather(s["state"], segs.start),
        "next_state": tf.gather(s["state"], after),
        "choice": tf.gather(skills, segs.start), "reward": reward,
        "bootstrap": factor * tf.gather(s["discount"], end)},
        tf.ones_like(reward, tf.bool))

  def _low_rewards(self, s, skills: tf.Tensor,
                   segs: segments_lib.Segments) -> tf.Tensor:
    """R_L ``[T, N]``: scripted subtask rewards, or α R + (1 − α) R_I with
    R_I at segment ends; also feeds the decoder dataset."""
    c = self.config
    if c.skill_reward == "scripted":
      return subtasks.subtask_rewards(s["observation"], s["next_observation"],
                                      s["team_reward"], skills)
    intrinsic = self._intrinsic(s, skills, segs)                   # [K, N]
    padded = tf.concat([intrinsic, tf.zeros([1, self.num_agents])], 0)
    at_ends = tf.where(segs.is_end[:, None],
                       tf.gather(padded, segs.index), 0.0)
    return self.alpha * s["team_reward"][:, None] + (1.0 - self.alpha) * at_ends

  def _intrinsic(self, s, skills: tf.Tensor,
                 segs: segments_lib.Segments) -> tf.Tensor:
    """p_ψ(z | τ) per segment and agent ``[K, N]`` (0 without a
    difference); the segments join the decoder dataset."""
    c, n = self.config, self.num_agents
    differences, mask = segments_lib.decoder_inputs(
        s["observation"][..., :c.decoder_features], segs, c.segment_length,
        c.downsample)
    sequences = tf.reshape(differences, [-1, self.decoder_steps_len,
                                         c.decoder_features])
    masks = tf.repeat(mask, n, axis=0)
    labels = tf.reshape(tf.gather(skills, segs.start), [-1])
    usable = tf.reduce_any(masks, -1)
    probability = self.decoder.skill_probability(sequences, masks, labels)
    self.decoder_data.add({"sequence": sequences,
                           "mask": tf.cast(masks, tf.float32),
                           "skill": labels}, usable)
    return tf.reshape(tf.where(usable, probability, 0.0), [-1, n])

  @tf.function(autograph=False)
  def _low_update(self) -> tf.Tensor:
    return self.low.update(self.low_replay.sample(self.config.batch_size,
                                                  self.train_rng))

  @tf.function(autograph=False)
  def _high_update(self) -> tf.Tensor:
    return self.high.update(self.high_replay.sample(self.config.batch_size,
                                                    self.train_rng))

  def _train_decoder(self):
    """``decoder_steps`` Adam steps on the whole dataset, then empty it;
    returns the last loss."""
    data = self.decoder_data.contents()
    mask = data["mask"] > 0.5
    logits = self.decoder(data["sequence"], mask)
    hits = tf.equal(tf.argmax(logits, -1, output_type=tf.int32),
                    data["skill"])
    self.decoder_accuracy.assign(tf.reduce_mean(tf.cast(hits, tf.float32)))
    variables = self.decoder.trainable_variables
    for _ in range(self.config.decoder_steps):
      with tf.GradientTape() as tape:
        loss = self.decoder.loss(data["sequence"], mask, data["skill"])
      self._decoder_optimizer.apply_gradients(
          zip(tape.gradient(loss, variables), variables))
    self.decoder_data.clear()
    self.decoder_trainings.assign_add(1)
    return loss

  # ------------------------------------------------------------ curricula
  def observe_evaluation(self, row: Dict[str, Any]) -> None:
    """α ← max(α_end, α − α_step) when the evaluation's win rate reaches
    ``alpha_threshold``."""
    c = self.config
    win = row.get("events", {}).get("win")
    if c.skill_reward == "decoder" and win is not None and (
        float(win) >= c.alpha_threshold):
      self.alpha.assign(max(c.alpha_end, float(self.alpha.numpy())
                            - c.alpha_step))

  def scalars(self) -> Dict[str, float]:
    return dict(super().scalars(), alpha=float(self.alpha.numpy()),
                decoder_accuracy=float(self.decoder_accuracy.numpy()),
                decoder_trainings=int(self.decoder_trainings.numpy()))

  def experience_metrics(self, experience) -> Dict[str, tf.Tensor]:
    """Share of segments (all agents) that used each skill."""
    info = experience.policy_info
    valid = ~experience.is_boundary()[0]
    starts = tf.logical_and(info["new_segment"][0], valid)
    chosen = tf.boolean_mask(info["skill"][0], starts)             # [K, N]
    counts = tf.reduce_sum(tf.one_hot(chosen, self.config.num_skills),
                           [0, 1])
    return {"skill_usage": counts / tf.maximum(tf.reduce_sum(counts), 1.0)}

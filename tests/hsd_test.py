"""HSD and its flat baselines: segments, decoder preprocessing, intrinsic
rewards at segment ends, the α schedule, the QMIX high level over skills,
the Q-learning targets, scripted subtask rewards and short deterministic
runs on STS2."""

import json
import os

import numpy as np
import tensorflow as tf
from tf_agents.drivers import dynamic_episode_driver
from tf_agents.environments import tf_py_environment
from tf_agents.replay_buffers import tf_uniform_replay_buffer

from environments.sts2 import team_sports
from mmagents.core import runner
from mmagents.core import value_learning
from mmagents.hsd import agent as hsd
from mmagents.hsd import analysis
from mmagents.hsd import baselines
from mmagents.hsd import decoder as decoder_lib
from mmagents.hsd import segments
from mmagents.hsd import subtasks
from mmagents.qmix import learner as qmix_learner
from tests import scratch

SMALL = dict(hidden_sizes=(16,), low_hidden_sizes=(16,), decoder_units=8,
             batch_size=16, mixer_embed_dim=8)


def _row(lengths, segment_length, pad=2):
  """new_segment / valid flags of episodes of `lengths` (+ boundaries)."""
  new, valid = [], []
  for length in lengths:
    for t in range(length):
      new.append(t % segment_length == 0)
      valid.append(True)
    new.append(length % segment_length == 0)  # The boundary's flag.
    valid.append(False)
  new += [True] * pad
  valid += [False] * pad
  return tf.constant(new), tf.constant(valid)


class SegmentsTest(tf.test.TestCase):

  def test_split_matches_hand_layout(self):
    segs = segments.split(*_row([7, 4], 3))
    # Episode 1 at steps 0..6 ([0,3) [3,6) [6]), episode 2 at 8..11.
    self.assertEqual(int(segs.count), 5)
    self.assertAllEqual(segs.start, [0, 3, 6, 8, 11])
    self.assertAllEqual(segs.length, [3, 3, 1, 3, 1])
    self.assertAllEqual(segs.end, [2, 5, 6, 10, 11])
    self.assertAllEqual(segs.index,
                        [0, 0, 0, 1, 1, 1, 2, 5, 3, 3, 3, 4, 5, 5, 5])
    self.assertAllEqual(segs.position,
                        [0, 1, 2, 0, 1, 2, 0, 0, 0, 1, 2, 0, 0, 0, 0])
    self.assertAllEqual(np.flatnonzero(segs.is_end.numpy()),
                        [2, 5, 6, 10, 11])

  def test_discounted_sums(self):
    segs = segments.split(*_row([7, 4], 3))
    rewards = tf.range(15, dtype=tf.float32)
    g = 0.5
    expected = [0 + g * 1 + g * g * 2, 3 + g * 4 + g * g * 5, 6,
                8 + g * 9 + g * g * 10, 11]
    self.assertAllClose(segments.discounted_sums(rewards, segs, g), expected)

  def test_decoder_inputs_downsample_and_difference(self):
    segs = segments.split(*_row([10, 3], 10, pad=0))
    steps, agents, features = 15, 2, 3
    values = np.random.default_rng(0).normal(size=(steps, agents, features))
    diffs, mask = segments.decoder_inputs(tf.constant(values, tf.float32),
                                          segs, 10, 2)
    self.assertEqual(segments.num_points(10, 2), 5)
    self.assertEqual(diffs.shape, (2, agents, 4, features))
    # Full segment: points 0, 2, 4, 6, 8 → four differences.
    kept = values[[0, 2, 4, 6, 8]]
    self.assertAllClose(diffs[0], np.transpose(kept[1:] - kept[:-1],
                                               (1, 0, 2)), atol=1e-6)
    self.assertAllEqual(mask[0], [True] * 4)
    # Three-step segment at 11..13: points 11 and 13 → one difference.
    self.assertAllClose(diffs[1, :, 0], values[13] - values[11], atol=1e-6)
    self.assertAllEqual(mask[1], [True, False, False, False])


class DecoderTest(tf.test.TestCase):

  def test_probabilities_and_masking(self):
    decoder = decoder_lib.SkillDecoder(3, 2, 4, units=4)
    x = tf.random.stateless_normal([5, 4, 2], [1, 2])
    mask = tf.constant([[True] * 4, [True, True, False, False]] * 2
                       + [[True] * 4])
    probs = tf.nn.softmax(decoder(x, mask))
    self.assertAllClose(tf.reduce_sum(probs, -1), tf.ones(5))
    # Masked steps do not matter.
    x2 = tf.tensor_scatter_nd_update(x, [[1, 3]], [[9.0, -9.0]])
    self.assertAllClose(decoder(x, mask)[1], decoder(x2, mask)[1])
    p = decoder.skill_probability(x, mask, tf.constant([0, 1, 2, 0, 1]))
    self.assertAllClose(p, tf.gather(probs, [0, 1, 2, 0, 1], batch_dims=1))

  def test_learns_separable_skills(self):
    tf.keras.utils.set_random_seed(0)
    decoder = decoder_lib.SkillDecoder(2, 2, 4, units=8)
    skills = tf.constant([0, 1] * 32)
    direction = tf.where(skills[:, None, None] == 0, 1.0, -1.0)
    x = direction * tf.ones([64, 4, 2]) + 0.1 * tf.random.stateless_normal(
        [64, 4, 2], [3, 4])
    mask = tf.ones([64, 4], tf.bool)
    opt = tf.keras.optimizers.Adam(1e-2)
    for _ in range(30):
      with tf.GradientTape() as tape:
        loss = decoder.loss(x, mask, skills)
      grads = tape.gradient(loss, decoder.trainable_variables)
      opt.apply_gradients(zip(grads, decoder.trainable_variables))
    self.assertGreater(
        float(tf.reduce_mean(decoder.skill_probability(x, mask, skills))),
        0.9)


class LearnerTest(tf.test.TestCase):

  def test_q_learner_target_closed_form(self):
    tf.keras.utils.set_random_seed(1)
    learner = value_learning.QLearner(3, 4, (5,), 1e-3, 0.5)
    x_next = tf.random.stateless_normal([6, 3], [5, 6])
    batch = {"input": tf.zeros([6, 3]), "next_input": x_next,
             "action": tf.zeros([6], tf.int32),
             "reward": tf.range(6, dtype=tf.float32),
             "bootstrap": tf.constant([0.99, 0.0, 0.5, 0.99, 0.99, 1.0])}
    best = np.max(learner.target_network(x_next).numpy(), -1)
    self.assertAllClose(learner.targets(batch),
                        np.arange(6) + batch["bootstrap"].numpy() * best,
                        atol=1e-6)
    before = [w.numpy() for w in learner.target_network.weights]
    learner.update(batch)
    after = [w.numpy() for w in learner.target_network.weights]
    online = [w.numpy() for w in learner.q_network.weights]
    for b, a, o in zip(before, after, online):
      self.assertAllClose(a, 0.5 * o + 0.5 * b, atol=1e-6)

  def test_qmix_over_skills_is_monotone_scalar(self):
    tf.keras.utils.set_random_seed(2)
    learner = qmix_learner.QMIXLearner(3, 5, 7, 4, (8,), 6, 1e-3, 0.01)
    obs = tf.random.stateless_normal([10, 3, 5], [7, 8])
    state = tf.random.stateless_normal([10, 7], [9, 10])
    skills = tf.constant(np.random.default_rng(0).integers(0, 4, (10, 3)),
                         tf.int32)
    total = learner.chosen_total({"observation": obs, "state": state,
                                  "choice": skills})
    self.assertEqual(total.shape, (10,))
    values = tf.random.stateless_normal([10, 3], [11, 12])
    with tf.GradientTape() as tape:
      tape.watch(values)
      mixed = learner.mixer(values, state)
    self.assertTrue(np.all(tape.gradient(mixed, values).numpy() >= 0))

  def test_mixer_init_reaches_both_mixers(self):
    learner = qmix_learner.QMIXLearner(2, 3, 4, 3, (8,), 5, 1e-3, 0.01,
                                       mixer_init_stddev=0.01)
    for mixer in (learner.mixer, learner.target_mixer):
      kernel = mixer.hyper_w1[-1].kernel.numpy()
      self.assertLessEqual(np.abs(kernel).max(), 0.02 + 1e-7)
    self.assertAllEqual(learner.mixer.hyper_w1[-1].kernel,
                        learner.target_mixer.hyper_w1[-1].kernel)

  def test_qmix_target_uses_greedy_next_choices(self):
    tf.keras.utils.set_random_seed(3)
    learner = qmix_learner.QMIXLearner(2, 3, 4, 3, (8,), 5, 1e-3, 0.01)
    batch = {"next_observation": tf.random.stateless_normal([4, 2, 3], [1, 1]),
             "next_state": tf.random.stateless_normal([4, 4], [2, 2]),
             "reward": tf.ones([4]), "bootstrap": tf.fill([4], 0.9)}
    best = np.max(learner.target_utility(batch["next_observation"]), -1)
    mixed = learner.target_mixer(tf.constant(best), batch["next_state"])
    self.assertAllClose(learner.targets(batch), 1.0 + 0.9 * mixed.numpy(),
                        atol=1e-5)


class SubtaskTest(tf.test.TestCase):

  def test_score_and_take_rewards(self):
    n, d = 3, 31
    opp = subtasks.opponent_has_puck_index(n)
    obs = np.zeros((3, n, d), np.float32)
    nxt = np.zeros((3, n, d), np.float32)
    obs[0, 1, subtasks.SELF_HAS_PUCK] = 1.0      # Agent 1 holds, goal.
    obs[1, :, opp] = 1.0                          # Opponents hold ...
    nxt[1, 2, subtasks.SELF_HAS_PUCK] = 1.0      # ... agent 2 takes it.
    reward = tf.constant([1.0, 0.1, 0.0])
    skills = tf.constant([[0, 0, 1], [1, 1, 1], [0, 1, 0]])
    out = subtasks.subtask_rewards(tf.constant(obs), tf.constant(nxt),
                                   reward, skills).numpy()
    self.assertAllEqual(out, [[0, 1, 0], [0, 0, 1], [0, 0, 0]])


class AnalysisTest(tf.test.TestCase):

  def test_skill_report_attributes_events_usage_and_cells(self):
    e = len(analysis.EVENTS)
    events = np.zeros((3, 2, e))
    events[1, 0, analysis.EVENTS.index("steals")] = 1   # Agent 0, skill 1.
    events[2, 1, analysis.EVENTS.index("shots")] = 1    # Agent 1, skill 0.
    log = {"skill": np.array([[1, 0], [1, 0], [1, 0]]),
           "action": np.array([[0, 8], [1, 8], [1, 8]]),
           "events": events,
           "possession": np.array([True, False, False]),
           "position": np.array([[[-9.0, -18.0], [8.99, 17.99]]] * 3),
           "new_segment": np.array([True, False, False]),
           "episode": np.zeros(3, int)}
    report = analysis.skill_report(log, 3)
    self.assertEqual(report["events"][1, analysis.EVENTS.index("steals")], 1)
    self.assertEqual(report["events"][0, analysis.EVENTS.index("shots")], 1)
    self.assertAllEqual(report["actions"][1, :2], [1, 2])
    self.assertEqual(report["actions"][0, 8], 3)
    self.assertAllEqual(report["usage_with_possession"], [1, 1, 0])
    self.assertAllEqual(report["usage_without_possession"], [0, 0, 0])
    self.assertEqual(report["heatmaps"][1, 0, 0], 3)    # Top-left corner.
    self.assertEqual(report["heatmaps"][0, 35, 17], 3)  # Bottom-right.

  def test_role_skills_go_by_steal_share_and_differ(self):
    events = np.zeros((4, len(analysis.EVENTS)))
    steals = analysis.EVENTS.index("steals")
    shots = analysis.EVENTS.index("shots")
    # Skill 1 has the most steals AND the most shots (the busiest skill).
    events[:, steals] = [0.40, 0.85, 0.57, 0.45]
    events[:, shots] = [0.15, 1.05, 0.20, 0.83]
    self.assertEqual(analysis.role_skills(events), (2, 3))
    events[:, shots] = 0.0           # Ties: still two different skills.
    defensive, offensive = analysis.role_skills(events)
    self.assertNotEqual(defensive, offensive)

  def test_pca_recovers_the_main_axis(self):
    points = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    scores = analysis.pca_2d(points)
    self.assertAllClose(np.abs(scores[:, 0]),
                        np.abs(points.sum(1) - 3.0) / np.sqrt(2), atol=1e-9)
    self.assertAllClose(scores[:, 1], np.zeros(4), atol=1e-9)


def _env_and_agent(config, seed=0, max_steps=40):
  py_env = team_sports.TeamSports(seed=seed, max_steps=max_steps)
  tf_env = tf_py_environment.TFPyEnvironment(py_env)
  agent = hsd.HSDAgent(tf_env.time_step_spec(), tf_env.action_spec(),
                       py_env.agent_ids, config=config, seed=seed)
  return tf_env, agent


def _collect(tf_env, policy, data_spec, episodes=2, max_steps=40):
  buffer = tf_uniform_replay_buffer.TFUniformReplayBuffer(
      data_spec, batch_size=1, max_length=episodes * (max_steps + 1))
  dynamic_episode_driver.DynamicEpisodeDriver(
      tf_env, policy, observers=[buffer.add_batch],
      num_episodes=episodes).run(tf_env.reset())
  return buffer.gather_all()


class HSDAgentTest(tf.test.TestCase):

  def test_skills_persist_within_segments(self):
    config = hsd.HSDConfig(segment_length=4, **SMALL)
    tf_env, agent = _env_and_agent(config)
    exp = _collect(tf_env, agent.collect_policy, agent.collect_data_spec)
    steps = exp.step_type[0].numpy()
    new = exp.policy_info["new_segment"][0].numpy()
    skills = exp.policy_info["skill"][0].numpy()
    t_in_episode = 0
    for t in range(len(steps)):
      if steps[t] == 0:  # FIRST
        t_in_episode = 0
      self.assertEqual(new[t], t_in_episode % 4 == 0)
      if not new[t]:
        self.assertAllEqual(skills[t], skills[t - 1])
      t_in_episode += 1

  def test_intrinsic_reward_only_at_segment_ends(self):
    config = hsd.HSDConfig(segment_length=4, alpha_start=0.0,
                           alpha_end=0.0, **SMALL)
    tf_env, agent = _env_and_agent(config)
    exp = _collect(tf_env, agent.collect_policy, agent.collect_data_spec)
    s = agent.steps(exp)
    skills = exp.policy_info["skill"][0]
    segs = segments.split(exp.policy_info["new_segment"][0], s["valid"])
    low = agent._low_rewards(s, skills, segs).numpy()
    ends = segs.is_end.numpy()
    self.assertTrue(np.all(low[~ends] == 0.0))
    # At ends: the decoder's probability of the skill, in (0, 1).
    at_ends = low[ends]
    self.assertTrue(np.all((at_ends > 0) & (at_ends < 1)))
    # α = 1: exactly the team reward everywhere.
    agent.alpha.assign(1.0)
    low1 = agent._low_rewards(s, skills, segs).numpy()
    self.assertAllClose(low1, np.repeat(s["team_reward"].numpy()[:, None],
                                        3, 1))

  def test_high_level_transitions_are_semi_markov(self):
    for smdp in ("discounted", "scaled_sum"):
      config = hsd.HSDConfig(segment_length=4, gamma=0.9, smdp_reward=smdp,
                             **SMALL)
      tf_env, agent = _env_and_agent(config)
      exp = _collect(tf_env, agent.collect_policy, agent.collect_data_spec)
      s = agent.steps(exp)
      skills = exp.policy_info["skill"][0]
      segs = segments.split(exp.policy_info["new_segment"][0], s["valid"])
      agent._add_segments(s, skills, segs)
      rows = agent.high_replay.contents()
      reward, discount = s["team_reward"].numpy(), s["discount"].numpy()
      obs = s["observation"].numpy()
      self.assertEqual(int(agent.high_replay.size), int(segs.count))
      for k, (start, length) in enumerate(zip(segs.start.numpy(),
                                              segs.length.numpy())):
        r = reward[start:start + length]
        end = start + length - 1
        if smdp == "discounted":
          want = np.sum(0.9 ** np.arange(length) * r)
          boot = 0.9 ** length * discount[end]
        else:
          want = 0.9 ** 4 * r.sum()
          boot = 0.9 * discount[end]
        self.assertAllClose(rows["reward"][k], want, atol=1e-5)
        self.assertAllClose(rows["bootstrap"][k], boot, atol=1e-6)
        self.assertAllEqual(rows["choice"][k], skills[start])
        self.assertAllClose(rows["next_observation"][k], obs[end + 1])
      # The episodes end in terminations: their last segments bootstrap 0.
      self.assertEqual(int(np.sum(rows["bootstrap"].numpy() == 0)), 2)

  def test_alpha_schedule(self):
    config = hsd.HSDConfig(alpha_start=0.63, alpha_end=0.6, alpha_step=0.02,
                           alpha_threshold=0.7, **SMALL)
    _, agent = _env_and_agent(config)
    agent.observe_evaluation({"events": {"win": 0.65}})
    self.assertAllClose(agent.alpha.numpy(), 0.63)
    agent.observe_evaluation({"events": {"win": 0.7}})
    self.assertAllClose(agent.alpha.numpy(), 0.61)
    agent.observe_evaluation({"events": {"win": 0.9}})
    self.assertAllClose(agent.alpha.numpy(), 0.6)   # Floor α_end.

  def test_decoder_trains_when_dataset_full(self):
    config = hsd.HSDConfig(segment_length=4, decoder_batch=20, **SMALL)
    tf_env, agent = _env_and_agent(config)
    exp = _collect(tf_env, agent.collect_policy, agent.collect_data_spec)
    agent.train(exp)
    self.assertEqual(int(agent.decoder_trainings.numpy()), 1)
    self.assertEqual(int(agent.decoder_data.size.numpy()), 0)

  def test_fixed_skill_is_played(self):
    config = hsd.HSDConfig(segment_length=4, **SMALL)
    tf_env, agent = _env_and_agent(config)
    agent.fixed_skills.assign([2, -1, 1])
    exp = _collect(tf_env, agent.policy, agent.collect_data_spec)
    skills = exp.policy_info["skill"][0].numpy()
    self.assertTrue(np.all(skills[:, 0] == 2) and np.all(skills[:, 2] == 1))

  def test_bad_config(self):
    with self.assertRaisesRegex(ValueError, "scripted"):
      hsd.HSDConfig(skill_reward="scripted", num_skills=4)
    with self.assertRaisesRegex(ValueError, "segment_length"):
      hsd.HSDConfig(segment_length=2, downsample=2)
    with self.assertRaisesRegex(ValueError, "mixer_init_stddev"):
      baselines.QMIXTeamConfig(mixer_init_stddev=-0.01)


def _run(method_cls, config, root, episodes=4, seed=0):
  def make_env(s):
    return team_sports.TeamSports(seed=s, max_steps=30)

  def make_agent(tf_env, py_env):
    return method_cls(tf_env.time_step_spec(), tf_env.action_spec(),
                      py_env.agent_ids, config=config, seed=seed)
  cfg = runner.RunConfig(root_dir=root, num_episodes=episodes,
                         eval_interval=2, num_eval_episodes=1, seed=seed,
                         verbose=False)
  runner.Runner("test", make_env, make_agent, cfg, {"m": "t"}).run()
  with open(os.path.join(root, "metrics.jsonl")) as f:
    return [json.loads(line) for line in f]


class RunTest(tf.test.TestCase):

  def test_hsd_runs_are_deterministic_and_resume(self):
    config = hsd.HSDConfig(segment_length=4, decoder_batch=30, **SMALL)
    a = _run(hsd.HSDAgent, config, scratch.make_dir(self))
    b_root = scratch.make_dir(self)
    _run(hsd.HSDAgent, config, b_root, episodes=2)
    b = _run(hsd.HSDAgent, config, b_root)
    drop = lambda rows: [{k: v for k, v in r.items() if k != "wall_s"}
                         for r in rows]
    self.assertEqual(drop(a), drop(b))
    self.assertIn("skill_usage", a[-1])
    self.assertGreater(a[-1]["decoder_trainings"], 0)

  def test_flat_baselines_train(self):
    small = dict(hidden_sizes=(16,), batch_size=16)
    for cls, cfg in ((baselines.IQLAgent, baselines.IQLConfig(**small)),
                     (baselines.QMIXTeamAgent,
                      baselines.QMIXTeamConfig(mixer_embed_dim=8, **small))):
      rows = _run(cls, cfg, scratch.make_dir(self))
      self.assertEqual([r["episode"] for r in rows], [0, 2, 4])
      self.assertTrue(np.isfinite(rows[-1]["loss"]))
      self.assertGreater(rows[-1]["loss"], 0.0)


if __name__ == "__main__":
  tf.test.main()

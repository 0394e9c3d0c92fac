"""Math of the PG agent: returns, behaviour probabilities, loss, networks."""

import numpy as np
import tensorflow as tf
from tf_agents.drivers import py_driver
from tf_agents.environments import tf_py_environment
from tf_agents.policies import py_tf_eager_policy
from tf_agents.trajectories import time_step as ts

from environments import escape_room
from mmagents.agents import pg
from mmagents.core import networks
from mmagents.core import returns as returns_lib
from tests import trajectories

FIRST, MID, LAST = ts.StepType.FIRST, ts.StepType.MID, ts.StepType.LAST


def _agent(env, **config):
  tf_env = tf_py_environment.TFPyEnvironment(env)
  return pg.PolicyGradientAgent(tf_env.time_step_spec(), tf_env.action_spec(),
                                env.agent_ids, pg.PGConfig(**config), seed=3)


def _experience(env, step_types, actions, rewards):
  """A [1, T] trajectory of ER(2, 1) with all agents at the start."""
  start = np.array([0, 1, 0, 0, 1, 0], np.float32)
  return trajectories.single_row(env.agent_ids,
                                 np.tile(start, (len(step_types), 1)),
                                 step_types, actions, rewards)


class ReturnsTest(tf.test.TestCase):

  def test_discounted_returns_restart_at_episode_ends(self):
    rewards = np.array([[[1., 0.], [2., 1.], [3., 0.], [0., 0.], [5., 2.]]])
    ends = np.array([[False, False, True, False, True]])
    g = 0.9
    expected = np.array([[[1 + g * 2 + g * g * 3, g * 1], [2 + g * 3, 1.],
                          [3., 0.], [0. + g * 5, g * 2], [5., 2.]]])
    self.assertAllClose(returns_lib.discounted_returns(rewards, ends, g),
                        expected)


class BehaviourProbsTest(tf.test.TestCase):

  def test_exploration_lower_bound_and_padding(self):
    env = escape_room.AsymmetricEscapeRoom()     # 4 and 2 actions.
    agent = _agent(env)
    logits = tf.constant([[[2.0, 0.0, -1.0, 0.5], [1.0, -1.0, 7.0, 7.0]]])
    probs = agent.layout.masked_probs(logits, tf.constant(0.2)).numpy()[0]
    softmax0 = np.exp([2.0, 0.0, -1.0, 0.5]) / np.exp([2.0, 0.0, -1.0,
                                                       0.5]).sum()
    self.assertAllClose(probs[0], 0.8 * softmax0 + 0.2 / 4)
    softmax1 = np.exp([1.0, -1.0]) / np.exp([1.0, -1.0]).sum()
    self.assertAllClose(probs[1], np.r_[0.8 * softmax1 + 0.2 / 2, 0, 0])


class LossTest(tf.test.TestCase):

  def test_loss_with_uniform_policy_matches_hand_computation(self):
    env = escape_room.EscapeRoom(2, 1)
    agent = _agent(env, entropy_coeff=0.5, gamma=0.5, epsilon_start=0.3)
    for w in agent.policy_net.trainable_variables:
      w.assign(tf.zeros_like(w))                 # π = π̃ = uniform(1/3).
    # Episode 1: 2 steps (+ boundary); episode 2: 1 step (+ boundary).
    exp = _experience(env, [FIRST, MID, LAST, FIRST, LAST],
                      [[1, 1], [0, 2], [1, 1], [0, 2], [0, 0]],
                      [[0, 0], [-1, 10], [0, 0], [-1, 10], [0, 0]])
    loss = agent.loss(exp).loss.numpy()
    # Returns: ep1 t0 = 0.5 * [-1, 10], t1 = [-1, 10]; ep2 t0 = [-1, 10].
    sum_returns = np.array([-0.5 - 1 - 1, 5 + 10 + 10])
    log_p, entropy = np.log(1 / 3), np.log(3)
    per_agent = (-log_p * sum_returns - 0.5 * 3 * entropy) / 2  # 2 episodes
    self.assertAllClose(loss, per_agent.sum(), rtol=1e-5)

  def test_loss_matches_numpy_reference_with_random_weights(self):
    env = escape_room.EscapeRoom(2, 1)
    agent = _agent(env, entropy_coeff=0.1, gamma=0.9, epsilon_start=0.25)
    exp = _experience(env, [FIRST, MID, MID, LAST],
                      [[2, 0], [1, 2], [0, 2], [1, 1]],
                      [[-1, -1], [0, -1], [-1, 10], [0, 0]])
    weights = [w.numpy() for w in agent.policy_net.layer_weights]
    obs = np.array([0, 1, 0, 0, 1, 0], np.float32)
    total = 0.0
    for i in range(2):
      h = obs
      for k in range(0, len(weights), 2):
        h = h @ weights[k][i] + weights[k + 1][i]
        if k < len(weights) - 2:
          h = np.maximum(h, 0)
      p = np.exp(h - h.max())
      p = 0.75 * p / p.sum() + 0.25 / 3
      acts = [[2, 0], [1, 2], [0, 2]]
      rew = np.array([[-1, -1], [0, -1], [-1, 10]], np.float64)[:, i]
      g = np.array([rew[0] + .9 * rew[1] + .81 * rew[2], rew[1] + .9 * rew[2],
                    rew[2]])
      total += -sum(np.log(p[a[i]]) * g[t] for t, a in enumerate(acts))
      total -= 0.1 * 3 * -(p * np.log(p)).sum()
    self.assertAllClose(agent.loss(exp).loss.numpy(), total, rtol=1e-5)

  def test_policy_score_function_ignores_the_exploration_floor(self):
    env = escape_room.EscapeRoom(2, 1)
    exp = _experience(env, [FIRST, MID, MID, LAST],
                      [[2, 0], [1, 2], [0, 2], [1, 1]],
                      [[-1, -1], [0, -1], [-1, 10], [0, 0]])
    floored = _agent(env, entropy_coeff=0.1, epsilon_start=0.5,
                     score_function="policy")
    plain = _agent(env, entropy_coeff=0.1, epsilon_start=0.0)
    mixed = _agent(env, entropy_coeff=0.1, epsilon_start=0.5)
    for agent in (plain, mixed):
      for mine, theirs in zip(agent.policy_net.layer_weights,
                              floored.policy_net.layer_weights):
        mine.assign(theirs)
    self.assertAllClose(floored.loss(exp).loss, plain.loss(exp).loss)
    self.assertNotAllClose(floored.loss(exp).loss, mixed.loss(exp).loss)
    with self.assertRaisesRegex(ValueError, "score_function"):
      pg.PGConfig(score_function="greedy")

  def test_log_prob_of_an_underflowed_probability_is_finite(self):
    logits = tf.Variable([[[[0.0, 200.0]]]])
    with tf.GradientTape() as tape:
      probs = tf.nn.softmax(logits)                 # [1, 1, 1, 2]: [0, 1].
      log_probs = pg.log_prob_taken(probs, tf.constant([[[0]]]),
                                    tf.ones([1, 1, 1]))
    self.assertAllClose(log_probs, [[[np.log(np.finfo(np.float32).tiny)]]])
    self.assertTrue(np.isfinite(tape.gradient(log_probs, logits)).all())

  def test_policy_entropy_metric_ignores_epsilon_and_boundaries(self):
    env = escape_room.EscapeRoom(2, 1)
    agent = _agent(env, epsilon_start=0.3)
    last = agent.policy_net.layer_weights[-1]    # Output bias.
    for w in agent.policy_net.trainable_variables:
      w.assign(tf.zeros_like(w))
    last.assign([[0.0, 0.0, 0.0], [50.0, 0.0, 0.0]])  # Agent 1 deterministic.
    exp = _experience(env, [FIRST, MID, LAST, FIRST],
                      [[0, 0], [1, 2], [0, 0], [2, 1]],
                      [[0, 0], [-1, 10], [0, 0], [0, 0]])
    entropy = agent.experience_metrics(exp)["policy_entropy"].numpy()
    self.assertAllClose(entropy, [np.log(3), 0.0], atol=1e-5)

  def test_train_reduces_loss_direction_and_counts_steps(self):
    env = escape_room.EscapeRoom(2, 1)
    agent = _agent(env, learning_rate=0.1)
    exp = _experience(env, [FIRST, LAST, FIRST],
                      [[0, 2], [1, 1], [1, 1]], [[-1, 10], [0, 0], [0, 0]])
    probs_before = agent.layout.masked_probs(
        agent.policy_net(tf.constant([[[0, 1, 0, 0, 1, 0]] * 2], tf.float32)),
        0.0).numpy()
    agent.train(exp)
    self.assertEqual(agent.train_step_counter.numpy(), 1)
    probs_after = agent.layout.masked_probs(
        agent.policy_net(tf.constant([[[0, 1, 0, 0, 1, 0]] * 2], tf.float32)),
        0.0).numpy()
    # Agent 1 was rewarded +10 for the door: its door probability rises.
    self.assertGreater(probs_after[0, 1, 2], probs_before[0, 1, 2])

  def test_epsilon_schedule(self):
    config = pg.PGConfig(epsilon_start=0.5, epsilon_end=0.1,
                         epsilon_episodes=100)
    self.assertAllClose(pg.linear_epsilon(0, config), 0.5)
    self.assertAllClose(pg.linear_epsilon(50, config), 0.3)
    self.assertAllClose(pg.linear_epsilon(1000, config), 0.1)


class PolicyTest(tf.test.TestCase):

  def test_policies_drive_a_py_driver(self):
    env = escape_room.EscapeRoom(3, 2, seed=0)
    agent = _agent(env)
    for policy in (agent.policy, agent.collect_policy):
      trajectories = []
      driver = py_driver.PyDriver(
          env, py_tf_eager_policy.PyTFEagerPolicy(policy, use_tf_function=True),
          observers=[trajectories.append], max_episodes=3)
      driver.run(env.reset())
      self.assertEqual(sum(t.is_last() for t in trajectories), 3)
      for t in trajectories:
        self.assertCountEqual(t.action, env.agent_ids)
        self.assertTrue(all(0 <= t.action[a] <= 2 for a in env.agent_ids))

  def test_eval_and_collect_draw_from_separate_streams(self):
    env = escape_room.EscapeRoom(2, 1)
    agent = _agent(env)
    state = agent.collect_rng.state.numpy().copy()
    step = tf_py_environment.TFPyEnvironment(env).reset()
    agent.policy.action(step)
    self.assertAllEqual(agent.collect_rng.state, state)
    agent.collect_policy.action(step)
    self.assertNotAllEqual(agent.collect_rng.state, state)


class StackedMLPTest(tf.test.TestCase):

  def test_agents_are_independent_networks(self):
    net = networks.StackedMLP(3, 4, (5,), 2)
    x = tf.random.stateless_normal((6, 3, 4), seed=(1, 2))
    out = net(x)
    w = [v.numpy() for v in net.layer_weights]
    for i in range(3):
      h = np.maximum(x.numpy()[:, i] @ w[0][i] + w[1][i], 0)
      self.assertAllClose(out[:, i], h @ w[2][i] + w[3][i], rtol=1e-5)
    with tf.GradientTape() as tape:
      loss = tf.reduce_sum(net(x)[:, 0])
    grads = tape.gradient(loss, net.layer_weights)
    for g in grads:
      self.assertAllEqual(g[1:], tf.zeros_like(g[1:]))

  def test_apply_with_explicit_weights_is_differentiable(self):
    net = networks.StackedMLP(2, 3, (4,), 2)
    x = tf.ones((1, 2, 3))
    with tf.GradientTape() as tape:
      shifted = [w - 0.1 for w in net.layer_weights]
      out = tf.reduce_sum(networks.StackedMLP.apply(x, shifted))
    self.assertNotIn(None, tape.gradient(out, net.layer_weights))


if __name__ == "__main__":
  tf.test.main()

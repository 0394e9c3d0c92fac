"""LIO: incentive channel, inner update and the incentive meta-gradient."""

import numpy as np
import tensorflow as tf
from absl.testing import absltest
from absl.testing import parameterized
from tf_agents.environments import tf_py_environment

from environments import escape_room
from environments import ipd
from mmagents.core import incentives
from mmagents.core import meta
from mmagents.core import returns
from mmagents.lio import agent as lio
from mmagents.lio import decentralized
from mmagents.lio import one_episode
from tests import finite_differences
from tests import scratch
from tests import trajectories

TINY = dict(hidden_sizes=(8,), incentive_hidden_sizes=(8,),
            learning_rate=0.5, epsilon_start=0.3, epsilon_end=0.3)


def _setup(env, config, seed=0, agent_cls=lio.LIOAgent):
  tf.keras.utils.set_random_seed(seed)
  tf_env = tf_py_environment.TFPyEnvironment(env)
  agent = agent_cls(tf_env.time_step_spec(), tf_env.action_spec(),
                    env.agent_ids, config=config, seed=seed)
  agent.build_optimizers()
  return agent, tf_env


def _collect(agent, tf_env, max_steps, episodes=1):
  return trajectories.collect_episodes(agent, tf_env, max_steps, episodes)


def _first_and_second(agent, tf_env, max_steps, episodes=1):
  first = _collect(agent, tf_env, max_steps, episodes)
  agent.update_policies(first)
  second = _collect(agent, tf_env, max_steps, episodes)
  return lio.LIOExperience(first, second)


class IncentiveChannelTest(absltest.TestCase):

  def test_recorded_incentives_match_the_incentive_function(self):
    env = escape_room.EscapeRoom(3, 2, seed=1)
    agent, tf_env = _setup(env, lio.LIOConfig(**TINY))
    experience = _collect(agent, tf_env, env.max_steps, episodes=3)
    info = experience.policy_info
    mask = returns.valid_mask(experience).numpy()[0] > 0
    recomputed = agent.incentives(agent._policy_inputs(experience),
                                  agent.layout.stack_actions(experience.action))
    np.testing.assert_allclose(recomputed.numpy()[0][mask],
                               info[incentives.INCENTIVES].numpy()[0][mask],
                               rtol=1e-5, atol=1e-6)
    given = info[incentives.INCENTIVES].numpy()[0]
    self.assertTrue(np.all(given >= 0) and np.all(given <= 2.0))
    self.assertTrue(np.all(given[:, np.arange(3), np.arange(3)] == 0))
    # GIVEN is the running total of earlier incentives within each episode.
    first = experience.is_first().numpy()[0]
    total = np.zeros((3, 3), np.float32)
    for t in range(len(first)):
      if first[t]:
        total[:] = 0
      np.testing.assert_allclose(info[incentives.GIVEN].numpy()[0, t], total,
                                 rtol=1e-5, atol=1e-6)
      total += given[t]

  def test_only_listed_givers_give(self):
    env = escape_room.EscapeRoom(2, 1, seed=2)
    agent, tf_env = _setup(env, lio.LIOConfig(**TINY, givers=(0,)))
    given = _collect(agent, tf_env, env.max_steps).policy_info[
        incentives.INCENTIVES].numpy()[0]
    self.assertTrue(np.all(given[:, 1, :] == 0))
    self.assertTrue(np.all(given[:, 0, 1] > 0))

  def test_helpers(self):
    actions = tf.constant([[0, 2, 1]])
    np.testing.assert_array_equal(
        incentives.others_one_hot(actions, 3).numpy()[0],
        [[0, 0, 1, 0, 1, 0], [1, 0, 0, 0, 1, 0], [1, 0, 0, 0, 0, 1]])
    matrix = tf.reshape(tf.range(9.0), [3, 3])
    np.testing.assert_array_equal(incentives.off_diagonal(matrix).numpy(),
                                  [[1, 2], [3, 5], [6, 7]])


class LIOUpdateTest(parameterized.TestCase):

  def test_policy_update_is_the_functional_sgd_step(self):
    env = escape_room.EscapeRoom(2, 1, seed=3)
    agent, tf_env = _setup(env, lio.LIOConfig(**TINY))
    first = _collect(agent, tf_env, env.max_steps, episodes=2)
    agent.update_policies(first)
    inputs = agent._policy_inputs(first)
    rewards, _ = agent._total_rewards(first, inputs)
    expected = meta.differentiable_sgd_step(
        lambda w: agent._inner_loss(w, first, inputs, rewards),
        agent._policy_before, agent.config.learning_rate)
    for got, want in zip(agent.policy_net.layer_weights, expected):
      np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5,
                                 atol=1e-6)
    moved = sum(float(tf.reduce_sum(tf.abs(a - b))) for a, b in
                zip(agent.policy_net.layer_weights, agent._policy_before))
    self.assertGreater(moved, 0.0)

  @parameterized.named_parameters(
      ("er21", 2, 1, False), ("er32", 3, 2, False),
      ("er21_dec", 2, 1, True), ("er32_dec", 3, 2, True))
  def test_incentive_gradient_matches_finite_differences(self, n, m, dec):
    env = escape_room.EscapeRoom(n, m, seed=4)
    if dec:
      agent, tf_env = _setup(env, decentralized.LIODecConfig(**TINY), seed=4,
                             agent_cls=decentralized.LIODecAgent)
    else:
      agent, tf_env = _setup(env, lio.LIOConfig(**TINY), seed=4)
    experience = _first_and_second(agent, tf_env, env.max_steps, episodes=2)
    finite_differences.assert_incentive_gradients(agent, experience, n)

  def test_train_updates_incentives_only_and_counts(self):
    env = ipd.IteratedPrisonersDilemma(seed=5)
    agent, tf_env = _setup(env, lio.LIOConfig(**TINY, observe_given=False,
                                              max_incentive=3.0))
    experience = _first_and_second(agent, tf_env, env.max_steps)
    policy = [w.numpy() for w in agent.policy_net.layer_weights]
    incentive = [w.numpy() for w in agent.incentive_net.layer_weights]
    loss_info = agent.train(experience)
    self.assertTrue(np.isfinite(loss_info.loss.numpy()))
    self.assertEqual(int(agent.train_step_counter.numpy()), 1)
    for before, after in zip(policy, agent.policy_net.layer_weights):
      np.testing.assert_array_equal(before, after.numpy())
    self.assertTrue(any(np.any(b != a.numpy()) for b, a in
                        zip(incentive, agent.incentive_net.layer_weights)))


if __name__ == "__main__":
  absltest.main()


class OneEpisodeLIOTest(absltest.TestCase):

  def test_importance_weights_are_running_products_of_joint_ratios(self):
    env = escape_room.EscapeRoom(2, 1, seed=6)
    tf_env = tf_py_environment.TFPyEnvironment(env)
    tf.keras.utils.set_random_seed(6)
    agent = one_episode.OneEpisodeLIOAgent(
        tf_env.time_step_spec(), tf_env.action_spec(), env.agent_ids,
        config=lio.LIOConfig(**dict(TINY, learning_rate=0.05)), seed=6)
    agent.build_optimizers()
    experience = _collect(agent, tf_env, env.max_steps, episodes=2)
    agent.update_policies(experience)
    new = agent.policy_probs(agent.policy_net.layer_weights,
                             agent._policy_inputs(experience), 0.0)
    old = agent.policy_probs(agent._policy_before,
                             agent._policy_inputs(experience), agent.epsilon)
    actions = agent.layout.stack_actions(experience.action)
    mask = returns.valid_mask(experience)[..., None]
    new_log = lio.pg.log_prob_taken(new, actions, mask)
    weights = agent._outer_weights(experience, new_log).numpy()[0, :, 0]
    ratio = (tf.gather(new, actions, batch_dims=3)
             / tf.gather(old, actions, batch_dims=3)).numpy()[0].prod(-1)
    first = experience.is_first().numpy()[0]
    valid = mask.numpy()[0, :, 0] > 0
    expected, running = [], 1.0
    for t in range(len(first)):
      running = (1.0 if first[t] else running) * (ratio[t] if valid[t]
                                                  else 1.0)
      expected.append(running)
    np.testing.assert_allclose(np.log(weights[valid]),
                               np.log(np.array(expected)[valid]), atol=1e-3)
    self.assertFalse(np.allclose(weights[valid], 1.0))

  def test_iteration_collects_once_and_updates_both(self):
    env = ipd.IteratedPrisonersDilemma(seed=7)
    tf_env = tf_py_environment.TFPyEnvironment(env)
    agent = one_episode.OneEpisodeLIOAgent(
        tf_env.time_step_spec(), tf_env.action_spec(), env.agent_ids,
        config=lio.LIOConfig(**TINY, observe_given=False), seed=7)
    agent.build_optimizers()
    policy = [w.numpy() for w in agent.policy_net.layer_weights]
    incentive = [w.numpy() for w in agent.incentive_net.trainable_variables]
    calls = []

    def collect():
      calls.append(1)
      return _collect(agent, tf_env, env.max_steps)

    loss_info, experiences = agent.train_iteration(collect)
    self.assertLen(calls, 1)
    self.assertLen(experiences, 1)
    self.assertTrue(np.isfinite(loss_info.loss.numpy()))
    self.assertTrue(any(np.any(b != a.numpy()) for b, a in
                        zip(policy, agent.policy_net.layer_weights)))
    self.assertTrue(any(np.any(b != a.numpy()) for b, a in
                        zip(incentive, agent.incentive_net.trainable_variables)))


class LIODecTest(absltest.TestCase):

  def test_pair_layout_and_behaviour_cloning(self):
    env = escape_room.EscapeRoom(3, 2, seed=8)
    agent, tf_env = _setup(
        env, decentralized.LIODecConfig(**TINY, model_learning_rate=1e-2),
        seed=8, agent_cls=decentralized.LIODecAgent)
    x = tf.reshape(tf.range(3.0), [1, 1, 3])
    np.testing.assert_array_equal(agent._per_pair(x).numpy()[0, 0],
                                  [0, 1, 2, 0, 1, 2, 0, 1, 2])
    experience = _collect(agent, tf_env, env.max_steps, episodes=3)
    losses = [float(agent.fit_models(experience)) for _ in range(30)]
    self.assertLess(losses[-1], 0.8 * losses[0])

  def test_iteration_fits_models_and_keeps_them_apart_from_policies(self):
    env = escape_room.EscapeRoom(2, 1, seed=9)
    agent, tf_env = _setup(env, decentralized.LIODecConfig(**TINY), seed=9,
                           agent_cls=decentralized.LIODecAgent)
    models = [w.numpy() for w in agent.model_net.layer_weights]
    loss_info, experiences = agent.train_iteration(
        lambda: _collect(agent, tf_env, env.max_steps))
    self.assertLen(experiences, 2)
    self.assertTrue(np.isfinite(loss_info.loss.numpy()))
    self.assertTrue(any(np.any(b != a.numpy()) for b, a in
                        zip(models, agent.model_net.layer_weights)))


class LIOLearningTest(absltest.TestCase):

  def test_er21_incentivizes_the_lever_within_1500_iterations(self):
    """Deterministic and short: incentives for pulling the lever rise, those
    for the other actions fall (thesis Fig. B.4a's early phase)."""
    from mmagents.core import runner  # pylint: disable=g-import-not-at-top
    config = lio.LIOConfig()

    def make_agent(tf_env, py_env):
      return lio.LIOAgent(tf_env.time_step_spec(), tf_env.action_spec(),
                          py_env.agent_ids, config=config, seed=0)

    run_config = runner.RunConfig(
        root_dir=scratch.make_dir(self), num_episodes=1500, eval_interval=1500,
        num_eval_episodes=20, seed=0, verbose=False)
    summary = runner.Runner(
        "lio_learning_test", lambda s: escape_room.EscapeRoom(2, 1, seed=s),
        make_agent, run_config, {"test": "lio_learning"}).run()
    final = summary["final"]
    for agent_id in ("agent_0", "agent_1"):
      lever, start, door = final[f"incentive_received_per_action/{agent_id}"]
      self.assertGreater(lever, 1.0, final)
      self.assertGreater(lever, 3 * max(start, door), final)

"""MetaGrad: designer incentives, meta-gradients, PPO outer loss, pipelining;
and its dual-RL baselines."""

import math

import numpy as np
import tensorflow as tf
from absl.testing import absltest
from absl.testing import parameterized
from tf_agents.drivers import dynamic_episode_driver
from tf_agents.environments import tf_py_environment
from tf_agents.replay_buffers import tf_uniform_replay_buffer

from environments import escape_room
from mmagents.core import incentives
from mmagents.core import returns
from mmagents.metagrad import designer
from mmagents.metagrad import dual_rl
from tests import finite_differences

TINY = dict(hidden_sizes=(8,), designer_hidden_sizes=(8,),
            designer_value_hidden_sizes=(8,), learning_rate=0.5, epsilon_start=0.2,
            epsilon_end=0.2)


def _setup(n=3, m=1, seed=0, **overrides):
  tf.keras.utils.set_random_seed(seed)
  env = escape_room.EscapeRoom(n, m, with_state=True, seed=seed)
  tf_env = tf_py_environment.TFPyEnvironment(env)
  agent = designer.MetaGradAgent(
      tf_env.time_step_spec(), tf_env.action_spec(), env.agent_ids,
      config=designer.MetaGradConfig(**dict(TINY, **overrides)), seed=seed)
  agent.build_optimizers()
  return agent, env, tf_env


def _collector(agent, env, tf_env, episodes=1):
  length = episodes * (env.max_steps + 1)
  buffer = tf_uniform_replay_buffer.TFUniformReplayBuffer(
      agent.collect_data_spec, batch_size=1, max_length=length)
  driver = dynamic_episode_driver.DynamicEpisodeDriver(
      tf_env, agent.collect_policy, observers=[buffer.add_batch],
      num_episodes=episodes)

  def collect():
    driver.run(tf_env.reset())
    experience = buffer.gather_all()
    buffer.clear()
    return returns.pad_time(experience, length)
  return collect


def _experience(agent, env, tf_env, episodes=2):
  collect = _collector(agent, env, tf_env, episodes)
  first = collect()
  agent.update_policies(first)
  return designer.MetaGradExperience(first, collect())


class DesignerIncentiveTest(absltest.TestCase):

  def test_each_agent_gets_the_incentive_for_its_action_type(self):
    agent, env, tf_env = _setup(4, 2)
    experience = _collector(agent, env, tf_env, episodes=3)()
    actions = agent.layout.stack_actions(experience.action).numpy()[0]
    state = agent._state(experience.observation)
    per_action = agent.incentive_per_action(
        state, agent.layout.stack_actions(experience.action)).numpy()[0]
    recorded = experience.policy_info[incentives.INCENTIVES].numpy()[0]
    mask = returns.valid_mask(experience).numpy()[0] > 0
    self.assertEqual(recorded.shape[1:], (1, 4))
    for t in np.flatnonzero(mask):
      np.testing.assert_allclose(recorded[t, 0], per_action[t][actions[t]],
                                 rtol=1e-5)
    self.assertTrue(np.all((per_action > 0) & (per_action < 2)))
    # The designer reads the global state: one-hot positions of all agents.
    np.testing.assert_array_equal(
        state.numpy()[0, 0], np.tile([0, 1, 0], 4))

  def test_needs_the_global_state(self):
    env = escape_room.EscapeRoom(2, 1, seed=0)
    tf_env = tf_py_environment.TFPyEnvironment(env)
    with self.assertRaisesRegex(ValueError, "with_state=True"):
      designer.MetaGradAgent(tf_env.time_step_spec(), tf_env.action_spec(),
                             env.agent_ids)

  def test_bad_config_values_are_rejected(self):
    for bad in (dict(outer_objective="trpo"), dict(outer_epochs=0),
                dict(gae_lambda=1.5), dict(optimizer="adam"),
                dict(cost_learning_rate=-1.0)):
      with self.assertRaises(ValueError, msg=str(bad)):
        designer.MetaGradConfig(**bad)


class MetaGradientTest(parameterized.TestCase):

  @parameterized.named_parameters(
      ("exact", "exact", False), ("exact_all_outputs", "exact", True),
      ("ppo", "ppo", False))
  def test_designer_gradient_matches_finite_differences(self, objective,
                                                        all_outputs):
    agent, env, tf_env = _setup(
        3, 1, seed=4, outer_objective=objective,
        cost_on_all_outputs=all_outputs)
    experience = _experience(agent, env, tf_env)
    old = agent.current_log_probs(experience)
    variables = agent.designer_net.trainable_variables
    with tf.GradientTape(persistent=True) as tape:
      outer, cost = agent.designer_objectives(experience, old)
    grads = tape.gradient(outer, variables)
    cost_grads = tape.gradient(cost, variables)
    self.assertGreater(max(float(tf.reduce_max(tf.abs(g))) for g in grads),
                       1e-3)
    rng = np.random.default_rng(0)
    for k, variable in enumerate(variables):
      for _ in range(3):
        index = tuple(rng.integers(0, s) for s in variable.shape)
        fd_outer, fd_cost = finite_differences.central_difference(
            lambda: agent.designer_objectives(experience, old), variable,
            index)
        for got, want, what in ((grads[k], fd_outer, "outer"),
                                (cost_grads[k], fd_cost, "cost")):
          np.testing.assert_allclose(
              got.numpy()[index], want, rtol=5e-2, atol=5e-3,
              err_msg=f"{what}, variable {k}, {index}")

  def test_ppo_gradient_equals_the_exact_one_at_ratio_one(self):
    # With V = 0 and λ = 1 the advantages are the returns G^ID.
    grads = {}
    for objective in ("exact", "ppo"):
      agent, env, tf_env = _setup(3, 1, seed=6, outer_objective=objective,
                                  gae_lambda=1.0)
      for v in agent.designer_value_net.trainable_variables:
        v.assign(tf.zeros_like(v))
      experience = _experience(agent, env, tf_env)
      variables = agent.designer_net.trainable_variables
      with tf.GradientTape() as tape:
        outer, _ = agent.designer_objectives(
            experience, agent.current_log_probs(experience))
      grads[objective] = tape.gradient(outer, variables)
    for exact, ppo in zip(grads["exact"], grads["ppo"]):
      np.testing.assert_allclose(ppo.numpy(), exact.numpy(), rtol=1e-4,
                                 atol=1e-6)

  def test_ppo_clips_ratios_outside_the_trust_region(self):
    agent, env, tf_env = _setup(3, 1, seed=7, outer_objective="ppo",
                                ppo_clip=0.1)
    experience = _experience(agent, env, tf_env)
    old = agent.current_log_probs(experience)
    variables = agent.designer_net.trainable_variables
    # Denominators far from the current policy: every ratio is clipped on
    # the side where the clipped term is the minimum, so no gradient flows.
    mask = returns.valid_mask(experience.second)
    weights = agent.outer_weights(experience.second)
    far = old - 5.0 * tf.sign(weights) * mask
    with tf.GradientTape() as tape:
      outer, _ = agent.designer_objectives(experience, far)
    for g in tape.gradient(outer, variables):
      self.assertTrue(g is None or float(tf.reduce_max(tf.abs(g))) < 1e-6)


class AccountingTest(absltest.TestCase):

  def test_designer_reward_at_train_and_test_time(self):
    agent, env, tf_env = _setup(3, 1, seed=2)
    experience = _experience(agent, env, tf_env)
    second = experience.second
    # Train time: G^ID is the discounted sum of extrinsic rewards only.
    expected = returns.discounted_returns(
        tf.reduce_sum(second.reward, -1), second.is_last(), agent.config.gamma)
    np.testing.assert_allclose(agent.outer_weights(second).numpy(),
                               expected.numpy(), rtol=1e-6)
    # Test time: collective extrinsic return minus every incentive given.
    mask = returns.valid_mask(second).numpy()[0] > 0
    given = second.policy_info[incentives.INCENTIVES].numpy()[0][mask].sum()
    extrinsic = second.reward.numpy()[0][mask].sum()
    metrics = agent.experience_metrics(second)
    self.assertAlmostEqual(float(metrics["designer_return"]),
                           (extrinsic - given) / 2, places=4)
    self.assertGreater(given, 0.0)

  def test_cost_is_the_discounted_sum_of_incentives_given(self):
    agent, env, tf_env = _setup(3, 1, seed=3, gamma=0.9)
    first = _collector(agent, env, tf_env, episodes=2)()
    _, given = agent._total_rewards(first, None)
    steps = returns.steps_since_start(first).numpy()[0]
    mask = returns.valid_mask(first).numpy()[0]
    per_step = given.numpy()[0].sum(axis=(1, 2))
    expected = np.sum(mask * 0.9 ** steps * per_step) / 2
    self.assertAlmostEqual(float(agent.incentive_cost(first, given)),
                           expected, places=4)


class PipelineTest(absltest.TestCase):

  def test_the_validation_rollout_is_the_next_iterations_first(self):
    agent, env, tf_env = _setup(2, 1, seed=1)
    agent.build_pipeline(env.max_steps + 1)
    collect = _collector(agent, env, tf_env)
    iteration = tf.function(lambda: agent.train_iteration(collect))
    counts, seconds = [], []
    # TF-Agents' default step counter is the process-wide global step.
    steps_before = int(agent.train_step_counter.numpy())
    for _ in range(3):
      loss_info, (second,) = iteration()
      self.assertTrue(np.isfinite(loss_info.loss.numpy()))
      counts.append(len(env.pop_finished_events()))
      seconds.append(second)
    # The first iteration plays τ and τ̂; later ones only τ̂.
    self.assertEqual(counts, [2, 1, 1])
    pending = agent._pending_experience()
    np.testing.assert_array_equal(pending.observation["state"].numpy(),
                                  seconds[-1].observation["state"].numpy())
    self.assertEqual(int(agent.train_step_counter.numpy()) - steps_before, 3)


def _dual_setup(action_space, seed=0, **overrides):
  tf.keras.utils.set_random_seed(seed)
  env = escape_room.EscapeRoom(3, 1, with_state=True, seed=seed)
  tf_env = tf_py_environment.TFPyEnvironment(env)
  tiny = {k: v for k, v in TINY.items() if k != "designer_value_hidden_sizes"}
  config = dual_rl.DualRLConfig(
      **dict(tiny, action_space=action_space, learning_rate=0.1,
             incentive_values=(0.0, 1.1, 2.0), **overrides))
  agent = dual_rl.DualRLAgent(tf_env.time_step_spec(), tf_env.action_spec(),
                              env.agent_ids, config=config, seed=seed)
  agent.build_optimizers()
  return agent, env, tf_env


class DualRLTest(parameterized.TestCase):

  def test_inverse_cdf_choices_follow_the_softmax(self):
    logits = tf.constant([0.3, -1.0, 1.2, 0.0])
    normals = tf.random.stateless_normal([20000], seed=[1, 2])
    choices = dual_rl.DualRLAgent.inverse_cdf_choice(
        tf.broadcast_to(logits, [20000, 4]), normals).numpy()
    frequencies = np.bincount(choices, minlength=4) / 20000
    np.testing.assert_allclose(frequencies, tf.nn.softmax(logits).numpy(),
                               atol=0.015)

  @parameterized.parameters("discrete", "continuous")
  def test_recorded_incentives_are_recomputed_from_the_noise(self, space):
    agent, env, tf_env = _dual_setup(space, seed=1)
    experience = _collector(agent, env, tf_env, episodes=3)()
    info = experience.policy_info
    recomputed = agent.incentives(
        agent._state(experience.observation)[..., None, :],
        agent.layout.stack_actions(experience.action), info[incentives.NOISE])
    mask = returns.valid_mask(experience).numpy()[0] > 0
    np.testing.assert_allclose(recomputed.numpy()[0][mask],
                               info[incentives.INCENTIVES].numpy()[0][mask],
                               rtol=1e-5)
    if space == "discrete":
      values = recomputed.numpy()[0][mask].ravel()[:, None]
      allowed = np.array(agent.config.incentive_values)[None, :]
      self.assertTrue(np.all(np.min(np.abs(values - allowed), 1) < 1e-6))

  def test_discrete_log_prob_is_the_log_softmax_of_the_choice(self):
    agent, env, tf_env = _dual_setup("discrete", seed=2)
    experience = _collector(agent, env, tf_env, episodes=2)()
    log_prob, entropy = agent.designer_log_prob(experience)
    outputs = agent.designer_outputs(
        agent._state(experience.observation),
        agent.layout.stack_actions(experience.action)).numpy()[0]
    normal = experience.policy_info[incentives.NOISE].numpy()[0, :, 0, 0]
    probs = np.exp(outputs) / np.exp(outputs).sum(-1, keepdims=True)
    for t in range(outputs.shape[0]):
      uniform = 0.5 * (1 + math.erf(normal[t] / math.sqrt(2)))
      k = min(int(np.sum(np.cumsum(probs[t]) < uniform)), len(probs[t]) - 1)
      self.assertAlmostEqual(float(log_prob[0, t]), np.log(probs[t, k]),
                             places=4)
      self.assertAlmostEqual(float(entropy[0, t]),
                             -np.sum(probs[t] * np.log(probs[t])), places=4)

  @parameterized.parameters("discrete", "continuous")
  def test_designer_pays_for_its_incentives_and_both_learn(self, space):
    agent, env, tf_env = _dual_setup(space, seed=3, gamma=1.0,
                                     designer_entropy_coeff=0.0)
    experience = _collector(agent, env, tf_env, episodes=2)()
    given = experience.policy_info[incentives.INCENTIVES].numpy()[0, :, 0]
    mask = returns.valid_mask(experience).numpy()[0] > 0
    log_prob, _ = agent.designer_log_prob(experience)
    # With γ = 1 and no entropy, the designer's loss is -Σ_t log π G^ID_t,
    # G^ID the rest of the episode's extrinsic rewards minus incentives.
    net = (experience.reward.numpy()[0] - given).sum(-1) * mask
    starts = np.flatnonzero(mask & experience.is_first().numpy()[0])
    ends = np.flatnonzero(mask & experience.is_last().numpy()[0])
    expected = 0.0
    for start, end in zip(starts, ends):
      for t in range(start, end + 1):
        expected -= float(log_prob[0, t]) * net[t:end + 1].sum()
    loss = agent.loss(experience).extra.designer_loss
    self.assertAlmostEqual(float(loss), expected / 2, places=3)
    before = [v.numpy() for v in (agent.policy_net.trainable_variables
                                  + agent.designer_net.trainable_variables)]
    loss_info = agent.train(experience)
    self.assertTrue(np.isfinite(loss_info.loss.numpy()))
    after = agent.policy_net.trainable_variables + (
        agent.designer_net.trainable_variables)
    n_policy = len(agent.policy_net.trainable_variables)
    self.assertTrue(any(np.any(b != a.numpy()) for b, a in
                        zip(before[:n_policy], after[:n_policy])))
    self.assertTrue(any(np.any(b != a.numpy()) for b, a in
                        zip(before[n_policy:], after[n_policy:])))


if __name__ == "__main__":
  absltest.main()

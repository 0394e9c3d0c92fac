"""CM3 and its baselines: input layout, function augmentation, the credit
function against closed forms on a one-step game, the advantages of
Eq. 3.6, COMA and IAC against hand computations, Stage-1 → Stage-2 restore,
determinism and resume."""

import itertools
import json
import os

import numpy as np
import tensorflow as tf
from absl.testing import absltest

from environments import multigoal
from mmagents.cm3 import agent as cm3
from mmagents.cm3 import base
from mmagents.cm3 import baselines
from mmagents.cm3 import inputs as inputs_lib
from mmagents.cm3 import presets
from mmagents.core import augmentation
from mmagents.core import replay as replay_lib
from mmagents.core import runner
from tests import scratch
from tests import tiny_multigoal

# Tiny networks and a 1x3 kernel that fits the tiny env's 1 x L image.
_SMALL = dict(policy_hidden_sizes=(16, 16), policy_side_sizes=(8,),
              critic_hidden_sizes=(16, 16), critic_side_sizes=(8,),
              self_conv_kernel=(1, 3), policy_image_units=4, batch_size=16,
              epochs=3, epsilon_episodes=50)


def _env(num_agents=2, **kwargs):
  return tiny_multigoal.TinyMultiGoal(num_agents=num_agents, seed=0,
                                      **kwargs)


def _agent(cls, config, num_agents=2, seed=0, **env_kwargs):
  from tf_agents.environments import tf_py_environment  # pylint: disable=g-import-not-at-top
  env = tf_py_environment.TFPyEnvironment(_env(num_agents, **env_kwargs))
  py_env = env.pyenv.envs[0]
  return cls(env.time_step_spec(), env.action_spec(), py_env.agent_ids,
             py_env.multigoal_parts, config=config, seed=seed)


def _run(root, cls, config, num_agents=2, episodes=40, seed=0, **env_kwargs):
  def make_env(s):
    return tiny_multigoal.TinyMultiGoal(num_agents=num_agents, seed=s,
                                        **env_kwargs)

  def make_agent(tf_env, py_env):
    return cls(tf_env.time_step_spec(), tf_env.action_spec(),
               py_env.agent_ids, py_env.multigoal_parts, config=config,
               seed=seed)

  config_run = runner.RunConfig(root_dir=root, num_episodes=episodes,
                                eval_interval=20, num_eval_episodes=4,
                                seed=seed, episodes_per_iteration=5,
                                verbose=False)
  return runner.Runner("cm3_test", make_env, make_agent, config_run,
                       {"test": cls.__name__}).run()


def _rows(root):
  with open(os.path.join(root, "metrics.jsonl")) as f:
    rows = [json.loads(line) for line in f]
  for row in rows:
    row.pop("wall_s")
  return rows


class InputsTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    # 3 agents; o_self = [2x1x1 image | 1 value], goal 2, others 2 per agent;
    # state = [2x1x1 image | 1 value | 2 per agent].
    self.parts = multigoal.MultiGoalParts(
        num_agents=3, self_size=3, goal_size=2, others_size=4,
        env_state_size=3, agent_state_size=2, self_image_shape=(2, 1, 1),
        env_image_shape=(2, 1, 1))
    self.inputs = inputs_lib.MultiGoalInputs(self.parts, num_actions=2)
    self.obs = np.arange(3 * 9, dtype=np.float32).reshape(1, 3, 9)
    self.state = 100 + np.arange(9, dtype=np.float32)[None]

  def test_critic_main_orders_images_first(self):
    main = self.inputs.critic_main(self.state, self.obs, None).numpy()[0]
    for n in range(3):
      own = self.obs[0, n]
      expected = np.concatenate([
          self.state[0, :2], own[:2], self.state[0, 2:3], own[2:3],
          self.state[0, 3 + 2 * n:5 + 2 * n], own[3:5]])
      np.testing.assert_array_equal(main[n], expected)
    self.assertEqual(main.shape[-1], self.inputs.critic_main_size(False))

  def test_critic_main_appends_broadcast_actions(self):
    actions = tf.one_hot([[[0, 1, 1], [1, 0, 0], [0, 0, 1]]], 2)  # [1,N,M,A]
    main = self.inputs.critic_main(self.state, self.obs, actions).numpy()
    self.assertEqual(main.shape, (1, 3, 3, self.inputs.critic_main_size()))
    np.testing.assert_array_equal(main[0, 1, 2, -2:], [1.0, 0.0])
    np.testing.assert_array_equal(
        main[0, 1, 2, :-2],
        self.inputs.critic_main(self.state, self.obs, None).numpy()[0, 1])

  def test_others_in_index_order(self):
    others = self.inputs.others_state(self.state).numpy()[0]
    agents = self.state[0, 3:].reshape(3, 2)
    np.testing.assert_array_equal(others[0], agents[[1, 2]].reshape(-1))
    np.testing.assert_array_equal(others[1], agents[[0, 2]].reshape(-1))
    np.testing.assert_array_equal(others[2], agents[[0, 1]].reshape(-1))

  def test_bad_parts(self):
    with self.assertRaises(ValueError):
      multigoal.MultiGoalParts(num_agents=1, self_size=2, goal_size=1,
                               others_size=0, env_state_size=0,
                               agent_state_size=1, self_image_shape=(2, 2, 1))


class AugmentationTest(absltest.TestCase):

  def test_zero_connection_reproduces_stage1_after_restore(self):
    images = [augmentation.ImageInput((3, 3, 2), 4, (2, 2), dense_units=5)]
    stage1 = augmentation.AugmentableNetwork(images, (8, 6), 3)
    stage1.build_weights(18 + 4)
    prefix = tf.train.Checkpoint(
        agent=tf.train.Checkpoint(actor=stage1)).save(
            os.path.join(scratch.make_dir(self), "ckpt"))
    # The side input: a 4x3x2 grid (24) and 5 more values.
    grid = augmentation.ImageInput((4, 3, 2), 2, (3, 1))
    stage2 = augmentation.AugmentableNetwork(images, (8, 6), 3,
                                             side_sizes=(7,),
                                             side_images=[grid],
                                             zero_connection=True)
    stage2.build_weights(18 + 4, side_size=24 + 5)
    augmentation.restore_trunk(stage2, prefix, ("agent", "actor"))
    main = tf.random.stateless_normal([6, 22], seed=[1, 2])
    side = tf.random.stateless_normal([6, 29], seed=[3, 4])
    np.testing.assert_array_equal(stage2(main, side), stage1(main))
    # A non-zero connection makes the others matter.
    stage2.connection.kernel.assign(tf.ones_like(stage2.connection.kernel))
    self.assertGreater(
        float(tf.reduce_max(tf.abs(stage2(main, side) - stage1(main)))), 1e-3)
    # ... through the grid's convolution too.
    shifted = tf.concat([side[:, :24] + 1.0, side[:, 24:]], -1)
    self.assertGreater(
        float(tf.reduce_max(tf.abs(stage2(main, shifted)
                                   - stage2(main, side)))), 1e-3)

  def test_attach_layer_must_exist(self):
    with self.assertRaises(ValueError):
      augmentation.AugmentableNetwork([], (4, 4), 1, side_sizes=(2,),
                                      attach_layer=2)

  def test_side_input_required_exactly_when_augmented(self):
    net = augmentation.AugmentableNetwork([], (4,), 1, side_sizes=(2,))
    with self.assertRaises(ValueError):
      net(tf.zeros([1, 3]))


class ReplayTest(absltest.TestCase):

  def test_keeps_newest_and_wraps(self):
    buffer = replay_lib.TransitionReplay(4, {"x": ((), tf.int32)})
    buffer.add({"x": tf.constant([1, 2, 3])}, tf.constant([True, False, True]))
    buffer.add({"x": tf.constant([4, 5, 6, 7])}, tf.ones([4], tf.bool))
    self.assertEqual(int(buffer.size), 4)
    self.assertEqual(int(buffer.total_added), 6)
    stored = sorted(buffer._storage["x"].numpy().tolist())  # pylint: disable=protected-access
    self.assertEqual(stored, [4, 5, 6, 7])
    samples = buffer.sample(64, tf.random.Generator.from_seed(0))["x"]
    self.assertContainsSubset(set(samples.numpy().tolist()), {4, 5, 6, 7})


class CreditFunctionTest(absltest.TestCase):
  """On a one-step two-agent game with a fixed joint policy, the credit
  function fit by Eq. 3.4 is Q_n(s, a^m) = Σ_{a^{-m}} π(a^{-m}) R^n(a),
  and Σ_{a^m} π(a^m) Q_n(s, a^m) = V_n(s) for every m (Eq. 3.3)."""

  def test_fit_matches_marginals_and_value_identity(self):
    tf.keras.utils.set_random_seed(0)   # Initial weights: any test order.
    agent = _agent(cm3.CM3Agent, cm3.CM3Config(
        **dict(_SMALL, critic_learning_rate=1e-2)))
    rng = np.random.default_rng(0)
    rewards = rng.normal(size=(2, 5, 5)).astype(np.float32)   # [n, a0, a1]
    policy = np.array([[0.5, 0.25, 0.25, 0, 0],
                       [0.25, 0, 0.5, 0, 0.25]])              # [m, a]
    env = _env()
    time_step = env.reset()
    obs = np.stack([time_step.observation[a] for a in env.agent_ids])
    state = time_step.observation["state"]
    # The joint action distribution, enumerated with replication ∝ π.
    joint = [a for a in itertools.product(range(5), repeat=2)
             for _ in range(int(16 * policy[0, a[0]] * policy[1, a[1]]))]
    count = len(joint)
    batch = {
        "observation": np.repeat(obs[None], count, 0),
        "next_observation": np.repeat(obs[None], count, 0),
        "state": np.repeat(state[None], count, 0),
        "next_state": np.repeat(state[None], count, 0),
        "action": np.array(joint, np.int32),
        "reward": np.stack([rewards[:, a0, a1] for a0, a1 in joint]),
        "discount": np.zeros(count, np.float32)}
    batch = {k: tf.constant(v) for k, v in batch.items()}
    taken = agent.one_hot(batch["action"])
    targets = agent._bootstrap(  # pylint: disable=protected-access
        batch, agent.credit_taken(agent.target_credit_q, batch["next_state"],
                                  batch["next_observation"], taken))
    # Terminal transitions: the target is r^n for every (n, m).
    np.testing.assert_allclose(
        targets, np.repeat(batch["reward"].numpy()[:, :, None], 2, -1))
    loss = lambda: tf.reduce_mean((targets - agent.credit_taken(
        agent.credit_q, batch["state"], batch["observation"], taken)) ** 2)
    for _ in range(600):
      agent.regression_step(agent._second_optimizer,  # pylint: disable=protected-access
                            agent.credit_q.trainable_variables, loss)
    credit = agent.credit_values(agent.credit_q, batch["state"][:1],
                                 batch["observation"][:1]).numpy()[0]
    for n in range(2):
      marginal = [rewards[n] @ policy[1], policy[0] @ rewards[n]]  # [m][a]
      value = policy[0] @ rewards[n] @ policy[1]
      for m in range(2):
        support = policy[m] > 0
        np.testing.assert_allclose(credit[n, m, support],
                                   marginal[m][support], atol=0.03)
        self.assertAlmostEqual(float(policy[m] @ credit[n, m]), value,
                               delta=0.03)


class AdvantageTest(absltest.TestCase):

  def test_cm3_advantage_is_eq_3_6_summed_over_goals(self):
    agent = _agent(cm3.CM3Agent, cm3.CM3Config(**_SMALL))
    rng = np.random.default_rng(1)
    q_global = rng.normal(size=(3, 2)).astype(np.float32)        # [B, n]
    credit = rng.normal(size=(3, 2, 2, 5)).astype(np.float32)    # [B,n,m,a]
    probs = rng.dirichlet(np.ones(5), size=(3, 2)).astype(np.float32)
    agent.global_values = lambda *args: tf.constant(q_global)
    agent.credit_values = lambda *args: tf.constant(credit)
    agent.policy_probs = lambda *args: tf.constant(probs)
    weights = agent.stage2_weights(None, None, None).numpy()
    expected = np.zeros((3, 2))
    for b, n, m in itertools.product(range(3), range(2), range(2)):
      expected[b, m] += q_global[b, n] - probs[b, m] @ credit[b, n, m]
    np.testing.assert_allclose(weights, expected, rtol=1e-5, atol=1e-6)

  def test_qv_advantage_is_shared_by_all_agents(self):
    agent = _agent(cm3.CM3Agent, cm3.CM3Config(**dict(_SMALL,
                                                      advantage="qv")))
    q_global = np.array([[1.0, 2.0]], np.float32)
    values = np.array([[0.5, 3.0]], np.float32)
    agent.global_values = lambda *args: tf.constant(q_global)
    agent.state_values = lambda *args: tf.constant(values)
    np.testing.assert_allclose(agent.stage2_weights(None, None, None),
                               [[-0.5, -0.5]])

  def test_exact_state_values_sum_the_global_q_over_joint_actions(self):
    agent = _agent(cm3.CM3Agent, cm3.CM3Config(**_SMALL), num_agents=3)
    env = _env(num_agents=3)
    time_step = env.reset()
    obs = np.stack([time_step.observation[a] for a in env.agent_ids])[None]
    state = time_step.observation["state"][None]
    obs, state = tf.constant(obs), tf.constant(state)
    probs = agent.policy_probs(agent.actor, obs, agent.epsilon).numpy()[0]
    expected = np.zeros(3)
    for joint in itertools.product(range(5), repeat=3):
      q = agent.global_values(agent.global_q, state, obs,
                              agent.one_hot(tf.constant([joint])))[0]
      expected += np.prod([probs[m, joint[m]] for m in range(3)]) * q
    np.testing.assert_allclose(agent.exact_state_values(state, obs)[0],
                               expected, rtol=1e-5, atol=1e-6)

  def test_baselines_of_credit_and_qv(self):
    agent = _agent(cm3.CM3Agent, cm3.CM3Config(**_SMALL))
    rng = np.random.default_rng(2)
    credit = rng.normal(size=(3, 2, 2, 5)).astype(np.float32)    # [B,n,m,a]
    probs = rng.dirichlet(np.ones(5), size=(3, 2)).astype(np.float32)
    agent.credit_values = lambda *args: tf.constant(credit)
    agent.policy_probs = lambda *args: tf.constant(probs)
    np.testing.assert_allclose(agent.baselines(None, None),
                               np.einsum("bma,bnma->bnm", probs, credit),
                               rtol=1e-5)
    qv = _agent(cm3.CM3Agent, cm3.CM3Config(**dict(_SMALL, advantage="qv")))
    values = np.array([[0.5, 3.0]], np.float32)
    qv.state_values = lambda *args: tf.constant(values)
    np.testing.assert_allclose(qv.baselines(None, None),
                               [[[0.5, 0.5], [3.0, 3.0]]])

  def test_stage1_advantage(self):
    agent = _agent(cm3.CM3Agent, cm3.CM3Config(**dict(_SMALL, stage=1)),
                   num_agents=1)
    q_all = np.array([[[1.0, 2.0, 0.0, -1.0, 4.0]]], np.float32)
    probs = np.array([[[0.1, 0.2, 0.3, 0.2, 0.2]]], np.float32)
    agent.stage1_q = lambda *args: tf.constant(q_all)
    agent.policy_probs = lambda *args: tf.constant(probs)
    taken = tf.one_hot([[4]], 5)
    state = tf.zeros([1, 4])
    np.testing.assert_allclose(agent.stage1_advantage(state, None, taken),
                               [[4.0 - float(probs[0, 0] @ q_all[0, 0])]],
                               rtol=1e-6)

  def test_score_function_behaviour_or_policy(self):
    pi = np.array([[[0.7, 0.1, 0.1, 0.1, 0.0],
                    [0.25, 0.25, 0.25, 0.25, 0.0]]], np.float32)  # [B,N,A]
    batch = {"observation": None, "action": tf.constant([[4, 1]])}
    weights = tf.constant([[2.0, -1.0]])
    for score_function, floor in (("behaviour", 0.3), ("policy", 0.0)):
      agent = _agent(cm3.CM3Agent, cm3.CM3Config(
          **_SMALL, score_function=score_function))
      agent.epsilon.assign(0.3)
      agent.policy_probs = lambda net, obs, eps: (
          (1.0 - eps) * tf.constant(pi) + eps / 5.0)
      behaviour = (1.0 - floor) * pi + floor / 5.0
      expected = -(2.0 * np.log(max(behaviour[0, 0, 4], 1.1754944e-38))
                   - 1.0 * np.log(behaviour[0, 1, 1]))
      loss = agent.policy_gradient_loss(batch, weights).numpy()
      self.assertTrue(np.isfinite(loss), score_function)
      self.assertAlmostEqual(loss, expected, places=3, msg=score_function)
    with self.assertRaises(ValueError):
      cm3.CM3Config(score_function="pi")

  def test_importance_weights_truncate_the_ratio_to_behaviour(self):
    pi = np.array([[[0.7, 0.1, 0.1, 0.1, 0.0],
                    [0.25, 0.25, 0.25, 0.25, 0.0]]], np.float32)  # [B,N,A]
    batch = {"observation": None, "action": tf.constant([[0, 1]]),
             "behaviour_prob": tf.constant([[0.2, 0.5]])}
    agent = _agent(cm3.CM3Agent, cm3.CM3Config(
        **_SMALL, score_function="policy", importance_weight_cap=2.0))
    agent.policy_probs = lambda net, obs, eps: tf.constant(pi)
    # ρ = 0.7/0.2 = 3.5 → 2 (the cap); 0.25/0.5 = 0.5.
    expected = -(2.0 * 2.0 * np.log(0.7) - 1.0 * 0.5 * np.log(0.25))
    loss = agent.policy_gradient_loss(batch, tf.constant([[2.0, -1.0]]))
    self.assertAlmostEqual(float(loss), expected, places=5)

  def test_importance_weights_cancel_a_constant_offset(self):
    """Every action once under a uniform behaviour policy: with ρ the
    gradient of a constant weight is b ∇Σ_a π̃(a) = 0; without, it is not."""
    norms = {}
    for cap in (0.0, 1e3):
      agent = _agent(cm3.CM3Agent, cm3.CM3Config(
          **_SMALL, importance_weight_cap=cap))
      n, num_actions = agent.num_agents, agent.layout.max_actions
      rng = np.random.default_rng(0)
      observation = rng.normal(size=(1, n, agent.layout.max_obs))
      batch = {
          "observation": tf.constant(np.repeat(observation, num_actions, 0),
                                     tf.float32),
          "action": tf.constant(np.repeat(np.arange(num_actions)[:, None],
                                          n, 1), tf.int32),
          "behaviour_prob": tf.fill([num_actions, n], 1.0 / num_actions)}
      variables = agent.actor.trainable_variables
      with tf.GradientTape() as tape:
        loss = agent.policy_gradient_loss(batch, tf.fill([num_actions, n],
                                                         2.0))
      norms[cap] = float(tf.linalg.global_norm(tape.gradient(loss,
                                                             variables)))
    self.assertGreater(norms[0.0], 1e-3)
    self.assertLess(norms[1e3], 1e-5)

  def test_entropy_bonus_is_subtracted_from_the_policy_loss(self):
    pi = np.array([[[0.7, 0.1, 0.1, 0.1, 0.0],
                    [0.25, 0.25, 0.25, 0.25, 0.0]]], np.float32)  # [B,N,A]
    batch = {"observation": None, "action": tf.constant([[0, 1]])}
    agent = _agent(cm3.CM3Agent, cm3.CM3Config(
        **_SMALL, score_function="policy", entropy_coeff=0.5))
    agent.policy_probs = lambda net, obs, eps: tf.constant(pi)
    entropy = -(0.7 * np.log(0.7) + 3 * 0.1 * np.log(0.1)) - np.log(0.25)
    expected = -(2.0 * np.log(0.7) - 1.0 * np.log(0.25)) - 0.5 * entropy
    loss = agent.policy_gradient_loss(batch, tf.constant([[2.0, -1.0]]))
    self.assertAlmostEqual(float(loss), expected, places=5)

  def test_entropy_bonus_alone_makes_the_policy_less_certain(self):
    agent = _agent(cm3.CM3Agent, cm3.CM3Config(**_SMALL, entropy_coeff=1.0))
    rng = np.random.default_rng(2)
    n = agent.num_agents
    batch = {"observation": tf.constant(rng.normal(
        size=(8, n, agent.layout.max_obs)), tf.float32),
             "action": tf.zeros([8, n], tf.int32)}

    def entropy() -> float:
      probs = agent.policy_probs(agent.actor, batch["observation"], 0.0)
      return float(-tf.reduce_sum(tf.math.xlogy(probs, probs)))

    before = entropy()
    for _ in range(5):
      agent.policy_step(batch, tf.zeros([8, n]))
    self.assertGreater(entropy(), before)

  def test_replay_keeps_the_behaviour_probabilities(self):
    agent = _agent(cm3.CM3Agent, cm3.CM3Config(**_SMALL))
    self.assertNotIn("behaviour_prob", agent._replay_fields())
    agent = _agent(cm3.CM3Agent, cm3.CM3Config(
        **_SMALL, importance_weight_cap=1.0))
    agent.epsilon.assign(0.3)
    rng = np.random.default_rng(1)
    n = agent.num_agents
    transitions = {
        "observation": tf.constant(rng.normal(
            size=(4, n, agent.layout.max_obs)), tf.float32),
        "action": tf.constant(rng.integers(0, 2, size=(4, n)), tf.int32)}
    probs = agent.policy_probs(agent.actor, transitions["observation"],
                               0.3).numpy()
    expected = np.take_along_axis(
        probs, transitions["action"].numpy()[..., None], -1)[..., 0]
    np.testing.assert_allclose(
        agent.behaviour_fields(transitions)["behaviour_prob"], expected,
        rtol=1e-6)

  def test_coma_counterfactual_baseline(self):
    agent = _agent(baselines.COMAAgent, baselines.COMAConfig(**_SMALL))
    q = np.array([[[1.0, 0, 0, 0, 3.0], [2.0, -1.0, 0, 0, 0]]], np.float32)
    probs = np.full((1, 2, 5), 0.2, np.float32)
    agent.q_values = lambda *args: tf.constant(q)
    agent.policy_probs = lambda *args: tf.constant(probs)
    taken = tf.one_hot([[4, 1]], 5)
    np.testing.assert_allclose(
        agent.counterfactual_advantages(None, None, taken),
        [[3.0 - 0.8, -1.0 - 0.2]], rtol=1e-6)

  def test_coma_critic_input_layout(self):
    agent = _agent(baselines.COMAAgent, baselines.COMAConfig(**_SMALL),
                   num_agents=3, length=5, with_image=True)
    env = _env(3, length=5, with_image=True)
    step = env.reset()
    obs = np.stack([step.observation[a] for a in env.agent_ids])[None]
    state = step.observation["state"][None]
    joint = tf.one_hot([[0, 3, 4]], 5)
    inputs = agent.critic_inputs(tf.constant(state), tf.constant(obs),
                                 joint).numpy()[0]
    parts = env.multigoal_parts
    own, goals, _ = parts.split_observation(obs[0])
    for n in range(3):
      others = [m for m in range(3) if m != n]
      expected = np.concatenate(
          [own[n, :5], state[0], joint.numpy()[0, others].reshape(-1),
           goals[n], goals[others].reshape(-1), np.eye(3)[n], own[n, 5:]])
      np.testing.assert_array_equal(inputs[n], expected)

  def test_iac_td_error_weights(self):
    agent = _agent(baselines.IACAgent, baselines.IACConfig(**_SMALL))
    env = _env()
    step = env.reset()
    obs = np.stack([step.observation[a] for a in env.agent_ids])[None]
    values = agent.values(agent.value, tf.constant(obs)).numpy()
    self.assertEqual(values.shape, (1, 2))


class TrainingTest(absltest.TestCase):

  def test_stage2_restores_stage1_weights(self):
    root = scratch.make_dir(self)
    stage1_dir = os.path.join(root, "stage1")
    _run(stage1_dir, cm3.CM3Agent, cm3.CM3Config(**dict(_SMALL, stage=1)),
         num_agents=1, episodes=20)
    reader = tf.train.load_checkpoint(
        tf.train.latest_checkpoint(os.path.join(stage1_dir, "checkpoints")))
    agent = _agent(cm3.CM3Agent, cm3.CM3Config(
        **dict(_SMALL, stage1_dir=stage1_dir)))
    key = ("agent/{}/trunk/hidden/1/kernel/.ATTRIBUTES/VARIABLE_VALUE")
    for net, saved in ((agent.actor, "actor"), (agent.global_q, "q1"),
                       (agent.credit_q, "q1")):
      np.testing.assert_array_equal(net.trunk.hidden[1].kernel.numpy(),
                                    reader.get_tensor(key.format(saved)))
    for target, source in agent.target_pairs():
      for t, s in zip(target.weights, source.weights):
        np.testing.assert_array_equal(t.numpy(), s.numpy())

  def test_missing_stage1_dir(self):
    with self.assertRaises(FileNotFoundError):
      _agent(cm3.CM3Agent, cm3.CM3Config(
          **dict(_SMALL, stage1_dir=scratch.make_dir(self))))

  def test_same_seed_same_rows_and_exact_resume(self):
    config = cm3.CM3Config(**dict(_SMALL, steps_per_train=4))
    first, second, resumed = (scratch.make_dir(self) for _ in range(3))
    _run(first, cm3.CM3Agent, config, with_image=True)
    _run(second, cm3.CM3Agent, config, with_image=True)
    self.assertEqual(_rows(first), _rows(second))
    _run(resumed, cm3.CM3Agent, config, episodes=20, with_image=True)
    _run(resumed, cm3.CM3Agent, config, episodes=40, with_image=True)
    self.assertEqual(_rows(first), _rows(resumed))

  def test_every_method_trains(self):
    for cls, config in ((cm3.CM3Agent, cm3.CM3Config(**dict(
        _SMALL, advantage="qv", importance_weight_cap=1.0))),
                        (baselines.IACAgent, baselines.IACConfig(**dict(
                            _SMALL, importance_weight_cap=2.0,
                            entropy_coeff=0.01))),
                        (baselines.COMAAgent,
                         baselines.COMAConfig(**_SMALL))):
      root = scratch.make_dir(self)
      summary = _run(root, cls, config, num_agents=3, episodes=10, length=5,
                     with_image=True)
      self.assertTrue(np.isfinite(summary["final"]["loss"]))
      row = _rows(root)[-1]
      names = {cm3.CM3Agent: ("q_loss", "value_loss"),
               baselines.IACAgent: ("value_loss",),
               baselines.COMAAgent: ("q_loss",)}[cls]
      for name in names:
        self.assertGreaterEqual(row[name], 0.0)
      self.assertNotIn("credit_loss", row)
      # Each agent's policy entropy over the evaluation steps, in [0, ln 5].
      entropy = row["policy_entropy"]
      self.assertLen(entropy, 3)
      self.assertTrue(all(0.0 <= e <= np.log(5) + 1e-5 for e in entropy))

  def test_stage1_learns_to_walk_to_its_goal(self):
    config = cm3.CM3Config(**dict(
        _SMALL, stage=1, policy_learning_rate=3e-3, epsilon_start=0.5,
        epsilon_end=0.05, epsilon_episodes=100, epochs=10))
    root = scratch.make_dir(self)
    _run(root, cm3.CM3Agent, config, num_agents=1, episodes=200, length=4,
         max_steps=4)
    rows = _rows(root)
    # Start at cell 0, goal at cell 3: optimum −(2 + 1 + 0 + 0) / 4.
    self.assertLess(rows[0]["return_mean"], -1.5)
    self.assertGreater(rows[-1]["return_mean"], -1.0)

  def test_critic_losses_are_bias_corrected_running_means(self):
    agent = _agent(cm3.CM3Agent, cm3.CM3Config(**_SMALL))
    self.assertEqual(agent.critic_losses(), {})
    variables = [tf.Variable(0.0)]
    optimizer = tf.keras.optimizers.Adam(1e-3)
    agent.regression_step(optimizer, variables,
                          lambda: 0.0 * variables[0] + 4.0, slot=1)
    self.assertEqual(list(agent.critic_losses()), ["credit_loss"])
    self.assertAlmostEqual(agent.critic_losses()["credit_loss"], 4.0,
                           places=5)
    agent.regression_step(optimizer, variables,
                          lambda: 0.0 * variables[0] + 2.0, slot=1)
    decay = base.LOSS_AVERAGE_DECAY
    expected = ((1 - decay) * decay * 4.0 + (1 - decay) * 2.0) / (
        1 - decay ** 2)
    self.assertAlmostEqual(agent.critic_losses()["credit_loss"], expected,
                           places=5)
    self.assertIn("credit_loss", agent.scalars())

  def test_advantage_mean_is_the_running_mean_of_the_policy_weights(self):
    agent = _agent(cm3.CM3Agent, cm3.CM3Config(**_SMALL))
    self.assertNotIn("advantage_mean", agent.scalars())
    observations = tf.zeros([3, agent.num_agents, agent.layout.max_obs])
    actions = tf.zeros([3, agent.num_agents], tf.int32)
    minibatch = {"observation": observations, "action": actions}
    agent.policy_step(minibatch, tf.fill([3, agent.num_agents], 2.0))
    self.assertAlmostEqual(agent.scalars()["advantage_mean"], 2.0, places=5)
    agent.policy_step(minibatch, tf.constant(
        [[-1.0] * agent.num_agents, [0.0] * agent.num_agents,
         [1.0] * agent.num_agents]) - 3.0)
    decay = base.LOSS_AVERAGE_DECAY
    expected = ((1 - decay) * decay * 2.0 + (1 - decay) * -3.0) / (
        1 - decay ** 2)
    self.assertAlmostEqual(agent.scalars()["advantage_mean"], expected,
                           places=5)

  def test_sumo_preset_weights_replayed_actions(self):
    config = lambda method, stage=2: presets.preset("sumo", method,
                                                    stage).config
    for method in ("cm3", "qv", "direct"):
      self.assertEqual(config(method).importance_weight_cap, 10.0)
      self.assertEqual(config(method).replay_capacity, 20_000)  # Table A.4.
    self.assertEqual(config("cm3", stage=1).importance_weight_cap, 0.0)
    self.assertEqual(presets.preset("checkers", "cm3").config
                     .importance_weight_cap, 0.0)

  def test_checkers_preset_adds_an_entropy_bonus_to_the_cm3_family(self):
    config = lambda method, stage=2: presets.preset("checkers", method,
                                                    stage).config
    for method in ("cm3", "qv", "direct"):
      self.assertEqual(config(method).entropy_coeff, 0.1)
    for method in ("iac", "coma"):
      self.assertEqual(config(method).entropy_coeff, 0.0)
    self.assertEqual(config("cm3", stage=1).entropy_coeff, 0.0)
    self.assertEqual(presets.preset("sumo", "cm3").config.entropy_coeff, 0.0)

  def test_bad_configs(self):
    for kwargs in (dict(stage=3), dict(advantage="v"), dict(batch_size=0),
                   dict(stage=1, stage1_dir="x"), dict(gamma=1.5),
                   dict(steps_per_train=-1),
                   dict(importance_weight_cap=-1.0),
                   dict(entropy_coeff=-0.1)):
      with self.assertRaises(ValueError, msg=str(kwargs)):
        cm3.CM3Config(**kwargs)
    with self.assertRaises(ValueError):
      _agent(cm3.CM3Agent, cm3.CM3Config(stage=1))   # two agents
    with self.assertRaises(ValueError):
      _agent(cm3.CM3Agent, cm3.CM3Config(), num_agents=1)


if __name__ == "__main__":
  absltest.main()

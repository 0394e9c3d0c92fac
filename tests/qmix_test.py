"""QMIX: the monotone mixer, ε-greedy behaviour, the TD target, and
deterministic, resumable training runs on the tiny multi-goal game."""

import json
import os

import numpy as np
import tensorflow as tf
from tf_agents.specs import tensor_spec

from mmagents.core import augmentation
from mmagents.cm3 import presets
from mmagents.core import runner
from mmagents.qmix import agent as qmix
from mmagents.qmix import mixer as mixer_lib
from tests import scratch
from tests import tiny_multigoal


# ------------------------------------------------------------ numpy mirror
def _np_stack(layers, x):
  """A stack of Dense layers (ReLU on all but the last) in numpy."""
  for i, layer in enumerate(layers):
    x = x @ layer.kernel.numpy() + layer.bias.numpy()
    if i < len(layers) - 1:
      x = np.maximum(x, 0.0)
  return x


def _np_mix(mixer, q, condition):
  """Q_tot = ELU(q |W1| + b1) |W2| + V, every hypernet evaluated in numpy."""
  n, e = mixer.num_agents, mixer.embed_dim
  w1 = np.abs(_np_stack(mixer.hyper_w1, condition)).reshape(-1, n, e)
  b1 = _np_stack(mixer.hyper_b1, condition)
  w2 = np.abs(_np_stack(mixer.hyper_w2, condition))
  b2 = _np_stack(mixer.hyper_b2, condition)[:, 0]
  pre = np.einsum("bn,bne->be", q, w1) + b1
  hidden = np.where(pre > 0, pre, np.expm1(np.minimum(pre, 0.0)))
  return (hidden * w2).sum(-1) + b2


def _randomize(layer, rng, scale=1.0):
  for variable in layer.weights:
    variable.assign(rng.normal(0.0, scale, variable.shape).astype(np.float32))


# ------------------------------------------------------------- fixtures
def _make_agent(config=qmix.QMIXConfig(), num_agents=2, with_image=False,
                seed=0):
  env = tiny_multigoal.TinyMultiGoal(num_agents=num_agents,
                                     with_image=with_image)
  return qmix.QMIXAgent(tensor_spec.from_spec(env.time_step_spec()),
                        tensor_spec.from_spec(env.action_spec()),
                        env.agent_ids, env.multigoal_parts, config, seed)


def _batch(agent, size=8, seed=3):
  """A fixed random minibatch with some terminal (d = 0) transitions."""
  rng = np.random.default_rng(seed)
  n, d = agent.num_agents, agent.layout.max_obs
  s = agent.parts.state_size
  f = lambda *shape: tf.constant(rng.normal(size=shape), tf.float32)
  discount = np.ones(size, np.float32)
  discount[::3] = 0.0
  return {"observation": f(size, n, d), "next_observation": f(size, n, d),
          "state": f(size, s), "next_state": f(size, s),
          "action": tf.constant(rng.integers(0, 5, (size, n)), tf.int32),
          "reward": f(size, n), "discount": tf.constant(discount)}


def _np_condition(agent, state, observations):
  p = agent.parts
  goals = observations[..., p.self_size:p.self_size + p.goal_size]
  return np.concatenate([state, goals.reshape(len(state), -1)], -1)


class MixerTest(tf.test.TestCase):

  def _mixers(self):
    yield mixer_lib.QMixer(3, 8), 5
    yield mixer_lib.QMixer(3, 8, hypernet_hidden=6), 5
    image = augmentation.ImageInput((2, 3, 1), 2, (1, 2), dense_units=4)
    yield mixer_lib.QMixer(3, 8, image=image), 6 + 4

  def test_one_scalar_per_row(self):
    for mixer, c in self._mixers():
      out = mixer(tf.ones([7, 3]), tf.ones([7, c]))
      self.assertEqual(out.shape, (7,))

  def test_monotone_in_every_agent_value(self):
    rng = np.random.default_rng(0)
    for mixer, c in self._mixers():
      mixer.build_weights(c)
      for _ in range(20):
        _randomize(mixer, rng, scale=rng.uniform(0.1, 3.0))
        q = tf.constant(rng.normal(0, 5, (64, 3)), tf.float32)
        condition = tf.constant(rng.normal(0, 2, (64, c)), tf.float32)
        with tf.GradientTape() as tape:
          tape.watch(q)
          total = mixer(q, condition)
        grads = tape.gradient(total, q).numpy()
        self.assertTrue(np.all(grads >= 0.0), grads.min())

  def test_formula_matches_numpy(self):
    rng = np.random.default_rng(1)
    for hidden in (0, 6):
      mixer = mixer_lib.QMixer(3, 8, hypernet_hidden=hidden)
      mixer.build_weights(5)
      _randomize(mixer, rng)
      q = rng.normal(0, 2, (16, 3)).astype(np.float32)
      condition = rng.normal(size=(16, 5)).astype(np.float32)
      self.assertAllClose(mixer(q, condition), _np_mix(mixer, q, condition),
                          rtol=1e-4, atol=1e-4)

  def test_small_init_gives_a_small_initial_gain(self):
    """CM3's code draws the weight hypernetworks from N(0, 0.01): the mixing
    weights, and so dQ_tot/dq, start near zero rather than near one."""
    rng = np.random.default_rng(3)
    q = tf.constant(rng.normal(0, 5, (64, 3)), tf.float32)
    condition = tf.constant(rng.uniform(-1, 1, (64, 5)), tf.float32)
    gains = {}
    for stddev in (0.0, 0.01):
      tf.random.set_seed(0)
      mixer = mixer_lib.QMixer(3, 8, init_stddev=stddev)
      mixer.build_weights(5)
      if stddev:
        for layer in (mixer.hyper_w1[-1], mixer.hyper_w2[-1]):
          self.assertLessEqual(np.abs(layer.kernel.numpy()).max(),
                               2 * stddev + 1e-7)   # Truncated at 2σ.
      with tf.GradientTape() as tape:
        tape.watch(q)
        total = mixer(q, condition)
      gains[stddev] = tape.gradient(total, q).numpy().sum(-1).mean()
    self.assertLess(gains[0.01], 1e-2)
    self.assertGreater(gains[0.0], 100 * gains[0.01])
    with self.assertRaises(ValueError):
      mixer_lib.QMixer(3, 8, init_stddev=-0.1)

  def test_target_copy_and_soft_update(self):
    online, target = mixer_lib.QMixer(2, 4), mixer_lib.QMixer(2, 4)
    online.build_weights(3)
    target.build_weights(3)
    target.copy_weights_from(online)
    for a, b in zip(target.weights, online.weights):
      self.assertAllEqual(a, b)
    before = [w.numpy() for w in target.weights]
    _randomize(online, np.random.default_rng(2))
    target.soft_update_from(online, 0.25)
    for old, new, src in zip(before, target.weights, online.weights):
      self.assertAllClose(new, 0.25 * src.numpy() + 0.75 * old)


class QMIXAgentTest(tf.test.TestCase):

  def test_config_defaults_and_validation(self):
    c = qmix.QMIXConfig()
    self.assertEqual((c.critic_learning_rate, c.epsilon_start, c.epsilon_end,
                      c.epsilon_episodes, c.steps_per_train, c.batch_size,
                      c.replay_capacity, c.mixer_embed_dim, c.q_hidden_sizes,
                      c.double_q, c.mixer_init_stddev, c.grad_clip_norm),
                     (1e-3, 1.0, 0.05, 80_000, 10, 128, 10_000, 64, (64,),
                      False, 0.01, 10.0))
    for bad in ({"q_hidden_sizes": ()}, {"mixer_embed_dim": 0},
                {"mixer_hypernet_hidden": -1}, {"grad_clip_norm": -1.0},
                {"mixer_init_stddev": -0.01}):
      with self.assertRaises(ValueError):
        qmix.QMIXConfig(**bad)

  def test_presets_slow_the_targets_on_navigation_only(self):
    rates = {game: presets.preset(game, "qmix").config.target_update_rate
             for game in presets.GAMES}
    self.assertEqual(rates, {"particle": 0.001, "checkers": 0.01,
                             "sumo": 0.01})

  def test_network_inputs(self):
    concat = _make_agent()
    self.assertFalse(concat.q_network.augmented)   # (o_self, g, o_others).
    side = _make_agent(qmix.QMIXConfig(q_side_sizes=(8,),
                                       self_conv_kernel=(1, 3)),
                       with_image=True)
    self.assertTrue(side.q_network.augmented)
    self.assertLen(side.q_network.trunk.encoder.images, 1)
    self.assertEqual(side.condition_size, 8 + 2 * 4)
    for agent in (concat, side):
      q = agent.q_values(agent.q_network, _batch(agent)["observation"])
      self.assertEqual(q.shape, (8, 2, 5))

  def test_epsilon_greedy_probabilities(self):
    agent = _make_agent()
    batch = _batch(agent)
    obs = batch["observation"]
    observation = {a: obs[:, i] for i, a in enumerate(agent.agent_ids)}
    observation["state"] = batch["state"]
    greedy = np.argmax(agent.q_values(agent.q_network, obs).numpy(), -1)
    onehot = np.eye(5)[greedy]
    agent.epsilon.assign(0.3)
    self.assertAllClose(agent._behaviour_probs(observation, explore=True),
                        0.7 * onehot + 0.3 / 5)
    self.assertAllClose(agent._behaviour_probs(observation, explore=False),
                        onehot)

  def _check_td_targets(self, config):
    agent = _make_agent(config)
    rng = np.random.default_rng(4)
    # Targets unlike the online networks, so the two argmaxes can differ.
    _randomize(agent.target_q_network, rng, 0.5)
    _randomize(agent.target_mixer, rng, 0.3)
    batch = _batch(agent)
    np_batch = {k: v.numpy() for k, v in batch.items()}
    next_obs = batch["next_observation"]
    target_q = agent.q_values(agent.target_q_network, next_obs).numpy()
    chooser = (agent.q_values(agent.q_network, next_obs).numpy()
               if config.double_q else target_q)
    best = np.argmax(chooser, -1)
    if config.double_q:   # The online choice matters on this batch.
      self.assertTrue(np.any(best != np.argmax(target_q, -1)))
    next_values = np.take_along_axis(target_q, best[..., None], -1)[..., 0]
    condition = _np_condition(agent, np_batch["next_state"],
                              np_batch["next_observation"])
    expected = (np_batch["reward"].sum(-1) + config.gamma
                * np_batch["discount"]
                * _np_mix(agent.target_mixer, next_values, condition))
    self.assertAllClose(agent.td_targets(batch), expected, rtol=1e-4,
                        atol=1e-4)
    return agent, batch, expected

  def test_td_target(self):
    self._check_td_targets(qmix.QMIXConfig())

  def test_double_q_td_target(self):
    self._check_td_targets(qmix.QMIXConfig(double_q=True))

  def test_update_returns_td_loss_and_trains(self):
    agent, batch, targets = self._check_td_targets(qmix.QMIXConfig())
    np_batch = {k: v.numpy() for k, v in batch.items()}
    q = agent.q_values(agent.q_network, batch["observation"]).numpy()
    chosen = np.take_along_axis(q, np_batch["action"][..., None], -1)[..., 0]
    total = _np_mix(agent.mixer, chosen, _np_condition(
        agent, np_batch["state"], np_batch["observation"]))
    before = [v.numpy() for v in agent._trainable_variables()]
    loss = agent._update(batch)
    self.assertAllClose(loss, np.mean((targets - total) ** 2), rtol=1e-4)
    changed = [not np.allclose(b, v.numpy())
               for b, v in zip(before, agent._trainable_variables())]
    self.assertTrue(all(changed))   # Agent network and mixer both learn.
    self.assertLess(float(agent.td_loss(batch)), float(loss))

  def test_targets_track_softly(self):
    agent = _make_agent(qmix.QMIXConfig(target_update_rate=0.5))
    pairs = agent.target_pairs()
    self.assertEqual([t for t, _ in pairs],
                     [agent.target_q_network, agent.target_mixer])
    before = [[w.numpy() for w in t.weights] for t, _ in pairs]
    _randomize(agent.mixer, np.random.default_rng(5))
    _randomize(agent.q_network, np.random.default_rng(6))
    agent.update_targets()
    for old, (target, online) in zip(before, pairs):
      for o, t, s in zip(old, target.weights, online.weights):
        self.assertAllClose(t, 0.5 * s.numpy() + 0.5 * o)


# ------------------------------------------------------------- runs
_RUN_CONFIG = qmix.QMIXConfig(batch_size=16, epsilon_episodes=100,
                              self_conv_kernel=(1, 3), q_side_sizes=(16,),
                              replay_capacity=200)


def _run(root, num_episodes):
  config = runner.RunConfig(root_dir=root, num_episodes=num_episodes,
                            eval_interval=20, num_eval_episodes=2,
                            episodes_per_iteration=5, verbose=False)

  def make_agent(tf_env, py_env):
    return qmix.QMIXAgent(tf_env.time_step_spec(), tf_env.action_spec(),
                          py_env.agent_ids, py_env.multigoal_parts,
                          _RUN_CONFIG, seed=0)

  make_env = lambda s: tiny_multigoal.TinyMultiGoal(2, with_image=True,
                                                    seed=s)
  run = runner.Runner("qmix", make_env, make_agent, config, {"env": "tiny"})
  run.run()
  return run


def _rows(root):
  with open(os.path.join(root, "metrics.jsonl")) as f:
    return [{k: v for k, v in json.loads(line).items() if k != "wall_s"}
            for line in f]


class QMIXRunTest(tf.test.TestCase):

  def test_deterministic_and_resumable(self):
    first, second, resumed = (scratch.make_dir(self) for _ in range(3))
    run = _run(first, 100)
    self.assertGreater(int(run.agent.updates_done.numpy()), 0)
    rows = _rows(first)
    self.assertEqual([r["episode"] for r in rows], [0, 20, 40, 60, 80, 100])
    self.assertTrue(all(np.isfinite(r["loss"]) for r in rows[1:]))
    _run(second, 100)
    self.assertEqual(_rows(second), rows)
    _run(resumed, 60)
    _run(resumed, 100)
    self.assertEqual(_rows(resumed), rows)


if __name__ == "__main__":
  tf.test.main()

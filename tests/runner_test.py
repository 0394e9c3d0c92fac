"""The experiment runner: metrics rows, resume, identity, non-finite losses."""

import json
import os

import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.environments import tf_py_environment

from environments import escape_room
from mmagents.agents import pg
from mmagents.core import experiment_io
from mmagents.core import runner
from tests import scratch


class NaNAfter(pg.PolicyGradientAgent):
  """A PG agent whose loss turns NaN from train step `nan_step` on."""

  nan_step = 30

  def _loss(self, experience, weights=None, training=False):
    info = super()._loss(experience, weights, training)
    bad = self.train_step_counter >= self.nan_step
    return tf_agent.LossInfo(
        tf.where(bad, tf.constant(float("nan")), info.loss), info.extra)


class WithCounter(pg.PolicyGradientAgent):
  """A PG agent with one more variable than `pg.PolicyGradientAgent`."""

  def __init__(self, *args, **kwargs):
    super().__init__(*args, **kwargs)
    self.extra_counter = tf.Variable(0, name="extra_counter")


def _run(root, num_episodes=40, agent_cls=pg.PolicyGradientAgent, seed=0,
         identity=None, identity_defaults=None, greedy_eval_episodes=0):
  config = runner.RunConfig(root_dir=root, num_episodes=num_episodes,
                            eval_interval=10, num_eval_episodes=3, seed=seed,
                            verbose=False,
                            greedy_eval_episodes=greedy_eval_episodes)

  def make_agent(tf_env, py_env):
    return agent_cls(tf_env.time_step_spec(), tf_env.action_spec(),
                     py_env.agent_ids, pg.PGConfig(), seed=seed)

  return runner.Runner(
      "test", lambda s: escape_room.EscapeRoom(2, 1, seed=s), make_agent,
      config, identity or {"env": "er21"},
      identity_defaults=identity_defaults).run()


def _rows(root):
  with open(os.path.join(root, "metrics.jsonl")) as f:
    return [json.loads(line) for line in f]


def _without_wall(rows):
  return [{k: v for k, v in r.items() if k != "wall_s"} for r in rows]


class RunnerTest(tf.test.TestCase):

  def test_rows_summary_and_tensorboard(self):
    root = scratch.make_dir(self)
    summary = _run(root)
    rows = _rows(root)
    self.assertEqual([r["episode"] for r in rows], [0, 10, 20, 30, 40])
    for key in ("env_steps", "wall_s", "return_mean", "return_per_agent",
                "events", "epsilon"):
      self.assertIn(key, rows[-1])
    self.assertEqual(summary["final"], rows[-1])
    with open(os.path.join(root, "summary.json")) as f:
      self.assertEqual(json.load(f)["versions"]["tensorflow"], tf.__version__)
    for sub in ("train", "eval", "checkpoints"):
      self.assertNotEmpty(os.listdir(os.path.join(root, sub)))

  def test_extending_a_run_equals_one_long_run(self):
    whole, parts = scratch.make_dir(self), scratch.make_dir(self)
    _run(whole, num_episodes=40)
    _run(parts, num_episodes=20)
    _run(parts, num_episodes=40)
    self.assertEqual(_without_wall(_rows(whole)), _without_wall(_rows(parts)))

  def test_rows_after_the_checkpoint_are_dropped_on_resume(self):
    root = scratch.make_dir(self)
    _run(root, num_episodes=20)
    with open(os.path.join(root, "metrics.jsonl"), "a") as f:
      f.write(json.dumps({"episode": 999}) + "\n")   # Crash after the write.
    _run(root, num_episodes=30)
    self.assertEqual([r["episode"] for r in _rows(root)], [0, 10, 20, 30])

  def test_crash_before_the_first_checkpoint_starts_over(self):
    root = scratch.make_dir(self)
    _run(root, num_episodes=10)
    for name in os.listdir(os.path.join(root, "checkpoints")):
      os.remove(os.path.join(root, "checkpoints", name))
    _run(root, num_episodes=10)
    self.assertEqual([r["episode"] for r in _rows(root)], [0, 10])

  def test_same_seed_same_numbers(self):
    a, b = scratch.make_dir(self), scratch.make_dir(self)
    _run(a, num_episodes=20, seed=4)
    _run(b, num_episodes=20, seed=4)
    self.assertEqual(_without_wall(_rows(a)), _without_wall(_rows(b)))

  def test_checkpoint_of_another_agent_version_is_refused(self):
    root = scratch.make_dir(self)
    _run(root, num_episodes=10)
    with self.assertRaisesRegex(experiment_io.UsageError,
                                "another version.*extra_counter"):
      _run(root, num_episodes=20, agent_cls=WithCounter)

  def test_different_experiment_is_refused(self):
    root = scratch.make_dir(self)
    _run(root, num_episodes=10)
    with self.assertRaisesRegex(experiment_io.UsageError, "different"):
      _run(root, num_episodes=10, identity={"env": "ipd"})

  def test_fields_added_later_match_at_their_defaults(self):
    root = scratch.make_dir(self)
    old = {"env": "er21", "method_config": {"lr": 0.1}}
    _run(root, num_episodes=10, identity=old)
    defaults = {"method_config": {"lr": 0.5, "clip": (1, 2)}}
    new = {"env": "er21", "method_config": {"lr": 0.1, "clip": (1, 2)}}
    _run(root, num_episodes=20, identity=new, identity_defaults=defaults)
    self.assertEqual([r["episode"] for r in _rows(root)], [0, 10, 20])
    changed = {"env": "er21", "method_config": {"lr": 0.1, "clip": (3, 4)}}
    with self.assertRaisesRegex(experiment_io.UsageError, "method_config"):
      _run(root, num_episodes=30, identity=changed,
           identity_defaults=defaults)
    with self.assertRaisesRegex(experiment_io.UsageError, "method_config"):
      _run(root, num_episodes=30, identity=new)   # No defaults known.

  def test_defaults_json_cannot_hold_are_ignored(self):
    root = scratch.make_dir(self)
    experiment_io.check_identity(root, {"env_kwargs": {"a": 1}})
    defaults = {"env_kwargs": {"a": 1, "physics": object()}}
    self.assertTrue(experiment_io.check_identity(
        root, {"env_kwargs": {"a": 1}}, defaults))

  def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(self):
    root = scratch.make_dir(self)
    with self.assertRaisesRegex(runner.NonFiniteLossError, "episode 30"):
      _run(root, num_episodes=100, agent_cls=NaNAfter)
    latest = tf.train.latest_checkpoint(os.path.join(root, "checkpoints"))
    self.assertTrue(latest.endswith("-30"))
    self.assertEqual([r["episode"] for r in _rows(root)], [0, 10, 20, 30])

  def test_greedy_evaluation_resumes_and_leaves_sampled_rows_alone(self):
    plain, whole, parts = (scratch.make_dir(self) for _ in range(3))
    _run(plain, num_episodes=30)
    _run(whole, num_episodes=30, greedy_eval_episodes=2)
    _run(parts, num_episodes=20, greedy_eval_episodes=2)
    _run(parts, num_episodes=30, greedy_eval_episodes=2)
    self.assertEqual(_without_wall(_rows(whole)), _without_wall(_rows(parts)))
    for with_greedy, without in zip(_rows(whole), _rows(plain)):
      greedy = {k: with_greedy.pop(k) for k in ("greedy_return_mean",
                                               "greedy_return_per_agent")}
      self.assertLen(greedy["greedy_return_per_agent"], 2)
      self.assertAlmostEqual(greedy["greedy_return_mean"],
                             sum(greedy["greedy_return_per_agent"]), 5)
      self.assertEqual(_without_wall([with_greedy]), _without_wall([without]))

  def test_greedy_policy_takes_the_most_probable_actions(self):
    env = escape_room.EscapeRoom(2, 1, seed=0)
    tf_env = tf_py_environment.TFPyEnvironment(env)
    agent = pg.PolicyGradientAgent(tf_env.time_step_spec(),
                                   tf_env.action_spec(), env.agent_ids,
                                   pg.PGConfig(), seed=0)
    step = tf_env.reset()
    greedy = agent.greedy_policy()
    dists = greedy.distribution(step).action
    actions = greedy.action(step).action
    for agent_id in env.agent_ids:
      self.assertEqual(int(actions[agent_id][0]),
                       int(tf.argmax(dists[agent_id].probs_parameter()[0])))

  def test_bad_run_config(self):
    with self.assertRaises(experiment_io.UsageError):
      runner.RunConfig(root_dir="x", num_episodes=0, eval_interval=1,
                       num_eval_episodes=1)
    with self.assertRaises(experiment_io.UsageError):
      runner.RunConfig(root_dir="x", num_episodes=1, eval_interval=1,
                       num_eval_episodes=1, greedy_eval_episodes=-1)


if __name__ == "__main__":
  tf.test.main()

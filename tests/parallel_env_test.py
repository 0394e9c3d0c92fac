"""Parallel environments: same time steps as serial copies, clean shutdown,
dead, failing and silent workers, and libsumo one simulation per process.

Each batch starts its workers with "spawn" (a few seconds each: a worker
imports TensorFlow), so the tests share as few batches as they can.
"""

import functools
import multiprocessing
from multiprocessing import resource_tracker
import os
import signal
import time

import numpy as np
from absl.testing import absltest
from tf_agents.environments import tf_py_environment

from environments import ipd
from environments import parallel
from environments.particle import navigation
from environments.sumo import merge


class _FlakyPrisoners(ipd.IteratedPrisonersDilemma):
  """The IPD that fails once at step `fail_at` (counted over episodes)."""

  def __init__(self, fail_at=None, sleep_s=0.0, seed=None):
    super().__init__(max_steps=3, seed=seed)
    self._fail_at = fail_at
    self._sleep_s = sleep_s
    self._steps = 0

  def _transition(self, actions):
    self._steps += 1
    if self._steps == self._fail_at:
      if self._sleep_s:
        time.sleep(self._sleep_s)
      else:
        raise ValueError("scripted failure")
    return super()._transition(actions)


def _navigation(seed):
  return navigation.CooperativeNavigation("merge", max_steps=6,
                                         prob_random=1.0, seed=seed)


def _children() -> list:
  """Pids of this process's children (zombies too), multiprocessing's
  resource tracker aside (it lives as long as this process)."""
  # pylint: disable-next=protected-access
  tracker = getattr(resource_tracker._resource_tracker, "_pid", None)
  found = []
  for name in os.listdir("/proc"):
    if not name.isdigit() or int(name) == tracker:
      continue
    try:
      with open(f"/proc/{name}/stat") as f:
        stat = f.read()
    except OSError:
      continue  # Gone meanwhile.
    ppid = int(stat[stat.rindex(")") + 2:].split()[1])
    if ppid == os.getpid():
      found.append(int(name))
  return found


def _joint_actions(rng, batch_size, num_agents, num_actions, steps):
  """Batched action dicts (``[batch]`` int32 per agent) for `steps` steps."""
  draws = rng.integers(0, num_actions, (steps, num_agents, batch_size))
  return [{f"agent_{i}": row[i].astype(np.int32) for i in range(num_agents)}
          for row in draws]


def _assert_steps_equal(test, batched, serial, index):
  """Entry `index` of batched time steps equals a serial time step."""
  test.assertEqual(int(batched.step_type[index]), int(serial.step_type))
  np.testing.assert_array_equal(batched.reward[index], serial.reward)
  np.testing.assert_array_equal(batched.discount[index], serial.discount)
  test.assertEqual(sorted(batched.observation), sorted(serial.observation))
  for key, value in serial.observation.items():
    np.testing.assert_array_equal(batched.observation[key][index], value)


def _run_against_serial(test, batch, serial, actions):
  """Steps `batch` and the `serial` copies alike; returns episodes ended."""
  ends = 0
  first = batch.reset()
  for i, env in enumerate(serial):
    _assert_steps_equal(test, first, env.reset(), i)
  for joint in actions:
    step = batch.step(joint)
    for i, env in enumerate(serial):
      _assert_steps_equal(test, step, env.step(
          {a: joint[a][i] for a in env.agent_ids}), i)
    ends += int(np.sum(step.is_last()))
  return ends


def _fail_then_restart(test, batch, failing):
  """Steps a batch of `_FlakyPrisoners` whose environment `failing` fails at
  its second step: the error names it, then the batch starts over; returns
  the no-op action."""
  no_op = {a: np.zeros(2, np.int32) for a in batch.agent_ids}
  batch.reset()
  batch.step(no_op)
  with test.assertRaisesRegex(
      RuntimeError,
      f"(?s)environment {failing} failed during step.*scripted failure"):
    batch.step(no_op)
  test.assertEqual(batch.step(no_op).step_type.tolist(), [0, 0])
  test.assertEqual(batch.step(no_op).step_type.tolist(), [1, 1])
  return no_op


class ParallelEnvironmentsTest(absltest.TestCase):

  def test_matches_serial_copies_and_closes(self):
    seeds = (3, 11)
    serial = [_navigation(s) for s in seeds]
    actions = _joint_actions(np.random.default_rng(0), 2, 2,
                             navigation.NUM_ACTIONS, 20)
    with parallel.ParallelEnvironments(
        [functools.partial(_navigation, s) for s in seeds]) as batch:
      pids = batch.worker_pids
      self.assertLen(pids, 2)
      self.assertEqual(sorted(_children()), sorted(pids))
      self.assertTrue(batch.batched)
      self.assertEqual(batch.batch_size, 2)
      self.assertEqual(batch.agent_ids, serial[0].agent_ids)
      self.assertEqual(batch.max_steps, 6)
      self.assertEqual(batch.time_step_spec(), serial[0].time_step_spec())
      self.assertEqual(batch.action_spec(), serial[0].action_spec())
      # Six-step episodes: the 20 steps include auto-resets in both envs.
      self.assertEqual(_run_against_serial(self, batch, serial, actions), 6)
      events = batch.pop_finished_events()
      expected = serial[0].pop_finished_events() + \
          serial[1].pop_finished_events()
      self.assertLen(events, 6)
      for got, want in zip(events, expected):
        for key in want:
          np.testing.assert_array_equal(got[key], want[key])
      self.assertEqual(batch.pop_finished_events(), [])
      # Generator states travel both ways: rewinding replays the episodes.
      states = batch.get_rng_state()
      self.assertEqual(states, [env.get_rng_state() for env in serial])
      first = [batch.reset().observation["state"] for _ in range(2)]
      batch.set_rng_state(states)
      again = batch.reset().observation["state"]
      np.testing.assert_array_equal(again, first[0])
      self.assertFalse(np.array_equal(first[0], first[1]))
      self.assertEqual(batch.get_attr("scenario"), ["merge", "merge"])
      # TF-Agents wraps it as a batched environment.
      tf_env = tf_py_environment.TFPyEnvironment(batch)
      self.assertEqual(tf_env.batch_size, 2)
      step = tf_env.step({a: np.zeros(2, np.int32) for a in batch.agent_ids})
      self.assertEqual(step.reward.shape, (2, 2))
    self.assertEqual(_children(), [])
    self.assertEqual(multiprocessing.active_children(), [])
    for pid in pids:
      self.assertFalse(os.path.exists(f"/proc/{pid}"))
    batch.close()                                      # Idempotent.
    with self.assertRaisesRegex(RuntimeError, "closed"):
      batch.reset()

  def test_first_environment_in_process(self):
    seeds = (3, 11, 4)
    serial = [_navigation(s) for s in seeds]
    actions = _joint_actions(np.random.default_rng(2), 3, 2,
                             navigation.NUM_ACTIONS, 14)
    with parallel.ParallelEnvironments(
        [functools.partial(_navigation, s) for s in seeds],
        first_in_process=True, spin_s=1e-3) as batch:
      self.assertLen(batch.worker_pids, 2)
      self.assertEqual(sorted(_children()), sorted(batch.worker_pids))
      self.assertEqual(batch.batch_size, 3)
      self.assertEqual(_run_against_serial(self, batch, serial, actions), 6)
      self.assertLen(batch.pop_finished_events(), 6)
      self.assertEqual(batch.get_rng_state(),
                       [env.get_rng_state() for env in serial])
      self.assertEqual(batch.get_attr("scenario"), ["merge"] * 3)
    self.assertEqual(_children(), [])

  def test_error_in_process_restarts_the_batch(self):
    batch = parallel.ParallelEnvironments(
        [functools.partial(_FlakyPrisoners, fail_at=f) for f in (2, None)],
        first_in_process=True)
    try:
      _fail_then_restart(self, batch, 0)
    finally:
      batch.close()
    self.assertEqual(_children(), [])

  def test_environment_error_then_killed_worker(self):
    batch = parallel.ParallelEnvironments(
        [functools.partial(_FlakyPrisoners, fail_at=f) for f in (None, 2)])
    try:
      no_op = _fail_then_restart(self, batch, 1)
      with self.assertRaisesRegex(RuntimeError, "AttributeError"):
        batch.get_attr("no_such_attribute")
      self.assertLen(_children(), 2)
      # A dead worker: reported at once, and every worker is closed.
      os.kill(batch.worker_pids[1], signal.SIGKILL)
      start = time.monotonic()
      with self.assertRaisesRegex(RuntimeError,
                                  r"environment 1 \(worker pid .*\) died"):
        batch.step(no_op)
      # Well before the receive timeout (closing the survivor takes
      # seconds on a loaded machine).
      self.assertLess(time.monotonic() - start, parallel.TIMEOUT_S / 2)
      self.assertEqual(_children(), [])
      with self.assertRaisesRegex(RuntimeError, "closed"):
        batch.reset()
    finally:
      batch.close()

  def test_silent_worker_times_out(self):
    batch = parallel.ParallelEnvironments(
        [functools.partial(_FlakyPrisoners, fail_at=f, sleep_s=60.0)
         for f in (None, 1)], timeout_s=1.0)
    try:
      batch.reset()
      start = time.monotonic()
      with self.assertRaisesRegex(
          RuntimeError, "environment 1 .* did not answer within 1 s"):
        batch.step({a: np.zeros(2, np.int32) for a in batch.agent_ids})
      # Well before the sleeping worker would answer (60 s).
      self.assertLess(time.monotonic() - start, 45.0)
      self.assertEqual(_children(), [])
    finally:
      batch.close()

  def test_bad_arguments(self):
    with self.assertRaisesRegex(ValueError, "at least one"):
      parallel.ParallelEnvironments([])
    with self.assertRaisesRegex(ValueError, "start_method"):
      parallel.ParallelEnvironments([_FlakyPrisoners], start_method="fork")
    with self.assertRaisesRegex(ValueError, "cannot be sent"):
      parallel.ParallelEnvironments([lambda: _FlakyPrisoners()])
    self.assertEqual(_children(), [])


class ParallelSumoTest(absltest.TestCase):

  def test_libsumo_workers_match_serial_traci(self):
    """Two libsumo simulations, one per worker, in heavy traffic."""
    seeds = (5, 8)
    serial = [merge.DoubleLaneMerge(backend="traci", config="C1", seed=s)
              for s in seeds]
    batch = parallel.ParallelEnvironments(
        [functools.partial(merge.DoubleLaneMerge, backend="libsumo",
                           config="C1", seed=s) for s in seeds])
    try:
      run_dirs = [f.run_dir for f in batch.get_attr("scenario_files")]
      actions = _joint_actions(np.random.default_rng(1), 2, 2,
                               merge.NUM_ACTIONS, merge.MAX_STEPS)
      self.assertGreaterEqual(
          _run_against_serial(self, batch, serial, actions), 2)
      self.assertEqual(batch.get_attr("sumo_pid"), [None, None])  # In-process.
      # So a runner keeps every libsumo training copy out of its process.
      self.assertEqual(batch.get_attr("one_per_process"), [True, True])
      self.assertFalse(serial[0].one_per_process)
    finally:
      batch.close()
      for env in serial:
        env.close()
    self.assertEqual(_children(), [])     # No worker, no traci sumo left.
    for run_dir in run_dirs:
      self.assertFalse(os.path.exists(run_dir))


if __name__ == "__main__":
  absltest.main()

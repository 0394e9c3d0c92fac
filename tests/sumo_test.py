"""The SUMO double lane merge on real SUMO: network, scenes, rewards, cleanup.

Every simulation here runs through traci (several per process); the libsumo
comparison runs in a subprocess, since libsumo holds one simulation per
process. Every test leaves no sumo process behind (`_sumo_children`).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
from unittest import mock

import numpy as np
from absl.testing import absltest
from tf_agents.environments import utils as env_utils

from environments import registry
from environments.sumo import connection
from environments.sumo import merge
from environments.sumo import network

NOOP, ACCELERATE, DECELERATE, LEFT, RIGHT = range(5)
LANE_Y = network.LANE_WIDTH * (np.arange(4) + 0.5)  # Lane centres.
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _step(env, *actions):
  return env.step({a: np.int32(x) for a, x in zip(env.agent_ids, actions)})


def _sumo_children() -> list:
  """Pids of sumo processes (zombies too) whose parent is this process."""
  found = []
  for name in os.listdir("/proc"):
    if not name.isdigit():
      continue
    try:
      with open(f"/proc/{name}/stat") as f:
        stat = f.read()
    except OSError:
      continue  # Gone meanwhile.
    comm = stat[stat.index("(") + 1:stat.rindex(")")]
    ppid = int(stat[stat.rindex(")") + 2:].split()[1])
    if ppid == os.getpid() and comm.startswith("sumo"):
      found.append(int(name))
  return found


def _grid(obs):
  """The ``[13, 9, 2]`` grid of an agent observation."""
  return obs[merge.SELF_SIZE + merge.GOAL_SIZE:].reshape(merge.GRID_SHAPE)


def _cells(grid):
  return {tuple(rc) for rc in np.argwhere(grid[..., 0] > 0)}


def _block(rows, cols):
  return {(r, c) for r in rows for c in cols}


def _episode(env, actions):
  """Observations and rewards of one episode under fixed joint actions."""
  step = env.reset()
  observations, rewards = [step.observation], []
  for joint in actions:
    if step.is_last():
      break
    step = _step(env, *joint)
    observations.append(step.observation)
    rewards.append(step.reward)
  flat = [np.concatenate([o[k] for k in sorted(o)]) for o in observations]
  return np.array(flat), np.array(rewards)


class NetworkTest(absltest.TestCase):

  def test_road_has_four_lanes_of_four_sublanes(self):
    import sumolib  # pylint: disable=g-import-not-at-top
    with tempfile.TemporaryDirectory() as run_dir:
      files = network.build(run_dir, flows=True)
      net = sumolib.net.readNet(files.net)
      lanes = net.getEdge(network.EDGE_ID).getLanes()
      self.assertLen(lanes, 4)
      for index, lane in enumerate(lanes):
        self.assertAlmostEqual(lane.getWidth(), 3.2)
        self.assertAlmostEqual(lane.getLength(), 200.0)
        self.assertEqual(round(lane.getWidth() / 0.8), 4)  # Sub-lanes.
        (x0, y0), (x1, y1) = lane.getShape()
        self.assertEqual((x0, x1), (0.0, 200.0))
        self.assertAlmostEqual(y0, LANE_Y[index])           # Lane 0 right.
        self.assertAlmostEqual(y1, LANE_Y[index])
      with open(files.config) as f:
        config = f.read()
      self.assertIn('<lateral-resolution value="0.8"/>', config)
      self.assertIn('<step-length value="0.2"/>', config)
      with open(files.routes) as f:
        routes = f.read()
      for type_id in ("agent", "car", "truck"):
        self.assertIn(f'<vType id="{type_id}"', routes)
      self.assertIn("car_flow", routes)

  def test_types_from_ids(self):
    self.assertEqual(network.type_of("agent_1").type_id, "agent")
    self.assertEqual(network.type_of("truck_flow.3").length, 12.0)
    with self.assertRaises(KeyError):
      network.type_of("bus_0")


class SceneTest(absltest.TestCase):
  """Constructed scenes on one traci environment (N = 2, empty road)."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.env = merge.DoubleLaneMerge(backend="traci", seed=0)
    cls.env.reset()

  @classmethod
  def tearDownClass(cls):
    cls.env.close()
    super().tearDownClass()

  def test_occupancy_grid_of_a_scene(self):
    obs = self.env.set_scene(
        agents=[(1, 60.0, 30.0), (2, 65.0, 25.0)], goals=[2, 1],
        traffic=[("car", 1, 45.0, 15.0), ("truck", 0, 72.0, 20.0)])
    vehicles = self.env.vehicles()
    self.assertCountEqual(vehicles, ["agent_0", "agent_1", "car_0",
                                     "truck_1"])
    np.testing.assert_allclose(vehicles["agent_0"], (60.0, LANE_Y[1], 30.0))
    grid = _grid(obs["agent_0"])
    self.assertEqual(grid.shape, (13, 9, 2))
    # Centre of agent_0: x = 57.5; rows 2.5 m from +15 m (row 0) back,
    # columns 0.8 m from +3.2 m (left, column 0) to the right.
    agent_1 = _block((3, 4, 5), (0, 1))      # 2.5..7.5 m ahead, one lane left.
    car = _block((11, 12), (3, 4, 5))        # 12.5..17.5 m behind, same lane.
    truck = _block(range(6), (7, 8))         # 2.5..14.5 m ahead, lane right.
    self.assertEqual(_cells(grid), agent_1 | car | truck)
    for cells, speed in ((agent_1, 25.0), (car, 15.0), (truck, 20.0)):
      for r, c in cells:
        self.assertAlmostEqual(grid[r, c, 1], (speed - 30.0) / 29.0,
                               places=6)
    # agent_1 (centre 62.5, lane 2) sees agent_0 behind and to the right.
    self.assertEqual(_cells(_grid(obs["agent_1"])) & _block(range(13),
                                                            range(5, 9)),
                     _block((7, 8, 9), (7, 8)))
    np.testing.assert_allclose(
        obs["agent_0"][:7],
        [30 / 29, (6 - 10) / 12, (190 - 60) / 190, 0, 0, 1, 0], rtol=1e-6)
    np.testing.assert_allclose(
        obs["state"], [0.3, LANE_Y[1] / 12.8, 30 / 29,
                       0.325, LANE_Y[2] / 12.8, 25 / 29], rtol=1e-6)

  def test_arrival_in_the_goal_lane_and_termination(self):
    self.env.set_scene(agents=[(2, 185.0, 30.0), (0, 187.0, 30.0)],
                       goals=[2, 1])
    step = _step(self.env, NOOP, NOOP)          # Both pass x = 190.
    np.testing.assert_allclose(step.reward, [10.0, 10.0 * (1 - 4 / 12)],
                               rtol=1e-6)
    self.assertTrue(step.is_last())
    self.assertEqual(float(step.discount), 0.0)
    events = self.env.last_episode_events
    np.testing.assert_array_equal(events["arrived"], [1, 1])
    np.testing.assert_allclose(events["delta"], [0.0, 4 / 12])

  def test_arrival_off_centre_and_frozen_arrived_agent(self):
    self.env.set_scene(agents=[(2, 179.0, 30.0), (0, 20.0, 30.0)],
                       goals=[2, 0])
    step = _step(self.env, LEFT, NOOP)          # One sub-lane left: 185 m.
    np.testing.assert_allclose(step.reward, [0.0, 0.0])
    step = _step(self.env, NOOP, NOOP)          # 191 m, Delta = 1/12.
    np.testing.assert_allclose(step.reward, [10.0 * (1 - 1 / 12), 0.0],
                               rtol=1e-6)
    self.assertFalse(step.is_last())
    arrived = step.observation["agent_0"].copy()
    step = _step(self.env, ACCELERATE, NOOP)    # Ignored: it has left.
    np.testing.assert_allclose(step.reward, [0.0, 0.0])
    np.testing.assert_array_equal(step.observation["agent_0"], arrived)
    self.assertNotIn("agent_0", self.env.vehicles())
    np.testing.assert_array_equal(self.env.get_info()["arrived"], [1, 0])

  def test_timeout(self):
    self.env.set_scene(agents=[(1, 0.0, 0.0), (2, 0.0, 0.0)], goals=[1, 2])
    for _ in range(merge.MAX_STEPS - 1):
      step = _step(self.env, NOOP, NOOP)
      np.testing.assert_array_equal(step.reward, [0.0, 0.0])
    step = _step(self.env, NOOP, NOOP)
    self.assertTrue(step.is_last())
    self.assertEqual(float(step.discount), 0.0)
    np.testing.assert_array_equal(step.reward, [-10.0, -10.0])
    np.testing.assert_array_equal(self.env.last_episode_events["arrived"],
                                  [0, 0])

  def test_time_limit_of_the_thesis(self):
    self.assertEqual(merge.MAX_STEPS, 40)      # CM3's code.
    env = merge.DoubleLaneMerge(backend="traci", seed=0,
                                max_steps=merge.THESIS_MAX_STEPS)
    try:
      env.reset()
      env.set_scene(agents=[(1, 0.0, 0.0), (2, 0.0, 0.0)], goals=[1, 2])
      for _ in range(32):
        step = _step(env, NOOP, NOOP)
        self.assertFalse(step.is_last())
        np.testing.assert_array_equal(step.reward, [0.0, 0.0])
      step = _step(env, NOOP, NOOP)
      self.assertTrue(step.is_last())
      np.testing.assert_array_equal(step.reward, [-10.0, -10.0])
    finally:
      env.close()

  def test_collision(self):
    self.env.set_scene(agents=[(1, 50.0, 30.0), (2, 50.0, 30.0)],
                       goals=[1, 2])
    step = _step(self.env, LEFT, NOOP)          # 2.4 m apart: no contact.
    np.testing.assert_array_equal(step.reward, [0.0, 0.0])
    step = _step(self.env, LEFT, NOOP)          # 1.6 m < 1.8 m: contact.
    np.testing.assert_array_equal(step.reward, [-1.0, -1.0])
    step = _step(self.env, RIGHT, NOOP)
    np.testing.assert_array_equal(step.reward, [0.0, 0.0])
    np.testing.assert_array_equal(self.env.get_info()["collisions"], [1, 1])

  def test_collision_with_sumo_traffic(self):
    self.env.set_scene(agents=[(1, 0.0, 40.0), (3, 0.0, 30.0)],
                       goals=[1, 3], traffic=[("car", 1, 100.0, 10.0)])
    rewards = []
    for _ in range(22):                         # Catches up by x = 150 m.
      rewards.append(round(float(_step(self.env, NOOP, NOOP).reward[0]), 5))
    # Speeding all along, and -1 more while it drives through the car.
    self.assertEqual(set(rewards), {-0.1, -1.1})
    self.assertGreaterEqual(self.env.get_info()["collisions"][0], 1)

  def test_speeding(self):
    self.env.set_scene(agents=[(1, 0.0, 35.5), (2, 0.0, 30.0)], goals=[1, 2])
    step = _step(self.env, NOOP, NOOP)
    np.testing.assert_array_equal(step.reward, [0.0, 0.0])
    step = _step(self.env, ACCELERATE, ACCELERATE)   # 36.0 and 30.5 m/s.
    np.testing.assert_allclose(step.reward, [-0.1, 0.0])
    self.assertAlmostEqual(self.env.vehicles()["agent_0"][2], 36.0)
    step = _step(self.env, DECELERATE, NOOP)         # 35.5 m/s.
    np.testing.assert_allclose(step.reward, [0.0, 0.0])
    np.testing.assert_array_equal(self.env.get_info()["speeding"], [1, 0])

  def test_sublane_actions_stay_on_the_road(self):
    self.env.set_scene(agents=[(0, 0.0, 30.0), (3, 0.0, 30.0)], goals=[0, 3])
    step = _step(self.env, RIGHT, LEFT)              # Would leave the road.
    y = step.observation["state"].reshape(2, 3)[:, 1] * 12.8
    np.testing.assert_allclose(y, [LANE_Y[0], LANE_Y[3]], atol=1e-6)
    step = _step(self.env, LEFT, RIGHT)
    y = step.observation["state"].reshape(2, 3)[:, 1] * 12.8
    np.testing.assert_allclose(y, [LANE_Y[0] + 0.8, LANE_Y[3] - 0.8],
                               atol=1e-6)


class LayoutTest(absltest.TestCase):

  def test_multigoal_parts_match_observation_and_state(self):
    for kwargs in ({}, {"stage1": True}):
      env = registry.make("sumo_merge", seed=1, **kwargs)
      try:
        parts = env.multigoal_parts
        step = env.reset()
        for agent_id in env.agent_ids:
          obs = step.observation[agent_id]
          self.assertEqual(obs.shape, (parts.observation_size,))
          self.assertEqual(obs.dtype, np.float32)
          o_self, goal, others = parts.split_observation(obs)
          self.assertLen(o_self, 3)
          np.testing.assert_array_equal(goal, np.eye(4)[
              env.goals[env.agent_ids.index(agent_id)]])
          self.assertLen(others, parts.others_size)
        self.assertEqual(step.observation["state"].shape,
                         (parts.state_size,))
        env_part, agents = parts.split_state(step.observation["state"])
        self.assertEqual(env_part.shape, (0,))
        self.assertEqual(agents.shape, (env.num_agents, 3))
        if kwargs:
          self.assertEqual((parts.num_agents, parts.others_size), (1, 0))
          self.assertIsNone(parts.others_image_shape)
        else:
          self.assertEqual(parts.others_image_shape, (13, 9, 2))
          self.assertEqual(parts.others_size, 13 * 9 * 2)
      finally:
        env.close()

  def test_specs_validate(self):
    with merge.DoubleLaneMerge(seed=2, config="C2") as env:
      env_utils.validate_py_environment(env, episodes=2)

  def test_stage1_is_the_single_agent_mdp(self):
    env = merge.DoubleLaneMerge(stage1=True, seed=3)
    try:
      lanes, goals = set(), set()
      for _ in range(6):
        env.reset()
        lanes.add(int(env.initial_lanes[0]))
        goals.add(int(env.goals[0]))
        self.assertEqual(list(env.vehicles()), ["agent_0"])
      self.assertGreater(len(lanes), 1)
      self.assertGreater(len(goals), 1)
    finally:
      env.close()
    with self.assertRaises(ValueError):
      merge.DoubleLaneMerge(stage1=True, num_agents=2)

  def test_configurations_start_in_their_lanes(self):
    expected = {"C1": ([1, 2], [3, 0]), "C3": ([1, 2], [2, 1]),
                "C4": ([0, 1], [3, 2])}
    for config in ("C1", "C2", "C3", "C4"):
      env = merge.DoubleLaneMerge(config=config, seed=4)
      try:
        for _ in range(2):
          env.reset()
          lanes, goals = env.initial_lanes, env.goals
          if config in expected:
            np.testing.assert_array_equal(lanes, expected[config][0])
            np.testing.assert_array_equal(goals, expected[config][1])
          else:
            self.assertLen(set(lanes.tolist()), 2)
            self.assertTrue(set(goals.tolist()) <= {0, 1, 2, 3})
          vehicles = env.vehicles()
          y = [vehicles[a][1] for a in env.agent_ids]
          np.testing.assert_allclose(y, LANE_Y[lanes], atol=1e-6)
          traffic = [v for v in vehicles if not v.startswith("agent")]
          self.assertGreater(len(traffic), 2, config)   # Heavy traffic.
      finally:
        env.close()

  def test_train_start_mixes_fixed_and_random(self):
    env = merge.DoubleLaneMerge(seed=5)
    try:
      fixed = 0
      for _ in range(10):
        env.reset()
        fixed += (env.initial_lanes.tolist() == [1, 2]
                  and env.goals.tolist() == [2, 1])
        vehicles = env.vehicles()
        self.assertLen(vehicles, 2)                     # Empty road.
        # Staggered departures: the last at x = 0, the first <= 60 m ahead.
        x = sorted(vehicles[a][0] for a in env.agent_ids)
        self.assertEqual(x[0], 0.0)
        self.assertBetween(x[1], 0.0, 60.0)
      self.assertBetween(fixed, 5, 10)
    finally:
      env.close()

  def test_bad_arguments(self):
    for kwargs in ({"config": "C5"}, {"backend": "gui"},
                   {"num_agents": 5}, {"config": "C1", "num_agents": 3},
                   {"num_agents": 3, "prob_random": 0.5},
                   {"stage1": True, "traffic": True}):
      with self.assertRaises(ValueError, msg=str(kwargs)):
        merge.DoubleLaneMerge(**kwargs)


class SelfishPolicyTest(absltest.TestCase):

  def test_steers_to_its_own_goal_lane_and_keeps_speed(self):
    obs = np.zeros((3, 7), np.float32)
    obs[:, 1] = np.array([2.0, -1.0, 0.0]) / merge.MAX_SUBLANE_OFFSET
    np.testing.assert_array_equal(merge.selfish_actions(obs),
                                  [RIGHT, LEFT, NOOP])

  def test_reaches_the_goal_lane_centre_on_an_empty_road(self):
    env = merge.DoubleLaneMerge(backend="traci", seed=0)
    try:
      env.reset()
      observation = env.set_scene(agents=[(1, 60.0, 30.0), (2, 20.0, 30.0)],
                                  goals=[3, 0])
      total = np.zeros(2)
      for _ in range(merge.MAX_STEPS):
        actions = merge.selfish_actions(
            np.stack([observation[a] for a in env.agent_ids]))
        step = env.step(dict(zip(env.agent_ids, actions)))
        total += step.reward
        if step.is_last():
          break
        observation = step.observation
      self.assertTrue(step.is_last())
      np.testing.assert_allclose(total, [10.0, 10.0], rtol=1e-6)
    finally:
      env.close()


class DeterminismTest(absltest.TestCase):

  def test_same_seed_same_episodes(self):
    actions = np.random.default_rng(0).integers(0, 5, (merge.MAX_STEPS, 2))
    first = merge.DoubleLaneMerge(config="C2", seed=11)
    second = merge.DoubleLaneMerge(config="C2", seed=11)  # Both live.
    try:
      obs_a, rew_a = _episode(first, actions)
      obs_b, rew_b = _episode(second, actions)
      np.testing.assert_array_equal(obs_a, obs_b)
      np.testing.assert_array_equal(rew_a, rew_b)
      first.seed(11)                              # Reload, not a new start.
      obs_c, rew_c = _episode(first, actions)
      np.testing.assert_array_equal(obs_a, obs_c)
      np.testing.assert_array_equal(rew_a, rew_c)
      obs_d, _ = _episode(first, actions)
      self.assertFalse(np.array_equal(obs_a[:1], obs_d[:1]))
    finally:
      first.close()
      second.close()

  def test_libsumo_matches_traci(self):
    """One seeded episode in heavy traffic, libsumo in a subprocess."""
    actions = np.random.default_rng(1).integers(0, 5, (merge.MAX_STEPS, 2))
    with tempfile.TemporaryDirectory() as tmp:
      out = os.path.join(tmp, "libsumo.npz")
      script = textwrap.dedent(f"""
          import json, numpy as np
          from environments.sumo import merge
          from tests import sumo_test
          actions = np.array({actions.tolist()})
          env = merge.DoubleLaneMerge(backend="libsumo", config="C1", seed=9)
          obs, rewards = sumo_test._episode(env, actions)
          other = merge.DoubleLaneMerge(backend="libsumo", seed=0)
          try:
            other.reset()
            refused = ""
          except RuntimeError as e:
            refused = str(e)
          env.close()
          other.reset()       # Free again once the first one is closed.
          other.close()
          np.savez({out!r}, obs=obs, rewards=rewards)
          print(json.dumps({{"refused": refused}}))
          """)
      result = subprocess.run([sys.executable, "-c", script], cwd=REPO,
                              capture_output=True, text=True, timeout=120,
                              check=False,
                              env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
      self.assertEqual(result.returncode, 0, result.stderr[-3000:])
      report = json.loads(result.stdout.strip().splitlines()[-1])
      self.assertIn("one simulation per process", report["refused"])
      with np.load(out) as theirs:
        lib_obs, lib_rewards = theirs["obs"], theirs["rewards"]
    env = merge.DoubleLaneMerge(backend="traci", config="C1", seed=9)
    try:
      obs, rewards = _episode(env, actions)
    finally:
      env.close()
    np.testing.assert_array_equal(obs, lib_obs)
    np.testing.assert_array_equal(rewards, lib_rewards)


class ProcessTest(absltest.TestCase):

  def test_killed_sumo_is_reported_and_restarted(self):
    env = merge.DoubleLaneMerge(seed=6)
    run_dir = env.scenario_files.run_dir
    try:
      env.reset()
      pid = env.sumo_pid
      self.assertEqual(_sumo_children(), [pid])
      os.kill(pid, signal.SIGKILL)
      with self.assertRaisesRegex(RuntimeError, "SUMO"):
        _step(env, NOOP, NOOP)
      self.assertEqual(_sumo_children(), [])       # Reaped: no zombie.
      step = env.reset()                           # A fresh sumo.
      self.assertNotEqual(env.sumo_pid, pid)
      self.assertEqual(_sumo_children(), [env.sumo_pid])
      step = _step(env, NOOP, NOOP)
      self.assertFalse(step.is_last())
      os.kill(env.sumo_pid, signal.SIGKILL)        # Dies between episodes.
      env.reset()
      _step(env, NOOP, NOOP)
      self.assertLen(_sumo_children(), 1)
    finally:
      env.close()
      env.close()                                  # Idempotent.
    self.assertEqual(_sumo_children(), [])
    self.assertFalse(os.path.exists(run_dir))

  def test_lost_port_race_starts_again(self):
    blocker = socket.socket()           # Bound, not listening: sumo's bind
    blocker.bind(("localhost", 0))      # fails and it exits.
    blocked = blocker.getsockname()[1]
    ports = [blocked]
    free_port = connection.free_port
    env = merge.DoubleLaneMerge(seed=8)
    try:
      with mock.patch.object(connection, "free_port",
                             lambda: ports.pop() if ports else free_port()):
        env.reset()
      port = env._conn.port  # pylint: disable=protected-access
      self.assertNotEqual(port, blocked)
      self.assertFalse(_step(env, NOOP, NOOP).is_last())
      with open(os.path.join(env.scenario_files.run_dir, "sumo.log")) as f:
        self.assertIn("Address already in use", f.read())
      self.assertLen(_sumo_children(), 1)
    finally:
      env.close()
      blocker.close()
    self.assertEqual(_sumo_children(), [])

  def test_interrupt_closes_sumo(self):
    env = merge.DoubleLaneMerge(seed=7)
    try:
      env.reset()
      conn = env._conn  # pylint: disable=protected-access

      def interrupted():
        raise KeyboardInterrupt

      conn.step = interrupted
      with self.assertRaises(KeyboardInterrupt):
        _step(env, NOOP, NOOP)
      self.assertEqual(_sumo_children(), [])
      self.assertIsNone(env.sumo_pid)
      env.reset()
      self.assertLen(_sumo_children(), 1)
    finally:
      env.close()
    self.assertEqual(_sumo_children(), [])

  def test_nothing_left_behind(self):
    self.assertEqual(_sumo_children(), [])


if __name__ == "__main__":
  absltest.main()

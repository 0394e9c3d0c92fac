"""Cooperative navigation with MPE physics (CM3 variants), on built scenes."""

import warnings

import numpy as np
from absl.testing import absltest
from absl.testing import parameterized
from pettingzoo.test import parallel_api_test
from pettingzoo.test import parallel_seed_test
from tf_agents.environments import utils as env_utils
from tf_agents.trajectories import time_step as ts

from benchmarks import particle_speed
from environments import adapters
from environments import registry
from environments.particle import navigation as nav
from environments.particle import physics

NOOP, LEFT, RIGHT, DOWN, UP = range(5)
DT, KEEP, GAIN = 0.1, 0.75, 5.0 * 0.1  # dt, 1 - damping, sensitivity * dt
FAR = ((-0.9, -0.9), (0.9, 0.9), (-0.9, 0.9), (0.9, -0.9))


def _step(env, *actions):
  return env.step({a: np.int32(x) for a, x in zip(env.agent_ids, actions)})


def _scene(scenario, agents, landmarks, velocities=None, **kwargs):
  env = nav.CooperativeNavigation(scenario, seed=0, **kwargs)
  env.reset()
  env.set_scene(np.array(agents, float), np.array(landmarks, float),
                None if velocities is None else np.array(velocities, float))
  return env


def _state(step):
  """``[N, 4]`` rows ``[vel, pos]`` of the global state."""
  return step.observation["state"].reshape(-1, 4)


def _closed_form_force(p_a, p_b, radii=0.3, margin=1e-3, strength=1e2):
  """MPE's contact force on a from b, straight from the formula."""
  delta = np.subtract(p_a, p_b)
  dist = np.linalg.norm(delta)
  penetration = margin * np.log1p(np.exp(-(dist - radii) / margin))
  return strength * delta / dist * penetration


class PhysicsTest(absltest.TestCase):

  def _world(self):
    # Two agents (radius 0.15) and a landmark (radius 0.05, no collisions).
    return physics.World(sizes=[0.15, 0.15, 0.05],
                         movable=[True, True, False],
                         collide=[True, True, False])

  def test_contact_force_matches_closed_form(self):
    world = self._world()
    for p_b in ((0.2, 0.0), (0.1, 0.05), (0.3, 0.1), (0.31, 0.0)):
      world.set_state([(0.0, 0.0), p_b, (0.05, 0.0)])   # Landmark overlaps.
      forces = world.contact_forces()
      expected = _closed_form_force((0.0, 0.0), p_b)
      np.testing.assert_allclose(forces[0], expected, rtol=1e-9, atol=1e-30)
      np.testing.assert_allclose(forces[1], -expected, rtol=1e-9, atol=1e-30)
      np.testing.assert_array_equal(forces[2], [0.0, 0.0])
    world.set_state([(0.0, 0.0), (0.2, 0.0), (5.0, 5.0)])
    self.assertAlmostEqual(world.contact_forces()[0, 0], -10.0, places=6)

  def test_coincident_discs_feel_no_force(self):
    world = self._world()
    world.set_state([(0.1, 0.1), (0.1, 0.1), (0.1, 0.1)])
    np.testing.assert_array_equal(world.contact_forces(), np.zeros((3, 2)))

  def test_integration_with_contact(self):
    world = self._world()
    world.set_state([(0.0, 0.0), (0.2, 0.0), (0.0, 0.0)],
                    vel=[(1.0, 0.0), (0.0, 0.0), (3.0, 3.0)])
    force = _closed_form_force((0.0, 0.0), (0.2, 0.0))
    actions = np.array([(0.0, 5.0), (0.0, 0.0), (9.0, 9.0)])
    world.step(actions)
    vel_0 = np.array([1.0, 0.0]) * KEEP + (actions[0] + force) * DT
    np.testing.assert_allclose(world.vel[0], vel_0)
    np.testing.assert_allclose(world.vel[1], -force * DT)
    np.testing.assert_allclose(world.pos[0], vel_0 * DT)
    np.testing.assert_allclose(world.pos[1], (0.2, 0.0) - force * DT * DT)
    np.testing.assert_array_equal(world.pos[2], [0.0, 0.0])  # Immovable.
    np.testing.assert_array_equal(world.vel[2], [0.0, 0.0])

  def test_overlaps(self):
    world = self._world()
    world.set_state([(0.0, 0.0), (0.29, 0.0), (0.0, 0.0)])
    np.testing.assert_array_equal(world.overlaps(), [[0, 1, 0], [1, 0, 0],
                                                     [0, 0, 0]])
    world.set_state([(0.0, 0.0), (0.31, 0.0), (0.0, 0.0)])
    self.assertFalse(world.overlaps().any())


class NavigationTest(parameterized.TestCase):

  @parameterized.parameters("antipodal", "cross", "merge", "stage1", "spread")
  def test_specs_validate(self, scenario):
    env = nav.CooperativeNavigation(scenario, seed=0)
    env_utils.validate_py_environment(env, episodes=2)

  def test_one_step_by_hand(self):
    agents = np.array([(0.0, 0.0), (0.5, 0.5), (-0.5, 0.5), (0.5, -0.5)])
    velocities = np.array([(0.4, -0.2), (0.0, 0.1), (-0.3, 0.0), (0.0, 0.0)])
    env = _scene("antipodal", agents, FAR, velocities)
    step = _step(env, RIGHT, UP, NOOP, LEFT)
    u = np.array([(1.0, 0.0), (0.0, 1.0), (0.0, 0.0), (-1.0, 0.0)])
    vel = velocities * KEEP + u * GAIN
    pos = agents + vel * DT
    np.testing.assert_allclose(_state(step), np.hstack([vel, pos]),
                               rtol=1e-6)

  def test_action_directions(self):
    # CM3's integer input: 1 = -x, 2 = +x, 3 = -y, 4 = +y.
    for action, direction in ((LEFT, (-1, 0)), (RIGHT, (1, 0)),
                              (DOWN, (0, -1)), (UP, (0, 1)), (NOOP, (0, 0))):
      env = _scene("stage1", [(0.0, 0.0)], [(0.9, 0.9)])
      vel = _state(_step(env, action))[0, :2]
      np.testing.assert_allclose(vel, np.multiply(direction, GAIN), atol=1e-7)

  def test_contact_in_the_environment(self):
    env = _scene("merge", [(0.0, 0.0), (0.2, 0.0)], [(0.9, 0.9), (-0.9, 0.9)])
    force = _closed_form_force((0.0, 0.0), (0.2, 0.0))
    state = _state(_step(env, NOOP, NOOP))
    np.testing.assert_allclose(state[0, :2], force * DT, rtol=1e-6)
    np.testing.assert_allclose(state[1, :2], -force * DT, rtol=1e-6)

  def test_reward_is_distance_and_one_per_other_colliding_agent(self):
    # Agents 1 and 2 close in on agent 0 from both sides; agent 3 is alone.
    agents = [(0.0, 0.0), (0.4, 0.0), (-0.4, 0.0), (0.5, -0.5)]
    velocities = [(0.0, 0.0), (-2.0, 0.0), (2.0, 0.0), (0.0, 0.0)]
    env = _scene("antipodal", agents, FAR, velocities)
    step = _step(env, NOOP, NOOP, NOOP, NOOP)
    pos = _state(step)[:, 2:]
    np.testing.assert_allclose(pos[:3, 0], [0.0, 0.25, -0.25], atol=1e-6)
    distance = np.linalg.norm(pos - np.array(FAR), axis=1)
    np.testing.assert_allclose(step.reward, -distance - [2, 1, 1, 0],
                               rtol=1e-6)
    self.assertLess(step.reward[3], -0.5)       # No self-collision penalty.
    np.testing.assert_array_equal(env.get_info()["collisions"], [2, 1, 1, 0])

  def test_terminates_when_all_within_threshold(self):
    goals = np.array(FAR)
    offsets = np.array([(0.049, 0.0), (0.0, -0.03), (0.0, 0.0), (0.02, 0.02)])
    env = _scene("antipodal", goals + offsets, goals)
    step = _step(env, NOOP, NOOP, NOOP, NOOP)
    self.assertEqual(step.step_type, ts.StepType.LAST)
    self.assertEqual(step.discount, 0.0)
    np.testing.assert_allclose(step.reward, -np.linalg.norm(offsets, axis=1),
                               rtol=1e-6)
    events = env.last_episode_events
    np.testing.assert_array_equal(events["reached"], [1, 1, 1, 1])
    np.testing.assert_array_equal(events["steps_to_reach"], [1, 1, 1, 1])
    self.assertEqual(events["solved"], 1)
    offsets[0] = (0.06, 0.0)
    env = _scene("antipodal", goals + offsets, goals)
    step = _step(env, NOOP, NOOP, NOOP, NOOP)
    self.assertEqual(step.step_type, ts.StepType.MID)
    np.testing.assert_array_equal(env.get_info()["reached"], [0, 1, 1, 1])

  def test_truncates_at_max_steps(self):
    env = _scene("antipodal", np.array(FAR) * 0.5, FAR, max_steps=3)
    for _ in range(2):
      self.assertEqual(_step(env, 0, 0, 0, 0).step_type, ts.StepType.MID)
    step = _step(env, 0, 0, 0, 0)
    self.assertEqual(step.step_type, ts.StepType.LAST)
    self.assertEqual(step.discount, 1.0)
    events = env.last_episode_events
    np.testing.assert_array_equal(events["steps_to_reach"], [3, 3, 3, 3])
    self.assertEqual(events["solved"], 0)
    self.assertEqual(nav.CooperativeNavigation("cross").max_steps, 50)
    self.assertEqual(nav.CooperativeNavigation("stage1").max_steps, 25)

  def _reach_scene(self, **kwargs):
    """Agent 0 reaches at step 1 and pushes on; agent 1 arrives at step 2.

    Agent 1 starts 0.13125 left of its landmark at speed 1: it covers
    0.075 + 0.05625 in two no-op steps.
    """
    goals = [(0.0, 0.5), (0.0, -0.5)]
    agents = [(-0.02, 0.5), (-0.13125, -0.5)]
    env = _scene("merge", agents, goals, [(0.0, 0.0), (1.0, 0.0)], **kwargs)
    first = _step(env, RIGHT, NOOP)
    self.assertAlmostEqual(first.reward[0], -0.03, places=6)
    return env, first

  def test_reached_agents_keep_moving_by_default(self):
    env, first = self._reach_scene()
    self.assertFalse(first.is_last())
    step = _step(env, RIGHT, NOOP)
    self.assertFalse(step.is_last())            # Agent 0 has left again.
    self.assertAlmostEqual(_state(step)[0, 2], 0.03 + 0.0875, places=6)
    self.assertAlmostEqual(step.reward[0], -(0.03 + 0.0875), places=6)
    self.assertAlmostEqual(step.reward[1], 0.0, places=6)
    np.testing.assert_array_equal(env.get_info()["reached"], [0, 1])
    np.testing.assert_array_equal(env.get_info()["steps_to_reach"], [1, 2])

  def test_freeze_reached(self):
    env, first = self._reach_scene(freeze_reached=True)
    self.assertFalse(first.is_last())
    step = _step(env, RIGHT, NOOP)
    self.assertTrue(step.is_last())
    self.assertEqual(step.discount, 0.0)
    np.testing.assert_allclose(_state(step)[0], [0.0, 0.0, 0.03, 0.5],
                               atol=1e-7)
    self.assertEqual(step.reward[0], 0.0)
    self.assertAlmostEqual(step.reward[1], 0.0, places=6)
    # A new episode thaws everyone.
    step = _step(env, RIGHT, RIGHT)
    self.assertTrue(step.is_first())
    step = _step(env, RIGHT, RIGHT)
    self.assertTrue(np.all(_state(step)[:, 0] > 0.0))

  @parameterized.parameters("antipodal", "cross", "merge", "stage1")
  def test_predefined_starts(self, scenario):
    spec = nav.SCENARIOS[scenario]
    env = nav.CooperativeNavigation(scenario, prob_random=0.0, initial_std=0.0,
                                    seed=0)
    step = env.reset()
    np.testing.assert_allclose(_state(step)[:, 2:], spec.agents, atol=1e-7)
    np.testing.assert_array_equal(_state(step)[:, :2], 0.0)
    np.testing.assert_allclose(env.goals, spec.landmarks)
    parts = env.multigoal_parts
    for i, agent in enumerate(env.agent_ids):
      _, goal, _ = parts.split_observation(step.observation[agent])
      np.testing.assert_allclose(goal, spec.landmarks[i], atol=1e-7)

  def test_start_values_of_the_sources(self):
    self.assertEqual(nav.SCENARIOS["antipodal"].agents[2], (-0.9, 0.9))
    self.assertEqual(nav.SCENARIOS["cross"].landmarks[3], (-0.15, -0.9))
    self.assertEqual(nav.SCENARIOS["merge"].agents, ((-0.9, 0.2), (-0.9, -0.2)))
    self.assertEqual(nav.SCENARIOS["merge"].initial_std, 0.05)
    self.assertEqual(nav.SCENARIOS["stage1"].landmarks, ((1.0, 1.0),))

  def test_merge_noise_and_random_start_share(self):
    env = nav.CooperativeNavigation("merge", seed=1)
    fixed, starts = 0, []
    for _ in range(400):
      step = env.reset()
      if np.array_equal(env.goals, nav.SCENARIOS["merge"].landmarks):
        fixed += 1
        starts.append(_state(step)[:, 2:])
    self.assertBetween(fixed / 400, 0.72, 0.88)        # 1 - prob_random.
    noise = np.array(starts) - nav.SCENARIOS["merge"].agents
    self.assertBetween(noise.std(), 0.04, 0.06)
    self.assertLess(abs(noise.mean()), 0.01)

  def test_stage1(self):
    env = nav.CooperativeNavigation("stage1", seed=0)
    parts = env.multigoal_parts
    self.assertEqual((parts.num_agents, parts.others_size), (1, 0))
    self.assertEqual(parts.observation_size, 6)
    self.assertEqual(parts.state_size, 4)
    self.assertEqual(env.observation_spec()["agent_0"].shape, (6,))
    self.assertEqual(env.observation_spec()["state"].shape, (4,))
    for _ in range(20):                      # Always a uniform random start.
      step = env.reset()
      self.assertTrue(np.all(np.abs(_state(step)[:, 2:]) < 1.0))
      self.assertTrue(np.all(np.abs(env.goals) < 1.0))
      self.assertFalse(np.allclose(env.goals, [(1.0, 1.0)]))

  @parameterized.parameters(("antipodal", None), ("merge", None),
                            ("stage1", None), ("spread", 5))
  def test_observation_layout_matches_parts(self, scenario, num_agents):
    env = nav.CooperativeNavigation(scenario, num_agents=num_agents, seed=2)
    parts = env.multigoal_parts
    n = env.num_agents
    self.assertEqual(parts.num_agents, n)
    self.assertEqual((parts.self_size, parts.goal_size), (4, 2))
    self.assertEqual(parts.others_size, 4 * (n - 1))
    self.assertEqual((parts.env_state_size, parts.agent_state_size), (0, 4))
    specs = env.observation_spec()
    self.assertEqual(specs["agent_0"].shape, (parts.observation_size,))
    self.assertEqual(specs["state"].shape, (parts.state_size,))
    env.reset()
    rng = np.random.default_rng(0)
    for _ in range(5):
      step = _step(env, *rng.integers(0, 5, n))
    vel, pos = env.world.vel[:n], env.world.pos[:n]
    env_part, agent_parts = parts.split_state(step.observation["state"])
    self.assertEqual(env_part.shape, (0,))
    np.testing.assert_allclose(agent_parts, np.hstack([vel, pos]), rtol=1e-6,
                               atol=1e-7)
    for i, agent in enumerate(env.agent_ids):
      own, goal, others = parts.split_observation(step.observation[agent])
      np.testing.assert_allclose(own, np.hstack([vel[i], pos[i]]), rtol=1e-6,
                                 atol=1e-7)
      np.testing.assert_allclose(goal, env.goals[i], rtol=1e-6, atol=1e-7)
      j = [k for k in range(n) if k != i]
      expected = np.hstack([vel[j] - vel[i], pos[j] - pos[i]])
      np.testing.assert_allclose(others.reshape(n - 1, 4), expected,
                                 rtol=1e-5, atol=1e-6)

  def test_same_seed_same_trajectories(self):
    runs = []
    for _ in range(2):
      env = nav.CooperativeNavigation("merge", max_steps=10, seed=3)
      rng = np.random.default_rng(0)
      run = [env.reset()]
      for _ in range(35):                       # Several auto-resets.
        run.append(_step(env, *rng.integers(0, 5, 2)))
      runs.append(run)
    for a, b in zip(*runs):
      self.assertEqual(a.step_type, b.step_type)
      np.testing.assert_array_equal(a.reward, b.reward)
      for key in a.observation:
        np.testing.assert_array_equal(a.observation[key], b.observation[key])
    other = nav.CooperativeNavigation("stage1", seed=4).reset()
    self.assertFalse(np.array_equal(
        other.observation["state"],
        nav.CooperativeNavigation("stage1", seed=3).reset().observation[
            "state"]))

  def test_bad_arguments(self):
    with self.assertRaisesRegex(ValueError, "unknown scenario"):
      nav.CooperativeNavigation("simple_spread")
    with self.assertRaisesRegex(ValueError, "only random starts"):
      nav.CooperativeNavigation("spread", prob_random=0.5)
    with self.assertRaisesRegex(ValueError, "agents"):
      nav.CooperativeNavigation("antipodal", num_agents=3)
    with self.assertRaisesRegex(ValueError, "prob_random"):
      nav.CooperativeNavigation("merge", prob_random=1.5)

  def test_registry_and_alias(self):
    env = registry.make("particle_navigation", scenario="intersection",
                        max_steps=7, prob_random=0.0, seed=0)
    self.assertEqual((env.scenario, env.max_steps, env.num_agents),
                     ("cross", 7, 4))

  def test_render(self):
    env = nav.CooperativeNavigation("antipodal", prob_random=0.0, seed=0)
    env.reset()
    image = env.render()
    self.assertEqual((image.shape, image.dtype), ((200, 200, 3), np.uint8))
    # Agent 0 sits at (-0.9, -0.9): lower left, in the first colour.
    row, col = [int((1.5 + c) / 3.0 * 200) for c in (0.9, -0.9)]
    np.testing.assert_array_equal(image[row, col], nav._COLORS[0])
    np.testing.assert_array_equal(image[100, 100], [255, 255, 255])


class PettingZooTest(absltest.TestCase):

  def test_parallel_api(self):
    for scenario in ("antipodal", "stage1"):
      env = adapters.PettingZooParallelEnv(
          nav.CooperativeNavigation(scenario, seed=0))
      with warnings.catch_warnings():
        warnings.simplefilter("error")
        parallel_api_test(env, num_cycles=60)

  def test_parallel_seed(self):
    parallel_seed_test(lambda: adapters.PettingZooParallelEnv(
        nav.CooperativeNavigation("merge")), num_cycles=20)


class BenchmarkSmokeTest(absltest.TestCase):

  def test_measures(self):
    self.assertGreater(particle_speed.ours_steps_per_s(60), 0.0)
    self.assertGreater(particle_speed.ours_steps_per_s(20, "spread", 3), 0.0)
    if particle_speed.mpe2_available():
      self.assertGreater(particle_speed.mpe2_steps_per_s(20), 0.0)


if __name__ == "__main__":
  absltest.main()

"""Rules, observations and state of CM3 Checkers, on constructed scenes."""

import warnings

import numpy as np
from absl.testing import absltest
from pettingzoo.test import parallel_api_test
from pettingzoo.test import parallel_seed_test
from tf_agents.environments import utils as env_utils

from environments import adapters
from environments import registry
from environments.checkers import checkers as ck

STAY, UP, DOWN, LEFT, RIGHT = range(5)
RED, YELLOW = ck.RED, ck.YELLOW


def _step(env, *actions):
  return env.step({a: np.int32(x) for a, x in zip(env.agent_ids, actions)})


def _only_fruit(*cells):
  """A fruit grid with fruit ``(row, col, colour)`` only.

  Without fruit the next step ends the episode (all fruit collected).
  """
  fruit = np.zeros((3, 9, 2), np.float32)
  for r, c, colour in cells:
    fruit[r, c, colour] = 1.0
  return fruit


def _expected_view(fruit, positions, i):
  """The 5x5x3 view of agent `i`, cell by cell."""
  view = np.zeros((5, 5, 3), np.float32)
  r0, c0 = positions[i]
  others = {tuple(p) for j, p in enumerate(positions) if j != i}
  for dy in range(5):
    for dx in range(5):
      r, c = r0 + dy - 2, c0 + dx - 2
      if not (0 <= r < 3 and 0 <= c < 9):
        view[dy, dx] = (0, 0, 1)
      else:
        view[dy, dx, :2] = fruit[r, c]
        view[dy, dx, 2] = float((r, c) in others)
  return view


def _coords(r, c):
  return np.array([r / 2.0, c / 8.0], np.float32)


class LayoutTest(absltest.TestCase):

  def test_specs_validate(self):
    for kwargs in ({}, {"stage1": True}, {"cm3_code_observations": True},
                   {"raw_state": True, "max_steps": 20}):
      env_utils.validate_py_environment(ck.Checkers(seed=0, **kwargs),
                                        episodes=3)

  def test_initial_layout(self):
    env = ck.Checkers()
    first = env.reset()
    fruit = env.fruit
    self.assertEqual(fruit.sum(), 24)
    self.assertEqual(fruit[..., RED].sum(), 12)
    np.testing.assert_array_equal(fruit[0, :, RED], [1, 0] * 4 + [0])
    np.testing.assert_array_equal(fruit[1, :, RED], [0, 1] * 4 + [0])
    np.testing.assert_array_equal(fruit[2, :, RED], [1, 0] * 4 + [0])
    np.testing.assert_array_equal(fruit[..., YELLOW][:, :8],
                                  1 - fruit[..., RED][:, :8])
    np.testing.assert_array_equal(fruit[:, 8], np.zeros((3, 2)))
    np.testing.assert_array_equal(env.positions, [[0, 8], [2, 8]])
    np.testing.assert_array_equal(env.goals, [RED, YELLOW])
    np.testing.assert_array_equal(first.observation["agent_0"][84:86], [1, 0])
    np.testing.assert_array_equal(first.observation["agent_1"][84:86], [0, 1])

  def test_multigoal_parts(self):
    parts = ck.Checkers().multigoal_parts
    self.assertEqual((parts.num_agents, parts.self_size, parts.goal_size,
                      parts.others_size, parts.env_state_size,
                      parts.agent_state_size), (2, 84, 2, 2, 54, 4))
    self.assertEqual(parts.self_image_shape, (5, 5, 3))
    self.assertEqual(parts.env_image_shape, (3, 9, 2))
    stage1 = ck.Checkers(stage1=True).multigoal_parts
    self.assertEqual((stage1.num_agents, stage1.others_size), (1, 0))
    for name in ("self_size", "goal_size", "env_state_size",
                 "agent_state_size", "self_image_shape", "env_image_shape"):
      self.assertEqual(getattr(stage1, name), getattr(parts, name))
    for env in (ck.Checkers(), ck.Checkers(stage1=True)):
      specs = env.observation_spec()
      self.assertEqual(specs["state"].shape, (env.multigoal_parts.state_size,))
      for a in env.agent_ids:
        self.assertEqual(specs[a].shape,
                         (env.multigoal_parts.observation_size,))


class RulesTest(absltest.TestCase):

  def test_goal_and_other_fruit_rewards(self):
    env = ck.Checkers()
    env.reset()
    t = _step(env, LEFT, LEFT)  # Both enter yellow cells (0, 7), (2, 7).
    np.testing.assert_allclose(t.reward, [-0.5, 1.0])
    np.testing.assert_array_equal(env.positions, [[0, 7], [2, 7]])
    self.assertEqual(env.fruit[0, 7].sum() + env.fruit[2, 7].sum(), 0)
    self.assertEqual(env.fruit.sum(), 22)
    t = _step(env, LEFT, LEFT)  # Red cells (0, 6), (2, 6).
    np.testing.assert_allclose(t.reward, [1.0, -0.5])
    t = _step(env, RIGHT, STAY)  # Back to a collected cell: nothing.
    np.testing.assert_allclose(t.reward, [0.0, 0.0])
    events = env.get_info()
    np.testing.assert_array_equal(events["red"], [1, 1])
    np.testing.assert_array_equal(events["yellow"], [1, 1])
    np.testing.assert_array_equal(events["invalid"], [0, 0])

  def test_walls_are_invalid(self):
    env = ck.Checkers()
    env.reset()
    t = _step(env, UP, DOWN)
    np.testing.assert_allclose(t.reward, [-0.1, -0.1])
    t = _step(env, RIGHT, RIGHT)
    np.testing.assert_allclose(t.reward, [-0.1, -0.1])
    np.testing.assert_array_equal(env.positions, [[0, 8], [2, 8]])
    env.set_scene(positions=[[0, 0], [2, 0]], fruit=_only_fruit((1, 5, RED)))
    t = _step(env, LEFT, LEFT)
    np.testing.assert_allclose(t.reward, [-0.1, -0.1])
    np.testing.assert_array_equal(env.positions, [[0, 0], [2, 0]])
    np.testing.assert_array_equal(env.get_info()["invalid"], [3, 3])

  def test_moving_into_the_other_agent_is_invalid(self):
    env = ck.Checkers()
    env.reset()
    env.set_scene(positions=[[0, 8], [1, 8]])
    t = _step(env, DOWN, UP)
    np.testing.assert_allclose(t.reward, [-0.1, -0.1])
    np.testing.assert_array_equal(env.positions, [[0, 8], [1, 8]])

  def test_invalid_move_reward_is_a_parameter(self):
    env = ck.Checkers(invalid_move_reward=0.0)
    env.reset()
    np.testing.assert_allclose(_step(env, UP, DOWN).reward, [0.0, 0.0])
    np.testing.assert_array_equal(env.get_info()["invalid"], [1, 1])

  def test_agents_move_in_index_order(self):
    env = ck.Checkers()
    env.reset()
    # Agent 0 takes (1, 8) first, so agent 1 cannot enter it.
    t = _step(env, DOWN, UP)
    np.testing.assert_allclose(t.reward, [0.0, -0.1])
    np.testing.assert_array_equal(env.positions, [[1, 8], [2, 8]])
    # Agent 1 may enter the cell that agent 0 has just left ...
    env.set_scene(positions=[[0, 8], [1, 8]], fruit=_only_fruit((2, 0, RED)))
    t = _step(env, LEFT, UP)
    np.testing.assert_allclose(t.reward, [0.0, 0.0])
    np.testing.assert_array_equal(env.positions, [[0, 7], [0, 8]])
    # ... but agent 0 may not enter the cell that agent 1 is about to leave.
    env.set_scene(positions=[[0, 8], [1, 8]])
    t = _step(env, DOWN, DOWN)
    np.testing.assert_allclose(t.reward, [-0.1, 0.0])
    np.testing.assert_array_equal(env.positions, [[0, 8], [2, 8]])

  def test_first_mover_takes_the_fruit(self):
    env = ck.Checkers()
    env.reset()
    env.set_scene(positions=[[0, 3], [1, 2]],
                  fruit=_only_fruit((1, 3, YELLOW), (2, 0, RED)))
    t = _step(env, DOWN, RIGHT)  # Both aim at (1, 3); agent 0 gets there.
    np.testing.assert_allclose(t.reward, [-0.5, -0.1])
    self.assertEqual(env.fruit.sum(), 1)

  def test_termination_when_all_fruit_is_collected(self):
    env = ck.Checkers()
    env.reset()
    env.set_scene(fruit=_only_fruit((0, 7, RED), (2, 6, YELLOW)))
    t = _step(env, LEFT, LEFT)
    self.assertFalse(t.is_last())
    t = _step(env, STAY, LEFT)
    np.testing.assert_allclose(t.reward, [0.0, 1.0])
    self.assertTrue(t.is_last())
    self.assertEqual(t.discount, 0.0)
    events = env.last_episode_events
    np.testing.assert_array_equal(events["red"], [1, 0])
    np.testing.assert_array_equal(events["yellow"], [0, 1])
    self.assertTrue(_step(env, STAY, STAY).is_first())  # Auto-reset.
    self.assertEqual(env.fruit.sum(), 24)

  def test_time_limit(self):
    for terminal, discount in ((True, 0.0), (False, 1.0)):
      env = ck.Checkers(max_steps=3, terminal_time_limit=terminal)
      env.reset()
      steps = [_step(env, STAY, STAY) for _ in range(3)]
      self.assertFalse(any(t.is_last() for t in steps[:2]))
      self.assertTrue(steps[2].is_last())
      self.assertEqual(steps[2].discount, discount)
    self.assertEqual(ck.Checkers().max_steps, 75)

  def test_random_play_conserves_fruit(self):
    env = ck.Checkers(seed=0)
    env.reset()
    rng = np.random.default_rng(0)
    for _ in range(200):
      t = _step(env, *rng.integers(0, 5, 2))
      if t.is_last():
        break
      events = env.get_info()
      collected = events["red"].sum() + events["yellow"].sum()
      self.assertEqual(env.fruit.sum(), 24 - collected)
      self.assertNotEqual(tuple(env.positions[0]), tuple(env.positions[1]))

  def test_bad_inputs(self):
    env = ck.Checkers()
    env.reset()
    with self.assertRaises(ValueError):
      _step(env, 5, 0)
    with self.assertRaises(ValueError):
      env.set_scene(positions=[[0, 8], [0, 8]])
    with self.assertRaises(ValueError):
      env.set_scene(positions=[[0, 9], [0, 8]])
    with self.assertRaises(ValueError):
      env.set_scene(positions=[[0, 0], [0, 8]])  # Onto red fruit.
    with self.assertRaises(ValueError):
      env.set_scene(fruit=np.ones((3, 9, 2)))


class ObservationTest(absltest.TestCase):

  def _check_observation(self, env, t):
    """Every part of every observation and of the state, by hand."""
    parts, fruit, pos = env.multigoal_parts, env.fruit, env.positions
    info = env.get_info()
    for i, a in enumerate(env.agent_ids):
      o_self, goal, others = parts.split_observation(t.observation[a])
      view = o_self[:75].reshape(parts.self_image_shape)
      np.testing.assert_array_equal(view, _expected_view(fruit, pos, i))
      np.testing.assert_allclose(o_self[75:77], _coords(*pos[i]))
      np.testing.assert_allclose(
          o_self[77:79], [info["red"][i] / 12, info["yellow"][i] / 12])
      np.testing.assert_array_equal(goal, np.eye(2)[env.goals[i]])
      expected = [_coords(*pos[j]) for j in range(env.num_agents) if j != i]
      np.testing.assert_allclose(others, np.reshape(expected, -1))
    s_env, agents = parts.split_state(t.observation["state"])
    np.testing.assert_array_equal(s_env.reshape(parts.env_image_shape), fruit)
    expected = np.concatenate(
        [pos / [2.0, 8.0], np.stack([info["red"], info["yellow"]], -1) / 12],
        -1)
    np.testing.assert_allclose(agents, expected, rtol=1e-6)

  def test_layout_along_an_episode(self):
    env = ck.Checkers()
    t = env.reset()
    rng = np.random.default_rng(1)
    self._check_observation(env, t)
    for _ in range(40):
      t = _step(env, *rng.integers(0, 5, 2))
      self._check_observation(env, t)

  def test_stage1_layout(self):
    env = ck.Checkers(stage1=True, seed=3)
    rng = np.random.default_rng(2)
    for _ in range(3):
      t = env.reset()
      self._check_observation(env, t)
      for _ in range(10):
        t = _step(env, rng.integers(5))
        self._check_observation(env, t)

  def test_start_view_of_agent_a(self):
    env = ck.Checkers()
    view = env.reset().observation["agent_0"][:75].reshape(5, 5, 3)
    np.testing.assert_array_equal(view[:2, :, 2], np.ones((2, 5)))  # Above.
    np.testing.assert_array_equal(view[:, 3:, 2], np.ones((5, 2)))  # Right.
    self.assertEqual(view[2, 2, 2], 0.0)                            # Own.
    self.assertEqual(view[4, 2, 2], 1.0)                            # B.
    np.testing.assert_array_equal(view[2:, 0, :2], [[1, 0], [0, 1], [1, 0]])
    np.testing.assert_array_equal(view[2:, 1, :2], [[0, 1], [1, 0], [0, 1]])
    np.testing.assert_array_equal(view[2:, 2, :2], np.zeros((3, 2)))

  def test_other_agent_out_of_view(self):
    env = ck.Checkers()
    env.reset()
    obs = env.set_scene(positions=[[0, 0], [2, 8]], fruit=_only_fruit())
    view = obs["agent_0"][:75].reshape(5, 5, 3)
    self.assertEqual(view[2:, 2:, 2].sum(), 0.0)  # The valid part.
    self.assertEqual(view[..., 2].sum(), 25 - 9)

  def test_previous_action(self):
    env = ck.Checkers()
    t = env.reset()
    for a in env.agent_ids:
      np.testing.assert_array_equal(t.observation[a][79:84], np.zeros(5))
    t = _step(env, LEFT, DOWN)  # Agent 1's move is invalid; still recorded.
    np.testing.assert_array_equal(t.observation["agent_0"][79:84],
                                  [0, 0, 0, 1, 0])
    np.testing.assert_array_equal(t.observation["agent_1"][79:84],
                                  [0, 0, 1, 0, 0])
    t = _step(env, STAY, STAY)
    np.testing.assert_array_equal(t.observation["agent_0"][79:84],
                                  [1, 0, 0, 0, 0])

  def test_raw_state(self):
    env = ck.Checkers(raw_state=True)
    env.reset()
    t = _step(env, LEFT, LEFT)
    _, agents = env.multigoal_parts.split_state(t.observation["state"])
    np.testing.assert_array_equal(agents, [[0, 7, 0, 1], [2, 7, 0, 1]])

  def test_cm3_code_observations(self):
    env = ck.Checkers(cm3_code_observations=True)
    env.reset()
    t = _step(env, LEFT, STAY)  # A collects yellow (0, 7).
    view = t.observation["agent_0"][:75].reshape(5, 5, 3)
    self.assertEqual(view[2, 2, YELLOW], 1.0)   # Collected.
    self.assertEqual(view[2, 2, RED], 0.0)      # Never red.
    self.assertEqual(view[2, 1, RED], -1.0)     # Uncollected red (0, 6).
    self.assertEqual(view[2, 3, RED], 0.0)      # Start column: no fruit.
    self.assertEqual(view[0, 0, 2], 1.0)        # Padding.
    self.assertEqual(view[4, 3, 2], -1.0)       # B at (2, 8).
    np.testing.assert_allclose(t.observation["agent_0"][75:77],
                               [(2 - 3.5) / 7, (9 - 6.5) / 13])
    np.testing.assert_allclose(t.observation["agent_1"][86:88],
                               [(2 - 3.5) / 7, (9 - 6.5) / 13])

  def test_render(self):
    env = ck.Checkers()
    env.reset()
    image = env.render()
    self.assertEqual(image.shape, (7 * 16, 13 * 16, 3))
    self.assertEqual(image.dtype, np.uint8)


class Stage1Test(absltest.TestCase):

  def test_goal_and_start(self):
    env = ck.Checkers(stage1=True, seed=0)
    self.assertEqual(env.agent_ids, ("agent_0",))
    goals = []
    for _ in range(40):
      t = env.reset()
      goal = int(env.goals[0])
      goals.append(goal)
      np.testing.assert_array_equal(env.positions, [[2 * goal, 8]])
      np.testing.assert_array_equal(t.observation["agent_0"][84:86],
                                    np.eye(2)[goal])
      self.assertEqual(env.fruit.sum(), 24)
      self.assertEqual(t.observation["agent_0"].shape, (86,))
      self.assertEqual(t.observation["state"].shape, (58,))
    self.assertEqual(set(goals), {RED, YELLOW})

  def test_rewards_follow_the_goal(self):
    env = ck.Checkers(stage1=True, seed=0)
    for goal, reward in ((RED, -0.5), (YELLOW, 1.0)):
      env.reset()
      env.set_scene(positions=[[0, 8]], goals=[goal])
      np.testing.assert_allclose(_step(env, LEFT).reward, [reward])
      self.assertEqual(env.get_info()["goal"][0], goal)

  def test_ends_when_the_goal_fruit_is_gone(self):
    env = ck.Checkers(stage1=True, seed=0)
    env.reset()
    fruit = _only_fruit((0, 7, YELLOW), (1, 7, RED))
    env.set_scene(positions=[[0, 8]], fruit=fruit, goals=[YELLOW])
    t = _step(env, LEFT)
    self.assertTrue(t.is_last())
    self.assertEqual(t.discount, 0.0)
    env = ck.Checkers(stage1=True, seed=0, stage1_all_fruit=True)
    env.reset()
    env.set_scene(positions=[[0, 8]], fruit=fruit, goals=[YELLOW])
    self.assertFalse(_step(env, LEFT).is_last())
    self.assertTrue(_step(env, DOWN).is_last())

  def test_time_limit(self):
    env = ck.Checkers(stage1=True, max_steps=5, seed=0)
    env.reset()
    for _ in range(4):
      self.assertFalse(_step(env, STAY).is_last())
    self.assertTrue(_step(env, STAY).is_last())

  def test_seeded(self):
    def goals(env, episodes):
      out = []
      for _ in range(episodes):
        env.reset()
        out.append(int(env.goals[0]))
      return out

    self.assertEqual(goals(ck.Checkers(stage1=True, seed=4), 30),
                     goals(ck.Checkers(stage1=True, seed=4), 30))
    self.assertNotEqual(goals(ck.Checkers(stage1=True, seed=4), 30),
                        goals(ck.Checkers(stage1=True, seed=5), 30))
    env = ck.Checkers(stage1=True, seed=4)
    env.reset()
    state = env.get_rng_state()
    first = goals(env, 10)
    env.set_rng_state(state)
    self.assertEqual(goals(env, 10), first)


class InterfacesTest(absltest.TestCase):

  def test_registry(self):
    env = registry.make("checkers", stage1=True, max_steps=10, seed=0)
    self.assertIsInstance(env, ck.Checkers)
    self.assertEqual((env.num_agents, env.max_steps), (1, 10))

  def test_pettingzoo_api(self):
    for kwargs in ({}, {"stage1": True}, {"cm3_code_observations": True}):
      with self.subTest(**kwargs), warnings.catch_warnings():
        warnings.simplefilter("error")
        env = adapters.PettingZooParallelEnv(
            ck.Checkers(seed=0, max_steps=30, **kwargs))
        parallel_api_test(env, num_cycles=80)
        self.assertTrue(env.state_space.contains(env.state()))

  def test_pettingzoo_seeded(self):
    for stage1 in (False, True):
      parallel_seed_test(
          lambda s=stage1: adapters.PettingZooParallelEnv(
              ck.Checkers(stage1=s)),
          num_cycles=50)


if __name__ == "__main__":
  absltest.main()

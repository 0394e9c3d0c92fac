"""Rules of Escape Room ER(N, M) and its asymmetric variant, case by case."""

import numpy as np
from absl.testing import absltest
from absl.testing import parameterized
from tf_agents.environments import utils as env_utils
from tf_agents.trajectories import time_step as ts

from environments import escape_room as er

LEVER, START, DOOR = er.LEVER, er.START, er.DOOR


def _step(env, *actions):
  return env.step({a: np.int32(x) for a, x in zip(env.agent_ids, actions)})


class EscapeRoomTest(parameterized.TestCase):

  def test_specs_validate(self):
    for n, m in ((2, 1), (3, 2), (5, 2)):
      env_utils.validate_py_environment(er.EscapeRoom(n, m, seed=0),
                                        episodes=5)

  @parameterized.named_parameters(("m_equals_n", 2, 2), ("m_above_n", 2, 3),
                                  ("m_zero", 3, 0), ("one_agent", 1, 1))
  def test_bad_parameters(self, n, m):
    with self.assertRaises(ValueError):
      er.EscapeRoom(n, m)

  def test_start_observation(self):
    env = er.EscapeRoom(3, 2)
    first = env.reset()
    self.assertEqual(first.step_type, ts.StepType.FIRST)
    expected = np.array([0, 1, 0] * 3, np.float32)
    for a in env.agent_ids:
      np.testing.assert_array_equal(first.observation[a], expected)
    np.testing.assert_array_equal(first.reward, [0, 0, 0])

  def test_observation_puts_own_position_first(self):
    env = er.EscapeRoom(3, 2)
    env.reset()
    t = _step(env, LEVER, START, DOOR)
    np.testing.assert_array_equal(t.observation["agent_0"],
                                  [1, 0, 0, 0, 1, 0, 0, 0, 1])
    np.testing.assert_array_equal(t.observation["agent_2"],
                                  [0, 0, 1, 1, 0, 0, 0, 1, 0])

  def test_stay_is_free_and_moving_costs_one(self):
    env = er.EscapeRoom(2, 1)
    env.reset()
    t = _step(env, START, START)
    np.testing.assert_array_equal(t.reward, [0, 0])
    self.assertEqual(t.step_type, ts.StepType.MID)

  def test_door_closed_costs_one(self):
    env = er.EscapeRoom(2, 1)
    env.reset()
    t = _step(env, DOOR, START)
    np.testing.assert_array_equal(t.reward, [-1, 0])
    self.assertEqual(t.step_type, ts.StepType.MID)  # Door closed: no exit.

  def test_door_open_pays_ten_and_ends(self):
    env = er.EscapeRoom(2, 1)
    env.reset()
    t = _step(env, LEVER, DOOR)
    np.testing.assert_array_equal(t.reward, [-1, 10])
    self.assertEqual(t.step_type, ts.StepType.LAST)
    self.assertEqual(t.discount, 0.0)
    self.assertEqual(np.sum(t.reward), er.optimal_collective_return(2, 1))

  def test_staying_at_door_when_it_opens_pays_ten(self):
    env = er.EscapeRoom(2, 1)
    env.reset()
    _step(env, START, DOOR)            # Agent 1 waits at the closed door.
    t = _step(env, LEVER, DOOR)        # Stays at the door while it opens.
    np.testing.assert_array_equal(t.reward, [-1, 10])
    self.assertTrue(t.is_last())

  def test_staying_at_lever_keeps_door_open_for_free(self):
    env = er.EscapeRoom(3, 1)
    env.reset()
    _step(env, LEVER, START, START)
    t = _step(env, LEVER, DOOR, START)
    np.testing.assert_array_equal(t.reward, [0, 10, 0])

  def test_open_door_without_exit_continues(self):
    env = er.EscapeRoom(2, 1)
    env.reset()
    t = _step(env, LEVER, START)
    np.testing.assert_array_equal(t.reward, [-1, 0])
    self.assertEqual(t.step_type, ts.StepType.MID)

  def test_needs_m_at_lever(self):
    env = er.EscapeRoom(3, 2)
    env.reset()
    t = _step(env, LEVER, DOOR, DOOR)             # 1 < M = 2: door closed.
    np.testing.assert_array_equal(t.reward, [-1, -1, -1])
    self.assertFalse(t.is_last())
    env.reset()
    t = _step(env, LEVER, LEVER, DOOR)
    np.testing.assert_array_equal(t.reward, [-1, -1, 10])
    self.assertTrue(t.is_last())
    self.assertEqual(np.sum(t.reward), er.optimal_collective_return(3, 2))

  def test_time_limit_is_terminal(self):
    env = er.EscapeRoom(2, 1, max_steps=5)
    env.reset()
    for _ in range(4):
      self.assertFalse(_step(env, START, START).is_last())
    t = _step(env, START, START)
    self.assertTrue(t.is_last())
    self.assertEqual(t.discount, 0.0)

  def test_auto_reset_after_last(self):
    env = er.EscapeRoom(2, 1)
    env.reset()
    _step(env, LEVER, DOOR)
    t = _step(env, DOOR, DOOR)
    self.assertEqual(t.step_type, ts.StepType.FIRST)

  def test_events_count_actions(self):
    env = er.EscapeRoom(2, 1)
    env.reset()
    _step(env, START, DOOR)
    _step(env, LEVER, DOOR)
    events = env.last_episode_events
    np.testing.assert_array_equal(events["lever"], [1, 0])
    np.testing.assert_array_equal(events["door"], [0, 2])
    np.testing.assert_array_equal(events["stay"], [1, 1])
    self.assertEqual(events["door_opened"], 1)
    self.assertLen(env.pop_finished_events(), 1)
    self.assertEmpty(env.pop_finished_events())

  def test_random_start_is_seeded(self):
    starts = []
    for _ in range(2):
      env = er.EscapeRoom(3, 2, random_start=True, seed=5)
      starts.append([env.reset().observation["agent_0"] for _ in range(5)])
    np.testing.assert_array_equal(starts[0], starts[1])

  def test_global_state(self):
    env = er.EscapeRoom(2, 1, with_state=True)
    env.reset()
    t = _step(env, LEVER, START)
    np.testing.assert_array_equal(t.observation["state"], [1, 0, 0, 0, 1, 0])

  def test_render(self):
    env = er.EscapeRoom(3, 2)
    env.reset()
    image = env.render()
    self.assertEqual(image.shape, (48, 48, 3))
    self.assertEqual(image.dtype, np.uint8)


class AsymmetricEscapeRoomTest(absltest.TestCase):

  def test_validate(self):
    env_utils.validate_py_environment(er.AsymmetricEscapeRoom(seed=0),
                                      episodes=5)

  def test_a1_penalized_until_a2_pulls_lever(self):
    env = er.AsymmetricEscapeRoom()
    env.reset()
    t = _step(env, 1, 0)                    # A1 to door, A2 stays: closed.
    np.testing.assert_array_equal(t.reward, [-1, 0])
    t = _step(env, 1, 1)                    # A2 pulls lever: A1 exits.
    np.testing.assert_array_equal(t.reward, [10, -1])

  def test_rewards_zero_after_solved_and_fixed_length(self):
    env = er.AsymmetricEscapeRoom(max_steps=5)
    env.reset()
    _step(env, 1, 1)
    for i in range(4):
      t = _step(env, 3, 0)
      np.testing.assert_array_equal(t.reward, [0, 0])
      self.assertEqual(t.is_last(), i == 3)
    self.assertEqual(env.last_episode_events["solved"], 1)

  def test_giving_moves_reward_from_a1_to_a2(self):
    env = er.AsymmetricEscapeRoom(give_value=2.0)
    env.reset()
    t = _step(env, 2, 1)                    # Stay at start, give; A2 lever.
    np.testing.assert_array_equal(t.reward, [-1 - 2, -1 + 2])
    self.assertEqual(t.observation["agent_0"][-1], 2.0)

  def test_without_give_actions_a1_only_moves(self):
    env = er.AsymmetricEscapeRoom(give_actions=False)
    self.assertEqual(env.action_spec()["agent_0"].maximum, 1)
    self.assertEqual(env.observation_spec()["agent_0"].shape, (4,))
    env_utils.validate_py_environment(env, episodes=3)
    env.reset()
    t = _step(env, 1, 1)                    # A2 pulls lever: A1 exits.
    np.testing.assert_array_equal(t.reward, [10, -1])
    np.testing.assert_array_equal(t.observation["agent_0"], [0, 1, 0, 1])


if __name__ == "__main__":
  absltest.main()

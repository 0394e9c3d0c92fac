"""Discrete give-reward actions (PG-d): encoding, rewards, observations."""

import itertools
import warnings

import numpy as np
from absl.testing import absltest
from absl.testing import parameterized
from pettingzoo.test import parallel_api_test
from pettingzoo.test import parallel_seed_test
from tf_agents.environments import utils as env_utils
from tf_agents.specs import array_spec
from tf_agents.trajectories import time_step as ts

from environments import adapters
from environments import base
from environments import escape_room as er
from environments import give_reward as gr
from environments import registry
from mmagents.core import config_args

LEVER, START, DOOR = er.LEVER, er.START, er.DOOR


def _step(env, base_actions, gives=None):
  """Steps `env` with base actions and give bits ``[N, N-1]`` (default none)."""
  n = env.num_agents
  gives = np.zeros((n, n - 1), np.int64) if gives is None else gives
  joint = env.encode(base_actions, gives)
  return env.step({a: np.int32(x) for a, x in zip(env.agent_ids, joint)})


class Coin(base.MultiAgentPyEnvironment):
  """Random stop (p = 0.3) and a truncating time limit of 4; reward = action.

  Observations are a random coin, so seeds show; the truncation checks that
  the wrapper keeps the wrapped environment's episode ends.
  """

  def __init__(self, num_agents=2, seed=None):
    super().__init__(num_agents, max_steps=4, seed=seed)

  def _agent_observation_spec(self, index):
    return array_spec.ArraySpec((1,), np.float32, name=self.agent_ids[index])

  def _agent_action_spec(self, index):
    return array_spec.BoundedArraySpec((), np.int64, 0, 1,
                                       name=self.agent_ids[index])

  def _reset_state(self):
    return {"ones": np.zeros(self.num_agents, np.int64)}

  def _observe(self):
    coin = np.array([self._rng.random()], np.float32)
    return {a: coin for a in self.agent_ids}

  def _transition(self, actions):
    self._events["ones"] += actions == 1
    return actions.astype(np.float64), bool(self._rng.random() < 0.3)


class ShiftedCoin(Coin):
  """`Coin` with actions 1 and 2: base actions keep their offset."""

  def _agent_action_spec(self, index):
    return array_spec.BoundedArraySpec((), np.int64, 1, 2,
                                       name=self.agent_ids[index])


class RewardTest(parameterized.TestCase):
  """Every giving case of ER(2, 1) and ER(3, 2), from the start position."""

  @parameterized.named_parameters(
      ("no_gift", (START, START), [[0], [0]], [0, 0], False),
      ("zero_gives_one", (START, START), [[1], [0]], [-2, 2], False),
      ("one_gives_zero", (START, START), [[0], [1]], [2, -2], False),
      ("both_give", (START, START), [[1], [1]], [0, 0], False),
      ("give_at_closed_door", (DOOR, START), [[1], [0]], [-3, 2], False),
      ("exit_pays_lever_puller", (LEVER, DOOR), [[0], [1]], [1, 8], True),
      ("lever_puller_pays_exit", (LEVER, DOOR), [[1], [0]], [-3, 12], True),
      ("both_give_on_exit", (LEVER, DOOR), [[1], [1]], [-1, 10], True))
  def test_er21(self, moves, gives, expected, last):
    env = gr.escape_room_give(2, 1)
    env.reset()
    t = _step(env, moves, np.array(gives))
    np.testing.assert_array_equal(t.reward, expected)
    self.assertEqual(t.is_last(), last)
    base_sum = er.EscapeRoom(2, 1)
    base_sum.reset()
    b = base_sum.step({"agent_0": np.int32(moves[0]),
                       "agent_1": np.int32(moves[1])})
    self.assertEqual(np.sum(t.reward), np.sum(b.reward))  # Zero-sum gifts.

  @parameterized.named_parameters(
      ("no_gift", (START,) * 3, [[0, 0], [0, 0], [0, 0]], [0, 0, 0], False),
      ("zero_gives_both", (START,) * 3, [[1, 1], [0, 0], [0, 0]],
       [-4, 2, 2], False),
      ("two_gives_one", (START,) * 3, [[0, 0], [0, 0], [0, 1]],
       [0, 2, -2], False),
      ("one_gives_two", (START,) * 3, [[0, 0], [0, 1], [0, 0]],
       [0, -2, 2], False),
      ("all_give_all", (START,) * 3, [[1, 1], [1, 1], [1, 1]], [0, 0, 0],
       False),
      ("ring", (START,) * 3, [[1, 0], [0, 1], [1, 0]], [0, 0, 0], False),
      ("closed_door", (LEVER, DOOR, DOOR), [[0, 1], [1, 0], [0, 0]],
       [-1, -3, 1], False),
      ("exit_pays_both_pullers", (LEVER, LEVER, DOOR),
       [[0, 0], [0, 0], [1, 1]], [1, 1, 6], True),
      ("puller_pays_exit", (LEVER, LEVER, DOOR), [[0, 1], [0, 0], [0, 0]],
       [-3, -1, 12], True))
  def test_er32(self, moves, gives, expected, last):
    env = gr.escape_room_give(3, 2)
    env.reset()
    t = _step(env, moves, np.array(gives))
    np.testing.assert_array_equal(t.reward, expected)
    self.assertEqual(t.is_last(), last)
    if last:  # Giving is zero-sum: the optimum is still 10 (N - M) - M.
      self.assertEqual(np.sum(t.reward), er.optimal_collective_return(3, 2))

  def test_give_value(self):
    env = gr.escape_room_give(2, 1, give_value=1.5)
    env.reset()
    t = _step(env, (START, START), np.array([[1], [0]]))
    np.testing.assert_array_equal(t.reward, [-1.5, 1.5])

  def test_gifts_over_an_episode_in_events(self):
    env = gr.escape_room_give(3, 2)
    env.reset()
    _step(env, (START,) * 3, np.array([[1, 1], [0, 0], [0, 0]]))
    _step(env, (LEVER, LEVER, DOOR), np.array([[0, 0], [0, 0], [1, 0]]))
    events = env.last_episode_events
    np.testing.assert_array_equal(events["given"], [4, 0, 2])
    np.testing.assert_array_equal(events["received"], [2, 2, 2])
    np.testing.assert_array_equal(events["lever"], [1, 1, 0])  # Base ones.
    np.testing.assert_array_equal(events["door"], [0, 0, 1])
    self.assertEqual(events["door_opened"], 1)
    self.assertLen(env.pop_finished_events(), 1)
    self.assertEmpty(env.pop_finished_events())
    env.reset()
    np.testing.assert_array_equal(env.get_info()["given"], [0, 0, 0])


class EncodingTest(absltest.TestCase):

  def test_action_specs(self):
    for n, m, count in ((2, 1, 6), (3, 2, 12)):
      specs = gr.escape_room_give(n, m).action_spec()
      for spec in specs.values():
        self.assertEqual((spec.minimum, spec.maximum), (0, count - 1))
        self.assertEqual(spec.dtype, np.int32)

  def test_documented_layout(self):
    env = gr.escape_room_give(3, 2)
    # action = move + 3 * (give to 1st other + 2 * give to 2nd other).
    moves, gives = env.decode(np.array([2, 4, 6]))
    np.testing.assert_array_equal(moves, [DOOR, START, LEVER])
    np.testing.assert_array_equal(gives, [[0, 0], [1, 0], [0, 1]])

  def test_round_trip(self):
    for n, m in ((2, 1), (3, 2), (4, 2)):
      env = gr.escape_room_give(n, m)
      size = 3 * 2 ** (n - 1)
      seen = set()
      for joint in itertools.product(range(size), repeat=n):
        joint = np.array(joint)
        moves, gives = env.decode(joint)
        self.assertTrue(np.all((moves >= 0) & (moves < 3)))
        self.assertEqual(gives.shape, (n, n - 1))
        np.testing.assert_array_equal(env.encode(moves, gives), joint)
        if n == 2:
          seen.add((tuple(moves), tuple(gives.ravel())))
      if n == 2:
        self.assertLen(seen, size ** 2)  # A bijection.

  def test_nonzero_action_minimum(self):
    env = gr.GiveRewardEnv(ShiftedCoin())
    moves, gives = env.decode(np.array([0, 3]))
    np.testing.assert_array_equal(moves, [1, 2])
    np.testing.assert_array_equal(gives, [[0], [1]])
    np.testing.assert_array_equal(env.encode(moves, gives), [0, 3])


class ObservationTest(absltest.TestCase):

  def test_cumulative_given_is_observed(self):
    env = gr.escape_room_give(3, 2)
    first = env.reset()
    for a in env.agent_ids:
      self.assertEqual(first.observation[a].shape, (11,))
      np.testing.assert_array_equal(first.observation[a][9:], [0, 0])
    _step(env, (START,) * 3, np.array([[1, 0], [0, 0], [0, 1]]))
    t = _step(env, (START,) * 3, np.array([[1, 1], [0, 0], [0, 1]]))
    np.testing.assert_array_equal(t.observation["agent_0"][9:], [4, 2])
    np.testing.assert_array_equal(t.observation["agent_1"][9:], [0, 0])
    np.testing.assert_array_equal(t.observation["agent_2"][9:], [0, 4])
    # The base observation comes first, unchanged.
    np.testing.assert_array_equal(t.observation["agent_0"][:9],
                                  [0, 1, 0] * 3)

  def test_resets_at_episode_start(self):
    env = gr.escape_room_give(2, 1)
    env.reset()
    _step(env, (START, START), np.array([[1], [1]]))
    t = _step(env, (LEVER, DOOR), np.array([[1], [0]]))
    self.assertTrue(t.is_last())
    np.testing.assert_array_equal(t.observation["agent_0"][-1], 4.0)
    t = _step(env, (START, START), np.array([[1], [1]]))  # Auto-reset.
    self.assertEqual(t.step_type, ts.StepType.FIRST)
    for a in env.agent_ids:
      self.assertEqual(t.observation[a][-1], 0.0)
    _step(env, (START, START), np.array([[0], [1]]))
    self.assertEqual(env.reset().observation["agent_1"][-1], 0.0)

  def test_spec_bounds_and_state(self):
    env = gr.escape_room_give(2, 1, with_state=True)
    spec = env.observation_spec()
    np.testing.assert_array_equal(spec["agent_0"].maximum,
                                  [1] * 6 + [2.0 * 5])
    self.assertEqual(spec["state"].shape, (6,))
    env.reset()
    t = _step(env, (LEVER, START), np.array([[1], [0]]))
    np.testing.assert_array_equal(t.observation["state"], [1, 0, 0, 0, 1, 0])


class ContractTest(parameterized.TestCase):

  @parameterized.named_parameters(
      ("er21", "escape_room_give", {}),
      ("er32_random_state", "escape_room_give",
       {"num_agents": 3, "min_at_lever": 2, "random_start": True,
        "with_state": True}),
      ("ipd", "ipd_give", {"with_state": True}))
  def test_validate_py_environment(self, name, kwargs):
    env_utils.validate_py_environment(registry.make(name, seed=0, **kwargs),
                                      episodes=10)

  def test_validate_wrapped_truncating_env(self):
    env_utils.validate_py_environment(gr.GiveRewardEnv(Coin(3, seed=0)),
                                      episodes=10)

  def test_pettingzoo_api(self):
    for env in (gr.escape_room_give(3, 2, random_start=True, seed=0),
                gr.escape_room_give(2, 1, with_state=True, seed=0),
                gr.ipd_give(seed=0)):
      with self.subTest(env.env.__class__.__name__), warnings.catch_warnings():
        warnings.simplefilter("error")
        parallel_api_test(adapters.PettingZooParallelEnv(env), num_cycles=20)
    parallel_seed_test(lambda: adapters.PettingZooParallelEnv(
        gr.escape_room_give(3, 2, random_start=True)), num_cycles=20)

  @parameterized.named_parameters(
      ("er32_random_start", lambda s: er.EscapeRoom(3, 2, random_start=True,
                                                    seed=s)),
      ("truncating", lambda s: Coin(2, seed=s)))
  def test_episode_ends_match_the_wrapped_env(self, make):
    """Without gifts, the wrapper replays the base env step for step."""
    plain, wrapped = make(4), gr.GiveRewardEnv(make(4))
    rng = np.random.default_rng(0)
    sizes = [int(s.maximum) + 1 for s in plain.action_spec().values()]
    a, b = plain.reset(), wrapped.reset()
    lasts = []
    for _ in range(60):
      self.assertEqual(a.step_type, b.step_type)
      self.assertEqual(a.discount, b.discount)
      np.testing.assert_array_equal(a.reward, b.reward)
      for agent in plain.agent_ids:
        obs = a.observation[agent]
        np.testing.assert_array_equal(b.observation[agent][:obs.size], obs)
      lasts.append((bool(a.is_last()), float(a.discount)))
      moves = [rng.integers(s) for s in sizes]
      a = plain.step({ag: np.int64(x) for ag, x in zip(plain.agent_ids,
                                                       moves)})
      b = _step(wrapped, moves)
    self.assertGreater(sum(last for last, _ in lasts), 3)
    if isinstance(plain, Coin):  # Both kinds of end were seen.
      self.assertIn((True, 0.0), lasts)
      self.assertIn((True, 1.0), lasts)
    self.assertEqual(len(wrapped.pop_finished_events()),
                     len(plain.pop_finished_events()))

  def test_seeded_runs_repeat(self):
    def run(env):
      rng, out = np.random.default_rng(1), []
      size = int(env.action_spec()["agent_0"].maximum) + 1
      out.append(env.reset())
      for _ in range(30):
        out.append(env.step({a: np.int32(rng.integers(size))
                             for a in env.agent_ids}))
      return out

    runs = [run(gr.escape_room_give(3, 2, random_start=True, seed=7))
            for _ in range(2)]
    self.assertEqual(repr(runs[0]), repr(runs[1]))
    env = gr.escape_room_give(3, 2, random_start=True, seed=8)
    self.assertNotEqual(repr(run(env)), repr(runs[0]))
    env.seed(7)                                   # seed() reaches the base.
    self.assertEqual(repr(run(env)), repr(runs[0]))
    state = env.get_rng_state()
    self.assertEqual(state, env.env.get_rng_state())
    first = run(env)
    env.set_rng_state(state)
    self.assertEqual(repr(run(env)), repr(first))

  def test_registry_arguments(self):
    accepted = config_args.accepted_kwargs(
        registry.factory("escape_room_give"))
    self.assertEqual(accepted["give_value"], 2.0)
    self.assertEqual(accepted["num_agents"], 2)
    env = registry.make("escape_room_give", num_agents=3, min_at_lever=2,
                        give_value=1.1)
    self.assertEqual((env.num_agents, env.give_value), (3, 1.1))
    self.assertIn("ipd_give", registry.names())

  @parameterized.named_parameters(
      ("zero", {"give_value": 0.0}), ("negative", {"give_value": -2.0}),
      ("nan", {"give_value": float("nan")}),
      ("bad_room", {"num_agents": 2, "min_at_lever": 2}))
  def test_bad_arguments(self, kwargs):
    with self.assertRaises(ValueError):
      registry.make("escape_room_give", **kwargs)

  def test_needs_two_agents(self):
    with self.assertRaisesRegex(ValueError, ">= 2 agents"):
      gr.GiveRewardEnv(Coin(1))


if __name__ == "__main__":
  absltest.main()

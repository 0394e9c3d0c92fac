"""PettingZoo and gymnasium adapters, both ways.

Most tests use tiny environments defined here, so they check the adapters
alone; a smoke test runs PettingZoo's API test on the real environments.
"""

import warnings

import gymnasium
import numpy as np
from absl.testing import absltest
from pettingzoo.test import parallel_api_test
from pettingzoo.test import parallel_seed_test
from pettingzoo.utils import env as pz_env
from tf_agents.environments import utils as env_utils
from tf_agents.specs import array_spec

from environments import adapters
from environments import base
from environments import escape_room
from environments import ipd


class Pennies(base.MultiAgentPyEnvironment):
  """Matching pennies: agent 0 wins on a match; stops at random (p = 0.3).

  Observations: the last joint action one-hot (index 4 at the start) plus a
  random coin, so the seed shows in every observation. Actions of the two
  agents have different dtypes; the time limit (4) is a truncation.
  """

  def __init__(self, seed=None, with_state=False):
    super().__init__(2, max_steps=4, seed=seed, has_state=with_state)
    self._last = 4

  def _agent_observation_spec(self, index):
    return array_spec.BoundedArraySpec((6,), np.float32, 0.0, 1.0,
                                       name=self.agent_ids[index])

  def _agent_action_spec(self, index):
    return array_spec.BoundedArraySpec((), (np.int32, np.int64)[index], 0, 1,
                                       name=self.agent_ids[index])

  def _state_spec(self):
    return array_spec.ArraySpec((2,), np.float32, name="state")

  def _reset_state(self):
    self._last = 4
    return {"matches": np.zeros((), np.int64)}

  def _observe(self):
    obs = np.zeros(6, np.float32)
    obs[self._last] = 1.0
    obs[5] = self._rng.random()
    out = {"agent_0": obs, "agent_1": obs}  # One shared buffer, on purpose.
    if self.has_state:
      out["state"] = np.array([self._last, self._step_count], np.float32)
    return out

  def _transition(self, actions):
    match = actions[0] == actions[1]
    self._last = int(2 * actions[0] + actions[1])
    self._events["matches"] += match
    rewards = np.array([1.0, -1.0] if match else [-1.0, 1.0])
    return rewards, bool(self._rng.random() < 0.3)

  def render(self, mode="rgb_array"):
    del mode
    return np.full((2, 3, 3), self._last, np.uint8)


class NoRender(Pennies):
  render = base.MultiAgentPyEnvironment.render


class Countdown(pz_env.ParallelEnv):
  """A PettingZoo env: a counter from a seeded start falls by the actions.

  "red" (Discrete(3, start=1) actions, Box observation) and "blue"
  (Discrete(2) actions, Discrete(3) observation) are rewarded their action;
  all terminate at 0, all truncate after `limit` steps. With `blue_leaves`,
  blue terminates alone after its first step.
  """

  metadata = {"name": "countdown_v0"}

  def __init__(self, limit=6, blue_leaves=False):
    self.possible_agents = ["red", "blue"]
    self.agents = []
    self._limit, self._blue_leaves = limit, blue_leaves
    self._obs_spaces = {"red": gymnasium.spaces.Box(0.0, 20.0, (1,)),
                        "blue": gymnasium.spaces.Discrete(3)}
    self._act_spaces = {"red": gymnasium.spaces.Discrete(3, start=1),
                        "blue": gymnasium.spaces.Discrete(2)}
    self.seeds = []

  def observation_space(self, agent):
    return self._obs_spaces[agent]

  def action_space(self, agent):
    return self._act_spaces[agent]

  def reset(self, seed=None, options=None):
    self.seeds.append(seed)
    self._count = int(np.random.default_rng(seed).integers(4, 12))
    self._t = 0
    self.agents = list(self.possible_agents)
    return self._obs(), {a: {} for a in self.agents}

  def step(self, actions):
    assert set(actions) == set(self.agents), (actions, self.agents)
    self._t += 1
    self._count = max(self._count - sum(actions.values()), 0)
    obs = self._obs()
    rewards = {a: float(actions[a]) for a in self.agents}
    terms = {a: self._count == 0 for a in self.agents}
    if self._blue_leaves and "blue" in self.agents:
      terms["blue"] = True
    truncs = {a: self._t >= self._limit for a in self.agents}
    infos = {a: {} for a in self.agents}
    self.agents = [a for a in self.agents if not (terms[a] or truncs[a])]
    return obs, rewards, terms, truncs, infos

  def _obs(self):
    obs = {"red": np.array([self._count], np.float32), "blue": self._count % 3}
    return {a: obs[a] for a in self.agents}


def _run_api_test(env, num_cycles=50):
  """PettingZoo's API test, whose findings beyond asserts are warnings."""
  with warnings.catch_warnings():
    warnings.simplefilter("error")
    parallel_api_test(env, num_cycles=num_cycles)


class PettingZooParallelEnvTest(absltest.TestCase):

  def test_parallel_api(self):
    _run_api_test(adapters.PettingZooParallelEnv(Pennies(seed=0)))

  def test_parallel_api_with_state(self):
    env = adapters.PettingZooParallelEnv(Pennies(seed=0, with_state=True))
    _run_api_test(env)
    env.reset(seed=1)
    np.testing.assert_array_equal(env.state(), [4, 0])
    self.assertTrue(env.state_space.contains(env.state()))

  def test_seeded(self):
    parallel_seed_test(
        lambda: adapters.PettingZooParallelEnv(Pennies()), num_cycles=50)

  def test_same_seed_same_episodes(self):
    # parallel_seed_test stops after one step (it tests `any(dict)`), so
    # compare whole episodes here.
    envs = [adapters.PettingZooParallelEnv(Pennies()) for _ in range(2)]
    runs = []
    for env in envs:
      run, rng = [env.reset(seed=7)[0]], np.random.default_rng(0)
      for _ in range(20):
        if not env.agents:
          run.append(env.reset()[0])
        run.append(env.step({a: rng.integers(2) for a in env.agents}))
      runs.append(run)
    self.assertEqual(repr(runs[0]), repr(runs[1]))

  def test_spaces(self):
    env = adapters.PettingZooParallelEnv(Pennies(with_state=True))
    self.assertEqual(env.possible_agents, ["agent_0", "agent_1"])
    self.assertEqual(env.action_space("agent_0"), gymnasium.spaces.Discrete(2))
    self.assertIs(env.action_space("agent_1"), env.action_space("agent_1"))
    self.assertEqual(env.observation_space("agent_0"),
                     gymnasium.spaces.Box(0.0, 1.0, (6,), np.float32))
    self.assertEqual(env.state_space,
                     gymnasium.spaces.Box(-np.inf, np.inf, (2,), np.float32))
    self.assertFalse(hasattr(adapters.PettingZooParallelEnv(Pennies()),
                             "state_space"))

  def test_termination_truncation_and_no_auto_reset(self):
    env = adapters.PettingZooParallelEnv(Pennies())
    ends = set()
    for seed in range(20):
      obs, _ = env.reset(seed=seed)
      self.assertEqual(obs["agent_0"][4], 1.0)  # A fresh episode.
      steps = 0
      while env.agents:
        obs, rewards, terms, truncs, _ = env.step({"agent_0": 0,
                                                   "agent_1": 0})
        steps += 1
        self.assertEqual(rewards, {"agent_0": 1.0, "agent_1": -1.0})
      self.assertEqual(obs["agent_0"][0], 1.0)  # The last step, not a reset.
      self.assertNotEqual(terms["agent_0"], truncs["agent_0"])
      self.assertEqual(truncs["agent_1"], steps == 4 and not terms["agent_1"])
      ends.add((terms["agent_0"], steps))
      with self.assertRaisesRegex(RuntimeError, "reset"):
        env.step({"agent_0": 0, "agent_1": 0})
    self.assertIn((False, 4), ends)           # Time limit: truncation.
    self.assertTrue(any(t for t, _ in ends))  # Random stop: termination.

  def test_observations_are_copies(self):
    env = adapters.PettingZooParallelEnv(Pennies())
    obs, _ = env.reset(seed=0)
    obs["agent_0"][:] = 9.0
    self.assertEqual(obs["agent_1"][4], 1.0)

  def test_render(self):
    env = adapters.PettingZooParallelEnv(Pennies(), render_mode="rgb_array")
    self.assertEqual(env.metadata["render_modes"], ["rgb_array"])
    env.reset(seed=0)
    self.assertEqual(env.render().shape, (2, 3, 3))
    with self.assertWarnsRegex(UserWarning, "render_mode"):
      self.assertIsNone(adapters.PettingZooParallelEnv(Pennies()).render())
    self.assertEqual(
        adapters.PettingZooParallelEnv(NoRender()).metadata["render_modes"],
        [])
    with self.assertRaisesRegex(ValueError, "render_mode"):
      adapters.PettingZooParallelEnv(NoRender(), render_mode="rgb_array")

  def test_real_environments(self):
    for env in (escape_room.EscapeRoom(3, 2, random_start=True, seed=0),
                escape_room.EscapeRoom(2, 1, with_state=True, seed=0),
                ipd.IteratedPrisonersDilemma(with_state=True, seed=0)):
      with self.subTest(type(env).__name__):
        _run_api_test(adapters.PettingZooParallelEnv(env), num_cycles=20)


class FromPettingZooTest(absltest.TestCase):

  def test_validates(self):
    env_utils.validate_py_environment(
        adapters.FromPettingZoo(Countdown(), max_steps=10, seed=0),
        episodes=3)

  def test_specs(self):
    env = adapters.FromPettingZoo(Countdown(), max_steps=10)
    self.assertEqual(env.agent_ids, ("agent_0", "agent_1"))
    self.assertEqual(env.source_agents, ["red", "blue"])
    acts, obs = env.action_spec(), env.observation_spec()
    self.assertEqual((acts["agent_0"].shape, acts["agent_0"].maximum), ((), 2))
    self.assertEqual(acts["agent_1"].maximum, 1)
    self.assertEqual(obs["agent_0"].shape, (1,))
    self.assertEqual(obs["agent_1"].shape, (3,))  # Discrete: one-hot.
    self.assertEqual(env.reward_spec().shape, (2,))

  def test_steps_termination_and_truncation(self):
    env = adapters.FromPettingZoo(Countdown(limit=100), max_steps=100, seed=3)
    step = env.reset()
    count = step.observation["agent_0"][0]
    np.testing.assert_array_equal(step.observation["agent_1"],
                                  np.eye(3, dtype=np.float32)[int(count) % 3])
    step = env.step({"agent_0": np.int64(2), "agent_1": np.int64(1)})
    np.testing.assert_array_equal(step.reward, [3.0, 1.0])  # Red's start=1.
    self.assertEqual(step.observation["agent_0"][0], count - 4)
    while not step.is_last():
      step = env.step({"agent_0": np.int64(2), "agent_1": np.int64(1)})
    self.assertEqual(step.discount, 0.0)                  # Counter hit 0.
    self.assertEqual(env.step({"agent_0": np.int64(0),    # Auto-reset.
                               "agent_1": np.int64(0)}).step_type, 0)
    for source_limit, our_limit in ((2, 100), (100, 2)):
      env = adapters.FromPettingZoo(Countdown(limit=source_limit),
                                    max_steps=our_limit, seed=3)
      env.reset()
      for _ in range(2):
        step = env.step({"agent_0": np.int64(0), "agent_1": np.int64(0)})
      self.assertTrue(step.is_last())
      self.assertEqual(step.discount, 1.0)                # Truncation.

  def test_agent_leaving_early(self):
    env = adapters.FromPettingZoo(Countdown(blue_leaves=True), max_steps=100,
                                  seed=0)
    env.reset()
    actions = {"agent_0": np.int64(0), "agent_1": np.int64(1)}
    step = env.step(actions)
    self.assertEqual(step.reward[1], 1.0)
    step = env.step(actions)  # Countdown asserts blue gets no action.
    self.assertEqual(step.reward[1], 0.0)
    np.testing.assert_array_equal(step.observation["agent_1"], np.zeros(3))
    self.assertFalse(step.is_last())

  def test_seeding(self):
    source = Countdown()
    env = adapters.FromPettingZoo(source, max_steps=10, seed=5)
    env.reset()
    env.reset()
    env.seed(5)
    env.reset()
    self.assertLen(set(source.seeds[:2]), 2)
    self.assertEqual(source.seeds[2], source.seeds[0])
    state = env.get_rng_state()
    first = env.reset().observation
    env.set_rng_state(state)
    np.testing.assert_array_equal(env.reset().observation["agent_0"],
                                  first["agent_0"])

  def test_round_trip_matches_the_original(self):
    """Ours -> PettingZoo -> ours replays the original, episodes and all.

    Each reset seeds the source with a seed drawn from the wrapper's
    generator, so the direct environment gets the same seeds.
    """
    wrapped = adapters.FromPettingZoo(
        adapters.PettingZooParallelEnv(Pennies(with_state=True)),
        max_steps=100, seed=0)
    direct, seeds = Pennies(with_state=True), np.random.default_rng(0)
    env_utils.validate_py_environment(wrapped, episodes=3)
    wrapped.seed(0)

    def reset_direct():
      direct.seed(int(seeds.integers(2**31 - 1)))
      return direct.reset()

    rng = np.random.default_rng(1)
    a, b, lasts = reset_direct(), wrapped.reset(), 0
    for _ in range(40):
      for key in ("agent_0", "agent_1", "state"):
        np.testing.assert_array_equal(a.observation[key], b.observation[key])
      self.assertEqual(a.step_type, b.step_type)
      self.assertEqual(a.discount, b.discount)
      np.testing.assert_array_equal(a.reward, b.reward)
      lasts += int(a.is_last())
      actions = {"agent_0": np.int32(rng.integers(2)),
                 "agent_1": np.int64(rng.integers(2))}
      a = reset_direct() if a.is_last() else direct.step(actions)
      b = wrapped.step(actions)
    self.assertGreater(lasts, 3)

  def test_gymnasium_termination_and_truncation(self):
    env = adapters.from_gymnasium(
        gymnasium.make("CartPole-v1", max_episode_steps=3), max_steps=500,
        seed=0)
    env_utils.validate_py_environment(env, episodes=2)
    step = env.reset()
    self.assertEqual(step.observation["agent_0"].shape, (4,))
    for _ in range(3):
      step = env.step({"agent_0": np.int64(0)})
    self.assertTrue(step.is_last())
    self.assertEqual(step.discount, 1.0)      # Time limit: truncation.
    env = adapters.from_gymnasium(gymnasium.make("CartPole-v1"),
                                  max_steps=500, seed=0)
    step = env.reset()
    while not step.is_last():
      step = env.step({"agent_0": np.int64(0)})
    self.assertEqual(step.discount, 0.0)      # Pole fell: termination.

  def test_rejects_continuous_actions(self):
    with self.assertRaisesRegex(ValueError, "Discrete"):
      adapters.from_gymnasium(gymnasium.make("Pendulum-v1"), max_steps=10)

  def test_space_conversions(self):
    box = gymnasium.spaces.Box(-1.0, 1.0, (2, 3))
    spec = adapters.space_to_spec(box, "x")
    self.assertEqual(spec.shape, (2, 3))
    self.assertEqual(adapters.spec_to_space(spec), box)
    spec = adapters.space_to_spec(gymnasium.spaces.Discrete(4), "y")
    self.assertEqual(spec.shape, (4,))
    spec = array_spec.BoundedArraySpec((), np.int32, 2, 5)
    self.assertEqual(adapters.spec_to_space(spec),
                     gymnasium.spaces.Discrete(4, start=2))
    with self.assertRaisesRegex(ValueError, "unsupported"):
      adapters.space_to_spec(gymnasium.spaces.MultiBinary(3), "z")


if __name__ == "__main__":
  absltest.main()

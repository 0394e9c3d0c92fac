"""PettingZoo and gymnasium adapters, both ways."""

import gymnasium
import numpy as np
from absl.testing import absltest
from pettingzoo.test import parallel_api_test
from pettingzoo.test import parallel_seed_test
from tf_agents.environments import utils as env_utils

from environments import adapters
from environments import escape_room
from environments import ipd


class ToPettingZooTest(absltest.TestCase):

  def test_parallel_api_escape_room(self):
    env = adapters.ToPettingZoo(escape_room.EscapeRoom(3, 2, seed=0))
    parallel_api_test(env, num_cycles=200)

  def test_parallel_api_ipd_with_state(self):
    env = adapters.ToPettingZoo(ipd.IteratedPrisonersDilemma(with_state=True))
    parallel_api_test(env, num_cycles=200)
    env.reset(seed=1)
    np.testing.assert_array_equal(env.state(), [0, 0, 0, 0, 1])

  def test_seeded(self):
    parallel_seed_test(lambda: adapters.ToPettingZoo(
        escape_room.EscapeRoom(3, 2, random_start=True)), num_cycles=50)

  def test_termination_and_truncation(self):
    env = adapters.ToPettingZoo(escape_room.EscapeRoom(2, 1))
    env.reset()
    _, rewards, terms, truncs, _ = env.step({"agent_0": 0, "agent_1": 2})
    self.assertEqual(rewards, {"agent_0": -1.0, "agent_1": 10.0})
    self.assertTrue(all(terms.values()))
    self.assertFalse(any(truncs.values()))
    self.assertEmpty(env.agents)
    self.assertEqual(env.render().shape, (32, 48, 3))


class FromPettingZooTest(absltest.TestCase):

  def test_round_trip_matches_the_original(self):
    direct = ipd.IteratedPrisonersDilemma(max_steps=4)
    wrapped = adapters.FromPettingZoo(
        adapters.ToPettingZoo(ipd.IteratedPrisonersDilemma(max_steps=4)),
        max_steps=100, seed=0)
    env_utils.validate_py_environment(wrapped, episodes=3)
    rng = np.random.default_rng(0)
    a, b = direct.reset(), wrapped.reset()
    for _ in range(12):
      np.testing.assert_array_equal(a.observation["agent_0"],
                                    b.observation["agent_0"])
      self.assertEqual(a.step_type, b.step_type)
      self.assertEqual(a.discount, b.discount)
      np.testing.assert_array_equal(a.reward, b.reward)
      actions = {k: np.int64(rng.integers(2)) for k in direct.agent_ids}
      a, b = direct.step(actions), wrapped.step(actions)

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
    env.reset()
    step = env.step({"agent_0": np.int64(0)})
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


if __name__ == "__main__":
  absltest.main()

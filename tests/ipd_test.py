"""Rules of the memory-1 Iterated Prisoner's Dilemma."""

import numpy as np
from absl.testing import absltest
from absl.testing import parameterized
from tf_agents.environments import utils as env_utils

from environments import ipd


def _step(env, a0, a1):
  return env.step({"agent_0": np.int32(a0), "agent_1": np.int32(a1)})


class IPDTest(parameterized.TestCase):

  def test_validate(self):
    env_utils.validate_py_environment(ipd.IteratedPrisonersDilemma(seed=0),
                                      episodes=5)

  def test_start_observation(self):
    env = ipd.IteratedPrisonersDilemma()
    first = env.reset()
    for a in env.agent_ids:
      np.testing.assert_array_equal(first.observation[a], [0, 0, 0, 0, 1])

  @parameterized.named_parameters(
      ("CC", 0, 0, [-1, -1], 0), ("CD", 0, 1, [-3, 0], 1),
      ("DC", 1, 0, [0, -3], 2), ("DD", 1, 1, [-2, -2], 3))
  def test_payoffs_and_memory(self, a0, a1, rewards, index):
    env = ipd.IteratedPrisonersDilemma(with_state=True)
    env.reset()
    t = _step(env, a0, a1)
    np.testing.assert_array_equal(t.reward, rewards)
    expected = np.eye(5)[index]
    for key in ("agent_0", "agent_1", "state"):
      np.testing.assert_array_equal(t.observation[key], expected)

  def test_episode_length_and_events(self):
    env = ipd.IteratedPrisonersDilemma(max_steps=3)
    env.reset()
    self.assertFalse(_step(env, 0, 0).is_last())
    self.assertFalse(_step(env, 0, 1).is_last())
    t = _step(env, 1, 1)
    self.assertTrue(t.is_last())
    self.assertEqual(t.discount, 0.0)
    events = env.last_episode_events
    np.testing.assert_array_equal(events["cooperate"], [2, 1])
    np.testing.assert_array_equal(events["outcomes"], [1, 1, 0, 1])

  def test_render(self):
    env = ipd.IteratedPrisonersDilemma()
    env.reset()
    _step(env, 1, 1)
    self.assertEqual(env.render().shape, (32, 32, 3))


if __name__ == "__main__":
  absltest.main()

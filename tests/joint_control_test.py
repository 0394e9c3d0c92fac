"""One controller acting for all agents (Cen): encoding, equivalence, errors."""

import numpy as np
from absl.testing import absltest
from tf_agents.environments import utils as env_utils
from tf_agents.trajectories import time_step as ts

from environments import base
from environments import joint_control
from environments import registry
from environments.ssd import cleanup


class JointControlTest(absltest.TestCase):

  def test_joint_actions_count_every_combination_once(self):
    env = joint_control.cleanup_joint(map_name="cleanup_small_sym")
    spec = env.action_spec()["agent_0"]
    self.assertEqual(int(spec.maximum) + 1, 36)   # 6 actions each.
    decoded = [tuple(env.decode(a)) for a in range(36)]
    self.assertLen(set(decoded), 36)
    self.assertEqual(decoded[7], (1, 1))          # Agent 0 most significant.
    for action in range(36):
      self.assertEqual(env.encode(env.decode(action)), action)

  def test_steps_match_the_wrapped_game_played_jointly(self):
    joint = joint_control.cleanup_joint(map_name="cleanup_small_sym",
                                        seed=3)
    twin = cleanup.make(map_name="cleanup_small_sym", with_state=True, seed=3)
    rng = np.random.default_rng(0)
    step, twin_step = joint.reset(), twin.reset()
    returns = np.zeros(2)
    for _ in range(120):                          # Crosses an episode end.
      np.testing.assert_array_equal(step.observation["agent_0"],
                                    twin_step.observation["state"]["image"])
      if twin_step.step_type == ts.StepType.LAST:
        returns[:] = 0.0
      action = int(rng.integers(36))
      step = joint.step({"agent_0": np.int32(action)})
      twin_step = twin.step({a: np.int32(x) for a, x in
                             zip(twin.agent_ids, joint.decode(action))})
      self.assertEqual(step.step_type, twin_step.step_type)
      self.assertEqual(float(step.discount), float(twin_step.discount))
      self.assertEqual(step.reward.shape, (1,))
      self.assertAlmostEqual(float(step.reward[0]),
                             float(twin_step.reward.sum()))
      if twin_step.step_type != ts.StepType.FIRST:
        returns += twin_step.reward
        info = joint.get_info()
        np.testing.assert_allclose(info["agent_returns"], returns)
        np.testing.assert_array_equal(info["cleaned"],
                                      twin.get_info()["cleaned"])

  def test_outcomes_are_the_wrapped_agents(self):
    joint = joint_control.cleanup_joint(map_name="cleanup_small_sym", seed=1)
    joint.reset()
    rng = np.random.default_rng(1)
    for _ in range(joint.max_steps):
      joint.step({"agent_0": np.int32(rng.integers(36))})
    finished = joint.pop_finished_events()
    self.assertLen(finished, 1)
    per_agent = finished[0]["agent_returns"][None]
    expected = joint.env.outcome_metrics(per_agent, finished)
    self.assertEqual(joint.outcome_metrics(per_agent.sum(1, keepdims=True),
                                           finished), expected)

  def test_is_a_valid_py_environment(self):
    env = registry.make("cleanup_joint", map_name="cleanup_small_sym",
                        seed=0)
    env_utils.validate_py_environment(env, episodes=2)

  def test_needs_a_global_state(self):
    with self.assertRaisesRegex(ValueError, "with_state=True"):
      joint_control.JointControlEnv(cleanup.make(map_name="cleanup_small_sym"))
    with self.assertRaisesRegex(ValueError, "state_key must be one of"):
      joint_control.JointControlEnv(
          cleanup.make(map_name="cleanup_small_sym", with_state=True),
          state_key="map")
    self.assertEqual(base.STATE_KEY, "state")


if __name__ == "__main__":
  absltest.main()

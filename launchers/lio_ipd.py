r"""LIO on the memory-1 Iterated Prisoner's Dilemma (thesis Fig. 5.4).

Two LIO agents learn to reward cooperation and reach mutual cooperation
(collective extrinsic reward near -2 per step, -1 each), where PG agents
defect.

  python -m launchers.lio_ipd --root_dir=runs/lio_ipd

Defaults follow thesis Table B.3 (policy and incentive MLPs 16-8, R_max 3,
no incentive cost) and App. B.4.1 (60k episodes of 5 steps). One episode on
the horizontal axis is one iteration of Algorithm 2 (two rollouts).
"""

from absl import flags

from launchers import common
from mmagents.core import launch
from mmagents.lio import agent as lio

launch.define_run_flags(num_episodes=60_000, eval_interval=1000,
                        num_eval_episodes=20)
common.define_lio_flags(lio.LIOConfig(
    hidden_sizes=(16, 8), learning_rate=1e-3, entropy_coeff=0.1,
    epsilon_start=1.0, epsilon_end=0.01, epsilon_episodes=5000,
    incentive_hidden_sizes=(16, 8), incentive_learning_rate=1e-3,
    max_incentive=3.0, cost_coeff=0.0, cost_learning_rate=0.0,
    observe_given=False))
flags.DEFINE_integer("max_steps", 5, "Rounds per episode.")
# --help lists the shared run and method flags too.
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
FLAGS = flags.FLAGS


def main(argv):
  del argv
  with launch.bad_input():
    config = common.lio_config_from_flags()
  common.train_eval("lio_ipd", "ipd", {"max_steps": FLAGS.max_steps}, "lio",
                    config)


if __name__ == "__main__":
  launch.run(main)

r"""Independent policy gradient on the memory-1 Iterated Prisoner's Dilemma.

Two PG agents converge to mutual defection (thesis Fig. 5.4 baseline).

  python -m launchers.pg_ipd --root_dir=runs/pg_ipd

Defaults follow thesis Table B.3 and App. B.4.1 (60k episodes of 5 steps).
"""

from absl import flags

from launchers import common
from mmagents.agents import pg
from mmagents.core import launch

launch.define_run_flags(num_episodes=60_000, eval_interval=1000,
                        num_eval_episodes=20)
common.define_pg_flags(pg.PGConfig(hidden_sizes=(16, 8), learning_rate=1e-3,
                                   entropy_coeff=0.1, epsilon_start=1.0,
                                   epsilon_end=0.01, epsilon_episodes=5000))
flags.DEFINE_integer("max_steps", 5, "Rounds per episode.")
# --help lists the shared run and method flags too.
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
FLAGS = flags.FLAGS


def main(argv):
  del argv
  with launch.bad_input():
    config = common.pg_config_from_flags()
  common.train_eval("pg_ipd", "ipd", {"max_steps": FLAGS.max_steps}, "pg",
                    config)


if __name__ == "__main__":
  launch.run(main)

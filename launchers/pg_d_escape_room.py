r"""PG-d on Escape Room: policy gradient with discrete give-reward actions.

The PG-d curve of thesis Fig. 5.5: each agent's actions are its move times
give-or-not to each other agent; a gift moves --give_value (R_a) from giver
to recipient (environments/give_reward.py). Agents sometimes learn to pay a
lever puller, with high variance across seeds.

  python -m launchers.pg_d_escape_room --root_dir=runs/pgd_er21
  python -m launchers.pg_d_escape_room --root_dir=runs/pgd_er32 \
      --num_agents=3 --min_at_lever=2

Defaults follow thesis Table B.4 (PG-d column, the same for N = 2 and 3) and
App. B.4.2 (R_a = 2.0).
"""

from absl import flags

from launchers import common
from mmagents.agents import pg
from mmagents.core import launch

launch.define_run_flags(num_episodes=50_000, eval_interval=500,
                        num_eval_episodes=20)
common.define_pg_flags(pg.PGConfig(hidden_sizes=(64, 32), learning_rate=1e-4,
                                   entropy_coeff=0.01, epsilon_start=0.5,
                                   epsilon_end=0.05, epsilon_episodes=100))
common.define_escape_room_flags()
flags.DEFINE_float("give_value", 2.0,
                   "R_a: reward one gift hands over (and costs the giver).")
# --help lists the shared run and method flags too.
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
FLAGS = flags.FLAGS


def main(argv):
  del argv
  env_kwargs = dict(common.escape_room_kwargs(), give_value=FLAGS.give_value)
  with launch.bad_input():
    config = common.pg_config_from_flags()
  # train_eval builds the environment under bad_input(), so a bad
  # --give_value or (N, M) is one error line and exit code 2.
  common.train_eval("pg_d_escape_room", "escape_room_give", env_kwargs, "pg",
                    config)


if __name__ == "__main__":
  launch.run(main)

r"""Independent policy gradient on Escape Room (the PG curve of thesis Fig. 5.5).

PG agents cannot solve ER(N, M): nobody learns to pay the lever cost, so the
collective return stays at or below 0.

  python -m launchers.pg_escape_room --root_dir=runs/pg_er21
  python -m launchers.pg_escape_room --root_dir=runs/pg_er32 \
      --num_agents=3 --min_at_lever=2
  python -m launchers.pg_escape_room --root_dir=runs/pg_er_asym --asymmetric

Defaults follow thesis Table B.4 (PG column).
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
common.define_asymmetric_flag()
# --help lists the shared run and method flags too.
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)


def main(argv):
  del argv
  env_name, env_kwargs = common.escape_room_env()
  with launch.bad_input():
    config = common.pg_config_from_flags()
  common.train_eval("pg_escape_room", env_name, env_kwargs, "pg", config)


if __name__ == "__main__":
  launch.run(main)

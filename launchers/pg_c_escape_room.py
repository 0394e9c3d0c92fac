r"""PG-c on Escape Room: policy gradient with continuous give-reward actions.

The PG-c baseline of thesis Fig. 5.5: besides moving, every agent samples the
rewards it gives the others, a_r = R_max σ(u), u ~ N(f_η(o, a^{-i}), 1), and
learns both by REINFORCE on its own return (giving costs the giver).

  python -m launchers.pg_c_escape_room --root_dir=runs/pgc_er21
  python -m launchers.pg_c_escape_room --root_dir=runs/pgc_er32 \
      --n_agents=3 --m_required=2

Defaults follow thesis Table B.4 (PG-c columns; N = 2 and 3 agree).
"""

from absl import flags

from launchers import common
from mmagents.agents import pg_c
from mmagents.core import launch

launch.define_run_flags(num_episodes=50_000, eval_interval=500,
                        num_eval_episodes=20)
common.define_giving_flags(pg_c.PGcConfig())
flags.DEFINE_float("give_cost", pg_c.PGcConfig().give_cost,
                   "What giving a reward of 1 costs the giver.")
common.define_escape_room_flags()
# --help lists the shared run and method flags too.
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
FLAGS = flags.FLAGS


def main(argv):
  del argv
  with launch.bad_input():
    config = pg_c.PGcConfig(**common.giving_config_kwargs(),
                            give_cost=FLAGS.give_cost)
  common.train_eval("pg_c_escape_room", "escape_room",
                    common.escape_room_kwargs(), "pg_c", config)


if __name__ == "__main__":
  launch.run(main)

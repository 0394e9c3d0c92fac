r"""LIO-dec on Escape Room: fully decentralized LIO (thesis Fig. 5.5).

Each agent models the others' policies by behaviour cloning and learns its
incentive function through a fictitious update of those models, without
access to their parameters.

  python -m launchers.lio_dec_escape_room --root_dir=runs/liodec_er21
  python -m launchers.lio_dec_escape_room --root_dir=runs/liodec_er32 \
      --n_agents=3 --m_required=2

Defaults: LIO's (thesis Table B.4) plus the models' Adam learning rate 1e-3.
"""

from absl import flags

from launchers import common
from mmagents.core import launch
from mmagents.lio import decentralized

launch.define_run_flags(num_episodes=50_000, eval_interval=500,
                        num_eval_episodes=20)
common.define_lio_flags(decentralized.LIODecConfig())
flags.DEFINE_float("model_learning_rate",
                   decentralized.LIODecConfig().model_learning_rate,
                   "Adam learning rate of the behaviour-cloned models.")
common.define_escape_room_flags()
# --help lists the shared run and method flags too.
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
FLAGS = flags.FLAGS


def main(argv):
  del argv
  common.set_lio_epsilon_end_for_three_agents()
  with launch.bad_input():
    config = decentralized.LIODecConfig(
        **common.lio_config_kwargs(),
        model_learning_rate=FLAGS.model_learning_rate)
  common.train_eval("lio_dec_escape_room", "escape_room",
                    common.escape_room_kwargs(), "lio_dec", config)


if __name__ == "__main__":
  launch.run(main)

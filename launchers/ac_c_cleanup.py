r"""AC-c on Cleanup: actor-critic with continuous give-reward actions (Fig. 5.6).

Besides its move, each agent draws the rewards it gives the others from a
sigmoid-squashed Gaussian (in [0, R_max], R_max = 2) and pays for them; its
give-reward network sees its view and which other agent used the cleaning beam.

  python -m launchers.ac_c_cleanup --root_dir=runs/ac_c_cleanup7

Defaults follow thesis Table B.5 (AC-c column) and App. B.4.2.
"""

from absl import flags

from launchers import cleanup_common
from launchers import common
from mmagents.agents import ac_c
from mmagents.core import launch

_DEFAULTS = ac_c.ACcConfig()
launch.define_run_flags(num_episodes=50_000, eval_interval=500,
                        num_eval_episodes=10)
cleanup_common.define_cleanup_flags()
common.define_giving_flags(_DEFAULTS)
cleanup_common.define_critic_flags(_DEFAULTS)
flags.DEFINE_float("give_cost", _DEFAULTS.give_cost,
                   "What giving 1 costs the giver.")
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
flags.adopt_module_key_flags(cleanup_common)
FLAGS = flags.FLAGS

# Table B.5, AC-c: α_θ 1e-3 and ε over 1,000 episodes on 10x10.
MAP_DEFAULTS = {"cleanup_10x10_sym": {"learning_rate": 1e-3,
                                      "epsilon_episodes": 1000}}


def main(argv):
  del argv
  cleanup_common.apply_map_defaults(MAP_DEFAULTS)
  env_name, env_kwargs = cleanup_common.cleanup_env()
  with launch.bad_input():
    config = ac_c.ACcConfig(
        **common.giving_config_kwargs(),
        **cleanup_common.critic_config_kwargs(),
        give_cost=FLAGS.give_cost,
        watched_action=cleanup_common.clean_action())
  common.train_eval("ac_c_cleanup", env_name, env_kwargs, "ac_c", config)


if __name__ == "__main__":
  launch.run(main)

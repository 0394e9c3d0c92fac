r"""Inequity-averse actor-critic agents on Cleanup (the IA baseline, Fig. 5.6).

Agents dislike being ahead of the others (advantageous aversion β = 0.05)
and see everyone's smoothed rewards; in the thesis they still compete for
apples and stay below LIO.

  python -m launchers.ia_cleanup --root_dir=runs/ia_cleanup7

Defaults follow thesis Table B.5 (IA column) and App. B.4.2 for the map.
"""

from absl import flags

from launchers import cleanup_common
from launchers import common
from mmagents.agents import inequity_aversion as ia
from mmagents.core import launch

_DEFAULTS = ia.IAConfig()
launch.define_run_flags(num_episodes=50_000, eval_interval=500,
                        num_eval_episodes=10)
cleanup_common.define_cleanup_flags()
cleanup_common.define_ac_flags(_DEFAULTS)
flags.DEFINE_float("disadvantageous_aversion",
                   _DEFAULTS.disadvantageous_aversion,
                   "α: aversion to others being ahead.")
flags.DEFINE_float("advantageous_aversion", _DEFAULTS.advantageous_aversion,
                   "β: aversion to being ahead of others.")
flags.DEFINE_float("smoothing", _DEFAULTS.smoothing,
                   "λ of the reward smoothing e ← γλ e + r.")
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
flags.adopt_module_key_flags(cleanup_common)
FLAGS = flags.FLAGS

# Table B.5, IA: ε over 5,000 episodes on 10x10.
MAP_DEFAULTS = {"cleanup_10x10_sym": {"epsilon_episodes": 5000}}


def main(argv):
  del argv
  cleanup_common.apply_map_defaults(MAP_DEFAULTS)
  env_name, env_kwargs = cleanup_common.cleanup_env()
  with launch.bad_input():
    config = ia.IAConfig(
        **cleanup_common.ac_config_kwargs(),
        disadvantageous_aversion=FLAGS.disadvantageous_aversion,
        advantageous_aversion=FLAGS.advantageous_aversion,
        smoothing=FLAGS.smoothing)
  common.train_eval("ia_cleanup", env_name, env_kwargs, "ia", config)


if __name__ == "__main__":
  launch.run(main)

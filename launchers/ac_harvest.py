r"""Independent actor-critic on Harvest, the common-pool resource game.

Five agents on the original 16 x 38 map (1,000-step episodes, penalty beam
-1/-50); selfish learners tend to over-harvest, so apples stop regrowing.
Evaluation rows carry equality and sustainability (``outcome``).

  python -m launchers.ac_harvest --root_dir=runs/ac_harvest
  python -m launchers.ac_harvest --root_dir=runs/ac_harvest_mp \
      --neighbourhood=meltingpot

Same networks and actor-critic defaults as `ac_cleanup`.
"""

from absl import flags

from launchers import cleanup_common
from launchers import common
from mmagents.agents import ac
from mmagents.core import launch

launch.define_run_flags(num_episodes=5_000, eval_interval=100,
                        num_eval_episodes=2)
cleanup_common.define_ac_flags(ac.ACConfig())
cleanup_common.define_harvest_flags()
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
flags.adopt_module_key_flags(cleanup_common)


def main(argv):
  del argv
  env_name, env_kwargs = cleanup_common.harvest_env()
  with launch.bad_input():
    config = ac.ACConfig(**cleanup_common.ac_config_kwargs())
  common.train_eval("ac_harvest", env_name, env_kwargs, "ac", config)


if __name__ == "__main__":
  launch.run(main)

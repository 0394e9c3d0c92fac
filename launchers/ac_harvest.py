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
flags.DEFINE_enum("map", "harvest", ["harvest"], "Harvest map.")
flags.DEFINE_integer("num_agents", 5, "Agents (at most the spawn points).")
flags.DEFINE_alias("n_agents", "num_agents")
flags.DEFINE_integer("max_steps", 1000, "Episode length.")
flags.DEFINE_enum("neighbourhood", "ssd", ["ssd", "meltingpot"],
                  "Regrowth neighbourhood: SSD's 3x3 or Melting Pot's radius "
                  "2 (with their probabilities).")
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
flags.adopt_module_key_flags(cleanup_common)
FLAGS = flags.FLAGS


def main(argv):
  del argv
  env_kwargs = {"map_name": FLAGS.map, "num_agents": FLAGS.num_agents,
                "neighbourhood": FLAGS.neighbourhood,
                "max_steps": FLAGS.max_steps,
                "normalize_observation": True}
  with launch.bad_input():
    config = ac.ACConfig(**cleanup_common.ac_config_kwargs())
  common.train_eval("ac_harvest", "harvest", env_kwargs, "ac", config)


if __name__ == "__main__":
  launch.run(main)

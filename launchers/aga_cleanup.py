r"""Altruistic gradient adjustment (AgA) for actor-critic agents on Cleanup.

Every agent keeps its own reward and critic; the joint policy step is
chosen by ``--method``: simul_ind (independent actor-critic), simul_co
(every agent follows the collective gradient), aga (ξ_c + λ(ξ + H_c ξ_c)
with the sign rule) or aga_no_sign. Evaluation rows carry the collective
return, equality and the division-of-labour counts.

  python -m launchers.aga_cleanup --root_dir=runs/aga_cleanup7 --alignment=1
  python -m launchers.aga_cleanup --root_dir=runs/simul_ind_cleanup7 \
      --method=simul_ind

Defaults: LIO's 7x7 map and two agents (``--map`` and ``--setting=ssd``
select the original game), the AC networks of Table B.5, Adam (lr 1e-3) on
the policies for every method so that λ up to 1000 stays usable.
"""

from absl import flags

from launchers import cleanup_common
from launchers import common
from mmagents.core import launch

launch.define_run_flags(num_episodes=50_000, eval_interval=500,
                        num_eval_episodes=10)
cleanup_common.define_cleanup_flags()
cleanup_common.define_aga_flags()
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
flags.adopt_module_key_flags(cleanup_common)


def main(argv):
  del argv
  cleanup_common.apply_map_defaults(cleanup_common.AC_MAP_DEFAULTS)
  env_name, env_kwargs = cleanup_common.cleanup_env()
  cleanup_common.train_aga("aga_cleanup", env_name, env_kwargs)


if __name__ == "__main__":
  launch.run(main)

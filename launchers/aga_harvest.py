r"""Altruistic gradient adjustment (AgA) for actor-critic agents on Harvest.

Selfish learners over-harvest the common pool; AgA adds the collective
gradient and its Hessian term to each agent's own (``--method``,
``--alignment`` as in `aga_cleanup`). Evaluation rows carry the collective
return, equality and sustainability.

  python -m launchers.aga_harvest --root_dir=runs/aga_harvest --alignment=100
  python -m launchers.aga_harvest --root_dir=runs/aga_harvest_step \
      --alignment=0.1 --loss_scale=step --nopenalty_beam
  python -m launchers.aga_harvest --root_dir=runs/aga_harvest_short \
      --max_steps=200 --num_agents=3

With per-step losses (``--loss_scale=step``) every λ from 0.1 to 1000 kept
the 1,000-step commons alive where independent learners exhaust it
(docs/results/README.md).

Defaults: the original 16 x 38 map, five agents, 1,000-step episodes, the
AC networks of `ac_harvest` and Adam (lr 1e-3) on the policies.
"""

from absl import flags

from launchers import cleanup_common
from launchers import common
from mmagents.core import launch

launch.define_run_flags(num_episodes=5_000, eval_interval=100,
                        num_eval_episodes=2)
cleanup_common.define_harvest_flags()
cleanup_common.define_aga_flags()
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
flags.adopt_module_key_flags(cleanup_common)


def main(argv):
  del argv
  env_name, env_kwargs = cleanup_common.harvest_env()
  cleanup_common.train_aga("aga_harvest", env_name, env_kwargs)


if __name__ == "__main__":
  launch.run(main)

"""Flags and training of the multi-goal launchers (CM3, IAC, COMA, QMIX on
cooperative navigation, Checkers and SUMO's double lane merge).

Defaults come from `mmagents.cm3.presets` (thesis Tables A.3–A.5);
``--hparam key=value`` overrides one config field (``--helpfull`` of a
launcher lists the run flags; a bad key lists the known ones).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Dict, Tuple

from absl import flags

from launchers import common
from mmagents.cm3 import presets
from mmagents.core import config_args
from mmagents.core import launch

FLAGS = flags.FLAGS
_ABLATIONS = {"none": "cm3", "qv": "qv", "direct": "direct"}
_SCENARIOS = ("antipodal", "cross", "merge")


def define_flags(game: str, method: str) -> None:
  """Run, environment and method flags of `method` on `game`."""
  preset = presets.preset(game, method)
  launch.define_run_flags(num_episodes=preset.num_episodes,
                          eval_interval=100, num_eval_episodes=10)
  FLAGS.set_default("episodes_per_iteration", preset.episodes_per_iteration)
  flags.DEFINE_multi_string(
      "hparam", [], "Config field override key=value (e.g. "
      "policy_learning_rate=3e-4, critic_hidden_sizes=128,128).")
  length_help = "Episode length (default: the table's for the stage)."
  if game == "sumo":
    length_help += (" SUMO: 40, CM3's code; the thesis' 33 makes cars "
                    "accelerate past the speed limit (see "
                    "environments/sumo/merge.py).")
  flags.DEFINE_integer("max_steps", None, length_help)
  if game == "particle":
    flags.DEFINE_enum("scenario", "antipodal", list(_SCENARIOS),
                      "Formation of thesis Fig. 3.2 (Stage 2).")
    flags.DEFINE_float("prob_random", None,
                       "Chance of a uniform random start (default 0.2; "
                       "Stage 1 always random).")
  if game == "sumo":
    flags.DEFINE_enum("config", "train", ["train", "C1", "C2", "C3", "C4"],
                      "Lanes and traffic: train (empty road) or a "
                      "heavy-traffic test configuration of Table A.1.")
    flags.DEFINE_enum("backend", "traci", ["traci", "libsumo"],
                      "SUMO connection; libsumo (faster) holds one "
                      "simulation per process, so it needs "
                      "--parallel_envs >= 2 (training in worker processes, "
                      "evaluation here).")
  if method == "cm3":
    flags.DEFINE_integer("stage", 2, "Curriculum stage: 1 (one agent, the "
                         "induced MDP) or 2 (all agents).")
    flags.DEFINE_string("stage1_dir", "",
                        "Root dir of the Stage-1 run whose actor and critic "
                        "initialize Stage 2 (function augmentation).")
    flags.DEFINE_enum("ablation", "none", list(_ABLATIONS),
                      "qv: A = Q(s,a) - V(s) instead of the credit "
                      "function; direct: Stage 2 from scratch.")


def _variant_and_stage(method: str) -> Tuple[str, int]:
  if method != "cm3":
    return method, 2
  variant, stage = _ABLATIONS[FLAGS.ablation], FLAGS.stage
  if stage not in (1, 2):
    raise ValueError(f"--stage must be 1 or 2, got {stage}")
  if stage == 1 and (variant != "cm3" or FLAGS.stage1_dir):
    raise ValueError("Stage 1 takes neither --ablation nor --stage1_dir")
  if stage == 2 and variant == "direct" and FLAGS.stage1_dir:
    raise ValueError("--ablation=direct trains Stage 2 from scratch: drop "
                     "--stage1_dir")
  if stage == 2 and variant != "direct" and not FLAGS.stage1_dir:
    raise ValueError("Stage 2 needs --stage1_dir (a finished --stage=1 run) "
                     "or --ablation=direct")
  if FLAGS.stage1_dir and not _has_checkpoint(FLAGS.stage1_dir):
    raise ValueError(f"--stage1_dir={FLAGS.stage1_dir} holds no checkpoint "
                     "(run --stage=1 there first)")
  return variant, stage


def _has_checkpoint(root_dir: str) -> bool:
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  return tf.train.latest_checkpoint(
      os.path.join(root_dir, "checkpoints")) is not None


def _env(game: str, stage: int, max_steps: int) -> Tuple[str, Dict[str, Any]]:
  if game == "particle":
    kwargs = {"scenario": "stage1" if stage == 1 else FLAGS.scenario,
              "max_steps": max_steps}
    if FLAGS.prob_random is not None and stage == 2:
      kwargs["prob_random"] = FLAGS.prob_random
    return "particle_navigation", kwargs
  if game == "sumo":
    if FLAGS.backend == "libsumo" and FLAGS.parallel_envs < 2:
      raise ValueError("--backend=libsumo needs --parallel_envs >= 2 (one "
                       "simulation per process: training and evaluation "
                       "cannot share one)")
    kwargs = {"max_steps": max_steps, "stage1": stage == 1,
              "config": FLAGS.config}
    if FLAGS.backend != "traci":  # Runs made before the flag stay valid.
      kwargs["backend"] = FLAGS.backend
    return "sumo_merge", kwargs
  return "checkers", {"max_steps": max_steps, "stage1": stage == 1}


def train(name: str, game: str, method: str) -> Dict[str, Any]:
  """Trains `method` on `game` with the flags; returns the run summary."""
  with launch.bad_input():
    variant, stage = _variant_and_stage(method)
    preset = presets.preset(game, variant, stage)
    fields = dataclasses.asdict(preset.config)
    fields.update(config_args.parse(FLAGS.hparam, fields, "--hparam"))
    if method == "cm3":
      fields["stage1_dir"] = FLAGS.stage1_dir
    config = type(preset.config)(**fields)
  # Stage 1 and off-policy columns have their own table values.
  if not FLAGS["num_episodes"].present:
    FLAGS.num_episodes = preset.num_episodes
  if not FLAGS["episodes_per_iteration"].present:
    FLAGS.episodes_per_iteration = preset.episodes_per_iteration
  with launch.bad_input():
    env_name, env_kwargs = _env(game, stage, FLAGS.max_steps or
                                preset.max_steps)
  return common.train_eval(name, env_name, env_kwargs, preset.method, config)

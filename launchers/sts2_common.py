"""Flags and training of the STS2 launchers (HSD and its baselines, thesis
ch. 4): 3v3 against the scripted team, 50,000 episodes of at most 500
steps, 20 evaluation episodes every 100 (§4.3.2).

``--hparam key=value`` overrides one config field of the method (a bad key
lists the known ones); evaluation rows carry the win rate as
``events.win``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict

from absl import flags

from launchers import common
from mmagents.core import config_args
from mmagents.core import launch

FLAGS = flags.FLAGS


def define_flags() -> None:
  launch.define_run_flags(num_episodes=50_000, eval_interval=100,
                          num_eval_episodes=20)
  flags.DEFINE_multi_string(
      "hparam", [], "Config field override key=value (e.g. num_skills=8, "
      "segment_length=20, learning_rate=3e-4).")
  flags.DEFINE_integer("num_players", 3, "Players per team (N vs N).")
  flags.DEFINE_integer("max_steps", 500, "Episode length limit.")


def env_kwargs() -> Dict[str, Any]:
  return {"num_players": FLAGS.num_players, "max_steps": FLAGS.max_steps}


def train(name: str, method: str, config) -> Dict[str, Any]:
  """Trains `method` (registry name) from `config` with --hparam applied."""
  with launch.bad_input():
    fields = dataclasses.asdict(config)
    fields.update(config_args.parse(FLAGS.hparam, fields, "--hparam"))
    config = type(config)(**fields)
  return common.train_eval(name, "sts2", env_kwargs(), method, config)

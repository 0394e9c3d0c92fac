"""Parses ``key=value`` flag lists into typed keyword arguments.

Generic launchers take ``--env_arg num_agents=3 --hparam learning_rate=1e-3``;
each value is converted to the type of the default it replaces, and unknown
keys are errors that name the known ones.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Callable, Dict, Iterable, Mapping


def defaults_of(target: Any) -> Dict[str, Any]:
  """Default values of a dataclass's fields or a callable's keyword args."""
  if dataclasses.is_dataclass(target):
    return {f.name: f.default for f in dataclasses.fields(target)
            if f.default is not dataclasses.MISSING}
  params = inspect.signature(target).parameters
  return {name: p.default for name, p in params.items()
          if p.default is not inspect.Parameter.empty}


def _convert(key: str, text: str, default: Any) -> Any:
  if isinstance(default, bool):
    if text.lower() not in ("true", "false", "1", "0"):
      raise ValueError(f"{key}: expected true/false, got {text!r}")
    return text.lower() in ("true", "1")
  if isinstance(default, tuple):
    return tuple(int(v) for v in text.split(",") if v)
  if isinstance(default, int):
    return int(text)
  if isinstance(default, float):
    return float(text)
  if default is None:  # Untyped optional: guess int, then float, then str.
    for cast in (int, float):
      try:
        return cast(text)
      except ValueError:
        pass
  return text


def parse(pairs: Iterable[str], defaults: Mapping[str, Any],
          what: str) -> Dict[str, Any]:
  """Converts ``["k=v", ...]`` to typed kwargs; ValueError on bad input."""
  out = {}
  for pair in pairs or ():
    key, sep, text = pair.partition("=")
    if not sep:
      raise ValueError(f"{what}: expected key=value, got {pair!r}")
    if key not in defaults:
      raise ValueError(f"{what}: unknown key {key!r}; known: "
                       f"{', '.join(sorted(defaults))}")
    try:
      out[key] = _convert(key, text, defaults[key])
    except ValueError as e:
      raise ValueError(f"{what}: bad value for {key}: {e}") from None
  return out


def accepted_kwargs(factory: Callable[..., Any]) -> Dict[str, Any]:
  """Keyword defaults of an environment factory minus the seed."""
  return {k: v for k, v in defaults_of(factory).items() if k != "seed"}


def check_ranges(config: Any, at_least_one: Iterable[str] = (),
                 positive: Iterable[str] = (),
                 probabilities: Iterable[str] = ()) -> None:
  """Raises a ValueError naming the first field of `config` out of range:
  integers `at_least_one` (>= 1), `positive` (> 0), `probabilities` (in
  [0, 1]); ``gamma`` in [0, 1] and ``target_update_rate`` in (0, 1] when
  the config has them."""
  for name in at_least_one:
    if getattr(config, name) < 1:
      raise ValueError(f"{name} must be >= 1, got {getattr(config, name)}")
  for name in positive:
    if getattr(config, name) <= 0:
      raise ValueError(f"{name} must be > 0, got {getattr(config, name)}")
  for name in (*probabilities, "gamma"):
    value = getattr(config, name, 0.0)
    if not 0.0 <= value <= 1.0:
      raise ValueError(f"{name} must be in [0, 1], got {value}")
  rate = getattr(config, "target_update_rate", 1.0)
  if not 0.0 < rate <= 1.0:
    raise ValueError(f"target_update_rate must be in (0, 1], got {rate}")

"""Frames of an environment as animated GIFs."""

from __future__ import annotations

import os
from typing import Callable, Mapping, Sequence

import numpy as np
from PIL import Image


def write_gif(frames: Sequence[np.ndarray], path: str, fps: float = 8.0
              ) -> None:
  """Writes uint8 RGB `frames` ``[H, W, 3]`` to `path` as a looping GIF."""
  if not frames:
    raise ValueError("no frames to write")
  directory = os.path.dirname(path)
  if directory:
    os.makedirs(directory, exist_ok=True)
  images = [Image.fromarray(np.asarray(f, np.uint8)) for f in frames]
  images[0].save(path, save_all=True, append_images=images[1:],
                 duration=int(round(1000.0 / fps)), loop=0)


def record_episode(env, act: Callable[[Mapping], Mapping], path: str,
                   fps: float = 8.0, **render_kwargs) -> int:
  """Plays one episode of `env` with ``act(observation) -> actions``.

  Writes the rendered frames (``env.render(**render_kwargs)``) to `path` as a
  GIF; returns the number of steps.
  """
  step = env.reset()
  frames = [env.render(**render_kwargs)]
  steps = 0
  while True:
    step = env.step(act(step.observation))
    steps += 1
    frames.append(env.render(**render_kwargs))
    if step.is_last():
      break
  write_gif(frames, path, fps)
  return steps

"""mmagents: cooperative and mixed-motive multi-agent RL on TF2 and TF-Agents."""

__version__ = "0.1.0"

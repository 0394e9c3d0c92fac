"""Particle worlds with MPE physics: CM3's cooperative navigation."""

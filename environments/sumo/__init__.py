"""SUMO traffic environments: CM3's double lane merge on a real simulator."""

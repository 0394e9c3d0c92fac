"""Simple Team Sports Simulator (STS2) rules and HSD's team-sports task."""

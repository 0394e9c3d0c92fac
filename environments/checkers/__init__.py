"""CM3's Checkers gridworld (thesis App. A.7.3)."""

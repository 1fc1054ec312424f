"""spaceground: space-ground computing co-scheduling on real orbits."""

__version__ = "0.1.0"

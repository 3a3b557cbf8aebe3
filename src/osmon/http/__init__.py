"""The daemon's single HTTP listener."""

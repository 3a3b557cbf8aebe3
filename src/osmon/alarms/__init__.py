"""Alarms: Aodh alarms from the inventory, and the webhook that brings their transitions back."""

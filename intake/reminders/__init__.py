"""Reminder emails for intakes that await information, and the stale queue after them."""

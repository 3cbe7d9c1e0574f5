"""Tests of the staff console, the case view and the consult packet."""

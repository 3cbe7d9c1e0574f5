"""Consultation scheduling: clinicians, their hours, slots, appointments and offers."""

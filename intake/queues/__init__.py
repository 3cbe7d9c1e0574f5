"""The coordinators' work queues: where an intake waits, who holds it, and in what order."""

"""The data lifecycle: retention purge of abandoned drafts, patient export, backup/restore."""

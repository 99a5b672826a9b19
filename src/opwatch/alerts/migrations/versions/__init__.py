"""One module per schema version, oldest first; each is frozen once released."""

"""The `voicedock` command: the composition root that wires the core, the API and the call side."""

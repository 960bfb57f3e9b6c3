"""VoiceDock core: configuration, storage, schemas and secrets shared by the API and the call controller.

Nothing in this package imports `api` or `voicedock_ari`; both of those import from here.
"""

__version__ = "0.1.0"

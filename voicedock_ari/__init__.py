"""Calls and media: the Asterisk side of VoiceDock (ARI client, RTP media, Asterisk install paths).

Imports the core `voicedock` package only; never `api`.
"""

"""The app process as a whole: its composition (server.py), the keys its parts share (keys.py),
the health check and the HTTP security headers of every response."""

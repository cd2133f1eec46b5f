"""The Comptoir sync protocol: framework-free rules shared by the server and (via generated constants) the PWA."""

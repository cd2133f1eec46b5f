"""The Comptoir sync protocol: framework-free rules of the server. The PWA repeats some of them in JavaScript
(the event hash, tickets, the projection, pricing); test vectors generated here (``python -m sync.vectors``) and
run in Chromium keep the two the same."""

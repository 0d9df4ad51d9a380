"""The web chat (Gradio)."""

import os

# Before any module here imports Gradio: a staff tool never phones home (and tests
# block it), and the queue need not rebuild its monitoring summary (a pandas DataFrame)
# after every event.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "100000")

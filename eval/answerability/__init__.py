"""Training the answerability model (rag/answerability.py) on the tuning documents."""

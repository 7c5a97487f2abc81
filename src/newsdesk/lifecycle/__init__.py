"""Model lifecycle: train, evaluate, gate, register (MLflow), promote, serve, audit."""

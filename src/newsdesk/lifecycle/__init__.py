"""Model lifecycle: train, evaluate, gate, register (MLflow), promote, serve, audit.

Importing this package does not import mlflow; the first registry access does.
"""

from newsdesk.lifecycle.audit import AuditLog, audit_log
from newsdesk.lifecycle.cards import ModelCard, model_card
from newsdesk.lifecycle.evaluation import evaluate_version
from newsdesk.lifecycle.gates import GateCheck, GateReport
from newsdesk.lifecycle.promote import Promotion, list_models, promote, rollback, set_challenger
from newsdesk.lifecycle.registry import CHALLENGER, CHAMPION, ModelRegistry, model_name
from newsdesk.lifecycle.serving import Champions, Prediction
from newsdesk.lifecycle.train import TrainResult, train_model

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "AuditLog",
    "Champions",
    "GateCheck",
    "GateReport",
    "ModelCard",
    "ModelRegistry",
    "Prediction",
    "Promotion",
    "TrainResult",
    "audit_log",
    "evaluate_version",
    "list_models",
    "model_card",
    "model_name",
    "promote",
    "rollback",
    "set_challenger",
    "train_model",
]

"""Process definitions: the frozen spec, BPMN 2.0 read/write, validation and CEL conditions."""

from liucheng.process.bpmn import check_bpmn, read_bpmn
from liucheng.process.bpmn_writer import write_bpmn
from liucheng.process.expressions import (
    Condition,
    ConditionSyntaxError,
    ExpressionError,
    compile_condition,
    strip_wrappers,
)
from liucheng.process.spec import (
    Element,
    ElementKind,
    FormField,
    Lane,
    ProcessDefinition,
    SequenceFlow,
    TimerKind,
    TimerSpec,
    WebhookSpec,
)
from liucheng.process.timers import parse_timer
from liucheng.process.validate import ModelError, Problem, Severity, validate

__all__ = [
    "Condition",
    "ConditionSyntaxError",
    "Element",
    "ElementKind",
    "ExpressionError",
    "FormField",
    "Lane",
    "ModelError",
    "Problem",
    "ProcessDefinition",
    "SequenceFlow",
    "Severity",
    "TimerKind",
    "TimerSpec",
    "WebhookSpec",
    "check_bpmn",
    "compile_condition",
    "parse_timer",
    "read_bpmn",
    "strip_wrappers",
    "validate",
    "write_bpmn",
]

"""XML namespaces of BPMN 2.0, its diagram interchange, and the modeler extensions we read."""

from __future__ import annotations

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
LIUCHENG = "http://liucheng.io/schema/bpmn"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
MODELER = "http://camunda.org/schema/modeler/1.0"


def q(namespace: str, local: str) -> str:
    """Clark notation ``{namespace}local`` as lxml spells qualified names."""
    return f"{{{namespace}}}{local}"


def local_name(tag: object) -> str:
    """The local part of a tag; comments and processing instructions have none."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def namespace_of(tag: object) -> str:
    if not isinstance(tag, str) or not tag.startswith("{"):
        return ""
    return tag[1:].split("}", 1)[0]

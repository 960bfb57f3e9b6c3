"""Reusable tool and analysis definitions."""

from __future__ import annotations

from typing import Any

from .assistants import AnalysisPlan, Tool
from .base import Body, Name, Out, Pagination, Text, partial


class ToolTemplateFields(Body):
    name: Name
    description: Text = ""
    tool: Tool


class AnalysisTemplateFields(Body):
    name: Name
    description: Text = ""
    analysis_plan: AnalysisPlan


ToolTemplateUpdate = partial(ToolTemplateFields, "ToolTemplateUpdate")
AnalysisTemplateUpdate = partial(AnalysisTemplateFields, "AnalysisTemplateUpdate")


class ToolTemplateOut(Out):
    id: str
    name: str
    description: str
    tool: dict[str, Any]
    created_at: str
    updated_at: str


class AnalysisTemplateOut(Out):
    id: str
    name: str
    description: str
    analysis_plan: dict[str, Any]
    created_at: str
    updated_at: str


class ToolTemplateEnvelope(Out):
    tool_template: ToolTemplateOut


class ToolTemplateList(Out):
    tool_templates: list[ToolTemplateOut]
    pagination: Pagination


class AnalysisTemplateEnvelope(Out):
    analysis_template: AnalysisTemplateOut


class AnalysisTemplateList(Out):
    analysis_templates: list[AnalysisTemplateOut]
    pagination: Pagination



"""Assistant configuration: what the assistant says, hears, calls and reports."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from .base import (
    E164,
    UNKNOWN_TIMEZONE,
    UNSUPPORTED_SETTING,
    Body,
    HttpUrl,
    Int,
    JsonSchema,
    Name,
    Out,
    Pagination,
    Text,
    partial,
)


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(UNKNOWN_TIMEZONE, "unknown time zone {name}; use an IANA name such as "
                                  "Europe/Amsterdam", {"name": repr(name)}) from None
    return name


TimeZone = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$",
                                examples=["Europe/Amsterdam"]), AfterValidator(_timezone)]
WebhookEvent = Literal["assistant-request", "tool-calls", "status-update", "end-of-call-report", "transcript"]
DEFAULT_WEBHOOK_EVENTS: list[WebhookEvent] = ["tool-calls", "status-update", "end-of-call-report"]
ToolName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class FunctionTool(Body):
    type: Literal["function"]
    name: ToolName
    description: Text = ""
    parameters: JsonSchema = Field(default_factory=lambda: {"type": "object", "properties": {}})
    url: HttpUrl | None = None
    is_async: bool = Field(False, alias="async")
    async_response: Text | None = None


class EndCallTool(Body):
    type: Literal["end_call"]
    description: Text = ""


class TransferDestination(Body):
    type: Literal["number", "sip"]
    number: E164 | None = None
    sip_uri: Annotated[str, Field(pattern=r"^sips?:[^ \t\r\n]+$", max_length=512)] | None = None
    description: Text = ""
    message: Text | None = None


class TransferCallTool(Body):
    type: Literal["transfer_call"]
    destinations: Annotated[list[TransferDestination], Field(min_length=1, max_length=50)]
    description: Text = ""


Tool = Annotated[FunctionTool | EndCallTool | TransferCallTool, Field(discriminator="type")]
Tools = Annotated[list[Tool], Field(max_length=64)]


class LLMConfig(Body):
    provider: Literal["local", "openai"] = "local"
    model: Annotated[str, Field(max_length=200)] | None = None
    temperature: float = Field(0.0, ge=0, le=2, description="0 by default: the same words get the same answer.")
    max_tokens: Int = Field(150, ge=1, le=4096, description="A spoken reply is a sentence or two.")
    tools: Tools = Field(default_factory=list)
    url: HttpUrl | None = Field(None, description="Provider `openai`: the OpenAI-compatible server's base URL "
                                                  "(ending in /v1); else the BYOK entry's base_url, else OpenAI's.")


ProviderUrl = Annotated[str, Field(max_length=300, description="`tcp://host:port` of a Wyoming server "
                                    "(provider `wyoming`), else an OpenAI-compatible base URL ending in /v1.")]


class STTConfig(Body):
    provider: Literal["local", "openai", "deepgram", "wyoming"] = "local"
    model: Annotated[str, Field(max_length=200)] | None = None
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z]{2})?$")] | None = None
    url: ProviderUrl | None = None


class TTSConfig(Body):
    provider: Literal["local", "openai", "elevenlabs", "wyoming"] = "local"
    voice_id: Annotated[str, Field(max_length=200)] | None = None
    speed: float = Field(1.0, ge=0.5, le=2.0)
    model: Annotated[str, Field(max_length=200)] | None = None
    url: ProviderUrl | None = None


class StructuredDataPlan(Body):
    enabled: bool = False
    json_schema: JsonSchema = Field(default_factory=lambda: {"type": "object"}, alias="schema")
    messages: Annotated[list[dict[str, Any]], Field(max_length=20)] | None = None


class SuccessEvaluationPlan(Body):
    enabled: bool = True
    rubric: Literal["pass-fail", "numeric-scale", "descriptive-scale"] = "pass-fail"
    prompt: Text | None = None


class AnalysisPlan(Body):
    summary_prompt: Text | None = None
    structured_data_plan: StructuredDataPlan | None = None
    success_evaluation_plan: SuccessEvaluationPlan | None = None


class StartSpeakingPlan(Body):
    wait_seconds: float = Field(0.4, ge=0, le=5)


class StopSpeakingPlan(Body):
    num_words: Int = Field(0, ge=0, le=10)
    voice_seconds: float = Field(0.2, ge=0, le=2)


class AssistantFields(Body):
    name: Name = "Untitled assistant"
    business_name: Annotated[str, Field(max_length=200)] | None = None
    system_prompt: Annotated[str, Field(min_length=1, max_length=20000)]
    first_message: Text | None = None
    first_message_mode: Literal["assistant-speaks-first", "assistant-waits-for-user"] = "assistant-speaks-first"
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z]{2})?$")] = "en"
    timezone: TimeZone | None = Field(
        None, description="IANA time zone that the caller's dates and times are read in (\"Friday at 3\"); "
                          "the server's own time zone when absent.")
    is_active: bool = True
    metadata: dict[str, Any] = Field(default_factory=dict)
    llm_config: LLMConfig = Field(default_factory=LLMConfig)
    stt_config: STTConfig = Field(default_factory=STTConfig)
    tts_config: TTSConfig = Field(default_factory=TTSConfig)
    tools: Tools | None = Field(None, description="Same as llm_config.tools; kept for the seed's wording.")
    analysis_plan: AnalysisPlan | None = None
    max_duration_seconds: Int = Field(300, ge=10, le=43200)
    autonomous_silence_handling: bool = False
    silence_timeout_seconds: float = Field(8, ge=1, le=600)
    voicemail_detection: bool = Field(False, description="Outbound calls: an answering machine gets voicemail_message "
                                                         "after its beep and the call ends `voicemail`.")
    voicemail_message: Text | None = Field(None, description="Left on an answering machine; the first_message "
                                                             "when absent.")
    recording_enabled: bool = True
    gdpr_mode: bool = False
    start_speaking_plan: StartSpeakingPlan = Field(default_factory=StartSpeakingPlan)
    stop_speaking_plan: StopSpeakingPlan = Field(default_factory=StopSpeakingPlan)
    webhook_url: HttpUrl | None = None
    webhook_secret: Annotated[str, Field(min_length=16, max_length=512)] | None = Field(
        None, description="Write-only. Generated when absent and returned once, in the create response."
    )
    webhook_events: Annotated[list[WebhookEvent], Field(max_length=5)] = Field(
        default_factory=lambda: list(DEFAULT_WEBHOOK_EVENTS)
    )
    notification_email: Annotated[str, Field(pattern=r"^[^@ \t\r\n]+@[^@ \t\r\n]+\.[^@ \t\r\n]+$", max_length=320)] | None = None


NOT_SUPPORTED = "{field} is not supported: no call acts on it, so it may only keep its default (see docs/settings.md)"
NOT_FOR_LOCAL = ("{field} is not used by provider 'local' (it names a remote provider's server or model): "
                 "remove it, or choose the provider it is for (see docs/settings.md)")
LOCAL_IGNORES = {"llm_config": ("url",), "stt_config": ("url",), "tts_config": ("url", "model")}
"""Per config, the provider fields the local engines have no use for (the local LLM's `model` and
Whisper's `stt_config.model` they do use, and check)."""
NOT_FOR_WYOMING = ("{field} is not used by provider 'wyoming' (the Wyoming protocol has no {what}): "
                   "remove it, or choose a provider that has one (see docs/settings.md)")


class AssistantCreate(AssistantFields):
    """What the API accepts: settings no call acts on are refused here rather than stored and ignored.

    Only the API's input refuses them; a stored assistant that already has one still runs its calls."""

    @field_validator("llm_config", "tools")
    @classmethod
    def _tools_acted_on(cls, value: Any, info: ValidationInfo) -> Any:
        tools = value.tools if isinstance(value, LLMConfig) else value or []
        for tool in tools:
            if isinstance(tool, FunctionTool) and tool.async_response is not None:
                raise PydanticCustomError(UNSUPPORTED_SETTING, NOT_SUPPORTED, {"field": "async_response"})
        return value

    @field_validator("llm_config", "stt_config", "tts_config")
    @classmethod
    def _local_uses_it(cls, value: LLMConfig | STTConfig | TTSConfig, info: ValidationInfo) -> Any:
        config = str(info.field_name)
        if value.provider == "local":
            for name in LOCAL_IGNORES[config]:
                if getattr(value, name) is not None:
                    raise PydanticCustomError(UNSUPPORTED_SETTING, NOT_FOR_LOCAL, {"field": f"{config}.{name}"})
        if isinstance(value, TTSConfig) and value.provider == "wyoming":
            if value.model is not None:
                raise PydanticCustomError(UNSUPPORTED_SETTING, NOT_FOR_WYOMING,
                                          {"field": "tts_config.model", "what": "model name"})
            if value.speed != 1.0:
                raise PydanticCustomError(UNSUPPORTED_SETTING, NOT_FOR_WYOMING,
                                          {"field": "tts_config.speed", "what": "speaking rate"})
        return value


AssistantUpdate = partial(AssistantFields, "AssistantUpdate")


class AssistantOut(Out):
    id: str
    name: str
    system_prompt: str
    is_active: bool
    llm_config: dict[str, Any]
    webhook_events: list[str]
    created_at: str
    updated_at: str
    webhook_secret: str | None = Field(None, description="Present only in the create response, when generated.")


class AssistantEnvelope(Out):
    assistant: AssistantOut


class AssistantList(Out):
    assistants: list[AssistantOut]
    pagination: Pagination


def stored_document(assistant: AssistantFields) -> dict[str, Any]:
    """The document as stored and served (never the webhook secret); `tools` mirrors `llm_config.tools`,
    as the seed's examples read them."""
    doc = normalise(assistant.model_dump(by_alias=True, exclude={"webhook_secret"}))
    return {**doc, "tools": doc["llm_config"]["tools"]}


def normalise(fields: dict[str, Any]) -> dict[str, Any]:
    """Fold the seed's top-level `tools` into `llm_config.tools` (one place to read them from)."""
    fields = dict(fields)
    tools = fields.pop("tools", None)
    if tools is not None:
        llm = dict(fields.get("llm_config") or {})
        llm["tools"] = tools
        fields["llm_config"] = llm
    return fields

"""Hypothesis strategies for the wire types.

Request-side strategies draw ``(value, expected_wire_json)`` pairs: the
expected JSON is assembled here independently (standard-library base64, the
documented camelCase names), so a test compares the library against it rather
than against itself. Response-side strategies draw wire JSON documents,
including fields the library does not know and int64 counts sent as strings.
"""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import strategies as st

from gemini_vision.wire.config import (
    FunctionCallingConfig,
    FunctionDeclaration,
    GenerationConfig,
    SafetySetting,
    Schema,
    ThinkingConfig,
    Tool,
    ToolConfig,
)
from gemini_vision.wire.content import (
    CodeExecutionResult,
    Content,
    ExecutableCode,
    FileData,
    FunctionCall,
    FunctionResponse,
    Part,
)

Pair = tuple[Any, dict[str, Any]]

text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30)
names = st.from_regex(r"[a-z][a-zA-Z0-9_]{0,12}", fullmatch=True)
enum_names = st.from_regex(r"[A-Z][A-Z_]{0,20}", fullmatch=True)
mime_types = st.sampled_from(["image/png", "image/jpeg", "image/webp", "application/pdf"])
json_leaf = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | text
json_values = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=6,
)
free_form = st.dictionaries(text, json_values, max_size=4)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@st.composite
def parts(draw: st.DrawFn) -> Pair:
    kind = draw(st.sampled_from(["text", "inline", "file", "call", "response", "code", "result"]))
    if kind == "text":
        value = draw(text)
        thought = draw(st.none() | st.booleans())
        signature = draw(st.none() | st.binary(max_size=16))
        expected: dict[str, Any] = {"text": value}
        if thought is not None:
            expected["thought"] = thought
        if signature is not None:
            expected["thoughtSignature"] = b64(signature)
        return Part(text=value, thought=thought, thought_signature=signature), expected
    if kind == "inline":
        data, mime = draw(st.binary(max_size=64)), draw(mime_types)
        return Part.from_bytes(data, mime), {"inlineData": {"mimeType": mime, "data": b64(data)}}
    if kind == "file":
        uri, mime = draw(text), draw(st.none() | mime_types)
        inner = {"fileUri": uri} if mime is None else {"mimeType": mime, "fileUri": uri}
        return Part(file_data=FileData(uri, mime)), {"fileData": inner}
    if kind == "call":
        name, args = draw(names), draw(free_form)
        return Part(function_call=FunctionCall(name, args)), {
            "functionCall": {"name": name, "args": args}
        }
    if kind == "response":
        name, response = draw(names), draw(free_form)
        return Part(function_response=FunctionResponse(name, response)), {
            "functionResponse": {"name": name, "response": response}
        }
    if kind == "code":
        code = draw(text)
        return Part(executable_code=ExecutableCode(code)), {
            "executableCode": {"language": "PYTHON", "code": code}
        }
    outcome, output = draw(enum_names), draw(text)
    return Part(code_execution_result=CodeExecutionResult(outcome, output)), {
        "codeExecutionResult": {"outcome": outcome, "output": output}
    }


@st.composite
def contents(draw: st.DrawFn) -> Pair:
    pairs = draw(st.lists(parts(), min_size=1, max_size=4))
    role = draw(st.none() | st.sampled_from(["user", "model"]))
    expected: dict[str, Any] = {} if role is None else {"role": role}
    expected["parts"] = [e for _, e in pairs]
    return Content([p for p, _ in pairs], role=role), expected


@st.composite
def schemas(draw: st.DrawFn, depth: int = 2) -> Pair:
    kind = draw(st.sampled_from(["STRING", "NUMBER", "OBJECT", "ARRAY"] if depth else ["STRING"]))
    description = draw(st.none() | text)
    expected: dict[str, Any] = {"type": kind}
    kwargs: dict[str, Any] = {}
    if description is not None:
        expected["description"] = description
        kwargs["description"] = description
    if kind == "OBJECT":
        props = draw(st.dictionaries(names, schemas(depth - 1), min_size=1, max_size=3))
        kwargs["properties"] = {k: v for k, (v, _) in props.items()}
        expected["properties"] = {k: e for k, (_, e) in props.items()}
        required = sorted(props)[:1]
        kwargs["required"] = required
        expected["required"] = required
    elif kind == "ARRAY":
        item, item_json = draw(schemas(depth - 1))
        kwargs["items"] = item
        expected["items"] = item_json
    return Schema(kind, **kwargs), expected


@st.composite
def generation_configs(draw: st.DrawFn) -> Pair:
    fields = {
        "stopSequences": ("stop_sequences", st.lists(text, max_size=5)),
        "candidateCount": ("candidate_count", st.integers(1, 8)),
        "maxOutputTokens": ("max_output_tokens", st.integers(1, 65536)),
        "temperature": ("temperature", st.floats(0, 2)),
        "topP": ("top_p", st.floats(0, 1)),
        "topK": ("top_k", st.integers(0, 100)),
        "seed": ("seed", st.integers(-(2**31), 2**31 - 1)),
        "mediaResolution": ("media_resolution", enum_names),
    }
    kwargs: dict[str, Any] = {}
    expected: dict[str, Any] = {}
    for wire, (attr, strategy) in fields.items():
        if draw(st.booleans()):
            value = draw(strategy)
            kwargs[attr] = value
            expected[wire] = value
    if draw(st.booleans()):
        schema, schema_json = draw(schemas())
        kwargs["response_mime_type"] = "application/json"
        kwargs["response_schema"] = schema
        expected["responseMimeType"] = "application/json"
        expected["responseSchema"] = schema_json
    if draw(st.booleans()):
        budget, include = draw(st.integers(-1, 24576)), draw(st.booleans())
        kwargs["thinking_config"] = ThinkingConfig(thinking_budget=budget, include_thoughts=include)
        expected["thinkingConfig"] = {"includeThoughts": include, "thinkingBudget": budget}
    return GenerationConfig(**kwargs), expected


@st.composite
def safety_settings(draw: st.DrawFn) -> list[Pair]:
    categories = draw(
        st.lists(
            st.sampled_from(
                [
                    "HARM_CATEGORY_HARASSMENT",
                    "HARM_CATEGORY_HATE_SPEECH",
                    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
                    "HARM_CATEGORY_DANGEROUS_CONTENT",
                    "HARM_CATEGORY_CIVIC_INTEGRITY",
                ]
            ),
            unique=True,
            max_size=5,
        )
    )
    out = []
    for category in categories:
        threshold = draw(st.sampled_from(["BLOCK_NONE", "BLOCK_ONLY_HIGH", "BLOCK_LOW_AND_ABOVE"]))
        out.append(
            (SafetySetting(category, threshold), {"category": category, "threshold": threshold})
        )
    return out


@st.composite
def tools(draw: st.DrawFn) -> Pair:
    if draw(st.booleans()):
        return Tool(code_execution=True), {"codeExecution": {}}
    declared = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    declarations, expected = [], []
    for name in declared:
        schema, schema_json = draw(schemas())
        description = draw(text)
        declarations.append(FunctionDeclaration(name, description, schema))
        expected.append({"name": name, "description": description, "parameters": schema_json})
    return Tool(function_declarations=declarations), {"functionDeclarations": expected}


@st.composite
def tool_configs(draw: st.DrawFn) -> Pair:
    mode = draw(st.sampled_from(["AUTO", "ANY", "NONE"]))
    return ToolConfig(FunctionCallingConfig(mode)), {"functionCallingConfig": {"mode": mode}}


# --- responses: wire JSON documents ----------------------------------------------

int64 = st.integers(0, 2**62) | st.integers(0, 2**62).map(str)
unknown_fields = st.dictionaries(
    st.from_regex(r"future[A-Z][a-z]{1,6}", fullmatch=True), json_values, max_size=2
)


def _with_unknown(draw: st.DrawFn, document: dict[str, Any]) -> dict[str, Any]:
    document.update(draw(unknown_fields))
    return document


@st.composite
def safety_rating_json(draw: st.DrawFn) -> dict[str, Any]:
    return _with_unknown(
        draw, {"category": draw(enum_names), "probability": draw(enum_names), "blocked": False}
    )


@st.composite
def candidate_json(draw: st.DrawFn, index: int = 0) -> dict[str, Any]:
    _, content = draw(contents())
    content["role"] = "model"
    document: dict[str, Any] = {"content": content, "index": index}
    if draw(st.booleans()):
        document["finishReason"] = draw(st.sampled_from(["STOP", "MAX_TOKENS", "SAFETY"]))
    if draw(st.booleans()):
        document["safetyRatings"] = draw(st.lists(safety_rating_json(), max_size=3))
    if draw(st.booleans()):
        document["tokenCount"] = draw(int64)
    if draw(st.booleans()):
        document["citationMetadata"] = {
            "citationSources": [{"startIndex": draw(int64), "endIndex": draw(int64), "uri": "u"}]
        }
    return _with_unknown(draw, document)


@st.composite
def usage_json(draw: st.DrawFn) -> dict[str, Any]:
    document = {
        key: draw(int64)
        for key in ("promptTokenCount", "candidatesTokenCount", "totalTokenCount")
        if draw(st.booleans())
    }
    if draw(st.booleans()):
        document["thoughtsTokenCount"] = draw(int64)
    if draw(st.booleans()):
        document["promptTokensDetails"] = [
            {"modality": draw(st.sampled_from(["TEXT", "IMAGE"])), "tokenCount": draw(int64)}
        ]
    return _with_unknown(draw, document)


@st.composite
def response_json(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(0, 2))
    document: dict[str, Any] = {}
    if count:
        document["candidates"] = [draw(candidate_json(i)) for i in range(count)]
    if draw(st.booleans()):
        document["promptFeedback"] = {
            "blockReason": draw(enum_names),
            "safetyRatings": draw(st.lists(safety_rating_json(), max_size=2)),
        }
    if draw(st.booleans()):
        document["usageMetadata"] = draw(usage_json())
    if draw(st.booleans()):
        document["modelVersion"] = draw(text)
    if draw(st.booleans()):
        document["responseId"] = draw(text)
    return _with_unknown(draw, document)

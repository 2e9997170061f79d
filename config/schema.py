"""OpenAPI post-processing: document the error responses every operation can give.

Every error body has one shape (``config.api``); documenting it on each operation lets clients generate error
types and lets the schema-driven tests (schemathesis) check that what the API answers is what it promises.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

ERROR_COMPONENT = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error: a readable summary and the reasons per field (dotted path for nested fields).",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["detail", "errors"],
}
ERROR_DESCRIPTIONS = {
    "400": "Invalid input; `errors` names each field and its reason.",
    "401": "Not authenticated.",
    "403": "Not allowed.",
    "404": "Not found, or not visible to the caller.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "413": "Request body too large.",
    "415": "Unsupported media type.",
    "429": "Too many requests (throttled).",
}
WRITE_ONLY = {"413", "415"}
METHODS = {"get", "put", "patch", "post", "delete", "head", "options"}


def document_error_responses(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Add the error responses to every operation that does not already document them."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    ref = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_DESCRIPTIONS.items():
                if code in WRITE_ONLY and method in ("get", "head", "delete", "options"):
                    continue
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": ref}}}
                )
    return result


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, with the blank value of read-only choice fields documented.

    DRF drops ``allow_blank`` from read-only model fields, so a field such as ``size_class`` (blank until the
    figures are known) was documented as an enum without ``""`` although the API returns ``""``.
    """

    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False) -> dict[str, Any]:
        if isinstance(field, serializers.ChoiceField) and field.read_only and not field.allow_blank:
            model = getattr(getattr(field.parent, "Meta", None), "model", None)
            try:
                model_field = model._meta.get_field(field.source) if model is not None else None
            except FieldDoesNotExist:
                model_field = None
            if model_field is not None and model_field.blank:
                field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)

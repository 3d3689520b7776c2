"""The schema class that documents every operation's error responses, and the security scheme
of the personal token (drf-spectacular).

It imports DRF's generic views, so it lives apart from `config.rest`, which those views'
settings import.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse

# --- schema ----------------------------------------------------------------------------------

DETAIL_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Each key names a field or query parameter (`non_field_errors` for the "
    "request as a whole, `detail` for a body that cannot be parsed); its value is the list of "
    "messages saying why (an object or a list of objects for nested fields).",
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {}},
            {"type": "object"},
            {"type": "string"},
        ]
    },
}
CONFLICT_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "Why the request conflicts with the data."},
        "dependants": {
            "type": "object",
            "additionalProperties": {"type": "integer", "minimum": 1},
            "description": "For a refused deletion: what depends on the resource, and how many.",
        },
    },
    "required": ["detail"],
}
ERROR_COMPONENTS = {
    "400": ("ValidationErrorResponse", VALIDATION_ERROR_SCHEMA, "Bad input; nothing changed."),
    "401": ("ErrorDetail", DETAIL_SCHEMA, "Not authenticated (no or a bad token)."),
    "403": ("ErrorDetail", DETAIL_SCHEMA, "The user's role may not do this."),
    "404": ("ErrorDetail", DETAIL_SCHEMA, "No such resource."),
    "409": (
        "ConflictResponse",
        CONFLICT_SCHEMA,
        "Refused by the resource's state or by data that depends on it; nothing changed.",
    ),
}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


class ProjectAutoSchema(AutoSchema):
    """drf-spectacular's schema plus the error responses every operation can give.

    401 and 403 everywhere, 404 where the path names a resource, 400 where a body or query
    parameter is read, 409 for deletions and for the actions that declare it. A view that
    documents a code itself keeps its own description.
    """

    def _error_response(self, code: str) -> dict[str, Any]:
        name, schema, description = ERROR_COMPONENTS[code]
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
        )
        self.registry.register_on_missing(component)
        return {
            "description": description,
            "content": {"application/json": {"schema": component.ref}},
        }

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        codes = ["401", "403"]
        if any(parameter["in"] == "path" for parameter in parameters):
            codes.append("404")
        if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
            codes.append("400")
        if self.method == "DELETE":
            codes.append("409")
        responses = operation["responses"]
        for code in codes:
            responses.setdefault(code, self._error_response(code))
        for code, response in list(responses.items()):
            if code in ERROR_COMPONENTS and "content" not in response:
                # A bare OpenApiResponse(description=...) from a view: give it the shape.
                responses[code] = {**self._error_response(code), **response}
        return operation


def conflict_response(description: str) -> dict[int, Any]:
    """The 409 a state-changing action documents, for `extend_schema(responses=...)`."""
    return {409: OpenApiResponse(description=description)}


class ApiTokenScheme(KnoxTokenScheme):
    """The personal token's security scheme, as drf-spectacular states knox's: the project's
    authentication class is a subclass, which knox's extension does not match."""

    target_class = "careers.authentication.ApiTokenAuthentication"

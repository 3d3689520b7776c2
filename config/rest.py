"""The API's shared machinery: the exception handler, the JSON 404, the bounded pagination and
the slug lookup field (no app imports and no DRF views, so settings can name them; the schema
class is in `config.schema`, the JSON parser in `config.parsers`).

Every refusal has one of three shapes: 400 with the fields and their messages, 409 with a
`detail` (and for deletions the `dependants` that block it), and `{"detail": ...}` for 401, 403
and 404. `config.schema` documents them for each operation.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import Conflict, DependantsExist, dependants_named, model_plural

MAX_PAGE_SIZE = 1000
# Past this no page can have rows (no table holds 2^31 rows); the bound keeps the database from
# being asked for an offset it cannot represent.
MAX_OFFSET = 2**31 - 1


# --- errors ----------------------------------------------------------------------------------


def _dependants_of_protected(exc: ProtectedError | RestrictedError) -> dict[str, int]:
    counts: dict[str, int] = {}
    for obj in exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects:
        name = model_plural(type(obj))
        counts[name] = counts.get(name, 0) + 1
    return counts


def exception_handler(exc, context):
    """DRF's handler, plus: model-level validation errors become 400s that name the field;
    conflicts with stored state, and deletions that data depends on, become 409s."""
    if isinstance(exc, DependantsExist):
        return Response(
            {"detail": exc.detail, "dependants": exc.dependants}, status=status.HTTP_409_CONFLICT
        )
    if isinstance(exc, Conflict):
        return Response({"detail": exc.detail}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ProtectedError | RestrictedError):
        # A safety net: services check dependants first and name them; this keeps any missed
        # path from answering 500.
        dependants = _dependants_of_protected(exc)
        return Response(
            {
                "detail": _("Cannot delete: %(named)s depend on it.")
                % {"named": dependants_named(dependants)},
                "dependants": dependants,
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = serializers.ValidationError(detail)
    return drf_exception_handler(exc, context)


def not_found(request, exception=None):
    """404 for URLs no route matches: JSON under /api/ (clients parse it), the page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Http404())


# --- pagination ------------------------------------------------------------------------------


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """limit/offset pagination whose parameters are checked: a limit outside 1..MAX_PAGE_SIZE,
    a negative or too large offset, or a value that is not an integer is a 400 naming the
    parameter (never passed to the database, never silently replaced)."""

    max_limit = MAX_PAGE_SIZE

    def _bounded(self, request, name: str, low: int, high: int) -> int | None:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return None
        try:
            value = int(raw.strip())
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise serializers.ValidationError(
                {
                    name: [
                        _("must be an integer from %(low)d to %(high)d")
                        % {"low": low, "high": high}
                    ]
                }
            )
        return value

    def paginate_queryset(self, queryset, request, view=None):
        # Check both parameters first, so one answer names every bad one.
        errors: dict = {}
        for check in (self.get_limit, self.get_offset):
            try:
                check(request)
            except serializers.ValidationError as error:
                errors.update(error.detail)
        if errors:
            raise serializers.ValidationError(errors)
        return super().paginate_queryset(queryset, request, view)

    def get_limit(self, request):
        value = self._bounded(request, self.limit_query_param, 1, self.max_limit)
        return self.default_limit if value is None else value

    def get_offset(self, request):
        value = self._bounded(request, self.offset_query_param, 0, MAX_OFFSET)
        return 0 if value is None else value

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_limit)
                parameter["description"] = (
                    f"Rows per page, 1 to {self.max_limit} (default {self.default_limit})."
                )
            elif parameter["name"] == self.offset_query_param:
                parameter["schema"].update(minimum=0, maximum=MAX_OFFSET)
                parameter["description"] = "Rows to skip before the page (default 0)."
        return parameters


# --- fields ----------------------------------------------------------------------------------


class SlugLookupField(serializers.SlugRelatedField):
    """A related object named by a text field (a slug, a name): a value holding the NUL character
    is refused with the field's 400 before the lookup, which PostgreSQL would fail with an error
    (no text it stores can hold one)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            raise serializers.ValidationError(ProhibitNullCharactersValidator.message)
        return super().to_internal_value(data)

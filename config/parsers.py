"""The API's parser of request bodies: JSON, nested no deeper than the API can take.

It imports no DRF views: `rest_framework.views` reads the parser setting as it loads, so a
module it would import back could not be named there (hence apart from `config.rest`).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Far deeper than any body the API takes (the deepest, an endpoint's extra_params, is a provider's
# request options), and far from the interpreter's recursion limit, which the decoder and the
# code that walks the data (validation, the NUL check, the database adapter) would reach first.
MAX_JSON_DEPTH = 100


def _depth(data) -> int:
    """How deeply lists and objects nest in parsed JSON (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing a body whose lists and objects nest more than MAX_JSON_DEPTH
    deep with a 400, where it would otherwise exhaust the interpreter's recursion limit (a 500)
    while being decoded or validated."""

    def parse(self, stream, media_type=None, parser_context=None):
        too_deep = ParseError(
            _("JSON parse error - lists and objects nested more than %(depth)d deep")
            % {"depth": MAX_JSON_DEPTH}
        )
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep from None
        if _depth(data) > MAX_JSON_DEPTH:
            raise too_deep
        return data

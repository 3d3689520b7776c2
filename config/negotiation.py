"""The API's content negotiation: DRF's, with an unknown `?format=` named in a 400.

DRF answers a format no renderer offers with a 404, which reads as if the resource did not
exist (`/api/v1/runs/1/?format=csv` when run 1 does). The statistics and exports, which take
`?format=` themselves, name the parameter and its values; this does the same for the rest.
It imports no DRF views: `rest_framework.views` reads the negotiation setting as it loads.
"""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation


class FormatNamingContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        name = self.settings.URL_FORMAT_OVERRIDE
        requested = request.query_params.get(name) if name else None
        offered = [renderer.format for renderer in renderers]
        if not format_suffix and requested and requested not in offered:
            raise ValidationError(
                {name: [f"{requested!r} is not valid; valid values: one of {', '.join(offered)}."]}
            )
        return super().select_renderer(request, renderers, format_suffix)

"""How the API authenticates a personal token: knox's token authentication, refusing with a 401
a token that no token could be before knox decodes it and looks it up.

It imports no DRF views: `rest_framework.views` reads the authentication setting as it loads.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed


class ApiTokenAuthentication(TokenAuthentication):
    """A token that is not UTF-8 (knox's decoding failed: a 500) or holds the NUL character
    (PostgreSQL failed the lookup: a 500) is an invalid token, as any other unknown one is."""

    def authenticate_credentials(self, token: bytes):
        try:
            text = token.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is None or "\x00" in text:
            raise AuthenticationFailed(_("Invalid token."))
        return super().authenticate_credentials(token)

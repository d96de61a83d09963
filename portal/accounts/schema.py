"""OpenAPI descriptions of Parley's authenticators (bearer JWT, browser session)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TenantJWTScheme(OpenApiAuthenticationExtension):
    target_class = "portal.accounts.tokens.TenantJWTAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "The token of POST /auth/login; valid on its own tenant's host only."}


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "portal.accounts.tokens.CsrfSessionAuthentication"
    name = "sessionAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


class RoomTokenScheme(OpenApiAuthenticationExtension):
    target_class = "meetings.api.views.speech.RoomTokenAuthentication"
    name = "roomTokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "A room token (POST /room/<roomId>/token) of a host or participant."}


class RoomFileTokenScheme(OpenApiAuthenticationExtension):
    target_class = "meetings.api.views.files.RoomFileAuthentication"
    name = "roomFileTokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "A room token of that room, any role (viewers list and download only)."}

"""The OpenAPI schema's shared parts (drf-spectacular's DEFAULT_SCHEMA_CLASS).

Every operation documents the errors it can answer with, all in one shape
(`{"detail": …, "code": …}`, or field → messages for a 400), so a client generated
from the schema knows every status it may get.
"""

from drf_spectacular.openapi import AutoSchema

ERROR_SCHEMA = {
    "type": "object",
    "description": "What went wrong: `detail` and `code`, or field → messages (400).",
    "properties": {
        "detail": {"description": "The message, in the user's language."},
        # a string code; on a 400 a field named `code` carries its messages instead
        "code": {"description": "What kind of error (a short string)."},
    },
    "additionalProperties": True,
}

ERRORS = {
    "400": "The request is invalid (a field, a parameter or the cursor).",
    "401": "No credentials, or a token that is unknown, revoked or of a deactivated user.",
    "403": "The user's role may not do this.",
    "404": "No such object, or not one the user may see.",
    "409": "The object's state does not allow it (balance, stock, already done).",
    "415": "The body is not in a supported format (JSON; multipart for files).",
    "429": "Too many requests (or sign-ins): retry after `Retry-After` seconds.",
}


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, description in ERRORS.items():
            if code not in responses:
                responses[code] = {
                    "description": description,
                    "content": {"application/json": {"schema": ERROR_SCHEMA}},
                }
        return responses

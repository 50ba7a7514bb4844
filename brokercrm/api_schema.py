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


# --- links: what a client (and schemathesis's stateful run) does next ------------------

_BODY_ID = {"id": "$response.body#/id"}
_FIRST_ID = {"id": "$response.body#/results/0/id"}


def _to(operation_id: str, description: str, parameters=None, body=None) -> dict:
    link = {"operationId": operation_id, "description": description}
    if parameters:
        link["parameters"] = parameters
    if body is not None:
        link["requestBody"] = body
    return link


def _client_actions(client: str) -> dict:
    """What the UI does for a client, `client` naming its id in the response."""
    return {
        "GetClient": _to("clients_retrieve", "The client.", {"id": client}),
        "GetScores": _to(
            "clients_scores_list", "Its scores in the last runs.", {"id": client}
        ),
        "SetRelationship": _to(
            "clients_relationship_create", "Set its relationship level.", {"id": client}
        ),
        "CreateTask": _to("tasks_create", "Add a follow-up.", body={"client": client}),
        "LogInteraction": _to(
            "interactions_create", "Log a contact.", body={"client": client}
        ),
        "RecordFeedback": _to(
            "feedback_create", "Record its feedback.", body={"client": client}
        ),
        "CreateHousehold": _to(
            "households_create", "Group it in a household.", body={"clients": [client]}
        ),
        "Redeem": _to(
            "loyalty_redemptions_create", "Redeem points.", body={"client": client}
        ),
        "GetLedger": _to(
            "loyalty_entries_list", "Its points ledger.", {"client": client}
        ),
    }


#: (operationId, status) → {link name: link}: the flows worth following.
LINKS = {
    ("clients_list", "200"): _client_actions("$response.body#/results/0/id"),
    ("clients_retrieve", "200"): _client_actions("$response.body#/id"),
    ("tasks_create", "201"): {
        "CompleteTask": _to("tasks_complete_create", "Close the new task.", _BODY_ID),
        "SnoozeTask": _to("tasks_snooze_create", "Move its due date.", _BODY_ID),
        "GetTask": _to("tasks_retrieve", "The new task.", _BODY_ID),
    },
    ("tasks_list", "200"): {
        "CompleteTask": _to("tasks_complete_create", "Close the first.", _FIRST_ID),
        "SnoozeTask": _to("tasks_snooze_create", "Snooze the first.", _FIRST_ID),
    },
    ("interactions_create", "201"): {
        "GetInteraction": _to("interactions_retrieve", "The contact.", _BODY_ID),
        "GetClient": _to(
            "clients_retrieve",
            "The client, its last contact updated.",
            {"id": "$response.body#/client"},
        ),
    },
    ("feedback_create", "201"): {
        "GetFeedback": _to("feedback_retrieve", "The feedback.", _BODY_ID),
        "GetClient": _to(
            "clients_retrieve", "Its client.", {"id": "$response.body#/client"}
        ),
    },
    ("churn_flags_list", "200"): {
        "ResolveFlag": _to(
            "churn_flags_resolve_create", "Resolve the first.", _FIRST_ID
        ),
    },
    ("households_create", "201"): {
        "GetHousehold": _to("households_retrieve", "The new household.", _BODY_ID),
        "AddMember": _to(
            "households_members_create",
            "Add a member (here: its first again).",
            _BODY_ID,
            {"client": "$response.body#/members/0"},
        ),
        "RemoveMember": _to(
            "households_members_destroy",
            "Take its first member out.",
            {"id": "$response.body#/id", "client_id": "$response.body#/members/0"},
        ),
    },
    ("households_list", "200"): {
        "GetHousehold": _to("households_retrieve", "The first household.", _FIRST_ID),
    },
    ("loyalty_redemptions_create", "201"): {
        "GetRedemption": _to("loyalty_redemptions_retrieve", "It.", _BODY_ID),
        "GetLedger": _to(
            "loyalty_entries_list",
            "The client's points ledger, the redemption's entry in it.",
            {"client": "$response.body#/client"},
        ),
        "GetClient": _to(
            "clients_retrieve",
            "The client, its points balance lowered.",
            {"id": "$response.body#/client"},
        ),
    },
    ("loyalty_entries_list", "200"): {
        "GetEntry": _to("loyalty_entries_retrieve", "The first entry.", _FIRST_ID),
    },
    ("loyalty_adjustments_list", "200"): {
        "Approve": _to(
            "loyalty_adjustments_approve_create", "Approve the first.", _FIRST_ID
        ),
        "Reject": _to(
            "loyalty_adjustments_reject_create", "Reject the first.", _FIRST_ID
        ),
    },
    ("imports_create", "202"): {
        "GetImport": _to(
            "imports_retrieve", "Poll the batch: its status and row report.", _BODY_ID
        ),
        "ConfirmImport": _to(
            "imports_confirm_create",
            "Once the check (a dry run) is done: import the file for real.",
            _BODY_ID,
        ),
    },
    ("imports_confirm_create", "202"): {
        "GetImport": _to("imports_retrieve", "Poll the import's report.", _BODY_ID),
    },
    ("saved_filters_create", "201"): {
        "GetSavedFilter": _to("saved_filters_retrieve", "The filter.", _BODY_ID),
        "DeleteSavedFilter": _to("saved_filters_destroy", "Delete it.", _BODY_ID),
    },
    ("duplicates_list", "200"): {
        "PreviewMerge": _to(
            "duplicates_merge_preview",
            "What merging the first group's second client into its first would move.",
            {
                "keep": "$response.body#/0/clients/0",
                "merge": "$response.body#/0/clients/1",
            },
        ),
        "Merge": _to(
            "duplicates_merge",
            "Merge the first group's second client into its first.",
            body={
                "keep": "$response.body#/0/clients/0",
                "merge": "$response.body#/0/clients/1",
            },
        ),
    },
}


def postprocess_links(result, generator, request, public):
    """Add LINKS to the responses of the operations they start from (a
    POSTPROCESSING_HOOK): Swagger UI shows them, schemathesis follows them."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                links = LINKS.get((operation.get("operationId"), status))
                if links:
                    response["links"] = links
    return result

"""The stable machine codes of every error the API returns, with their HTTP status.

A code never changes meaning once released: clients branch on it. Its messages live in
`ebhxh.errors.messages`; a test fails when a code has no Vietnamese or English message.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable error codes (the `code` member of a problem detail)."""

    # request shape
    MALFORMED_JSON = "malformed_json"
    FIELD_REQUIRED = "field_required"
    UNKNOWN_FIELD = "unknown_field"
    INVALID_TYPE = "invalid_type"
    INVALID_VALUE = "invalid_value"
    INVALID_PARAMETER = "invalid_parameter"
    # identifiers
    TAX_CODE_FORMAT = "tax_code_format"
    TAX_CODE_CHECKSUM = "tax_code_checksum"
    TAX_CODE_ZERO_BODY = "tax_code_zero_body"
    TAX_CODE_BRANCH_SUFFIX = "tax_code_branch_suffix"
    UNIT_CODE_FORMAT = "unit_code_format"
    # organisation
    ORG_DUPLICATE_EXTERNAL_ID = "org_duplicate_external_id"
    ORG_UNKNOWN_PARENT = "org_unknown_parent"
    ORG_CYCLE = "org_cycle"
    ORG_NODE_IN_USE = "org_node_in_use"
    ORG_NODE_NOT_FOUND = "org_node_not_found"
    ORG_NODE_NOT_LEGAL_ENTITY = "org_node_not_legal_entity"
    # units
    PROVINCE_UNKNOWN = "province_unknown"
    PROVINCE_REQUIREMENT = "province_requirement"
    UNIT_PARTICIPATION = "unit_participation"
    UNIT_TAX_CODE_TAKEN = "unit_tax_code_taken"
    UNIT_TAX_CODE_MISMATCH = "unit_tax_code_mismatch"
    UNIT_NODE_TAKEN = "unit_node_taken"
    UNIT_NOT_FOUND = "unit_not_found"
    # certificates and signing
    CERT_EXPIRED = "cert_expired"
    CERT_NOT_YET_VALID = "cert_not_yet_valid"
    CERT_UNTRUSTED = "cert_untrusted"
    CERT_KEY_USAGE = "cert_key_usage"
    CERT_REVOKED = "cert_revoked"
    CERT_TAX_CODE_MISMATCH = "cert_tax_code_mismatch"
    CERT_PERSONAL = "cert_personal"
    CERT_NOT_OFFERED = "cert_not_offered"
    SIGNER_TYPE_UNKNOWN = "signer_type_unknown"
    SIGNER_SETTINGS = "signer_settings"
    SIGNER_UNAVAILABLE = "signer_unavailable"
    SIGNATURE_SETUP_MISSING = "signature_setup_missing"
    SIGNATURE_VALUE_INVALID = "signature_value_invalid"
    DOCUMENT_TAMPERED = "document_tampered"
    DOCUMENT_NOT_COVERED = "document_not_covered"
    DOCUMENT_UNSIGNED = "document_unsigned"
    XML_MISMATCH = "xml_mismatch"
    HSM_TOKEN_MISSING = "hsm_token_missing"
    HSM_KEY_MISSING = "hsm_key_missing"
    HSM_PIN_INCORRECT = "hsm_pin_incorrect"
    HSM_PIN_LOCKED = "hsm_pin_locked"
    SIGNING_REQUEST_NOT_FOUND = "signing_request_not_found"
    SIGNING_REQUEST_STATE = "signing_request_state"
    SECRETS_KEY_MISSING = "secrets_key_missing"
    # dossiers and VSS
    DOSSIER_NOT_FOUND = "dossier_not_found"
    DOSSIER_STATE = "dossier_state"
    DOSSIER_KIND_NOT_ALLOWED = "dossier_kind_not_allowed"
    ACTIVATION_CODE_WRONG = "activation_code_wrong"
    ACTIVATION_CODE_EXPIRED = "activation_code_expired"
    ACTIVATION_LOCKED = "activation_locked"
    VSS_REFUSED = "vss_refused"
    VSS_UNAVAILABLE = "vss_unavailable"
    # the paper route
    PAPER_ROUTE_NOT_NEEDED = "paper_route_not_needed"
    PAPER_DOSSIER_NOT_FOUND = "paper_dossier_not_found"
    PAPER_DOSSIER_STATE = "paper_dossier_state"
    PAPER_SENT_DATE = "paper_sent_date"
    PAPER_TRACKING_WITHOUT_POST = "paper_tracking_without_post"
    UNIT_CODE_NOT_AT_VSS = "unit_code_not_at_vss"
    # switching away from a competing provider
    SWITCH_NOT_FOUND = "switch_not_found"
    SWITCH_STATE = "switch_state"
    PROVIDER_STILL_ACTIVE = "provider_still_active"
    # employees and their sync from VSS
    EMPLOYEE_SYNC_NOT_READY = "employee_sync_not_ready"
    EMPLOYEE_SYNC_RUNNING = "employee_sync_running"
    EMPLOYEE_SYNC_NOT_FOUND = "employee_sync_not_found"
    EMPLOYEE_NOT_FOUND = "employee_not_found"
    EMPLOYEE_CURSOR_INVALID = "employee_cursor_invalid"
    # auth and the rest of HTTP
    NOT_AUTHENTICATED = "not_authenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    SERVICE_UNAVAILABLE = "service_unavailable"
    INTERNAL_ERROR = "internal_error"

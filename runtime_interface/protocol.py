"""The Runtime API wire contract: version, paths, header names, content types, limits.

Shared by the runtime interface client and the emulator, so both sides spell the
protocol the same way. Reference: the AWS Lambda Runtime API (2018-06-01), the
Extensions API (2020-01-01) and the Telemetry API (2022-07-01).
"""

API_VERSION = "2018-06-01"
RUNTIME_PREFIX = "/" + API_VERSION + "/runtime"

NEXT_PATH = RUNTIME_PREFIX + "/invocation/next"
RESPONSE_PATH = RUNTIME_PREFIX + "/invocation/{request_id}/response"
ERROR_PATH = RUNTIME_PREFIX + "/invocation/{request_id}/error"
INIT_ERROR_PATH = RUNTIME_PREFIX + "/init/error"
RESTORE_NEXT_PATH = RUNTIME_PREFIX + "/restore/next"
RESTORE_ERROR_PATH = RUNTIME_PREFIX + "/restore/error"

# Headers the service sends with each invocation on /next.
REQUEST_ID = "Lambda-Runtime-Aws-Request-Id"
DEADLINE_MS = "Lambda-Runtime-Deadline-Ms"
INVOKED_FUNCTION_ARN = "Lambda-Runtime-Invoked-Function-Arn"
TRACE_ID = "Lambda-Runtime-Trace-Id"
CLIENT_CONTEXT = "Lambda-Runtime-Client-Context"
COGNITO_IDENTITY = "Lambda-Runtime-Cognito-Identity"
TENANT_ID = "Lambda-Runtime-Aws-Tenant-Id"
INVOCATION_ID = "Lambda-Runtime-Invocation-Id"

# Headers a runtime sends back.
FUNCTION_ERROR_TYPE = "Lambda-Runtime-Function-Error-Type"
FUNCTION_ERROR_BODY = "Lambda-Runtime-Function-Error-Body"
XRAY_ERROR_CAUSE = "Lambda-Runtime-Function-XRay-Error-Cause"
RESPONSE_MODE = "Lambda-Runtime-Function-Response-Mode"
RESPONSE_MODE_STREAMING = "streaming"

CONTENT_TYPE_JSON = "application/json"
CONTENT_TYPE_BYTES = "application/unknown"
CONTENT_TYPE_STREAM = "application/octet-stream"
CONTENT_TYPE_ERROR = "application/vnd.aws.lambda.error+json"

# 6 MiB plus 100 bytes: the service's limit on request and response payloads.
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024 + 100
# An X-Ray error cause at or above this size is not sent (as awslambdaric does).
MAX_XRAY_CAUSE_BYTES = 1024 * 1024

# Error types the client reports (byte-compatible with awslambdaric).
MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
UNMARSHAL_ERROR = "Runtime.UnmarshalError"
MARSHAL_ERROR = "Runtime.MarshalError"
CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"
BEFORE_SNAPSHOT_ERROR = "Runtime.BeforeSnapshotError"
AFTER_RESTORE_ERROR = "Runtime.AfterRestoreError"

# Telemetry log frame types (_LAMBDA_TELEMETRY_LOG_FD), big-endian on the wire.
FRAME_TEXT = 0xA55A0003
FRAME_JSON = 0xA55A0002
# Per-level frame types, indexed by level // 10 (NOTSET, DEBUG, INFO, WARNING, ERROR, CRITICAL).
FRAME_TEXT_LEVELS = (0xA55A0003, 0xA55A000B, 0xA55A000F, 0xA55A0013, 0xA55A0017, 0xA55A001B)
FRAME_JSON_LEVELS = (0xA55A0002, 0xA55A000A, 0xA55A000E, 0xA55A0012, 0xA55A0016, 0xA55A001A)

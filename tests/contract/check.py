#!/usr/bin/env python3
"""Contract check of recorded HTTP exchanges against the official Yandex Cloud protos.

Input: a record file written by the emulator (`Config::record_file`, `yc-emulator --record-file`):
one JSON object per line with `method`, `path`, `query`, `request_body`, `status`,
`response_body`.

For every exchange:
  * the method and path must match a `google.api.http` rule of the protos (path parameters
    are bound from the path, never from the body);
  * the request (path parameters + query + body) must parse with protobuf's strict
    `json_format` into the rule's request message;
  * a 200 response must parse strictly into the rule's response message; an Operation must
    carry the metadata and response types named by the method's `yandex.cloud.api.operation`
    option;
  * an error response must be a `google.rpc.Status` with a `RequestInfo` detail, and its
    HTTP status must match its gRPC code.

Usage: python tests/contract/check.py RECORD.jsonl [--only requests|responses] [--coverage]
Exit status: 0 when everything matches, 1 with a listing of mismatches, 2 on bad input.
"""

import argparse
import json
import re
import sys
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field

from google.api import annotations_pb2
from google.protobuf import descriptor, descriptor_pool, json_format
from google.protobuf import empty_pb2  # noqa: F401  (registers google.protobuf.Empty for Any)
from google.protobuf.message_factory import GetMessageClass
from google.rpc import error_details_pb2, status_pb2  # noqa: F401  (registers RequestInfo)
from yandex.cloud.api import operation_pb2 as operation_options
from yandex.cloud.endpoint import api_endpoint_service_pb2
from yandex.cloud.iam.v1.awscompatibility import access_key_service_pb2
from yandex.cloud.lockbox.v1 import payload_service_pb2, secret_service_pb2
from yandex.cloud.iam.v1 import (
    api_key_service_pb2,
    iam_token_service_pb2,
    key_service_pb2,
    service_account_service_pb2,
)
from yandex.cloud.operation import operation_service_pb2
from yandex.cloud.resourcemanager.v1 import cloud_service_pb2, folder_service_pb2

SERVICE_FILES = [
    service_account_service_pb2,
    access_key_service_pb2,
    api_key_service_pb2,
    key_service_pb2,
    iam_token_service_pb2,
    cloud_service_pb2,
    folder_service_pb2,
    operation_service_pb2,
    api_endpoint_service_pb2,
    secret_service_pb2,
    payload_service_pb2,
]

# Paths the emulator serves that the protos of this SDK version do not (or no longer) declare.
# Each maps to the RPC whose messages it uses; exchanges on them are listed as notes.
ALIASES = [
    ("GET", "/iam/v1/apiKeys/scopes", "yandex.cloud.iam.v1.ApiKeyService.ListScopes",
     "ListScopes path before 2026-05"),
    ("POST", "/operations/{operation_id}:cancel", "yandex.cloud.operation.OperationService.Cancel",
     "the docs show POST for cancel"),
]

# gRPC code -> HTTP status of the REST gateway.
HTTP_STATUS_OF_CODE = {
    1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429,
    9: 400, 10: 409, 11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401,
}

OPERATION = "yandex.cloud.operation.Operation"
TYPE_PREFIX = "type.googleapis.com/"


@dataclass
class Rule:
    """One HTTP binding of one RPC."""

    http_method: str
    template: str
    regex: re.Pattern
    body: str
    rpc: str
    request: descriptor.Descriptor
    response: descriptor.Descriptor
    operation_metadata: str | None = None
    operation_response: str | None = None
    note: str | None = None
    used: int = field(default=0)


def resolve_type(name: str, package: str, pool) -> str:
    """Resolves a type name of a `yandex.cloud.api.operation` option by protobuf scoping."""
    parts = package.split(".")
    for end in range(len(parts), -1, -1):
        candidate = ".".join(parts[:end] + [name])
        try:
            pool.FindMessageTypeByName(candidate)
            return candidate
        except KeyError:
            continue
    raise KeyError(f"cannot resolve type {name!r} in package {package!r}")


def template_regex(template: str) -> re.Pattern:
    """`/a/{x}:verb` -> a regex with a named group per path variable."""
    out = []
    position = 0
    for variable in re.finditer(r"\{([A-Za-z_][A-Za-z0-9_.]*)(=[^}]*)?\}", template):
        out.append(re.escape(template[position:variable.start()]))
        out.append(f"(?P<{variable.group(1).replace('.', '__')}>[^/:]+)")
        position = variable.end()
    out.append(re.escape(template[position:]))
    return re.compile("^" + "".join(out) + "$")


def http_bindings(rule_option):
    """(method, template, body) of an HttpRule and its additional bindings."""
    kind = rule_option.WhichOneof("pattern")
    if kind == "custom":
        yield rule_option.custom.kind.upper(), rule_option.custom.path, rule_option.body
    elif kind:
        yield kind.upper(), getattr(rule_option, kind), rule_option.body
    for extra in rule_option.additional_bindings:
        yield from http_bindings(extra)


def load_rules() -> list[Rule]:
    pool = descriptor_pool.Default()
    rules = []
    by_rpc = {}
    for module in SERVICE_FILES:
        file = module.DESCRIPTOR
        for service in file.services_by_name.values():
            for method in service.methods:
                options = method.GetOptions()
                operation = options.Extensions[operation_options.operation]
                metadata = response = None
                if method.output_type.full_name == OPERATION and operation.response:
                    metadata = resolve_type(operation.metadata, file.package, pool)
                    response = resolve_type(operation.response, file.package, pool)
                for http_method, template, body in http_bindings(
                    options.Extensions[annotations_pb2.http]
                ):
                    rule = Rule(http_method, template, template_regex(template), body,
                                method.full_name, method.input_type, method.output_type,
                                metadata, response)
                    rules.append(rule)
                    by_rpc.setdefault(method.full_name, rule)
    aliases = []
    for http_method, template, rpc, note in ALIASES:
        base = by_rpc[rpc]
        aliases.append(Rule(http_method, template, template_regex(template), base.body, rpc,
                          base.request, base.response, base.operation_metadata,
                          base.operation_response, note))
    # Aliases are literal paths: they take precedence over a variable in a proto template
    # (`/iam/v1/apiKeys/scopes` would otherwise read as ApiKey Get with id "scopes").
    return aliases + rules


def find_field(message: descriptor.Descriptor, name: str):
    """A field by its JSON name or its proto name."""
    for candidate in message.fields:
        if name in (candidate.json_name, candidate.name):
            return candidate
    return None


def is_repeated(field_descriptor) -> bool:
    """Whether a field is repeated (newer protobuf has `is_repeated`, older only `label`)."""
    if hasattr(field_descriptor, "is_repeated"):
        return bool(field_descriptor.is_repeated)
    return field_descriptor.label == descriptor.FieldDescriptor.LABEL_REPEATED


def one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def parse_strict(data, message: descriptor.Descriptor):
    json_format.ParseDict(data, GetMessageClass(message)(), ignore_unknown_fields=False)


def check_request(rule: Rule, match: re.Match, query: str, body) -> list[str]:
    problems = []
    message = {}
    if rule.body == "*":
        if body is None:
            body = {}
        if not isinstance(body, dict):
            return [f"the body must be a JSON object for {rule.rpc}"]
        message.update(body)
    elif rule.body:
        message[rule.body] = body
    elif body not in (None, {}):
        problems.append(f"{rule.rpc} takes no body, got {json.dumps(body)[:80]}")
    for group, value in match.groupdict().items():
        name = group.replace("__", ".")
        if "." in name:
            problems.append(f"nested path parameter {name} is not supported by this checker")
            continue
        bound = find_field(rule.request, name)
        if bound is None:
            problems.append(f"path parameter {name} is not a field of {rule.request.full_name}")
            continue
        if isinstance(body, dict) and (bound.name in body or bound.json_name in body):
            problems.append(f"path parameter {bound.json_name} is repeated in the body")
        message[bound.name] = urllib.parse.unquote(value)
    pairs = urllib.parse.parse_qs(query or "", keep_blank_values=True)
    if pairs and rule.body == "*":
        problems.append(f"query parameters {sorted(pairs)} are not allowed with body '*'")
    for key, values in pairs.items():
        bound = find_field(rule.request, key)
        if bound is None:
            problems.append(f"unknown query parameter {key!r} for {rule.request.full_name}")
            continue
        if bound.message_type is not None:
            problems.append(f"query parameter {key!r} is a message field")
            continue
        repeated = is_repeated(bound)
        if len(values) > 1 and not repeated:
            problems.append(f"query parameter {key!r} is repeated")
        if bound.type == descriptor.FieldDescriptor.TYPE_BOOL:
            values = [v == "true" for v in values]
        message[bound.name] = values if repeated else values[-1]
    try:
        parse_strict(message, rule.request)
    except json_format.ParseError as error:
        problems.append(f"request does not parse as {rule.request.full_name}: {one_line(error)}")
    return problems


def any_type(value) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("@type"), str):
        return value["@type"].removeprefix(TYPE_PREFIX)
    return None


def check_operation(rule: Rule, operation: dict) -> list[str]:
    problems = []
    for required in ("id", "createdAt", "modifiedAt"):
        if required not in operation:
            problems.append(f"Operation lacks {required}")
    done = operation.get("done", False)
    has_response, has_error = "response" in operation, "error" in operation
    if done and has_response == has_error:
        problems.append("a done Operation needs exactly one of response and error")
    if not done and has_response:
        problems.append("an unfinished Operation has a response")
    if rule.operation_metadata:
        if any_type(operation.get("metadata")) != rule.operation_metadata:
            problems.append(f"Operation metadata is {any_type(operation.get('metadata'))}, "
                            f"expected {rule.operation_metadata}")
        if has_response and any_type(operation["response"]) != rule.operation_response:
            problems.append(f"Operation response is {any_type(operation['response'])}, "
                            f"expected {rule.operation_response}")
    return problems


def check_response(rule: Rule | None, status: int, body) -> list[str]:
    problems = []
    if status == 200:
        if rule is None:
            return problems
        try:
            parse_strict(body, rule.response)
        except json_format.ParseError as error:
            return [f"response does not parse as {rule.response.full_name}: {one_line(error)}"]
        if rule.response.full_name == OPERATION:
            problems.extend(check_operation(rule, body))
        return problems
    try:
        parse_strict(body, status_pb2.Status.DESCRIPTOR)
    except json_format.ParseError as error:
        return [f"error body does not parse as google.rpc.Status: {one_line(error)}"]
    code = body.get("code")
    if HTTP_STATUS_OF_CODE.get(code) != status:
        problems.append(f"HTTP {status} does not match gRPC code {code} "
                        f"(expected HTTP {HTTP_STATUS_OF_CODE.get(code)})")
    details = body.get("details") or []
    if not any(any_type(d) == "google.rpc.RequestInfo" and d.get("requestId") for d in details):
        problems.append("error details lack a google.rpc.RequestInfo with a requestId")
    return problems


def match_rule(rules: list[Rule], method: str, path: str):
    for rule in rules:
        if rule.http_method == method:
            found = rule.regex.match(path)
            if found:
                return rule, found
    return None, None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("record", help="JSONL record file")
    parser.add_argument("--only", choices=["requests", "responses"],
                        help="check only requests (client conformance) or only responses "
                             "(server conformance)")
    parser.add_argument("--coverage", action="store_true",
                        help="also list the proto HTTP rules that no exchange used")
    args = parser.parse_args()

    rules = load_rules()
    mismatches = []
    exchanges = 0
    per_rpc = Counter()
    try:
        lines = open(args.record, encoding="utf-8").read().splitlines()
    except OSError as error:
        print(f"cannot read {args.record}: {error}", file=sys.stderr)
        return 2
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            exchange = json.loads(line)
            method, path = exchange["method"].upper(), exchange["path"]
            query, status = exchange.get("query", ""), int(exchange["status"])
            request_body, response_body = exchange.get("request_body"), exchange.get("response_body")
        except (ValueError, KeyError, TypeError) as error:
            print(f"{args.record}:{number}: not an exchange record: {error}", file=sys.stderr)
            return 2
        exchanges += 1
        label = f"{args.record}:{number}: {method} {path}" + (f"?{query}" if query else "")
        rule, match = match_rule(rules, method, path)
        problems = []
        if rule is None:
            problems.append("no google.api.http rule matches this method and path")
        else:
            rule.used += 1
            per_rpc[rule.rpc] += 1
            if args.only != "responses":
                problems.extend(check_request(rule, match, query, request_body))
        if args.only != "requests":
            problems.extend(check_response(rule, status, response_body))
        for problem in problems:
            mismatches.append(f"{label} [{status}]: {problem}")

    for mismatch in mismatches:
        print(mismatch)
    print(f"checked {exchanges} exchanges covering {len(per_rpc)} RPCs: "
          f"{len(mismatches)} mismatch(es)")
    for rule in rules:
        if rule.note and rule.used:
            print(f"note: {rule.used} exchange(s) used {rule.http_method} {rule.template} "
                  f"({rule.note})")
    if args.coverage:
        for rule in rules:
            if not rule.used and not rule.note:
                print(f"not exercised: {rule.http_method} {rule.template} ({rule.rpc})")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())

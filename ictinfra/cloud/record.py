"""The offline plan: run a stack under Pulumi's mocks and record every registration.

``RecordingMonitor`` is a ``MockMonitor`` that keeps, for each ``RegisterResource``, the
type, name, parent, inputs, dependencies (whole and per property), provider and
options, and for each ``Invoke`` (data source read) its token and arguments. Secrets are
masked as they are recorded; nothing secret reaches the plan. URNs follow the engine's
form (children of the stack carry no ``pulumi:pulumi:Stack$`` prefix).

The JSON is canonical: resources in tree order (children sorted by type and name),
sorted keys, integral numbers as integers; the same inventory gives the same bytes.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.runtime.resource as sdk_resource
from google.protobuf import json_format
from pulumi.runtime import mocks, settings
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from ictinfra.cloud.errors import PlanRecordError

FORMAT = "ictinfra.cloud.plan/1"
MASK = "[secret]"
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105  (Pulumi's wire marker)
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
STACK_TYPE = "pulumi:pulumi:Stack"


def clean(value: Any) -> Any:
    """Wire values to plain JSON: secrets masked, references by URN, 8.0 -> 8."""
    out: Any = value
    if isinstance(value, dict):
        sig = value.get(_SIG_KEY)
        if sig == _SECRET_SIG:
            out = MASK
        elif sig == _RESOURCE_SIG:
            out = {"$ref": value.get("urn", "")}
        else:
            out = {k: clean(v) for k, v in value.items()}
    elif isinstance(value, list):
        out = [clean(v) for v in value]
    elif isinstance(value, float) and value.is_integer():
        out = int(value)
    elif value == _UNKNOWN:
        out = "[unknown]"
    return out


def _struct(message: Any) -> Any:
    return clean(json_format.MessageToDict(message, preserving_proto_field_name=True))


def _strip_id(ref: str) -> str:
    """A provider reference is ``urn::id``; keep the URN."""
    return ref.rsplit("::", 1)[0] if ref.count("::") > 3 else ref


def mock_id(type_: str, name: str) -> str:
    return f"{type_.rsplit(':', 1)[-1]}-{name}"


def mock_number(name: str) -> int:
    """A stable number in Proxmox's VM id range for a computed ``vm_id``."""
    return 100_000 + int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % 800_000


class OfflineMocks(pulumi.runtime.Mocks):
    """Only the computed outputs the programs read (ids, vm_id, pool ids).

    Inputs are not echoed back: outside a preview the SDK resolves every input the mock
    does not return to the value passed in (``rpc.resolve_outputs``), so echoing them only
    made the mock monitor serialise and the SDK deserialise every resource twice.
    """

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[Any, Any]]:
        outputs: dict[str, Any] = {}
        if args.typ == "proxmoxve:index/vmLegacy:VmLegacy" and args.inputs.get("vmId") is None:
            outputs["vmId"] = mock_number(args.name)
        return mock_id(args.typ, args.name), outputs

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        fn = args.token.rsplit(":", 1)[-1]
        name = str(args.args.get("name", ""))
        result: dict[str, Any] = {"id": f"{fn}-{name}", "name": name}
        if fn in {"getComputeCluster", "getHost"}:
            result["resourcePoolId"] = f"resgroup-{name}"
        return result, []


@dataclass(frozen=True)
class RecordedPlan:
    project: str
    stack: str
    config: Mapping[str, Any]
    resources: tuple[Mapping[str, Any], ...]  # tree order
    reads: tuple[Mapping[str, Any], ...]

    def to_json(self) -> str:
        by_type: dict[str, int] = {}
        for r in self.resources:
            by_type[r["type"]] = by_type.get(r["type"], 0) + 1
        doc = {
            "format": FORMAT,
            "project": self.project,
            "stack": self.stack,
            "config": self.config,
            "summary": {
                "resources": len(self.resources),
                "reads": len(self.reads),
                "by_type": by_type,
            },
            "resources": list(self.resources),
            "reads": list(self.reads),
        }
        return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"

    def by_urn(self) -> dict[str, Mapping[str, Any]]:
        return {r["urn"]: r for r in self.resources}

    def of_type(self, type_: str) -> list[Mapping[str, Any]]:
        return [r for r in self.resources if r["type"] == type_]


class RecordingMonitor(mocks.MockMonitor):
    """A MockMonitor that keeps every registration and every read."""

    def __init__(self, m: pulumi.runtime.Mocks) -> None:
        super().__init__(m)
        self._lock = threading.Lock()
        self.registrations: list[dict[str, Any]] = []
        self.reads: list[dict[str, Any]] = []

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        if parent and parent.split("::")[2] != STACK_TYPE:
            type_ = parent.split("::")[2] + "$" + type_
        return "urn:pulumi:" + "::".join(
            [settings.get_stack(), settings.get_project(), type_, name]
        )

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802  (the gRPC method's name)
        urn = self.make_urn(request.parent, request.type, request.name)
        options: dict[str, Any] = {
            "protect": request.protect,
            "ignoreChanges": sorted(request.ignoreChanges),
            "retainOnDelete": request.retainOnDelete,
            "additionalSecretOutputs": sorted(request.additionalSecretOutputs),
            "replaceOnChanges": sorted(request.replaceOnChanges),
            "aliases": sorted(a.urn for a in request.aliases if a.urn),
            "deletedWith": request.deletedWith,
            "importId": request.importId,
            "version": request.version,
        }
        if request.deleteBeforeReplaceDefined:
            options["deleteBeforeReplace"] = request.deleteBeforeReplace
        if request.HasField("customTimeouts"):
            options["customTimeouts"] = _struct(request.customTimeouts)
        entry = {
            "urn": urn,
            "type": request.type,
            "name": request.name,
            "parent": request.parent,
            "custom": request.custom,
            "provider": _strip_id(request.provider),
            "inputs": _struct(request.object),
            "dependencies": sorted(set(request.dependencies)),
            "propertyDependencies": {
                k: sorted(set(v.urns))
                for k, v in sorted(request.propertyDependencies.items())
                if v.urns
            },
            "options": {k: v for k, v in options.items() if v not in (False, "", [], None)},
        }
        with self._lock:
            self.registrations.append(entry)
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]

    def Invoke(self, request: Any) -> Any:  # noqa: N802  (the gRPC method's name)
        if request.tok != "pulumi:pulumi:getResource":
            entry = {
                "token": request.tok,
                "args": _struct(request.args),
                "provider": _strip_id(request.provider),
            }
            with self._lock:
                self.reads.append(entry)
        return super().Invoke(request)  # type: ignore[no-untyped-call]


class _ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _no_stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace()


@contextmanager
def _without_stack_traces() -> Iterator[None]:
    """Register without the SDK's per-resource stack trace.

    For every registration the SDK walks the Python stack (and stats each frame's file) to
    tell the engine where the resource was declared, for its error messages. The plan does
    not record it, and it was about a tenth of the recording time.
    """
    saved = sdk_resource._get_stack_trace
    setattr(sdk_resource, "_get_stack_trace", _no_stack_trace)  # noqa: B010
    try:
        yield
    finally:
        setattr(sdk_resource, "_get_stack_trace", saved)  # noqa: B010


def _tree_order(entries: list[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    children: dict[str, list[dict[str, Any]]] = {}
    urns = {e["urn"] for e in entries}
    for e in entries:
        parent = e["parent"] if e["parent"] in urns else ""
        children.setdefault(parent, []).append(e)
    out: list[dict[str, Any]] = []
    stack = sorted(children.get("", []), key=lambda e: (e["type"], e["name"]), reverse=True)
    while stack:
        e = stack.pop()
        out.append(e)
        stack.extend(
            sorted(children.get(e["urn"], []), key=lambda c: (c["type"], c["name"]), reverse=True)
        )
    return tuple(out)


def record(
    project: str,
    stack: str,
    program: Callable[[], object],
    config: Mapping[str, Any],
    secret_keys: tuple[str, ...] = (),
    *,
    teardown: bool = True,
) -> RecordedPlan:
    """Run ``program`` under the mocks with ``config`` (keys without the project prefix).

    ``teardown=False`` is for a process that exits right after: the SDK's object graph
    (resources, outputs, futures) is left for the OS to reclaim, with the cyclic collector
    still off; freeing it took a fifth of the run (measured at 10x).
    """
    full = {f"{project}:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    pulumi.runtime.set_all_config(full, [f"{project}:{k}" for k in secret_keys])
    monitor = RecordingMonitor(OfflineMocks())
    log = logging.getLogger(f"ictinfra.cloud.record.{project}.{stack}")
    log.propagate = False
    handler = _ErrorLog()
    log.addHandler(handler)
    settings.ROOT.set(None)  # a fresh root stack for every run
    # The SDK makes tens of futures per resource; the cyclic collector rescanning them
    # doubled the run time at 10x (measured) while freeing next to nothing: the objects
    # live until the run ends. Collection resumes afterwards.
    collecting = gc.isenabled()
    gc.disable()
    try:
        mocks.set_mocks(
            OfflineMocks(), project=project, stack=stack, preview=False, logger=log, monitor=monitor
        )

        def run() -> None:
            program()

        with _without_stack_traces():
            _sync_await(run_pulumi_func(run))
    except PlanRecordError:
        raise
    except Exception as exc:
        raise PlanRecordError(f"stack {project}/{stack} failed under the mocks: {exc}") from exc
    finally:
        if teardown:
            if collecting:
                gc.enable()
            settings.ROOT.set(None)
        pulumi.runtime.set_all_config({}, [])
        log.removeHandler(handler)
    if handler.messages:
        raise PlanRecordError(
            f"stack {project}/{stack} logged errors: " + "; ".join(handler.messages)
        )
    shown = {k: (MASK if k in secret_keys else v) for k, v in sorted(config.items())}
    resources = _tree_order([r for r in monitor.registrations if r["type"] != STACK_TYPE])
    reads = tuple(sorted(monitor.reads, key=lambda r: json.dumps(r, sort_keys=True)))
    return RecordedPlan(project, stack, shown, resources, reads)

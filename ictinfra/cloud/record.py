"""The offline plan: run a stack under Pulumi's mocks and record every registration.

``RecordingMonitor`` is a ``MockMonitor`` that keeps, for each ``RegisterResource``, the
type, name, parent, inputs, dependencies (whole and per property), provider and
options, and for each ``Invoke`` (data source read) its token and arguments. Secrets are
masked as they are recorded; nothing secret reaches the plan. URNs follow the engine's
form (children of the stack carry no ``pulumi:pulumi:Stack$`` prefix).

The JSON is canonical: resources in tree order (children sorted by type and name),
sorted keys, integral numbers as integers, one line per resource; the same inventory
gives the same bytes.

Fast path (``_fast_sdk``, ``_InlineLoop``, only under ``FAST_SDK_VERSION``): the SDK's own
registration path with the work the offline plan never sees left out (thread hops to
the in-process mock monitor, no-monitor URNs, debug log requests, output placeholders
nothing reads, a second serialisation of component outputs the mock monitor drops) and
its general serialiser replaced for plain inputs by a replica. tests/cloud record every
stack of the repo both ways and compare the bytes. At 100x it took the cloud step from
~105 s to ~30 s of CPU, together with fewer vSphere resources (see the vSphere backend).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import hashlib
import importlib.metadata
import json
import logging
import threading
import warnings
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, TypeVar, TypeVarTuple, Unpack

import pulumi
import pulumi.log as sdk_log
import pulumi.output as sdk_output
import pulumi.resource as sdk_resource_api
import pulumi.runtime.resource as sdk_resource
import pulumi.runtime.resource_cycle_breaker as sdk_cycles
import pulumi.runtime.rpc as sdk_rpc
from google.protobuf import json_format, struct_pb2
from pulumi import _types as sdk_types
from pulumi.runtime import mocks, settings
from pulumi.runtime.proto import provider_pb2, resource_pb2, source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from ictinfra.cloud.errors import PlanRecordError

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")
FORMAT = "ictinfra.cloud.plan/1"
MASK = "[secret]"
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105  (Pulumi's wire marker)
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
STACK_TYPE = "pulumi:pulumi:Stack"
# The SDK version the fast recording path (``_fast_sdk``) was checked against, byte for
# byte, by tests/cloud. Under any other version the plain SDK path runs: slower, same plan.
FAST_SDK_VERSION = "3.272.0"
# Set by ``lean`` (and the intent components) on a resource handle before registration:
# the names, as its props are keyed, of the only outputs the program reads from it.
READS_ATTR = "_ictinfra_reads"


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


def plain_value(value: struct_pb2.Value) -> Any:
    """``clean`` of a wire value, read straight from the protobuf ``Value`` (one pass; the
    generic ``MessageToDict`` walk was a tenth of a recording)."""
    kind = value.WhichOneof("kind")
    out: Any = None
    if kind == "string_value":
        out = "[unknown]" if value.string_value == _UNKNOWN else value.string_value
    elif kind == "number_value":
        number = value.number_value
        out = int(number) if number.is_integer() else number
    elif kind == "bool_value":
        out = value.bool_value
    elif kind == "struct_value":
        out = plain_struct(value.struct_value)
    elif kind == "list_value":
        out = [plain_value(v) for v in value.list_value.values]
    return out


def as_recorded(value: Any) -> Any:
    """``plain_struct`` of the Struct the SDK would build from ``value`` (a serialised
    input: plain values, lists, dicts), without building and reading it back: numbers as
    the Struct's doubles, secrets masked, unknowns named (tested equal)."""
    kind = type(value)
    out: Any = value
    if kind is str:
        out = "[unknown]" if value == _UNKNOWN else value
    elif kind is dict:
        sig = value.get(_SIG_KEY)
        if sig == _SECRET_SIG:
            out = MASK
        elif sig == _RESOURCE_SIG:
            urn = value.get("urn", "")
            out = {"$ref": urn if type(urn) is str else ""}
        else:
            out = {k: as_recorded(v) for k, v in value.items()}
    elif kind is list or kind is tuple:
        out = [as_recorded(v) for v in value]
    elif kind is int or kind is float:
        number = float(value)
        out = int(number) if number.is_integer() else number
    elif kind is not bool and value is not None:
        raise TypeError(f"not a serialised input: {kind.__name__}")
    return out


def plain_struct(message: struct_pb2.Struct) -> Any:
    """``clean(MessageToDict(message))`` of a wire ``Struct`` (tested equal)."""
    fields = message.fields
    if _SIG_KEY in fields:
        sig = fields[_SIG_KEY].string_value
        if sig == _SECRET_SIG:
            return MASK
        if sig == _RESOURCE_SIG:
            return {"$ref": fields["urn"].string_value if "urn" in fields else ""}
    return {k: plain_value(v) for k, v in fields.items()}


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


def _line(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def canonical_json(doc: Mapping[str, Any]) -> str:
    """The plan's text: keys sorted, one line per top-level key, and one line per element
    of a top-level list (a resource, a read), so that two plans diff resource by resource.

    Each line is encoded by the standard library's C encoder; an indented document is
    encoded in Python, which was a tenth of a stack's run at 10x.
    """
    lines = []
    for key in sorted(doc):
        value = doc[key]
        if isinstance(value, list) and value:
            items = ",\n".join(f"  {_line(item)}" for item in value)
            lines.append(f" {_line(key)}: [\n{items}\n ]")
        else:
            lines.append(f" {_line(key)}: {_line(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


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
        return canonical_json(doc)

    def by_urn(self) -> dict[str, Mapping[str, Any]]:
        return {r["urn"]: r for r in self.resources}

    def of_type(self, type_: str) -> list[Mapping[str, Any]]:
        return [r for r in self.resources if r["type"] == type_]


def _now(coro: Coroutine[Any, Any, Any]) -> Any:
    """The result of a coroutine that never waits (serialising plain values), here and now.

    ``MockMonitor`` pumps the event loop for it (``_sync_await``), which only works on a
    thread of its own; the fast path calls the monitor on the loop's thread instead.
    """
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise PlanRecordError("the mock monitor had to wait while serialising a mock's values")


class RecordingMonitor(mocks.MockMonitor):
    """A MockMonitor that keeps every registration and every read.

    ``inline``: the monitor is called on the event loop's own thread (``_InlineLoop``), so
    it answers without ``_sync_await``; what it answers is what ``MockMonitor`` answers
    (same mock calls, same serialisation, same bookkeeping), except that the mocks see a
    resource's inputs as recorded (secrets masked, references by URN) instead of
    deserialised a second time: ``OfflineMocks`` reads only whether a VM id was given.
    """

    def __init__(self, m: pulumi.runtime.Mocks, *, inline: bool = False) -> None:
        super().__init__(m)
        self._lock = threading.Lock()
        self.inline = inline
        self.registrations: list[dict[str, Any]] = []
        self.reads: list[dict[str, Any]] = []
        # Inputs the fast path serialised, by (type, name), until their registration
        # arrives; None where two were offered at once (then the wire is read).
        self._offered: dict[tuple[str, str], dict[str, Any] | None] = {}

    def offer_inputs(self, type_: str, name: str, fields: dict[str, Any]) -> None:
        """The fast path's serialised inputs of a resource about to register (see
        ``_serialize_plain``): recorded from these instead of reading the Struct back."""
        key = (type_, name)
        with self._lock:
            self._offered[key] = None if key in self._offered else fields

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        if parent and parent.split("::")[2] != STACK_TYPE:
            type_ = parent.split("::")[2] + "$" + type_
        return "urn:pulumi:" + "::".join(
            [settings.get_stack(), settings.get_project(), type_, name]
        )

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802  (the gRPC method's name)
        urn = self.make_urn(request.parent, request.type, request.name)
        with self._lock:
            offered = self._offered.pop((request.type, request.name), None)
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
            "inputs": plain_struct(request.object) if offered is None else as_recorded(offered),
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
        if not self.inline:
            return super().RegisterResource(request)  # type: ignore[no-untyped-call]
        # MockMonitor.RegisterResource of the pinned SDK, without _sync_await.
        if request.type == STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        if request.transforms:
            raise PlanRecordError(f"{urn}: resource transforms are not recorded offline")
        args = mocks.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=entry["inputs"],
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
            transforms=[],
        )
        id_, state = self.mocks.new_resource(args)
        obj = _now(sdk_rpc.serialize_properties(state, {})) if state else struct_pb2.Struct()
        self.resources[urn] = mocks.MockMonitor.ResourceRegistration(urn, id_ or "", state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_ or "", object=obj)

    def Invoke(self, request: Any) -> Any:  # noqa: N802  (the gRPC method's name)
        if request.tok != "pulumi:pulumi:getResource":
            entry = {
                "token": request.tok,
                "args": plain_struct(request.args),
                "provider": _strip_id(request.provider),
            }
            with self._lock:
                self.reads.append(entry)
        if not self.inline or request.tok == "pulumi:pulumi:getResource":
            return super().Invoke(request)  # type: ignore[no-untyped-call]
        # MockMonitor.Invoke of the pinned SDK, without _sync_await.
        call = mocks.MockCallArgs(
            token=request.tok,
            args=sdk_rpc.deserialize_properties(request.args),
            provider=request.provider,
        )
        answer: Any = self.mocks.call(call)
        ret, failures = (answer, None) if isinstance(answer, dict) else answer
        return resource_pb2.ResourceInvokeResponse(
            failures=[provider_pb2.CheckFailure(property=p, reason=r) for p, r in failures or []],
            **{"return": _now(sdk_rpc.serialize_properties(ret, {}))},
        )


class _InlineLoop(asyncio.SelectorEventLoop):
    """An event loop that runs ``run_in_executor`` work on its own thread, at once.

    The SDK sends every engine call through the default thread pool, because a real
    engine is a gRPC server that blocks. The mock monitor answers in microseconds from
    this process: the thread hop (submit, wake, hand back through the loop's self-pipe)
    cost more than the call (a tenth of the recording at 10x, measured).
    """

    def run_in_executor(
        self,
        executor: concurrent.futures.Executor | None,
        func: Callable[[Unpack[_Ts]], _T],
        *args: *_Ts,
    ) -> asyncio.Future[_T]:
        del executor
        fut: asyncio.Future[_T] = self.create_future()
        try:
            fut.set_result(func(*args))
        except Exception as exc:  # noqa: BLE001 - handed to the awaiting SDK code
            fut.set_exception(exc)
        return fut


class _ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _no_stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace()


def _swap(stack: ExitStack, owner: object, name: str, value: object) -> None:
    saved = getattr(owner, name)
    setattr(owner, name, value)
    stack.callback(setattr, owner, name, saved)


@contextmanager
def _without_stack_traces() -> Iterator[None]:
    """Register without the SDK's per-resource stack trace.

    For every registration the SDK walks the Python stack (and stats each frame's file) to
    tell the engine where the resource was declared, for its error messages. The plan does
    not record it, and it was about a tenth of the recording time.
    """
    with ExitStack() as stack:
        _swap(stack, sdk_resource, "_get_stack_trace", _no_stack_trace)
        yield


def fast_sdk_available() -> bool:
    """The fast path only runs under the SDK version it was checked against."""
    return importlib.metadata.version("pulumi") == FAST_SDK_VERSION


class _Ready:
    """What ``do_register`` needs of ``create_urn``'s Output: ``await x.future()``."""

    def __init__(self, value: str) -> None:
        self.value = value

    async def future(self, with_unknowns: bool | None = None) -> str:  # noqa: FBT001  (the SDK's)
        del with_unknowns
        return self.value


def _eager_urn(
    name: Any, type_: Any, parent: Any = None, project: Any = None, stack: Any = None
) -> Any:
    """``create_urn`` for the SDK's own call in ``register_resource``'s ``do_register``.

    That call (plain strings, parent by URN, no project or stack) computes a URN the SDK
    uses only when there is no monitor at all, and only awaits its ``future()``; the
    original builds it from five Outputs and their tasks. Here it is the same string at
    once. The SDK's other calls (aliases: an Output name, or project and stack) go to the
    original.
    """
    if (
        isinstance(name, str)
        and isinstance(type_, str)
        and (parent is None or isinstance(parent, str))
        and project is None
        and stack is None
    ):
        prefix = (
            parent[: parent.rfind("::")] + "$"
            if parent is not None
            else f"urn:pulumi:{settings.get_stack()}::{settings.get_project()}::"
        )
        return _Ready(f"{prefix}{type_}::{name}")
    return _SDK_CREATE_URN(name, type_, parent, project, stack)


_SDK_CREATE_URN = sdk_resource.create_urn
_SDK_TRANSFER = sdk_rpc.transfer_properties
_SDK_RESOLVE = sdk_rpc.resolve_outputs
_SDK_SERIALIZE = sdk_rpc.serialize_properties
_SDK_REGISTER_OUTPUTS = sdk_resource.register_resource_outputs


def _transfer_read(res: Any, props: Any, custom: bool) -> Any:  # noqa: FBT001  (the SDK's)
    """Output placeholders only for what the program reads from a ``lean`` handle."""
    reads = res.__dict__.get(READS_ATTR)
    if reads is not None:
        props = [k for k in props if k in reads]
    return _SDK_TRANSFER(res, props, custom)


def _resolve_read(
    res: Any,
    serialized_props: struct_pb2.Struct,
    outputs: struct_pb2.Struct,
    deps: Any,
    resolvers: dict[str, Any],
    *rest: Any,
    **kw: Any,
) -> Any:
    """Resolve a ``lean`` handle's outputs from only the inputs it has placeholders for.

    Outside a preview the SDK deserialises every input the engine sent back nothing for and
    translates it by type metadata, then drops all but the placeholders' values: for a VM
    that was most of the resolution. The placeholders get the very same values; a handle
    without any (``id`` and ``urn`` are resolved apart) has nothing to resolve.
    """
    if res.__dict__.get(READS_ATTR) is not None:
        if not resolvers:
            return None
        # The SDK looks a placeholder up by the engine's name, translated by type metadata
        # when the resource was given typed Args, else as it is.
        names = sdk_types.resource_pulumi_to_py_names(type(res))
        kept = struct_pb2.Struct()
        for key, value in serialized_props.fields.items():
            if key in resolvers or names.get(key) in resolvers:
                kept.fields[key].CopyFrom(value)
        serialized_props = kept
    return _SDK_RESOLVE(res, serialized_props, outputs, deps, resolvers, *rest, **kw)


def _outputs_of_marked(res: Any, outputs: Any) -> None:
    """``register_outputs`` of a component marked like a ``lean`` handle: its outputs are
    the props it registered with, and the mock monitor drops RegisterResourceOutputs (the
    plan records registrations): serialising them a second time was a twentieth of a run."""
    if res.__dict__.get(READS_ATTR) is None:
        _SDK_REGISTER_OUTPUTS(res, outputs)


_SCALARS = frozenset({str, int, float, bool, type(None)})


class _NotPlainError(Exception):
    """A value the plain serialiser leaves to the SDK's (resources, enums, assets...)."""


async def _plain_property(value: Any, deps: list[Any], translate: Any) -> Any:
    """``rpc.serialize_property`` of the pinned SDK for plain values, lists, dicts and
    Outputs, without a type (what ``lean`` and the intent components register): the same
    value, the same dependencies in the same order. Anything else raises ``_NotPlainError``."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is list or kind is tuple:
        return [await _plain_property(v, deps, translate) for v in value]
    if kind is dict:
        obj = {}
        for k in value:
            obj[k if translate is None else translate(k)] = await _plain_property(
                value[k], deps, translate
            )
        return obj
    if kind is pulumi.Output:
        data = await value._data
        deps.extend(data.resources)
        promise_deps: list[Any] = []
        inner = data.value
        if type(inner) not in _SCALARS and sdk_rpc.contains_unknowns(inner):
            inner = None  # only an Unknown object is unknown: never a plain scalar
        inner = await _plain_property(inner, promise_deps, translate)
        deps.extend(promise_deps)
        data.resources.update(promise_deps)
        secrets = settings.monitor_supports_feature(resource_pb2.RESOURCE_MONITOR_FEATURE_SECRETS)
        if not data.is_known:
            inner = sdk_rpc.UNKNOWN
        if data.is_secret and secrets:
            return {sdk_rpc._special_sig_key: sdk_rpc._special_secret_sig, "value": inner}
        return inner
    raise _NotPlainError


async def _serialize_plain(
    inputs: Any,
    property_deps: dict[str, Any],
    resource_obj: Any = None,
    input_transformer: Any = None,
    typ: Any = None,
    keep_output_values: bool = False,  # noqa: FBT001, FBT002  (the SDK's signature)
    exclude_resource_refs_from_deps: bool = False,  # noqa: FBT001, FBT002
) -> struct_pb2.Struct:
    """``rpc.serialize_properties`` of a marked resource's plain inputs (``_plain_property``);
    anything else, and every other caller, goes to the SDK's. Walking each value through
    the SDK's general serialiser (a dozen type tests per value, a coroutine per level) was
    the largest part of a registration left."""
    if (
        resource_obj is not None
        and resource_obj.__dict__.get(READS_ATTR) is not None
        and typ is None
        and not keep_output_values
        and not exclude_resource_refs_from_deps
        and type(inputs) is dict
    ):
        try:
            fields: dict[str, Any] = {}
            found: dict[str, list[Any]] = {}
            for k in inputs:
                deps: list[Any] = []
                result = await _plain_property(inputs[k], deps, input_transformer)
                if result is not None:  # the SDK drops top-level properties that are None
                    name = k if input_transformer is None else input_transformer(k)
                    fields[name] = result
                    found[name] = deps
        except _NotPlainError:
            pass
        else:
            struct = struct_pb2.Struct()
            for name, result in fields.items():
                struct[name] = result
            property_deps.update(found)
            monitor = settings.get_monitor()
            if isinstance(monitor, RecordingMonitor):
                monitor.offer_inputs(resource_obj._type, resource_obj._name, fields)
            return struct
    return await _SDK_SERIALIZE(
        inputs,
        property_deps,
        resource_obj,
        input_transformer,
        typ,
        keep_output_values,
        exclude_resource_refs_from_deps,
    )


def _scalar_known(val: Any) -> bool:
    """``pulumi.output.contains_unknowns``: only an ``Unknown`` object (or a container
    holding one) is unknown, so a plain scalar never is. Every Output checks its value
    when it resolves: walking the SDK's general check each time was a twentieth of a run."""
    if type(val) in _SCALARS:
        return False
    return bool(sdk_rpc.contains_unknowns(val))


def _add_dep_in_place(from_resource: Any, to_resource: Any) -> None:
    """``resource_cycle_breaker._add_dep`` without copying the whole set for each new
    dependency (quadratic: a backup job or an HA rule names thousands of VMs at 100x)."""
    deps = getattr(from_resource, sdk_cycles._DEPENDENCIES_PROPERTY, None)
    if deps is None:
        setattr(from_resource, sdk_cycles._DEPENDENCIES_PROPERTY, {to_resource})
    else:
        deps.add(to_resource)


def _no_debug(*args: Any, **kwargs: Any) -> None:
    del args, kwargs


@contextmanager
def _fast_sdk() -> Iterator[None]:
    """The SDK's registration path without the work the offline plan never sees.

    Only under ``FAST_SDK_VERSION`` (module attributes of that version; tests/cloud check
    that the plans are byte-identical with and without it). Each replaced function is put
    back on leaving; each one's docstring says what it leaves out and what it cost.
    """
    with ExitStack() as stack:
        _swap(stack, sdk_resource, "create_urn", _eager_urn)
        _swap(stack, sdk_rpc, "transfer_properties", _transfer_read)
        _swap(stack, sdk_rpc, "resolve_outputs", _resolve_read)
        _swap(stack, sdk_resource_api, "register_resource_outputs", _outputs_of_marked)
        _swap(stack, sdk_cycles, "_add_dep", _add_dep_in_place)
        _swap(stack, sdk_rpc, "serialize_properties", _serialize_plain)
        _swap(stack, sdk_output, "contains_unknowns", _scalar_known)
        # Debug lines go to the mock engine's logger, which drops them; building each
        # LogRequest was several per resource.
        _swap(stack, sdk_log, "debug", _no_debug)
        yield


def _current_loop() -> asyncio.AbstractEventLoop | None:
    """The thread's event loop (to put back after recording), or None on a thread without."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            return None


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
    fast: bool | None = None,
) -> RecordedPlan:
    """Run ``program`` under the mocks with ``config`` (keys without the project prefix).

    ``teardown=False`` is for a process that exits right after: the SDK's object graph
    (resources, outputs, futures) is left for the OS to reclaim, with the cyclic collector
    still off; freeing it took a fifth of the run (measured at 10x).
    ``fast``: the SDK's path without the work the plan never sees (``_fast_sdk``,
    ``_InlineLoop``); by default whenever the installed SDK is the one it was checked with.
    """
    if fast is None:
        fast = fast_sdk_available()
    full = {f"{project}:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    pulumi.runtime.set_all_config(full, [f"{project}:{k}" for k in secret_keys])
    monitor = RecordingMonitor(OfflineMocks(), inline=fast)
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
    previous_loop = _current_loop()
    loop = _InlineLoop() if fast else asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        mocks.set_mocks(
            OfflineMocks(), project=project, stack=stack, preview=False, logger=log, monitor=monitor
        )

        def run() -> None:
            program()

        with _without_stack_traces(), _fast_sdk() if fast else nullcontext():
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
            asyncio.set_event_loop(previous_loop)
            loop.close()
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

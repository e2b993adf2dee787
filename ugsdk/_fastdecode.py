"""Structure functions written out once per model, for payloads that fit their model.

cattrs' generated functions call one hook per field and gather errors as they go: right for
telling a user what is wrong with a payload, costly when nothing is. For each attrs class this
module writes a plain Python function that reads every key, checks its JSON type inline
(``type(v) is int``: no hook call) and calls the class once. It does not explain failures: any
surprise (a missing key, a wrong type, a shape it does not handle) makes the caller run the
cattrs path on the same payload, which then either succeeds the same way or raises today's
error, naming the field. So a fast result is only ever a result the cattrs path gives too; the
tests check that on every documented payload and on broken variants of them.

What the fast path accepts, per JSON type, is a subset of what the cattrs hooks in
:mod:`ugsdk.serde` accept (exact ``dict``/``list``/``str``/``int`` types only, for instance);
everything outside that subset takes the slow path.

The other way, :class:`FastEncoders` writes one unstructure function per class: the fields
in order with their hooks called directly, unset optionals left out and ``extra`` keys added
after, in one function instead of cattrs' function wrapped by a second pass.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, Callable, Collection, Dict, List, Optional, Tuple, Union

import attrs

from .models._base import OpenEnum

__all__ = ["Miss", "FastDecoders"]

Structure = Callable[[Any], Any]
Hook = Callable[[Any, Any], Any]

_NoneType = type(None)


class Miss(Exception):
    """The payload is outside what the fast path handles; the caller takes the cattrs path."""


def _origin(tp: Any) -> Any:
    return getattr(tp, "__origin__", None)


def _args(tp: Any) -> Tuple[Any, ...]:
    return tuple(getattr(tp, "__args__", ()))


def _is_optional(tp: Any) -> bool:
    args = _args(tp)
    return _origin(tp) is Union and len(args) == 2 and _NoneType in args


class _Writer:
    """Source lines and the names they refer to, for one generated function."""

    def __init__(self) -> None:
        self.lines: List[str] = []
        self.names: Dict[str, Any] = {}
        self._counter = 0

    def name(self, value: Any, hint: str) -> str:
        """A global name in the generated module bound to ``value``."""
        for key, bound in self.names.items():
            if bound is value and key.startswith("_" + hint):
                return key
        self._counter += 1
        key = f"_{hint}{self._counter}"
        self.names[key] = value
        return key

    def local(self, hint: str) -> str:
        self._counter += 1
        return f"{hint}{self._counter}"

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)


class FastDecoders:
    """The fast structure functions of one converter.

    Args:
        strict: unknown keys are a miss (the strict converter) rather than kept in ``extra``.
        structure: the converter's own ``structure``, for types this module leaves to it.
        delegate: types whose converter hook must always be used (custom hooks).
        extra_field: the attribute that gathers unknown keys.
        json_key: the JSON key of an attrs field.
        json_aliases: the other JSON keys a field is read from when its own is absent or null.
        parse_datetime: turns a JSON value into an aware datetime or raises.
    """

    def __init__(
        self,
        *,
        strict: bool,
        structure: Hook,
        delegate: Collection[Any],
        extra_field: str,
        json_key: Callable[["attrs.Attribute[Any]"], str],
        parse_datetime: Callable[[Any], datetime],
        json_aliases: Callable[["attrs.Attribute[Any]"], Tuple[str, ...]] = lambda field: (),
    ) -> None:
        self._strict = strict
        self._structure = structure
        self._delegate = frozenset(delegate)
        self._extra_field = extra_field
        self._json_key = json_key
        self._json_aliases = json_aliases
        self._parse_datetime = parse_datetime
        # Filled once per class; the lock keeps two threads from writing the same class twice.
        self._raw: Dict[type, Any] = {}
        self._lock = threading.RLock()

    def hook(self, cls: type, slow: Hook) -> Hook:
        """A converter hook for ``cls``: the fast function, or ``slow`` when it misses.

        Returns ``slow`` itself for classes the fast path does not handle.
        """
        raw = self.raw(cls)
        if raw is None:
            return slow

        def structure_fast(data: Any, type_: Any = cls) -> Any:
            try:
                return raw(data)
            except Exception:  # a Miss, or whatever a surprising value raised: cattrs decides
                return slow(data, type_)

        structure_fast.__qualname__ = f"structure_fast_{cls.__name__}"
        return structure_fast

    def handles(self, cls: type) -> bool:
        """True for attrs classes that are not left to a hook of their own."""
        return attrs.has(cls) and cls not in self._delegate

    def raw(self, cls: type) -> Optional[Structure]:
        """The bare fast function of ``cls`` (raises on anything unexpected), or None."""
        found = self._raw.get(cls)
        if found is None:
            with self._lock:
                found = self._raw.get(cls)
                if found is None:
                    self._raw[cls] = _PENDING
                    try:
                        found = self._compile(cls)
                    except _Decline:
                        found = _DECLINED
                    self._raw[cls] = found
        return None if found is _PENDING or found is _DECLINED else found

    # --- writing the code --------------------------------------------------------------------

    def _compile(self, cls: type) -> Structure:
        attrs.resolve_types(cls)
        fields = attrs.fields(cls)
        writer = _Writer()
        cls_name = writer.name(cls, "cls")
        writer.emit(0, "def structure(d):")
        writer.emit(1, "if type(d) is not dict:")
        writer.emit(2, "raise _Miss")
        keeps_extra = False
        required = 0
        kwargs: List[str] = []
        known: List[str] = []
        writer.names["_Miss"] = Miss
        for field in fields:
            # An alias stands in for its field's key when that is absent or null, as in
            # serde.apply_aliases: move it there on a copy, and the rest reads as usual.
            key = self._json_key(field)
            for position, alias in enumerate(self._json_aliases(field)):
                keyword = "if" if position == 0 else "elif"
                writer.emit(1, f"{keyword} {alias!r} in d and d.get({key!r}) is None:")
                writer.emit(2, "d = dict(d)")
                writer.emit(2, f"d[{key!r}] = d.pop({alias!r})")
        writer.emit(1, "n = 0")
        for field in fields:
            if not field.init or field.alias != field.name:
                raise _Decline  # attrs would want another keyword; leave it to cattrs
            if field.name == self._extra_field:
                keeps_extra = True
                continue
            key = self._json_key(field)
            known.append(key)
            target = writer.local("v")
            source = writer.local("s")
            default = field.default
            if default is attrs.NOTHING:
                required += 1
                writer.emit(1, f"{source} = d[{key!r}]")
                self._emit_value(writer, 1, target, source, field.type)
            else:
                writer.emit(1, f"if {key!r} in d:")
                writer.emit(2, "n += 1")
                writer.emit(2, f"{source} = d[{key!r}]")
                self._emit_value(writer, 2, target, source, field.type)
                writer.emit(1, "else:")
                writer.emit(2, f"{target} = {self._default(writer, default)}")
            kwargs.append(f"{field.name}={target}")
        known_name = writer.name(frozenset(known), "known")
        if keeps_extra or self._strict:
            writer.emit(1, f"if len(d) != n + {required}:")
            if self._strict:
                writer.emit(2, "raise _Miss")  # an unknown key: the strict hook names it
            else:
                writer.emit(2, f"extra = {{k: x for k, x in d.items() if k not in {known_name}}}")
                writer.emit(2, "for k in extra:")
                writer.emit(3, "if type(k) is not str:")
                writer.emit(4, "raise _Miss")
            if keeps_extra:
                writer.emit(1, "else:")
                writer.emit(2, "extra = {}")
        if keeps_extra:
            kwargs.append(f"{self._extra_field}=extra")
        writer.emit(1, f"return {cls_name}({', '.join(kwargs)})")
        source_text = "\n".join(writer.lines) + "\n"
        namespace: Dict[str, Any] = dict(writer.names)
        code = compile(source_text, f"<ugsdk fast structure {cls.__module__}.{cls.__qualname__}>", "exec")
        exec(code, namespace)  # noqa: S102 - our own generated text, built from field names only
        fn: Structure = namespace["structure"]
        fn.__qualname__ = f"fast_structure_{cls.__name__}"
        return fn

    def _default(self, writer: _Writer, default: Any) -> str:
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            factory = default.factory
            if default.takes_self:
                raise _Decline
            if factory is list:
                return "[]"
            if factory is dict:
                return "{}"
            return writer.name(factory, "factory") + "()"
        if default is None or isinstance(default, (bool, int, str)) and type(default) in (bool, int, str):
            return repr(default)
        return writer.name(default, "default")  # the same object attrs would pass

    def _emit_value(self, writer: _Writer, indent: int, target: str, source: str, tp: Any) -> None:
        """Lines that set ``target`` from the JSON value in ``source``, raising on a surprise."""
        if tp is Any:
            writer.emit(indent, f"{target} = {source}")
        elif tp in (int, str, bool):
            writer.emit(indent, f"if type({source}) is not {tp.__name__}:")
            writer.emit(indent + 1, "raise _Miss")
            writer.emit(indent, f"{target} = {source}")
        elif tp is float:
            writer.emit(indent, f"if type({source}) is float:")
            writer.emit(indent + 1, f"{target} = {source}")
            writer.emit(indent, f"elif type({source}) is int:")
            writer.emit(indent + 1, f"{target} = float({source})")
            writer.emit(indent, "else:")
            writer.emit(indent + 1, "raise _Miss")
        elif tp is datetime:
            parse = writer.name(self._parse_datetime, "dt")
            writer.emit(indent, f"{target} = {parse}({source})")
        elif isinstance(tp, type) and issubclass(tp, OpenEnum):
            members = writer.name(tp._value2member_map_, "members")
            enum_cls = writer.name(tp, "enum")
            writer.emit(indent, f"if type({source}) is not str:")
            writer.emit(indent + 1, "raise _Miss")
            # The member lookup Enum.__call__ starts with, minus the call; new values take the
            # class call (and _missing_), which records them in the same map.
            writer.emit(indent, f"{target} = {members}.get({source})")
            writer.emit(indent, f"if {target} is None:")
            writer.emit(indent + 1, f"{target} = {enum_cls}({source})")
        elif _is_optional(tp):
            inner = next(arg for arg in _args(tp) if arg is not _NoneType)
            writer.emit(indent, f"if {source} is None:")
            writer.emit(indent + 1, f"{target} = None")
            writer.emit(indent, "else:")
            self._emit_value(writer, indent + 1, target, source, inner)
        elif _origin(tp) in (list, List) and len(_args(tp)) == 1:
            self._emit_list(writer, indent, target, source, _args(tp)[0])
        elif _origin(tp) in (dict, Dict) and _args(tp) == (str, Any):
            writer.emit(indent, f"if type({source}) is not dict:")
            writer.emit(indent + 1, "raise _Miss")
            writer.emit(indent, f"for k in {source}:")
            writer.emit(indent + 1, "if type(k) is not str:")
            writer.emit(indent + 2, "raise _Miss")
            writer.emit(indent, f"{target} = dict({source})")
        elif isinstance(tp, type) and attrs.has(tp) and tp not in self._delegate and self._nested(tp) is not None:
            writer.emit(indent, f"{target} = {self._nested_name(writer, tp)}({source})")
        else:
            # Unions, tuples, classes with hooks of their own: the converter's hook, as is.
            structure = writer.name(self._structure, "structure")
            type_name = writer.name(tp, "type")
            writer.emit(indent, f"{target} = {structure}({source}, {type_name})")

    def _emit_list(self, writer: _Writer, indent: int, target: str, source: str, item: Any) -> None:
        writer.emit(indent, f"if type({source}) is not list:")
        writer.emit(indent + 1, "raise _Miss")
        if item is Any:
            writer.emit(indent, f"{target} = list({source})")
        elif item in (int, str, bool):
            writer.emit(indent, f"{target} = [x for x in {source} if type(x) is {item.__name__}]")
            writer.emit(indent, f"if len({target}) != len({source}):")
            writer.emit(indent + 1, "raise _Miss")
        elif isinstance(item, type) and attrs.has(item) and item not in self._delegate and self._nested(item) is not None:
            writer.emit(indent, f"{target} = [{self._nested_name(writer, item)}(x) for x in {source}]")
        else:
            structure = writer.name(self._structure, "structure")
            type_name = writer.name(item, "type")
            writer.emit(indent, f"{target} = [{structure}(x, {type_name}) for x in {source}]")

    def _nested(self, cls: type) -> Any:
        """The nested class's fast function, _PENDING while it is being written, or None."""
        found = self._raw.get(cls)
        if found is _PENDING:
            return _PENDING
        if found is _DECLINED:
            return None
        return self.raw(cls)

    def _nested_name(self, writer: _Writer, cls: type) -> str:
        found = self._raw.get(cls)
        if found is _PENDING:
            # A class that contains itself (menus within menus): look it up at call time,
            # once it exists.
            table = writer.name(self._raw, "table")
            key = writer.name(cls, "nested")
            return f"{table}[{key}]"
        return writer.name(found, "fast")


class _Decline(Exception):
    """The class has a feature the generated code does not reproduce."""


_PENDING: Any = object()
_DECLINED: Any = object()


# --- encoding ----------------------------------------------------------------------------------

#: Marks a generated unstructure function with the class it encodes.
_ENCODES = "__ugsdk_encodes__"


class FastEncoders:
    """The unstructure functions of one converter, written out once per attrs class.

    What cattrs' generated function and ugsdk's wrapper around it did in three steps (a dict
    of every field through its hook, then unset optional fields dropped, then ``extra`` keys
    added) is done in one function: each field's value is read once and its hook called
    directly, or not at all where the hook copies the value as is. Hooks are the converter's
    own, looked up by each field's declared type, so the output is what the converter gives;
    only optionals and lists are taken apart here, item by item with the item's hook, as cattrs
    does.

    Args:
        hook: the converter's unstructure hook of a type (``get_unstructure_hook``).
        unstructure: the converter's ``unstructure`` (by runtime class), for ``extra`` values.
        identity: the hook that returns its value as is.
        inline: hooks written as an expression instead of a call (``"{}.value"``).
        extra_field: the attribute holding unknown keys, written after the fields.
        json_key: the JSON key of an attrs field.
        omitted: whether a field of a class stays out of the JSON.
    """

    def __init__(
        self,
        *,
        hook: Callable[[Any], Callable[[Any], Any]],
        unstructure: Callable[[Any], Any],
        identity: Callable[[Any], Any],
        inline: Dict[Callable[[Any], Any], str],
        extra_field: str,
        json_key: Callable[["attrs.Attribute[Any]"], str],
        omitted: Callable[[type, "attrs.Attribute[Any]"], bool],
    ) -> None:
        self._hook = hook
        self._unstructure = unstructure
        self._identity = identity
        self._inline = inline
        self._extra_field = extra_field
        self._json_key = json_key
        self._omitted = omitted
        self._fns: Dict[type, Any] = {}
        self._lock = threading.RLock()

    def function(self, cls: type) -> Optional[Callable[[Any], Dict[str, Any]]]:
        """The generated function of ``cls``, or None when the class has a feature it skips."""
        found = self._fns.get(cls)
        if found is None or found is _PENDING:
            with self._lock:
                found = self._fns.get(cls)
                if found is _PENDING:
                    # A class that contains itself, asked for while its function is being
                    # written (by this thread: others wait on the lock): found at call time.
                    return self._forward(cls)
                if found is None:
                    self._fns[cls] = _PENDING
                    try:
                        found = self._compile(cls)
                    except Exception:  # a feature it skips, or types it cannot read: cattrs' way
                        found = _DECLINED
                    except BaseException:
                        del self._fns[cls]
                        raise
                    self._fns[cls] = found
        return None if found is _DECLINED else found

    def _forward(self, cls: type) -> Callable[[Any], Dict[str, Any]]:
        table = self._fns

        def unstructure_forward(obj: Any) -> Dict[str, Any]:
            return table[cls](obj)  # type: ignore[no-any-return]

        setattr(unstructure_forward, _ENCODES, cls)
        return unstructure_forward

    def _compile(self, cls: type) -> Callable[[Any], Dict[str, Any]]:
        attrs.resolve_types(cls)
        writer = _Writer()
        writer.emit(0, "def unstructure(o):")
        leading: List[str] = []  # fields always written, before the first that may be left out
        body: List[Tuple[int, str]] = []
        keeps_extra = False
        for field in attrs.fields(cls):
            if field.name == self._extra_field:
                keeps_extra = True
                continue
            if self._omitted(cls, field) or not field.init:  # cattrs writes no init=False field
                continue
            if field.type is None or field.alias != field.name:
                raise _Decline
            key = self._json_key(field)
            if field.default is None:
                # An unset optional field is left out rather than sent as null.
                expr = self._value(writer, field.type, "v")
                body.append((1, f"v = o.{field.name}"))
                if expr != "v":
                    body.append((1, "if v is not None:"))
                    body.append((2, f"v = {expr}"))
                body.append((1, "if v is not None:"))
                body.append((2, f"res[{key!r}] = v"))
            elif body:
                body.append((1, f"res[{key!r}] = {self._value(writer, field.type, f'o.{field.name}')}"))
            else:
                leading.append(f"{key!r}: {self._value(writer, field.type, f'o.{field.name}')}")
        writer.emit(1, "res = {" + ", ".join(leading) + "}")
        for indent, line in body:
            writer.emit(indent, line)
        if keeps_extra:
            unstructure = writer.name(self._unstructure, "unstructure")
            writer.emit(1, f"e = o.{self._extra_field}")
            writer.emit(1, "if e:")
            writer.emit(2, "for k, x in e.items():")
            writer.emit(3, f"res.setdefault(k, {unstructure}(x))")
        writer.emit(1, "return res")
        source_text = "\n".join(writer.lines) + "\n"
        namespace: Dict[str, Any] = dict(writer.names)
        code = compile(source_text, f"<ugsdk fast unstructure {cls.__module__}.{cls.__qualname__}>", "exec")
        exec(code, namespace)  # noqa: S102 - our own generated text, built from field names only
        fn: Callable[[Any], Dict[str, Any]] = namespace["unstructure"]
        fn.__qualname__ = f"fast_unstructure_{cls.__name__}"
        setattr(fn, _ENCODES, cls)
        return fn

    def _value(self, writer: _Writer, tp: Any, source: str) -> str:
        """An expression for the JSON value of ``source``, a value of declared type ``tp``.

        ``source`` may be read more than once (a name or an attribute of ``o``).
        """
        hook = self._hook(tp)
        if hook is self._identity:
            return source
        template = self._inline.get(hook)
        if template is not None:
            return template.format(source)
        if getattr(hook, _ENCODES, None) is tp:
            return f"{writer.name(hook, 'enc')}({source})"
        if _is_optional(tp) and getattr(hook, "__name__", "") == "unstructure_optional":
            inner = next(arg for arg in _args(tp) if arg is not _NoneType)
            expr = self._value(writer, inner, source)
            return source if expr == source else f"(None if {source} is None else {expr})"
        if _origin(tp) in (list, List) and len(_args(tp)) == 1 and (hook is list or getattr(hook, "__name__", "") == "unstructure_iterable"):
            item = writer.local("x")
            expr = self._value(writer, _args(tp)[0], item)
            return f"list({source})" if expr == item else f"[{expr} for {item} in {source}]"
        return f"{writer.name(hook, 'hook')}({source})"

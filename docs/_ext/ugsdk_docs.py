"""Sphinx helpers of ugsdk's documentation.

- Each :class:`ugsdk.Client` method's reference entry opens with its JavaScript name, read
  from the porting table of ``porting.rst`` (which a test holds to every public method), so
  the two cannot disagree.
- ``.. ugsdk-cli::`` writes the command-line reference from the ``ugsdk`` parser itself: one
  section per command, labelled ``cli-<command words>``, with its usage and its own flags.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

PORTING = Path(__file__).resolve().parents[1] / "howto" / "porting.rst"
_METHODS_TABLE = "Every method, event and key"


def javascript_names(text: str) -> Dict[str, str]:
    """``{python method name: JavaScript form}`` from the porting page's method table."""
    names: Dict[str, str] = {}
    lines = text.splitlines()
    start = lines.index(_METHODS_TABLE)
    rules = [i for i in range(start, len(lines)) if re.fullmatch(r"=+ +=+", lines[i])]
    first, _header_end, last = rules[0], rules[1], rules[2]
    split = lines[first].index(" ")
    for line in lines[rules[1] + 1:last]:
        javascript, python = line[:split].strip(), line[split:].strip()
        for name in re.findall(r"(?:client|Client)\.([a-z_]+)\(|``([a-z_]+)\(", python):
            method = name[0] or name[1]
            names.setdefault(method, javascript)
    return names


def add_javascript_name(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: List[str]) -> None:
    """Open a ``Client`` method's docstring with its JavaScript counterpart."""
    prefix = "ugsdk.Client."
    if what != "method" or not name.startswith(prefix) or name.count(".") != 2:
        return
    method = name[len(prefix):]
    table: Dict[str, str] = app.env.ugsdk_javascript_names  # type: ignore[attr-defined]
    if method not in table:
        return
    javascript = table[method]
    if javascript.startswith("``"):
        line = f"*JavaScript:* {javascript}"
    else:  # "(Python only)", "(every page of ``getChatHistory``)"...
        line = f"*JavaScript:* none {javascript}"
    lines[:0] = [line, ""]


def load_names(app: Sphinx) -> None:
    app.env.ugsdk_javascript_names = javascript_names(PORTING.read_text(encoding="utf-8"))  # type: ignore[attr-defined]


def commands(parser: argparse.ArgumentParser, words: Tuple[str, ...] = ()) -> Iterator[Tuple[Tuple[str, ...], str, argparse.ArgumentParser]]:
    """Every command of the ``ugsdk`` parser, groups' subcommands included, depth first:
    ``(words, one-line help, parser)``."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
        for name, sub in action.choices.items():
            path = words + (name,)
            yield path, helps.get(name, ""), sub
            yield from commands(sub, path)


_COMMON_GROUPS = ("settings (flags win over UGSDK_* variables)", "run options")


def _own_options(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    common = {id(a) for g in parser._action_groups if g.title in _COMMON_GROUPS for a in g._group_actions}
    for action in parser._actions:
        if id(action) in common or isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        yield action


def _option_line(action: argparse.Action) -> str:
    if not action.option_strings:
        return action.metavar if isinstance(action.metavar, str) else action.dest.upper()
    metavar = ""
    if action.nargs != 0:
        metavar = " " + (action.metavar if isinstance(action.metavar, str) else action.dest.upper())
    return ", ".join(option + metavar for option in action.option_strings)


def _usage(title: str, parser: argparse.ArgumentParser, own: List[argparse.Action]) -> str:
    """The command's usage line, the common flags folded into one mention."""
    parts = [title]
    if any(g.title in _COMMON_GROUPS and g._group_actions for g in parser._action_groups):
        parts.append("[settings] [run options]")
    for action in own:
        if not action.option_strings:
            continue
        first = action.option_strings[-1] if action.option_strings[-1].startswith("--") else action.option_strings[0]
        metavar = "" if action.nargs == 0 else " " + (action.metavar if isinstance(action.metavar, str) else action.dest.upper())
        parts.append(f"[{first}{metavar}]")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            parts.append("COMMAND ...")
        elif not action.option_strings:
            name = action.metavar if isinstance(action.metavar, str) else action.dest.upper()
            parts.append(f"{name} ..." if action.nargs in ("+", "*") else name)
    return " ".join(parts)


def _text(help: Any) -> str:
    return " ".join(str(help or "").replace("%(default)s", "the default").split())


def cli_rst(parser: argparse.ArgumentParser) -> List[str]:
    """The command-line reference as reStructuredText lines."""
    out: List[str] = []
    out += [".. program:: ugsdk", ""]
    for group in parser._action_groups:
        if group.title not in _COMMON_GROUPS:
            continue
        out += [f"**{group.title}**", ""]
        for action in group._group_actions:
            out += [f".. option:: {_option_line(action)}", "", f"   {_text(action.help)}", ""]
    for words, help, sub in commands(parser):
        title = "ugsdk " + " ".join(words)
        out += [f".. _cli-{'-'.join(words)}:", "", title, "~" * len(title), ""]
        if help:
            out += [_text(help)[:1].upper() + _text(help)[1:] + ".", ""]
        own = list(_own_options(sub))
        out += [".. code-block:: text", "", "    " + _usage(title, sub, own), ""]
        if own:
            out += [f".. program:: {title}", ""]
            for action in own:
                if action.option_strings:
                    out += [f".. option:: {_option_line(action)}", "", f"   {_text(action.help)}", ""]
                elif action.help:
                    out += [f"``{_option_line(action)}``", f"   {_text(action.help)}", ""]
    return out


class CliReference(SphinxDirective):
    """``.. ugsdk-cli::``: the reference of every ``ugsdk`` command."""

    has_content = False

    def run(self) -> List[nodes.Node]:
        from ugsdk.cli.parser import build_parser

        content = StringList(cli_rst(build_parser()), source="ugsdk-cli")
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, content, node)
        return node.children


def keep_prose_out_of_types(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: List[str]) -> None:
    """Undo napoleon's reading of a sentence as a type.

    Napoleon reads an attribute docstring's first line as ``type: description``. Ours open
    with a sentence that may hold a colon (``Threads the hub runs now: its reading thread and
    the pool's.``): napoleon then makes ``:type: Threads the hub runs now``. Runs after
    napoleon and puts such a sentence back in front of its description.
    """
    if what not in ("attribute", "data", "property", "class", "exception"):
        return
    for i, line in enumerate(lines):
        if not line.startswith(":type: "):
            continue
        value = line[len(":type: "):]
        if " " not in value or re.fullmatch(r"[\w.\[\]]+( or [\w.\[\]]+)+(, optional)?", value):
            continue
        del lines[i]
        if i > 0 and not lines[i - 1].strip():
            del lines[i - 1]
        first = next((j for j, text in enumerate(lines) if text.strip()), None)
        if first is None:
            lines[:0] = [value]
        else:
            lines[first] = f"{value}: {lines[first]}"
        return


_QUOTES = "'\""


def resolve_alias(app: Sphinx, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve a Python reference to where the name is documented.

    Docstrings and annotations name objects by the module they live in
    (``ugsdk.client.Client``), by a package that re-exports them (``ugsdk.transports.HTTPTransport``)
    or, in string annotations, bare (``'EventHub'``); the reference documents each object
    once, under the name users import. Anything that still resolves nowhere is left to
    the nitpicky build to report.
    """
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].strip(_QUOTES)
    if not target:
        return contnode  # the stray quote of a string annotation split at its comma
    if target != node["reftarget"] and _ignored(app, node["reftype"], target):
        return contnode  # a quoted annotation of a name outside this project
    domain = env.get_domain("py")
    known = domain.objects
    candidates: List[str] = []
    obj = _import(target) or _import(f"{node.get('py:module') or 'ugsdk'}.{target}")
    if obj is not None:
        module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
        if module and qualname:
            candidates.append(f"{module}.{qualname}")
        name = getattr(obj, "__name__", "")
        import ugsdk

        if name in ugsdk.__all__ and getattr(ugsdk, name) is obj:
            candidates.insert(0, f"ugsdk.{name}")
    short = target.rsplit(".", 1)[-1]
    suffix = [
        full for full in known
        if not known[full].aliased  # autodoc's entry under the defining module's name
        and (full.endswith("." + target) or (full.rsplit(".", 1)[-1] == short and "." not in target))
    ]
    if len(suffix) == 1:
        candidates.append(suffix[0])
    for full in candidates:
        if full in known and full != node["reftarget"]:
            return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"] if node["reftype"] != "class" or known[full].objtype in ("class", "exception") else "obj", full, node, contnode)
    return None


def _ignored(app: Sphinx, reftype: str, target: str) -> bool:
    return any(
        re.fullmatch(kind, f"py:{reftype}") and re.fullmatch(pattern, target)
        for kind, pattern in app.config.nitpick_ignore_regex
    )


def _import(dotted: str) -> Any:
    import importlib

    parts = dotted.split(".")
    if parts[0] != "ugsdk":
        return None
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except Exception:  # not a module at this length: try a shorter prefix
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def setup(app: Sphinx) -> Dict[str, Any]:
    app.connect("builder-inited", load_names)
    app.connect("autodoc-process-docstring", keep_prose_out_of_types, priority=600)
    app.connect("missing-reference", resolve_alias)
    app.connect("autodoc-process-docstring", add_javascript_name)
    app.add_directive("ugsdk-cli", CliReference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Guard: no panel view or API handler does database work on the event loop.

The loop that serves staff also acknowledges WhatsApp webhooks, so every ``async def`` under
``admin/panel`` and ``admin/api`` hands its database work to ``db(request, sync_fn, ...)``
(:mod:`app.offload`). This scan fails when an ``async def``, in its own body:

- opens a session (``Session(``, ``read_session(``, ``write_session(``, ``locked_session(``,
  ``transaction(``) or reads through one (``session.exec(`` / ``session.get(``);
- calls, other than through ``db``, a sync function of these packages that does any of that
  (directly or through another such function, matched by name);
- hands the engine (``engine(request)``, ``app[DB]``) to anything but ``db``, i.e. calls a
  core use case that opens its own session;
- calls one of its own nested sync functions directly instead of through ``db``.

Nested sync functions (an API handler's ``work``) are not the loop's code: only ``db`` runs
them.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = (ROOT / "admin" / "panel", ROOT / "admin" / "api")
OPENERS = {"Session", "read_session", "write_session", "locked_session", "transaction"}
SESSION_READS = {"exec", "get", "execute", "scalar", "scalars"}


def _files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in pkg.rglob("*.py"))


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _own_nodes(fn: ast.AST):
    """The nodes of ``fn``'s body, not descending into nested functions or lambdas."""
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _is_session_read(call: ast.Call) -> bool:
    func = call.func
    return (isinstance(func, ast.Attribute) and func.attr in SESSION_READS
            and isinstance(func.value, ast.Name) and "session" in func.value.id.lower())


def _opens_db(fn: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and (_name(n.func) in OPENERS or _is_session_read(n))
               for n in _own_nodes(fn))


def _is_engine(arg: ast.expr) -> bool:
    """``engine(request)``, ``app[DB]`` / ``request.app[DB]`` / ``request.config_dict[DB]``."""
    if isinstance(arg, ast.Call) and _name(arg.func) == "engine":
        return True
    return isinstance(arg, ast.Subscript) and isinstance(arg.slice, ast.Name) \
        and arg.slice.id == "DB"


def _blocking_sync_functions(trees: dict[Path, ast.Module]) -> set[str]:
    """Names of module-level sync functions (and methods) that open a session, directly or
    through another one (a fixed point over names)."""
    defs = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                defs.setdefault(node.name, []).append(node)
    blocking = {name for name, nodes in defs.items() if any(_opens_db(n) for n in nodes)}
    changed = True
    while changed:
        changed = False
        for name, nodes in defs.items():
            if name in blocking:
                continue
            for node in nodes:
                if any(isinstance(n, ast.Call) and _name(n.func) in blocking
                       for n in _own_nodes(node)):
                    blocking.add(name)
                    changed = True
                    break
    return blocking


def _offences(path: Path, tree: ast.Module, blocking: set[str]) -> list[str]:
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.AsyncFunctionDef):
            continue
        nested = {n.name for n in ast.walk(fn) if isinstance(n, ast.FunctionDef)}
        where = f"{path.relative_to(ROOT)}:{fn.name}"
        for node in _own_nodes(fn):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            line = f"{where} line {node.lineno}"
            if name in OPENERS:
                found.append(f"{line}: opens a session ({name}) on the event loop")
            elif _is_session_read(node):
                found.append(f"{line}: reads through a session (.{name}) on the event loop")
            elif name == "db":
                continue
            elif name in blocking:
                found.append(f"{line}: calls {name}(), which opens a session, without db()")
            elif name in nested:
                found.append(f"{line}: calls its nested {name}() directly, not through db()")
            elif any(_is_engine(a) for a in [*node.args, *(k.value for k in node.keywords)]):
                found.append(f"{line}: hands the engine to {name}() on the event loop")
    return found


def test_no_async_handler_touches_the_database_on_the_event_loop():
    trees = {p: ast.parse(p.read_text(), str(p)) for p in _files()}
    blocking = _blocking_sync_functions(trees)
    offences = [o for path, tree in trees.items() for o in _offences(path, tree, blocking)]
    assert not offences, "database work on the event loop:\n" + "\n".join(offences)


def test_the_guard_sees_each_kind_of_offence():
    """The scan itself: each forbidden shape is reported, the allowed ones are not."""
    source = '''
def load(engine):
    with read_session(engine) as session:
        return session.exec(1)

def indirect(engine):
    return load(engine)

async def bad_open(request):
    with Session(engine(request)) as session:
        return session.get(1, 2)

async def bad_call(request):
    return indirect(engine(request))

async def bad_engine(request):
    return booking.book(engine(request), token="t")

async def bad_nested(request):
    def work():
        with Session(request.app[DB]) as s:
            return s
    return work()

async def good(request):
    def work():
        with Session(request.app[DB]) as s:
            return s
    await db(request, work)
    await db(request, transaction, request.app[DB], work)
    return await db(request, indirect, engine(request))
'''
    tree = ast.parse(source)
    offences = _offences(ROOT / "x.py", tree, _blocking_sync_functions({ROOT / "x.py": tree}))
    kinds = {o.split(":")[1].split(" ")[0] for o in offences}
    assert kinds == {"bad_open", "bad_call", "bad_engine", "bad_nested"}, offences
    assert sum("bad_open" in o for o in offences) == 2  # the open and the read

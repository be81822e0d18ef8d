"""The house's rules on imports, read from the code with `ast` (docs/architecture.md):

- no import loop among the project's modules (imports inside functions count: a hidden loop is still a loop);
- every import points down the layers: entry points -> jobs -> services -> channels -> models -> domain;
- entry points do not import each other (the dev-only demo data may use the sandbox);
- services import neither Flask nor the web layer; the domain imports neither Flask nor SQLAlchemy;
- imports sit at the top of a module; one inside a function carries a comment saying why.
"""
import ast
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOT_CODE = {"tests", "migrations", "bench", "scripts", "static", "templates", "instance", "node_modules"}
LAYERS = [  # lowest first; a module may import its own layer's modules or lower ones
    ("domain", "config"),
    ("models", "extensions"),
    ("channels",),
    ("services",),
    ("web",),
    ("jobs",),
    ("api", "backoffice", "member_h5", "staff_h5", "wechat_bot", "payments", "sms_inbound", "sandbox", "demo", "ops",
     "home"),
    ("app", "cli", "wsgi", "deploy"),  # deploy/: gunicorn's settings file
]
RANK = {top: rank for rank, names in enumerate(LAYERS) for top in names}
ENTRY_POINTS = set(LAYERS[6])
ALLOWED_ACROSS_ENTRY_POINTS = {("demo", "sandbox")}  # both development-only: the demo merchant gets sandbox keys
FORBIDDEN_THIRD_PARTY = {
    "services": ("flask", "flask_babel", "flask_login", "flask_wtf", "werkzeug"),
    "domain": ("flask", "sqlalchemy"),
}


@lru_cache(maxsize=1)
def project_modules():
    modules = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in NOT_CODE or any(part.startswith(".") for part in parts):
            continue
        name = ".".join(parts)[:-3]
        modules[name.removesuffix(".__init__")] = path
    return modules


def _resolve(name, modules):
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


@lru_cache(maxsize=1)
def imports():
    """[(module, imported dotted name, line, inside a function, has a comment)] for every import statement."""
    found = []
    for module, path in project_modules().items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        in_function = {id(node) for function in ast.walk(tree)
                       if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
                       for node in ast.walk(function) if isinstance(node, (ast.Import, ast.ImportFrom))}
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                names = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            said = _explained(lines, node.lineno)
            for name in names:
                found.append((module, name, node.lineno, id(node) in in_function, said))
    return found


def _explained(lines, lineno):
    """A comment on the import's line, or above it through the run of imports and comments it belongs to."""
    if "#" in lines[lineno - 1]:
        return True
    for line in reversed(lines[:lineno - 1]):
        text = line.strip()
        if text.startswith("#"):
            return True
        if not text.startswith(("import ", "from ")):
            return False
    return False


def edges():
    modules = project_modules()
    graph = {module: set() for module in modules}
    for module, name, line, _inside, _said in imports():
        target = _resolve(name, modules)
        # importing one's own package (a blueprint object from __init__) is how a package's modules meet
        if target and target != module and not module.startswith(target + "."):
            graph[module].add((target, line))
    return graph


def test_is_there_no_import_loop_among_the_project_modules():
    graph = {module: {target for target, _ in targets} for module, targets in edges().items()}
    loops = _strongly_connected(graph)
    assert not loops, "import loops: " + "; ".join(" <-> ".join(sorted(loop)) for loop in loops)


def test_does_every_import_point_down_the_layers():
    wrong = []
    for module, targets in edges().items():
        top = module.split(".")[0]
        for target, line in targets:
            other = target.split(".")[0]
            if top == other:
                continue
            upward = RANK[other] > RANK[top]
            across = top in ENTRY_POINTS and other in ENTRY_POINTS and (top, other) not in ALLOWED_ACROSS_ENTRY_POINTS
            if upward or across:
                wrong.append(f"{module}:{line} imports {target}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN_THIRD_PARTY))
def test_does_a_lower_layer_stay_free_of_the_frameworks_above_it(layer):
    banned = FORBIDDEN_THIRD_PARTY[layer]
    wrong = [f"{module}:{line} imports {name}" for module, name, line, _inside, _said in imports()
             if module.split(".")[0] == layer and name.split(".")[0] in banned]
    assert not wrong, "\n".join(wrong)


def test_do_imports_inside_functions_say_why():
    unexplained = sorted({f"{module}:{line}" for module, name, line, inside, said in imports() if inside and not said})
    assert not unexplained, "imports inside functions without a comment saying why:\n" + "\n".join(unexplained)


def test_does_every_module_of_the_project_belong_to_a_layer():
    assert {module.split(".")[0] for module in project_modules()} <= set(RANK)


def _strongly_connected(graph):
    """Tarjan's algorithm, iteratively: the components with more than one module."""
    index, low, on_stack, stack, components, counter = {}, {}, set(), [], [], [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)
    return components

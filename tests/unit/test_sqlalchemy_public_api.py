"""The project leans on SQLAlchemy's public API only, and writes each ledger row kind one way.

A private attribute (`Session._update_impl`, `compiled._bind_processors`, `InstanceState._commit_all`, ...) can
change in any SQLAlchemy release without notice; the ledger's speed is kept with public calls and plain statements
(services/shared/direct_sql.py, ledger_rows.py, plain_rows.py)."""
import ast
import inspect
from pathlib import Path

import sqlalchemy
from sqlalchemy.engine import Connection, Dialect, Engine, Result, Row
from sqlalchemy.orm import InstanceState, Mapper, Query, Session
from sqlalchemy.orm.attributes import InstrumentedAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.schema import Column, Table
from sqlalchemy.types import TypeEngine

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ["app.py", "config.py", "extensions.py", "domain", "models", "services", "channels", "jobs", "web",
              "api", "backoffice", "member_h5", "staff_h5", "payments", "wechat_bot", "sandbox", "demo", "bench"]
SQLALCHEMY_CLASSES = [Session, Connection, Engine, Dialect, Result, Row, SQLCompiler, BindParameter, ColumnElement,
                      Column, Table, TypeEngine, InstanceState, Mapper, Query, InstrumentedAttribute,
                      sqlalchemy.orm.ClassManager if hasattr(sqlalchemy.orm, "ClassManager") else Mapper]
LEDGER_MODELS = {"Checkout", "CheckoutRefund", "RewardGrant", "PointsTransaction", "PointsLot", "PointsAllocation",
                 "WalletTransaction", "WalletPosting", "Verification"}


def production_modules():
    for name in PRODUCTION:
        path = ROOT / name
        yield from ([path] if path.suffix == ".py" else sorted(path.rglob("*.py")))


# Row's namedtuple-style names, which SQLAlchemy documents as public
NAMEDTUPLE_API = {"_fields", "_mapping", "_asdict", "_t", "_tuple"}


def sqlalchemy_private_names():
    """Single-underscore names SQLAlchemy's classes define (not Python's dunders, not Row's public API)."""
    names = set()
    for cls in SQLALCHEMY_CLASSES:
        for klass in inspect.getmro(cls):
            if klass.__module__.startswith("sqlalchemy"):
                names.update(n for n in vars(klass) if n.startswith("_") and not n.startswith("__"))
    return names - NAMEDTUPLE_API


def test_does_the_project_use_no_private_sqlalchemy_attribute():
    private = sqlalchemy_private_names()
    assert {"_update_impl", "_bind_processors", "_commit_all", "_cached_result_processor"} <= private
    found = []
    for path in production_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined_here = {node.name for node in ast.walk(tree)
                        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        assigned_here = {node.attr for node in ast.walk(tree)
                         if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr in private and node.attr not in defined_here
                    and node.attr not in assigned_here):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert found == []


def test_is_no_ledger_row_made_as_an_orm_object_outside_the_ledger_writer():
    """Ledger rows are written by services/shared/ledger_rows.py (as the till's are), never added through the ORM:
    one write path per kind, so a new column is one edit."""
    found = []
    for path in production_modules():
        if path.parts[-2] in ("models", "demo", "sandbox", "bench"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in LEDGER_MODELS:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.func.id}(...)")
    assert found == []

"""The message path's four statements, written out.

Every message runs the same few statements: lock the conversation (with its visitor),
look up the client id, insert the message, update the conversation's cursors. Through
the ORM, building and compiling those queries took more of the server's CPU than
anything else a message costs (``docs/benchmarks.md``: 55% of the on-CPU samples of
the database thread, for four small statements). Here the SQL is built once per
database vendor, and values pass through the same field machinery the ORM uses
(``get_db_prep_save`` on the way in, the backend's and the fields' converters on the way
out), so the model instances are the ones the ORM would have made. Only what the hot
path needs is here; everything else stays in the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar, cast

from django.db import connection
from django.db.models import Field, Model

from chat.models import Conversation, Message, Visitor

M = TypeVar("M", bound=Model)


def _quote(name: str | None) -> str:
    assert name is not None  # concrete fields have columns
    return connection.ops.quote_name(name)


def _fields(model: type[Model]) -> list[Field[Any, Any]]:
    return list(model._meta.concrete_fields)


def _converters(model: type[Model], alias: str) -> list[tuple[Any, list[Any]]]:
    """Per column, the converters the ORM's compiler would apply (backend's, then the
    field's), bound to a column expression as they expect."""
    result = []
    for field in _fields(model):
        col = field.get_col(alias)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        result.append((col, found))
    return result


def _instance(model: type[M], converters: list[tuple[Any, list[Any]]], values: Sequence[Any]) -> M:
    row = []
    for (col, found), value in zip(converters, values, strict=True):
        for convert in found:
            value = convert(value, col, connection)
        row.append(value)
    return model.from_db(connection.alias, [f.attname for f in _fields(model)], row)


@cache
def _conversation_select(vendor: str) -> tuple[str, list[Any], list[Any]]:
    columns = [f"c.{_quote(f.column)}" for f in _fields(Conversation)] + [
        f"v.{_quote(f.column)}" for f in _fields(Visitor)
    ]
    sql = (
        f"SELECT {', '.join(columns)} FROM {_quote(Conversation._meta.db_table)} c "
        f"INNER JOIN {_quote(Visitor._meta.db_table)} v "
        f"ON v.{_quote(Visitor._meta.pk.column)} = c.{_quote('visitor_id')} "
        f"WHERE c.{_quote(Conversation._meta.pk.column)} = %s"
    )
    if connection.features.has_select_for_update_of:
        sql += " FOR UPDATE OF c"
    elif connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return sql, _converters(Conversation, "c"), _converters(Visitor, "v")


def conversation_for_update(conversation_id: int) -> Conversation | None:
    """The conversation with its visitor, row-locked until the transaction ends (on
    SQLite the write transaction itself is the lock)."""
    sql, conversation_converters, visitor_converters = _conversation_select(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [conversation_id])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(conversation_converters)
    conversation = _instance(Conversation, conversation_converters, row[:split])
    conversation.visitor = _instance(Visitor, visitor_converters, row[split:])
    return conversation


@cache
def _client_id_select(vendor: str) -> str:
    table = _quote(Message._meta.db_table)
    # The partial unique index's own condition, so every backend uses it.
    return (
        f"SELECT {_quote('id')} FROM {table} WHERE {_quote('conversation_id')} = %s "
        f"AND {_quote('client_id')} = %s AND {_quote('client_id')} <> ''"
    )


def message_id_by_client_id(conversation_id: int, client_id: str) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(_client_id_select(connection.vendor), [conversation_id, client_id])
        row = cursor.fetchone()
    return None if row is None else int(row[0])


@cache
def _insert(vendor: str, table: str, columns: tuple[str, ...], pk_column: str) -> str:
    sql = (
        f"INSERT INTO {_quote(table)} ({', '.join(_quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    if connection.features.can_return_columns_from_insert:
        sql += f" RETURNING {_quote(pk_column)}"
    return sql


def insert(instance: Model) -> None:
    """INSERT a new instance with an auto-increment primary key, as ``save()`` would
    (defaults and ``auto_now_add`` through each field's ``pre_save``), without signals:
    the models written here have no receivers."""
    meta = instance._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.pk]
    params = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    table = meta.db_table
    pk_column = str(meta.pk.column)
    sql = _insert(connection.vendor, table, tuple(str(f.column) for f in fields), pk_column)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if connection.features.can_return_columns_from_insert:
            pk = cursor.fetchone()[0]
        else:
            pk = connection.ops.last_insert_id(cursor, table, pk_column)
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = connection.alias


def update(instance: Model, field_names: Sequence[str]) -> None:
    """UPDATE these fields of a stored instance, as ``save(update_fields=...)`` would."""
    meta = instance._meta
    fields = [cast(Field[Any, Any], meta.get_field(name)) for name in field_names]
    assignments = ", ".join(f"{_quote(f.column)} = %s" for f in fields)
    params = [f.get_db_prep_save(f.pre_save(instance, False), connection) for f in fields]
    sql = f"UPDATE {_quote(meta.db_table)} SET {assignments} WHERE {_quote(meta.pk.column)} = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, instance.pk])


def visitors_flip(visitor_ids: Sequence[Any], *, present: bool) -> list[Any]:
    """Set ``is_present`` on those of these visitors whose flag says otherwise; the ids it
    changed. One conditional UPDATE: of several processes sweeping at once, exactly one
    changes (and so announces) each visitor."""
    if not visitor_ids:
        return []
    field = Visitor._meta.get_field("id")
    table, column = _quote(Visitor._meta.db_table), _quote("is_present")
    marks = ", ".join(["%s"] * len(visitor_ids))
    sql = (
        f"UPDATE {table} SET {column} = %s WHERE {_quote('id')} IN ({marks}) "
        f"AND {column} = %s RETURNING {_quote('id')}"
    )
    params = [present, *(field.get_db_prep_value(v, connection) for v in visitor_ids), not present]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = _converters(Visitor, "v")[0]  # the id column comes first
    col, found = converters
    changed = []
    for (value,) in rows:
        for convert in found:
            value = convert(value, col, connection)
        changed.append(value)
    return changed

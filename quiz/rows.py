"""Model instances from hand-written SQL, for the few statements that run on
every answer: composing them through the ORM cost more Python time than the
database spent on them (see `make bench`)."""

from django.db import connection


class Columns:
    """One model's columns in a hand-written SELECT, turned back into a model
    instance with the ORM's own value converters (SQLite returns dates as
    text, for one): what select_related does, without compiling a query."""

    def __init__(self, model, alias: str) -> None:
        self.model = model
        self.fields = model._meta.concrete_fields
        self.sql = ", ".join(f"{alias}.{connection.ops.quote_name(field.column)}" for field in self.fields)
        self.names = [field.attname for field in self.fields]
        self.pk_index = self.fields.index(model._meta.pk)
        self._converters = None

    def converters(self) -> list[tuple[int, list, object]]:
        if self._converters is None:
            self._converters = []
            for index, field in enumerate(self.fields):
                column = field.get_col(self.model._meta.db_table)
                found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                if found:
                    self._converters.append((index, found, column))
        return self._converters

    def instance(self, values: tuple):
        if values[self.pk_index] is None:  # the outer-joined row is absent
            return None
        values = list(values)
        for index, converters, column in self.converters():
            for converter in converters:
                values[index] = converter(values[index], column, connection)
        return self.model.from_db(connection.alias, self.names, values)


def instances(row: tuple, *columns: Columns) -> list:
    """One row cut into an instance (or None) per Columns, in SELECT order."""
    found, start = [], 0
    for part in columns:
        found.append(part.instance(row[start : start + len(part.fields)]))
        start += len(part.fields)
    return found


def fetch_one(sql: str, params: list, *columns: Columns) -> list | None:
    """The first row of `sql` as instances, or None when there is no row."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else instances(row, *columns)

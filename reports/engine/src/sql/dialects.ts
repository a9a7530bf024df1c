import type { ColumnType, TypedValue } from '../dataset/values.js';
import { chIdent, pgIdent } from '../dataset/identifiers.js';
import type { Dialect } from './dialect.js';
import { bind, f, join } from './fragment.js';

const chTypes: Record<ColumnType, string> = {
  string: 'String',
  integer: 'Int64',
  decimal: 'Decimal(38, 9)',
  timestamp: 'String',
  date: 'Date',
  boolean: 'Bool',
  tenantPath: 'String',
};

const pgTypes: Record<ColumnType, string> = {
  string: 'text',
  integer: 'bigint',
  decimal: 'numeric',
  timestamp: 'text',
  date: 'date',
  boolean: 'boolean',
  tenantPath: 'ltree',
};

const bindTyped = (value: TypedValue) => bind(value.value, chTypes[value.type], pgTypes[value.type]);

/** ClickHouse (chDB or a server), through the analytics port: `{rpN:Type}` parameters. */
export const clickhouse: Dialect = {
  name: 'clickhouse',
  ident: chIdent,
  bind: bindTyped,
  // Text travels as one Array(String) parameter (a long list of meter keys stays one value); numbers one by
  // one, because ClickHouse reads an array parameter's numbers only unquoted.
  list: (values) => {
    const type = values[0]?.type;
    if (type !== undefined && values.every((v) => v.type === type) && (type === 'string' || type === 'tenantPath' || type === 'date')) {
      return bind(
        values.map((v) => String(v.value)),
        `Array(${chTypes[type]})`,
        pgTypes[type],
      );
    }
    return f`(${join(values.map(bindTyped), ', ')})`;
  },
  timeZone: (tz) => bind(tz, 'String', 'text'),
  localInstant: (local, tz) => f`toDateTime64(${bind(local, 'String', 'timestamp')}, 3, ${bind(tz, 'String', 'text')})`,
  date: (day) => bind(day, 'Date', 'date'),
  timeText(expression, columnType, grain, tz) {
    const zone = columnType === 'timestamp' ? f`, ${bind(tz, 'String', 'text')}` : f``;
    switch (grain) {
      case undefined:
        return columnType === 'date' ? f`toString(${expression})` : f`formatDateTime(${expression}, '%Y-%m-%d %H:%i:%S'${zone})`;
      case 'hour':
        return f`formatDateTime(${expression}, '%Y-%m-%d %H:00'${zone})`;
      case 'day':
        return f`toString(toDate(${expression}${zone}))`;
      case 'week':
        return f`toString(toMonday(${expression}${zone}))`;
      case 'month':
        return f`formatDateTime(${expression}, '%Y-%m'${zone})`;
      case 'year':
        return f`toString(toYear(${expression}${zone}))`;
    }
  },
  contains: (expression, value) => f`(position(${expression}, ${value}) > 0)`,
  startsWith: (expression, value) => f`startsWith(${expression}, ${value})`,
  inSubtree: (expression, path) => f`(${expression} = ${bind(path, 'String', 'text')} OR startsWith(${expression}, ${bind(`${path}.`, 'String', 'text')}))`,
  aggregate(kind, expression, condition) {
    switch (kind) {
      case 'sum':
        return condition ? f`sumIfOrNull(${expression!}, ${condition})` : f`sumOrNull(${expression!})`;
      case 'min':
        return condition ? f`minIfOrNull(${expression!}, ${condition})` : f`minOrNull(${expression!})`;
      case 'max':
        return condition ? f`maxIfOrNull(${expression!}, ${condition})` : f`maxOrNull(${expression!})`;
      case 'distinct':
        return condition ? f`uniqExactIf(${expression!}, ${condition})` : f`uniqExact(${expression!})`;
      case 'count':
        if (expression === undefined) return condition ? f`countIf(${condition})` : f`count()`;
        return condition ? f`countIf(${expression} IS NOT NULL AND ${condition})` : f`count(${expression})`;
    }
  },
  text: (expression) => f`toString(${expression})`,
  timeAggregateText: (aggregate, columnType, tz) =>
    columnType === 'date' ? f`toString(${aggregate})` : f`formatDateTime(${aggregate}, '%Y-%m-%d %H:%i:%S', ${bind(tz, 'String', 'text')})`,
  orderText: (expression) => f`${expression}`,
  // Integers the engine computed and checked, not input text.
  limit: (limit, offset) => f`LIMIT ${String(Math.trunc(limit))} OFFSET ${String(Math.trunc(offset))}`,
  nullOf: (type) => bind(null, `Nullable(${chTypes[type]})`, pgTypes[type]),
};

/** PostgreSQL and PGlite through drizzle: `$N::type` parameters. */
export const postgres: Dialect = {
  name: 'postgres',
  ident: pgIdent,
  bind: bindTyped,
  list: (values) => f`(${join(values.map(bindTyped), ', ')})`,
  timeZone: (tz) => bind(tz, 'String', 'text'),
  localInstant: (local, tz) => f`(${bind(local, 'String', 'timestamp')} AT TIME ZONE ${bind(tz, 'String', 'text')})`,
  date: (day) => bind(day, 'Date', 'date'),
  timeText(expression, columnType, grain, tz) {
    const local = columnType === 'timestamp' ? f`(${expression} AT TIME ZONE ${bind(tz, 'String', 'text')})` : f`${expression}`;
    switch (grain) {
      case undefined:
        return columnType === 'date' ? f`to_char(${local}, 'YYYY-MM-DD')` : f`to_char(${local}, 'YYYY-MM-DD HH24:MI:SS')`;
      case 'hour':
        return f`to_char(${local}, 'YYYY-MM-DD HH24:00')`;
      case 'day':
        return f`to_char(${local}, 'YYYY-MM-DD')`;
      case 'week':
        return f`to_char(date_trunc('week', ${local}), 'YYYY-MM-DD')`;
      case 'month':
        return f`to_char(${local}, 'YYYY-MM')`;
      case 'year':
        return f`to_char(${local}, 'YYYY')`;
    }
  },
  contains: (expression, value) => f`(strpos(${expression}, ${value}) > 0)`,
  startsWith: (expression, value) => f`starts_with(${expression}, ${value})`,
  inSubtree: (expression, path) => f`(${expression} <@ ${bind(path, 'String', 'ltree')})`,
  aggregate(kind, expression, condition) {
    const filter = condition ? f` FILTER (WHERE ${condition})` : f``;
    switch (kind) {
      case 'sum':
        return f`sum(${expression!})${filter}`;
      case 'min':
        return f`min(${expression!})${filter}`;
      case 'max':
        return f`max(${expression!})${filter}`;
      case 'distinct':
        return f`count(DISTINCT ${expression!})${filter}`;
      case 'count':
        return expression === undefined ? f`count(*)${filter}` : f`count(${expression})${filter}`;
    }
  },
  text: (expression) => f`(${expression})::text`,
  timeAggregateText: (aggregate, columnType, tz) =>
    columnType === 'date'
      ? f`to_char(${aggregate}, 'YYYY-MM-DD')`
      : f`to_char((${aggregate}) AT TIME ZONE ${bind(tz, 'String', 'text')}, 'YYYY-MM-DD HH24:MI:SS')`,
  // Byte order, as ClickHouse sorts strings, whatever the database's collation.
  orderText: (expression) => f`(${expression})::text COLLATE "C"`,
  // Bound, so every statement travels in the extended protocol, where PostgreSQL refuses a second statement.
  limit: (limit, offset) => f`LIMIT ${bind(String(Math.trunc(limit)), 'UInt64', 'bigint')} OFFSET ${bind(String(Math.trunc(offset)), 'UInt64', 'bigint')}`,
  nullOf: (type) => bind(null, `Nullable(${chTypes[type]})`, pgTypes[type]),
};

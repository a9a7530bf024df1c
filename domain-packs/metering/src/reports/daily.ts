/**
 * Daily consumption and reading rate of the pack's remote meters, from the analytics store's daily
 * freezes (the difference of consecutive days' last readings), with the meter archive as the lookup that
 * gives each device its kind, community and building. The SQL is the platform's built-in
 * `daily-consumption` one; the lookup is the pack's archive instead of the device registry.
 */
export const dailyDataset = {
  "id": "metering-daily",
  "label": {
    "zh-CN": "日用水与日抄表率",
    "en": "Daily consumption and reading rate"
  },
  "description": {
    "zh-CN": "远传表每日用水量（相邻两日冻结读数之差）与抄表率，按表类型、小区、楼栋",
    "en": "Daily consumption of remote meters (difference of consecutive daily freezes) and reading rate, by meter kind, community and building"
  },
  "source": {
    "kind": "analytics-sql",
    "sql": "WITH\n  in_range AS (\n    SELECT tenant_id, tenant_path, device, at, milli, toDate(at, {{timeZone}}) AS day\n    FROM {{readings}}\n    WHERE metric = 'cumulative_volume'\n      AND at >= {{param.period.start}} - INTERVAL 31 DAY AND at < {{param.period.end}}\n  ),\n  steps AS (\n    SELECT tenant_id, tenant_path, device, at, milli, day,\n      milli - lagInFrame(toNullable(milli)) OVER (PARTITION BY tenant_id, device ORDER BY at ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS step\n    FROM in_range\n  ),\n  per_day AS (\n    SELECT tenant_id, any(tenant_path) AS tenant_path, device, day, count() AS readings, argMax(milli, at) AS last_milli, min(step) AS min_step\n    FROM steps\n    GROUP BY tenant_id, device, day\n  ),\n  deltas AS (\n    SELECT tenant_id, tenant_path, device, day, readings, last_milli, min_step,\n      lagInFrame(toNullable(last_milli)) OVER by_day AS prev_milli\n    FROM per_day\n    WINDOW by_day AS (PARTITION BY tenant_id, device ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)\n  )\nSELECT tenant_id, tenant_path, device, day, readings,\n  CAST(last_milli AS Decimal(38, 3)) / 1000 AS last_reading,\n  CAST(last_milli - prev_milli AS Nullable(Decimal(38, 3))) / 1000 AS delta,\n  multiIf(prev_milli IS NULL, 'no_baseline', min_step < 0, 'register_backwards', 'measured') AS status\nFROM deltas\nWHERE day >= {{param.period.from}} AND day <= {{param.period.to}}"
  },
  "columns": {
    "tenant_id": {
      "type": "integer"
    },
    "tenant_path": {
      "type": "tenantPath"
    },
    "device": {
      "type": "string"
    },
    "day": {
      "type": "date"
    },
    "readings": {
      "type": "integer"
    },
    "last_reading": {
      "type": "decimal",
      "scale": 3
    },
    "delta": {
      "type": "decimal",
      "scale": 3
    },
    "status": {
      "type": "string"
    }
  },
  "lookups": [
    {
      "id": "meter",
      "label": {
        "zh-CN": "水表档案",
        "en": "Meter archive"
      },
      "source": {
        "sql": "select m.tenant_id, m.data->>'device' as device_key, m.data->>'meterNo' as meter_no, m.data->>'kind' as kind, coalesce(h.data->>'community', '') as community, coalesce(h.data->>'building', '') as building from entity_records m left join entity_records h on h.id = (m.data->>'household')::bigint and h.entity = 'metering_household' where m.entity = 'metering_meter' and m.data ? 'device' and m.data->>'status' in ('installed', 'accepted', 'in_service')"
      },
      "match": [
        {
          "column": "tenant_id",
          "lookupColumn": "tenant_id"
        },
        {
          "column": "device",
          "lookupColumn": "device_key"
        }
      ],
      "columns": {
        "tenant_id": {
          "type": "integer"
        },
        "device_key": {
          "type": "string"
        },
        "meter_no": {
          "type": "string"
        },
        "kind": {
          "type": "string"
        },
        "community": {
          "type": "string"
        },
        "building": {
          "type": "string"
        }
      },
      "always": true
    }
  ],
  "dimensions": [
    {
      "id": "day",
      "label": {
        "zh-CN": "日期",
        "en": "Day"
      },
      "column": "day",
      "grain": "day"
    },
    {
      "id": "month",
      "label": {
        "zh-CN": "月份",
        "en": "Month"
      },
      "column": "day",
      "grain": "month"
    },
    {
      "id": "status",
      "label": {
        "zh-CN": "计量状态",
        "en": "Status"
      },
      "column": "status"
    },
    {
      "id": "meterNo",
      "label": {
        "zh-CN": "表号",
        "en": "Meter no."
      },
      "column": "meter_no",
      "lookup": "meter"
    },
    {
      "id": "kind",
      "label": {
        "zh-CN": "表类型",
        "en": "Meter kind"
      },
      "column": "kind",
      "lookup": "meter"
    },
    {
      "id": "community",
      "label": {
        "zh-CN": "小区",
        "en": "Community"
      },
      "column": "community",
      "lookup": "meter"
    },
    {
      "id": "building",
      "label": {
        "zh-CN": "楼栋",
        "en": "Building"
      },
      "column": "building",
      "lookup": "meter"
    }
  ],
  "measures": [
    {
      "id": "consumption",
      "label": {
        "zh-CN": "用水量 (L)",
        "en": "Consumption (L)"
      },
      "aggregate": "sum",
      "column": "delta",
      "where": [
        {
          "column": "status",
          "op": "eq",
          "value": "measured"
        }
      ]
    },
    {
      "id": "devicesRead",
      "label": {
        "zh-CN": "有读数表数",
        "en": "Meters read"
      },
      "aggregate": "countDistinct",
      "column": "device"
    },
    {
      "id": "metersDue",
      "label": {
        "zh-CN": "应抄表数",
        "en": "Meters due"
      },
      "aggregate": "lookupCount",
      "lookup": "meter"
    },
    {
      "id": "readingRate",
      "label": {
        "zh-CN": "抄表率 (%)",
        "en": "Reading rate (%)"
      },
      "aggregate": "ratio",
      "numerator": "devicesRead",
      "denominator": "metersDue",
      "multiplier": "100",
      "scale": 2
    }
  ],
  "parameters": [
    {
      "id": "period",
      "label": {
        "zh-CN": "日期范围",
        "en": "Period"
      },
      "type": "dateRange",
      "required": true,
      "default": "last30Days"
    },
    {
      "id": "tenantScope",
      "label": {
        "zh-CN": "下级单位",
        "en": "Subsidiary"
      },
      "type": "tenantSubtree",
      "binds": {
        "column": "tenant_path"
      }
    }
  ]
} as const;

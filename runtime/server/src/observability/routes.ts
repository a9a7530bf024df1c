import type { Database } from '@shuiyun/db';
import { AppError } from '@shuiyun/http';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { route } from '../http/route.js';

const tags = ['Operations 运维'];

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'shuiyun_' });
  const duration = new Histogram({
    name: 'shuiyun_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const middleware: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      const path = req.route?.path as string | undefined;
      end({ method: req.method, route: path ?? 'unmatched', status: String(res.statusCode) });
    });
    next();
  };
  return { registry, middleware };
}

export function operationsRoutes(database: Database, registry: Registry) {
  return [
    route({
      method: 'get',
      path: '/healthz',
      permission: 'public',
      summary: 'Liveness: the process answers',
      tags,
      handler: () => ({ status: 'ok' }),
    }),
    route({
      method: 'get',
      path: '/readyz',
      permission: 'public',
      summary: 'Readiness: the system of record answers',
      tags,
      handler: async () => {
        try {
          await database.ping();
        } catch (error) {
          throw new AppError('not_ready', { cause: error });
        }
        return { status: 'ready', database: database.kind };
      },
    }),
    route({
      method: 'get',
      path: '/metrics',
      permission: 'public',
      summary: 'Prometheus metrics',
      tags,
      handler: async (_input, _ctx, _req, res) => {
        res.type(registry.contentType).send(await registry.metrics());
      },
    }),
  ];
}

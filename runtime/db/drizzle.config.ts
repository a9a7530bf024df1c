import { defineConfig } from 'drizzle-kit';

// Used only at development time: `npx drizzle-kit generate` writes the table DDL into ./migrations.
// Row-level security, roles, grants and audit triggers live in hand-written custom migrations there.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema.ts',
  out: './migrations',
});

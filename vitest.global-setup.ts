import pg from 'pg';

const defaultUrl = 'postgres://postgres@127.0.0.1:5432/postgres';

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable SHUIYUN_TEST_PG_URL>';
  }
}

// Fail the whole run once, with a way out, instead of letting every suite time out on its own.
export default async function assertPostgresReachable(): Promise<void> {
  const url = process.env.SHUIYUN_TEST_PG_URL ?? defaultUrl;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new Error(
      `PostgreSQL is required for the test suite; start it with ` +
        `\`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\` ` +
        `(or run \`bash .ci/run\`, which also creates a fresh database), or set SHUIYUN_TEST_PG_URL ` +
        `to a reachable server. Tried ${redact(url)}: ${reason}`,
      { cause },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * `pnpm dev`: the local launcher. Brings up Postgres (embedded, data in .data/) unless DATABASE_URL is set,
 * a private redis-server unless REDIS_URL is set, and an SMTP catcher that prints every mail; migrates;
 * on first run creates a demo shared zone and an admin account (credentials printed once); then runs api,
 * dns and mailer as child processes with prefixed logs (readable ones when stdout is a terminal), and records
 * the connection settings in .data/dev.env for `pnpm ddns` (removed at exit). The dashboard runs from its sources
 * under Vite's dev server (hot reload) on WEB_DEV_PORT (5173), which proxies the API's paths to the api; the api
 * sends browsers that open a dashboard path on it there. Ctrl-C stops everything. DEV_DATA_DIR moves .data (tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { devDataDir, devEnvFile, removeDevEnv, writeDevEnv } from '@ddns/cli';
import { createDb, migrateToLatest } from '@ddns/db';
import {
  MissingRedisError,
  startEmbeddedPostgres,
  startRedisServer,
  startSmtpCatcher,
  type CaughtMail,
} from '@ddns/local-services';
import { prettyLineFactory } from '@ddns/logging';
import { addZone, createAccount } from '@ddns/registry';

const root = join(__dirname, '..');
const dataDir = devDataDir(process.env);
const DEMO_ZONE = process.env.DEV_DEMO_ZONE ?? 'dyn.test';
const stops: (() => Promise<void>)[] = [];
const children: ChildProcess[] = [];
const log = (s: string) => process.stdout.write(`[dev] ${s}\n`);

function devSecrets(): { JWT_SECRET: string; SECRETS_KEY: string } {
  const f = join(dataDir, 'dev-secrets.json');
  if (existsSync(f))
    return JSON.parse(readFileSync(f, 'utf8')) as { JWT_SECRET: string; SECRETS_KEY: string };
  const s = { JWT_SECRET: randomBytes(24).toString('hex'), SECRETS_KEY: randomBytes(24).toString('hex') };
  writeFileSync(f, JSON.stringify(s), { mode: 0o600 });
  return s;
}

/** A caught mail as the reader sees it: subject, recipients, decoded text (links whole, one per line). */
function printMail(m: CaughtMail): void {
  const MAX = 4000;
  let text = m.text;
  if (text.length > MAX)
    text = `${text.slice(0, text.lastIndexOf('\n', MAX))}\n[... ${text.length} characters in all]`;
  log(
    `mail to ${m.to.join(', ')}\n      From:    ${m.from}\n      Subject: ${m.subject}\n` +
      text
        .split('\n')
        .map((l) => `      | ${l}`)
        .join('\n'),
  );
}

function run(name: string, env: NodeJS.ProcessEnv): void {
  const child = spawn(
    join(root, 'node_modules', '.bin', 'tsx'),
    [join(root, 'services', name, 'src', 'main.ts')],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  // the services write JSON into the pipe; on a terminal, show it the way they would on theirs
  const readable = process.stdout.isTTY ? prettyLineFactory() : (l: string) => l;
  for (const s of [child.stdout, child.stderr]) {
    createInterface({ input: s }).on('line', (l) => process.stdout.write(`[${name}] ${readable(l)}\n`));
  }
  child.on('exit', (code, signal) => {
    log(`${name} exited (${signal ?? code})`);
    if (!shuttingDown) void shutdown(1);
  });
}

/** Vite's dev server for web/ (hot reload). The dashboard is optional here: if it stops, the services go on. */
function runWeb(apiPort: string, webPort: string): void {
  const child = spawn(join(root, 'web', 'node_modules', '.bin', 'vite'), ['--clearScreen', 'false'], {
    cwd: join(root, 'web'),
    env: {
      ...process.env,
      DDNS_API_URL: `http://127.0.0.1:${apiPort}`,
      WEB_DEV_PORT: webPort,
      VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  for (const s of [child.stdout, child.stderr])
    createInterface({ input: s }).on('line', (l) => l.trim() && process.stdout.write(`[web] ${l}\n`));
  child.on('exit', (code, signal) => {
    if (!shuttingDown) log(`web (Vite dev server) exited (${signal ?? code}); the services keep running`);
  });
}

let shuttingDown = false;
async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  log('stopping...');
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), 15_000).unref();
        }),
    ),
  );
  try {
    removeDevEnv(devEnvFile(process.env));
  } catch {
    // already gone
  }
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  log('all stopped');
  process.exit(code);
}

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    log('starting embedded Postgres (.data/postgres)');
    const pg = await startEmbeddedPostgres(
      join(dataDir, 'postgres'),
      Number(process.env.DEV_PG_PORT ?? 54329),
    );
    stops.push(pg.stop);
    databaseUrl = pg.url;
  }
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    try {
      const redis = await startRedisServer(Number(process.env.DEV_REDIS_PORT ?? 63790));
      stops.push(redis.stop);
      redisUrl = redis.url;
      log(`started redis-server (${redisUrl})`);
    } catch (err) {
      if (err instanceof MissingRedisError) {
        process.stderr.write(`[dev] ${err.message}\n`);
        await shutdown(1);
      }
      throw err;
    }
  }
  let smtpUrl = process.env.SMTP_URL;
  if (!smtpUrl) {
    const catcher = await startSmtpCatcher(Number(process.env.DEV_SMTP_PORT ?? 1025), printMail);
    stops.push(catcher.stop);
    smtpUrl = `smtp://127.0.0.1:${catcher.port}`;
    log(`SMTP catcher on ${smtpUrl}: mails are printed here`);
  }

  const db = createDb(databaseUrl, { max: 2 });
  const m = await migrateToLatest(db);
  if (m.applied.length) log(`migrated: ${m.applied.join(', ')}`);
  const hasAccounts = await db.selectFrom('accounts').select('id').limit(1).executeTakeFirst();
  if (!hasAccounts) {
    if (!(await db.selectFrom('zones').select('id').where('name', '=', DEMO_ZONE).executeTakeFirst())) {
      await addZone(db, {
        name: DEMO_ZONE,
        kind: 'shared',
        ns: [{ host: `ns1.${DEMO_ZONE}`, ip: '127.0.0.1' }],
      });
    }
    const password = randomBytes(9).toString('base64url');
    const admin = await createAccount(db, { email: 'admin@example.com', password, admin: true });
    log(
      `first run: demo shared zone ${DEMO_ZONE} and an admin account (shown once, keep them):\n` +
        `      e-mail:       ${admin.email}\n      password:     ${password}\n` +
        `      API key:      ${admin.apiKey}\n      update token: ${admin.updateToken}`,
    );
  }
  await db.destroy();

  const apiPort = process.env.API_PORT ?? '8080';
  const webPort = process.env.WEB_DEV_PORT ?? '5173';
  const env: NodeJS.ProcessEnv = {
    ...devSecrets(),
    PUBLIC_URL: `http://localhost:${apiPort}`,
    WEB_DEV_URL: `http://127.0.0.1:${webPort}`,
    DNS_PORT: '1053',
    TUNNEL_IPV4: '127.0.0.1',
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    SMTP_URL: smtpUrl,
  };
  writeDevEnv(devEnvFile(process.env), {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    SMTP_URL: smtpUrl,
    PUBLIC_URL: env.PUBLIC_URL ?? '',
  });
  run('api', env);
  run('dns', env);
  run('mailer', env);
  runWeb(apiPort, webPort);
  log(
    `dashboard http://127.0.0.1:${webPort} (hot reload)  api http://localhost:${apiPort}  dns 127.0.0.1:${env.DNS_PORT}  (Ctrl-C stops everything)\n` +
      `      database ${databaseUrl.replace(/:[^:@/]*@/, ':***@')}  redis ${redisUrl}  (in ${devEnvFile(process.env)}: \`pnpm ddns …\` uses them)`,
  );
}

main().catch(async (err: unknown) => {
  process.stderr.write(`[dev] ${err instanceof Error ? err.message : String(err)}\n`);
  await shutdown(1);
});

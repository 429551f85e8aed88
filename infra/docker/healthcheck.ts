/**
 * `healthcheck api|dns|mailer`: the image's HEALTHCHECK commands, each testing the real thing from inside the
 * container (no dependencies, bundled to /app/healthcheck.js; exit 0 = healthy, 1 = not, with one line why).
 *   api     GET /readyz on API_PORT (Postgres and Redis answer)
 *   dns     a SOA question over UDP to DNS_PORT: with DDNS_ZONE (or REGISTRATION_ZONE) set, an authoritative
 *           NOERROR answer carrying the SOA; without, any well-formed answer
 *   mailer  the heartbeat file (MAILER_HEARTBEAT_FILE) is fresh: the mailer rewrites it every 10 s while its
 *           workers run and Redis and Postgres answer
 */
import { createSocket } from 'node:dgram';
import { statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const TIMEOUT_MS = 3000;
const HEARTBEAT_MAX_AGE_MS = 60_000;

/** A DNS query for `name` (type SOA, class IN) with the given id. */
export function soaQuery(name: string, id: number): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  const qname = Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(1, 4); // one question
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(6, 0); // SOA
  tail.writeUInt16BE(1, 2); // IN
  return Buffer.concat([header, qname, tail]);
}

/** Judges a response to soaQuery: null when healthy, else why not. */
export function judgeSoaAnswer(msg: Buffer, id: number, expectZone: boolean): string | null {
  if (msg.length < 12 || msg.readUInt16BE(0) !== id) return 'malformed answer';
  const flags = msg.readUInt16BE(2);
  if (!(flags & 0x8000)) return 'not a response';
  if (!expectZone) return null;
  const rcode = flags & 0x000f;
  if (rcode !== 0) return `rcode ${rcode} for the zone's SOA`;
  if (!(flags & 0x0400)) return 'answer not authoritative';
  if (msg.readUInt16BE(6) < 1) return 'no SOA in the answer';
  return null;
}

function checkDns(env: NodeJS.ProcessEnv): Promise<string | null> {
  const zone = env.DDNS_ZONE || env.REGISTRATION_ZONE || '';
  const port = Number(env.DNS_PORT || 53);
  const host =
    !env.DNS_HOST || /^(0\.0\.0\.0|::)$/.test(env.DNS_HOST) ? '127.0.0.1' : env.DNS_HOST.split(/[\s,]+/)[0]!;
  const id = Math.floor(Math.random() * 0xffff);
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  return new Promise((resolve) => {
    const done = (r: string | null) => {
      clearTimeout(timer);
      socket.close();
      resolve(r);
    };
    const timer = setTimeout(
      () => done(`no answer from ${host}:${port} within ${TIMEOUT_MS} ms`),
      TIMEOUT_MS,
    );
    socket.on('message', (msg) => done(judgeSoaAnswer(msg, id, zone !== '')));
    socket.on('error', (err) => done(err.message));
    socket.send(soaQuery(zone || '.', id), port, host);
  });
}

function checkApi(env: NodeJS.ProcessEnv): Promise<string | null> {
  const tls = Boolean(env.TLS_CERT_FILE && env.TLS_KEY_FILE);
  const request = tls ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: Number(env.API_PORT || 8080),
        path: '/readyz',
        timeout: TIMEOUT_MS,
        rejectUnauthorized: false, // our own certificate, asked by address
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(res.statusCode === 200 ? null : `/readyz ${res.statusCode}: ${body}`));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`/readyz did not answer within ${TIMEOUT_MS} ms`)));
    req.on('error', (err) => resolve(err.message));
    req.end();
  });
}

/** Judges the heartbeat file's age: null when fresh. */
export function judgeHeartbeat(
  mtimeMs: number | null,
  now: number,
  maxAgeMs = HEARTBEAT_MAX_AGE_MS,
): string | null {
  if (mtimeMs === null) return 'no heartbeat yet';
  const age = now - mtimeMs;
  return age <= maxAgeMs ? null : `last heartbeat ${Math.round(age / 1000)} s ago`;
}

function checkMailer(env: NodeJS.ProcessEnv): Promise<string | null> {
  const file = env.MAILER_HEARTBEAT_FILE;
  if (!file) return Promise.resolve('MAILER_HEARTBEAT_FILE is not set');
  let mtime: number | null = null;
  try {
    mtime = statSync(file).mtimeMs;
  } catch {
    mtime = null;
  }
  return Promise.resolve(judgeHeartbeat(mtime, Date.now()));
}

const checks: Record<string, (env: NodeJS.ProcessEnv) => Promise<string | null>> = {
  api: checkApi,
  dns: checkDns,
  mailer: checkMailer,
};

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const check = checks[argv[0] ?? ''];
  if (!check) {
    process.stderr.write('usage: healthcheck api|dns|mailer\n');
    return 2;
  }
  const problem = await check(env);
  if (problem) process.stderr.write(`unhealthy: ${problem}\n`);
  return problem ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`unhealthy: ${String(err)}\n`);
      process.exit(1);
    },
  );
}

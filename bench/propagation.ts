/**
 * pnpm bench:propagation [--rate 20] [--count 200]
 *
 * Starts the responder in-process on a fresh database, then commits record changes at a steady rate
 * (UPDATE of one A record per change, each with a new address) and measures, for each, the time from the
 * commit returning to the first UDP answer carrying the new address (polled every millisecond).
 * Prints p50/p99/max, once for an unsigned zone and once for a signed one (queries with the DO bit: each
 * change re-signs its RRset, NSEC neighbours and SOA before the answer carries it).
 */
import dgram from 'node:dgram';
import { createDb } from '../packages/db/src/index';
import { ensureZoneKeys } from '../packages/registry/src/index';
import { startDnsServer } from '../services/dns/src/server';
import { arg, benchAddr, benchDatabase, fillZone, percentile } from './lib';

const RATE = Number(arg('rate', '20'));
const COUNT = Number(arg('count', '200'));
const ZONE = 'prop.test';
const SECRETS_KEY = 'bench-secrets-key-0123456789-abcdefghijklm';

/** An A query; `dnssec`: with an OPT record asking for DNSSEC records (DO). */
function query(id: number, name: string, dnssec: boolean): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const h = Buffer.from([id >> 8, id & 255, 0, 0, 0, 1, 0, 0, 0, 0, 0, dnssec ? 1 : 0]);
  const opt = dnssec ? [Buffer.from([0, 0, 41, 4, 208, 0, 0, 0x80, 0, 0, 0])] : [];
  return Buffer.concat([h, ...labels, Buffer.from([0, 0, 1, 0, 1]), ...opt]);
}

async function main(): Promise<void> {
  const unsigned = await run(false);
  const signed = await run(true);
  const f = (x: number) => x.toFixed(1);
  for (const [what, l] of [
    ['unsigned', unsigned],
    ['signed (DO)', signed],
  ] as const)
    process.stdout.write(
      `propagation ${what} (${COUNT} changes at ${RATE}/s, commit → first answer with the new value):\n` +
        `  p50 ${f(percentile(l, 50))} ms   p99 ${f(percentile(l, 99))} ms   max ${f(l[l.length - 1]!)} ms\n`,
    );
}

async function run(dnssec: boolean): Promise<number[]> {
  const bdb = await benchDatabase();
  await fillZone(bdb.url, ZONE, 100);
  const db = createDb(bdb.url, { max: 4 });
  if (dnssec) await ensureZoneKeys(db, { secretsKey: SECRETS_KEY });
  const server = await startDnsServer({
    databaseUrl: bdb.url,
    hosts: ['127.0.0.1'],
    port: 0,
    rrl: null,
    secretsKey: dnssec ? SECRETS_KEY : undefined,
  });
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const latencies: number[] = [];
  try {
    const names = Array.from({ length: 20 }, (_, i) => `h${i}.${ZONE}`);
    // an answer carrying `want` for `name`
    const waitFor = (name: string, want: Buffer, since: number) =>
      new Promise<number>((resolve) => {
        let id = 0;
        const onMsg = (m: Buffer) => {
          if (m.length >= 4 && (dnssec ? m.indexOf(want, 12) >= 0 : m.subarray(m.length - 4).equals(want))) {
            clearInterval(timer);
            sock.off('message', onMsg);
            resolve(performance.now() - since);
          }
        };
        sock.on('message', onMsg);
        const timer = setInterval(
          () => sock.send(query(++id & 0xffff, name, dnssec), server.port, '127.0.0.1'),
          1,
        );
      });
    const interval = 1000 / RATE;
    const started = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < COUNT; i++) {
      const due = started + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const name = names[i % names.length]!;
      const addr = benchAddr(1_000_000 + i);
      await db
        .updateTable('records')
        .set({ content: addr })
        .where('name', '=', name)
        .where('type', '=', 'A')
        .execute();
      const committed = performance.now();
      const want = Buffer.from(addr.split('.').map(Number));
      pending.push(waitFor(name, want, committed).then((ms) => void latencies.push(ms)));
    }
    await Promise.all(pending);
  } finally {
    sock.close();
    await server.stop();
    await db.destroy();
    await bdb.drop();
  }
  return latencies.sort((a, b) => a - b);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench:propagation failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});

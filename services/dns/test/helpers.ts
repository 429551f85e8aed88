import { execFile } from 'node:child_process';
import type { RecordType } from '@ddns/db';
import { CLASS_IN } from '../src/wire/constants';
import { MessageWriter } from '../src/wire/encode';
import { nameToWire } from '../src/wire/rdata';
import { encodeRecord } from '../src/zone/records';
import { Zone, ZoneStore, type Gateway, type TunnelConfig } from '../src/zone/store';

/** A zone built by hand for pure tests: [owner, type, content, ttl?] rows, optional gateways. */
export function addTestZone(
  store: ZoneStore,
  name: string,
  rows: [string, RecordType, string, number?][],
  gateways: Record<string, Gateway> = {},
  soa: Partial<{ serial: string; ttl: number; minimum: number }> = {},
): Zone {
  const zone = new Zone(
    {
      id: store.zones.size + 1,
      name,
      serial: soa.serial ?? '7',
      primary_ns: `ns1.${name}`,
      hostmaster: `hostmaster.${name}`,
      refresh: 3600,
      retry: 600,
      expire: 1209600,
      minimum: soa.minimum ?? 60,
      ttl: soa.ttl ?? 3600,
    },
    store.tunnel,
  );
  const names = new Set<string>();
  for (const [owner, type, content, ttl] of rows) {
    const rr = encodeRecord({ name: owner, type, content, ttl: ttl ?? 300 });
    if (!rr) throw new Error(`bad test row ${owner} ${type} ${content}`);
    const l = zone.rows.get(owner) ?? [];
    l.push(rr);
    zone.rows.set(owner, l);
    names.add(owner);
  }
  for (const [n, gw] of Object.entries(gateways)) {
    zone.gateways.set(n, gw);
    names.add(n);
    names.add(`*.${n}`);
  }
  for (const n of names) zone.rebuild(n);
  store.add(zone);
  return zone;
}

export function testStore(tunnel: TunnelConfig = { ipv4: '203.0.113.1', ipv6: '2001:db8::1' }): ZoneStore {
  return new ZoneStore(tunnel);
}

/** A query packet as a client would send it. */
export function makeQuery(
  name: string,
  type: number,
  opts: { id?: number; rd?: boolean; edns?: number; ednsVersion?: number; opcode?: number } = {},
): Buffer {
  const w = new MessageWriter(1024);
  w.header(opts.id ?? 0x1234, ((opts.opcode ?? 0) << 11) | (opts.rd ? 0x100 : 0));
  w.question({ wire: nameToWire(name), lname: name.toLowerCase(), type, class: CLASS_IN });
  w.setCount(0, 1);
  if (opts.edns !== undefined) {
    const b = w.buf;
    b[w.len] = 0;
    b.writeUInt16BE(41, w.len + 1);
    b.writeUInt16BE(opts.edns, w.len + 3);
    b.writeUInt32BE((opts.ednsVersion ?? 0) << 16, w.len + 5);
    b.writeUInt16BE(0, w.len + 9);
    w.len += 11;
    w.setCount(3, 1);
  }
  return w.bytes();
}

export interface DigRecord {
  name: string;
  ttl: number;
  type: string;
  data: string;
}

export interface DigResult {
  status: string;
  flags: string[];
  answer: DigRecord[];
  authority: DigRecord[];
  additional: DigRecord[];
  question: string;
  raw: string;
}

export function run(cmd: string, args: string[], timeoutMs = 15000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err && !stdout) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message} ${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Parses dig / kdig text output (both print ->>HEADER<<-, flags and ;; X SECTION: blocks). */
export function parseDig(out: string): DigResult {
  const status = /status: (\w+)/.exec(out)?.[1] ?? 'NONE';
  const flags = (/[Ff]lags: ([a-z ]*)[;,]/.exec(out)?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
  const res: DigResult = { status, flags, answer: [], authority: [], additional: [], question: '', raw: out };
  type Section = 'answer' | 'authority' | 'additional' | 'question';
  let section = null as Section | null;
  for (const line of out.split('\n')) {
    const h = /^;; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (h) {
      section = h[1]!.toLowerCase() as Section;
      continue;
    }
    if (section === 'question' && line.startsWith(';') && line.length > 1) {
      res.question = line.slice(1).trim().split(/\s+/)[0]!;
      continue;
    }
    if (!line.trim() || line.startsWith(';')) {
      if (!line.trim()) section = section === 'question' ? null : section;
      continue;
    }
    if (!section || section === 'question') continue;
    const m = /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s*(.*)$/.exec(line);
    if (m) res[section].push({ name: m[1]!, ttl: Number(m[2]), type: m[3]!, data: m[4]!.trim() });
  }
  return res;
}

export async function dig(
  port: number,
  name: string,
  type: string,
  extra: string[] = [],
  host = '127.0.0.1',
): Promise<DigResult> {
  const out = await run('dig', [
    `@${host}`,
    '-p',
    String(port),
    name,
    type,
    '+norec',
    '+time=2',
    '+tries=2',
    ...extra,
  ]);
  return parseDig(out);
}

export async function kdig(
  port: number,
  name: string,
  type: string,
  extra: string[] = [],
  host = '127.0.0.1',
): Promise<DigResult> {
  const out = await run('kdig', [
    `@${host}`,
    '-p',
    String(port),
    name,
    type,
    '+norec',
    '+time=2',
    '+retry=1',
    ...extra,
  ]);
  return parseDig(out);
}

/**
 * Polls `fn` until it returns a truthy value (no fixed sleeps). Gives up after `giveUpMs` (a bound for
 * diagnosis before the jest timeout, not a performance assertion) so nothing keeps polling after a failure.
 */
export async function eventually<T>(
  fn: () => Promise<T | null | undefined | false>,
  intervalMs = 50,
  giveUpMs = 25_000,
): Promise<T> {
  const deadline = Date.now() + giveUpMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${giveUpMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

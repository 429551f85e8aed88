import { currentFeedStart, type FeedChange, type FeedStart, type RecordType } from '@ddns/db';
import { ZoneSigner } from '../dnssec/signer';
import { zoneKeys, type ZoneKeyRow } from '../dnssec/keys';
import { Journal } from './journal';
import { encodeRecord, type StoredRR } from './records';
import { Zone, ZoneStore, type Gateway, type SigningConfig, type TunnelConfig, type ZoneRow } from './store';

/**
 * Loading the store from Postgres and applying the change feed to it. Reads happen in REPEATABLE READ
 * transactions so that every load sees one snapshot; the initial load takes the feed position in the same
 * snapshot, so no change is missed or applied before its data.
 */

/** The slice of a pg pool the loader uses (services/dns does not depend on pg's types). */
export interface SqlClient {
  query<R>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
  release(): void;
}
export interface SqlPool {
  query<R>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
  connect(): Promise<SqlClient>;
  end(): Promise<void>;
}
type Pool = SqlPool;
type Queryable = Pick<SqlClient, 'query'>;

interface RecordDbRow {
  zone_id: number;
  name: string;
  type: RecordType;
  content: string;
  ttl: number;
}
interface DomainDbRow {
  zone_id: number;
  name: string;
  mode: number | null;
  last_ping_ip4: string | null;
  last_ping_ip6: string | null;
}

const ZONE_COLS =
  'id, name, serial::text AS serial, primary_ns, hostmaster, refresh, retry, expire, minimum, ttl, dnssec';
const KEY_COLS = 'zone_id, algorithm, flags, public_key, private_key_enc, state';
/** Only active zones are served: a pending or suspended one (ownership not proven) is as if absent: REFUSED. */
const SERVED = "status = 'active'";
const RECORD_COLS = 'zone_id, name, type, content, ttl';
const DOMAIN_COLS = 'zone_id, name, mode, last_ping_ip4, last_ping_ip6';

export interface LoadStats {
  zones: number;
  names: number;
  /** rows whose content failed validation (not served) */
  skipped: number;
  /** zones signed (dnssec on, an active key that SECRETS_KEY decrypts) */
  signed: number;
  /** active keys SECRETS_KEY did not decrypt (their zones are served unsigned when no other key signs) */
  keyErrors: number;
}

/** Signs a freshly filled zone when its switch is on and a key can sign; returns how many keys failed. */
function sign(zone: Zone, row: ZoneRow, keyRows: readonly ZoneKeyRow[], store: ZoneStore): number {
  if (!store.signing || row.dnssec === false || keyRows.length === 0) return 0;
  const { keys, failed } = zoneKeys(zone.name, keyRows, store.signing.secretsKey);
  if (keys) zone.attachSigner(new ZoneSigner(zone, keys, row.ttl, store.signing.clock));
  return failed;
}

function toGateway(d: DomainDbRow): Gateway | null {
  if (d.mode !== 0 && d.mode !== 1) return null;
  return { mode: d.mode, ip4: d.last_ping_ip4, ip6: d.last_ping_ip6 };
}

const LOAD_PAGE = 50_000;

/** Encodes one row into the zone's base rows (not yet visible in answers: `fill` rebuilds). */
function addRow(zone: Zone | undefined, r: RecordDbRow): boolean {
  if (!zone) return true;
  const rr = encodeRecord(r);
  if (!rr) return false;
  const list = zone.rows.get(r.name);
  if (list) list.push(rr);
  else zone.rows.set(r.name, [rr]);
  return true;
}

/** Adds rows and gateways to a fresh zone and builds every node. Returns how many rows were unusable. */
function fill(zone: Zone, records: RecordDbRow[], domains: DomainDbRow[]): number {
  let skipped = 0;
  for (const r of records) if (!addRow(zone, r)) skipped++;
  const gatewayNames: string[] = [];
  for (const d of domains) {
    const gw = toGateway(d);
    if (!gw) continue;
    zone.gateways.set(d.name, gw);
    gatewayNames.push(d.name, `*.${d.name}`);
  }
  for (const n of zone.rows.keys()) zone.rebuild(n);
  for (const n of gatewayNames) zone.rebuild(n);
  return skipped;
}

async function inSnapshot<T>(pool: Pool, fn: (c: Queryable) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Loads every zone into a new store; returns it with the feed position of the same snapshot (and the seqs
 * below it that writers still open hold: the feed waits for them).
 */
export async function loadStore(
  pool: Pool,
  tunnel: TunnelConfig,
  signing: SigningConfig | null = null,
): Promise<{ store: ZoneStore; seq: bigint; start: FeedStart; stats: LoadStats }> {
  return inSnapshot(pool, async (c) => {
    const start = await currentFeedStart(c);
    const seq = start.seq;
    const zones = await c.query<ZoneRow>(`SELECT ${ZONE_COLS} FROM zones WHERE ${SERVED}`);
    const domains = await c.query<DomainDbRow>(`SELECT ${DOMAIN_COLS} FROM domains WHERE mode IS NOT NULL`);
    const store = new ZoneStore(tunnel, signing);
    const byId = new Map<number, Zone>();
    const rowById = new Map<number, ZoneRow>();
    for (const row of zones.rows) {
      byId.set(row.id, new Zone(row, tunnel));
      rowById.set(row.id, row);
    }
    const keyRows = signing
      ? (await c.query<ZoneKeyRow>(`SELECT ${KEY_COLS} FROM zone_keys ORDER BY id`)).rows
      : [];
    let skipped = 0;
    // records in pages (same snapshot): peak memory stays two pages of rows, not the whole table. The next
    // page is asked for before this one is encoded, so Postgres reads while JavaScript works.
    const recordPage = (after: number) =>
      c.query<RecordDbRow & { id: number }>(
        `SELECT id, ${RECORD_COLS} FROM records WHERE id > $1 ORDER BY id LIMIT ${LOAD_PAGE}`,
        [after],
      );
    for (let next: ReturnType<typeof recordPage> | null = recordPage(0); next;) {
      const rows: Array<RecordDbRow & { id: number }> = (await next).rows;
      next = rows.length < LOAD_PAGE ? null : recordPage(rows[rows.length - 1]!.id);
      for (const r of rows) if (!addRow(byId.get(r.zone_id), r)) skipped++;
    }
    const byZoneDomains = new Map<number, DomainDbRow[]>();
    for (const d of domains.rows) {
      const list = byZoneDomains.get(d.zone_id);
      if (list) list.push(d);
      else byZoneDomains.set(d.zone_id, [d]);
    }
    const keysByZone = new Map<number, ZoneKeyRow[]>();
    for (const k of keyRows) keysByZone.set(k.zone_id, [...(keysByZone.get(k.zone_id) ?? []), k]);
    let keyErrors = 0;
    for (const zone of byId.values()) {
      fill(zone, [], byZoneDomains.get(zone.id) ?? []);
      keyErrors += sign(zone, rowById.get(zone.id)!, keysByZone.get(zone.id) ?? [], store);
      // before serving: the first signed denial must not stall on sorting every name of a big zone
      zone.signer?.buildChain();
      zone.journal = new Journal();
      store.add(zone);
    }
    let signed = 0;
    for (const z of store.zones.values()) if (z.signer) signed++;
    const stats = { zones: store.zones.size, names: store.size, skipped, signed, keyErrors };
    return { store, seq, start, stats };
  });
}

/** The zones whose serial changed in one applied batch (NOTIFY targets). */
export interface ApplyResult {
  changedZones: Zone[];
  removedZones: string[];
}

/**
 * Applies one batch of feed changes: for each touched zone re-read its row (serial, SOA), then for each
 * changed owner name re-read that name's records and domain and replace them. New zones are loaded whole,
 * vanished zones dropped.
 */
export async function applyChanges(
  pool: Pool,
  store: ZoneStore,
  changes: readonly FeedChange[],
): Promise<ApplyResult> {
  const touched = new Map<number, { names: Set<string>; reload: boolean; maxSeq: bigint }>();
  for (const ch of changes) {
    let t = touched.get(ch.zoneId);
    if (!t) {
      t = { names: new Set(), reload: false, maxSeq: 0n };
      touched.set(ch.zoneId, t);
    }
    // a new zone, or its keys or signing switch changed: load it whole (a key change re-signs everything)
    if ((ch.source === 'zones' && ch.op === 'INSERT') || ch.source === 'dnssec') t.reload = true;
    t.names.add(ch.name);
    if (ch.seq > t.maxSeq) t.maxSeq = ch.seq;
  }
  const result: ApplyResult = { changedZones: [], removedZones: [] };
  // one statement (one snapshot, one round trip): the touched zone rows and every changed name's rows
  const pairZone: number[] = [];
  const pairName: string[] = [];
  for (const [id, t] of touched) {
    for (const n of t.names) {
      pairZone.push(id);
      pairName.push(n);
    }
  }
  const r = await pool.query<{
    zones: ZoneRow[];
    records: RecordDbRow[];
    domains: DomainDbRow[];
    latest: { zone_id: number; seq: string }[];
  }>(
    `WITH pairs AS (SELECT * FROM unnest($2::int[], $3::text[]) AS p(zone_id, name))
     SELECT
       (SELECT coalesce(json_agg(z), '[]') FROM (SELECT ${ZONE_COLS} FROM zones WHERE id = ANY($1::int[]) AND ${SERVED}) z) AS zones,
       (SELECT coalesce(json_agg(r), '[]') FROM (SELECT ${RECORD_COLS} FROM records
          WHERE (zone_id, name) IN (SELECT zone_id, name FROM pairs)) r) AS records,
       (SELECT coalesce(json_agg(d), '[]') FROM (SELECT ${DOMAIN_COLS} FROM domains
          WHERE (zone_id, name) IN (SELECT zone_id, name FROM pairs)) d) AS domains,
       (SELECT coalesce(json_agg(m), '[]') FROM (SELECT zone_id, max(seq)::text AS seq FROM dns_changes
          WHERE zone_id = ANY($1::int[]) GROUP BY zone_id) m) AS latest`,
    [[...touched.keys()], pairZone, pairName],
  );
  const { zones, records, domains, latest } = r.rows[0]!;
  const rowById = new Map(zones.map((z) => [z.id, z]));
  const latestSeq = new Map(latest.map((l) => [l.zone_id, BigInt(l.seq)]));
  for (const [id, t] of touched) {
    const row = rowById.get(id);
    const existing = store.byId.get(id);
    if (!row) {
      if (existing) result.removedZones.push(existing.name);
      store.remove(id);
      continue;
    }
    if (!existing || t.reload || existing.name !== row.name) {
      const zone = await loadZone(pool, id, store);
      if (zone) result.changedZones.push(zone);
      continue;
    }
    replaceNames(
      existing,
      [...t.names],
      records.filter((x) => x.zone_id === id),
      domains.filter((x) => x.zone_id === id),
    );
    // The zone row's serial already counts changes committed after this batch (not applied yet): publishing
    // it now would let a secondary transfer the new serial with old data. Keep the old SOA until the batch
    // holding the zone's latest change is applied (the next one, usually).
    if ((latestSeq.get(id) ?? 0n) > t.maxSeq) continue;
    const before = existing.serial;
    existing.setSoa(row);
    if (existing.serial !== before) result.changedZones.push(existing);
  }
  store.bumpVersion();
  return result;
}

/** (Re)loads one whole zone in a snapshot and puts it in the store; null if it is gone. */
async function loadZone(pool: Pool, id: number, store: ZoneStore): Promise<Zone | null> {
  return inSnapshot(pool, async (c) => {
    const row = (await c.query<ZoneRow>(`SELECT ${ZONE_COLS} FROM zones WHERE id = $1 AND ${SERVED}`, [id]))
      .rows[0];
    if (!row) {
      store.remove(id);
      return null;
    }
    const records = await c.query<RecordDbRow>(`SELECT ${RECORD_COLS} FROM records WHERE zone_id = $1`, [id]);
    const domains = await c.query<DomainDbRow>(
      `SELECT ${DOMAIN_COLS} FROM domains WHERE zone_id = $1 AND mode IS NOT NULL`,
      [id],
    );
    const keys = store.signing
      ? await c.query<ZoneKeyRow>(`SELECT ${KEY_COLS} FROM zone_keys WHERE zone_id = $1 ORDER BY id`, [id])
      : { rows: [] };
    const zone = new Zone(row, store.tunnel);
    fill(zone, records.rows, domains.rows);
    sign(zone, row, keys.rows, store);
    zone.journal = new Journal();
    store.add(zone);
    return zone;
  });
}

function replaceNames(zone: Zone, names: string[], records: RecordDbRow[], domains: DomainDbRow[]): void {
  const rows = new Map<string, StoredRR[]>();
  for (const r of records) {
    const rr = encodeRecord(r);
    if (!rr) continue;
    const l = rows.get(r.name);
    if (l) l.push(rr);
    else rows.set(r.name, [rr]);
  }
  const gws = new Map(domains.map((d) => [d.name, toGateway(d)]));
  const rebuild = new Set<string>();
  for (const n of names) {
    const r = rows.get(n);
    if (r) zone.rows.set(n, r);
    else zone.rows.delete(n);
    const gw = gws.get(n);
    if (gw) zone.gateways.set(n, gw);
    else zone.gateways.delete(n);
    rebuild.add(n);
    rebuild.add(`*.${n}`);
  }
  for (const n of rebuild) zone.rebuild(n);
}

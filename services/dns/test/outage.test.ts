import net from 'node:net';
import { sql, type Zone } from '@ddns/db';
import { createTestDatabase, sharedZone, type TestDatabase } from '@ddns/testkit';
import { startDnsServer } from '../src/server';
import { dig, eventually } from './helpers';

/** A TCP proxy to Postgres that the test can cut (every connection dropped, new ones refused) and restore. */
class PgProxy {
  private server!: net.Server;
  private readonly conns = new Set<net.Socket>();
  down = false;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      if (this.down) {
        client.destroy();
        return;
      }
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.conns.add(s);
        s.on('close', () => this.conns.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  cut(): void {
    this.down = true;
    for (const s of this.conns) s.destroy();
  }

  restore(): void {
    this.down = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

let tdb: TestDatabase;
let zone: Zone;

beforeAll(async () => {
  tdb = await createTestDatabase();
  zone = await sharedZone(tdb.db, 'dyn.test');
  await tdb.db
    .insertInto('records')
    .values({ zone_id: zone.id, name: 'www.dyn.test', type: 'A', content: '192.0.2.1' })
    .execute();
});

afterAll(async () => {
  await tdb?.destroy();
});

const addA = (name: string, ip: string) =>
  tdb.db.insertInto('records').values({ zone_id: zone.id, name, type: 'A', content: ip, ttl: 60 }).execute();

describe('Postgres outages', () => {
  it('feed connection killed by the server: keeps answering, reconnects and catches up', async () => {
    const server = await startDnsServer({
      databaseUrl: tdb.url,
      hosts: ['127.0.0.1'],
      port: 0,
      rrl: null,
      feed: { pollMs: 200, minBackoffMs: 50, maxBackoffMs: 200 },
    });
    try {
      await eventually(async () => server.feed.connected);
      let disconnected = false;
      server.feed.once('disconnected', () => (disconnected = true));
      // terminate only this database's feed connection
      await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE application_name = 'ddns-change-feed' AND datname = current_database()`.execute(tdb.db);
      await eventually(async () => disconnected);
      expect((await dig(server.port, 'www.dyn.test', 'A')).answer[0]!.data).toBe('192.0.2.1');
      await addA('during.dyn.test', '192.0.2.2');
      await eventually(
        async () => (await dig(server.port, 'during.dyn.test', 'A')).answer[0]?.data === '192.0.2.2',
      );
      expect(server.feed.connected).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('Postgres unreachable: answers from memory, then catches up every change made meanwhile', async () => {
    const u = new URL(tdb.url);
    const proxy = new PgProxy({ host: u.hostname, port: Number(u.port || 5432) });
    await proxy.start();
    u.host = `127.0.0.1:${proxy.port}`;
    const server = await startDnsServer({
      databaseUrl: u.toString(),
      hosts: ['127.0.0.1'],
      port: 0,
      rrl: null,
      feed: { pollMs: 200, minBackoffMs: 50, maxBackoffMs: 300 },
    });
    try {
      await eventually(async () => server.feed.connected);
      proxy.cut();
      await eventually(async () => !server.feed.connected);
      // written while the responder cannot see Postgres at all
      await addA('while-down-1.dyn.test', '192.0.2.11');
      await addA('while-down-2.dyn.test', '192.0.2.12');
      await tdb.db.deleteFrom('records').where('name', '=', 'www.dyn.test').execute();
      for (let i = 0; i < 5; i++) {
        const r = await dig(server.port, 'www.dyn.test', 'A');
        expect(r.answer[0]!.data).toBe('192.0.2.1'); // stale but served
        expect((await dig(server.port, 'while-down-1.dyn.test', 'A')).status).toBe('NXDOMAIN');
      }
      expect(server.feed.connected).toBe(false);
      proxy.restore();
      await eventually(
        async () => (await dig(server.port, 'while-down-2.dyn.test', 'A')).answer[0]?.data === '192.0.2.12',
      );
      expect((await dig(server.port, 'while-down-1.dyn.test', 'A')).answer[0]!.data).toBe('192.0.2.11');
      await eventually(async () => (await dig(server.port, 'www.dyn.test', 'A')).status === 'NXDOMAIN');
    } finally {
      await server.stop();
      await proxy.stop();
    }
  });
});

import dgram from 'node:dgram';
import { loadConfigOrExit } from '@ddns/config';
import { createDb } from '@ddns/db';
import Packet from 'native-dns-packet';
import pino from 'pino';
import { dnsConfigSchema } from './config';

// Foundation stage: answers SOA at each zone apex over UDP, REFUSED elsewhere. The full responder replaces this.
async function main(): Promise<void> {
  const config = loadConfigOrExit(dnsConfigSchema);
  const logger = pino({ name: 'dns', level: config.LOG_LEVEL });
  const db = createDb(config.DATABASE_URL, { max: 2, applicationName: 'ddns-dns' });
  const zones = new Map((await db.selectFrom('zones').selectAll().execute()).map((z) => [z.name, z]));
  const sock = dgram.createSocket(config.DNS_HOST.includes(':') ? 'udp6' : 'udp4');
  sock.on('message', (msg, rinfo) => {
    let q: Packet;
    try {
      q = Packet.parse(msg);
    } catch {
      return;
    }
    const question = q.question[0];
    if (!question) return;
    const res = new Packet();
    res.header = { ...q.header, qr: 1, aa: 0, ra: 0, rcode: 5 };
    res.question = [question];
    const zone = zones.get(question.name.toLowerCase().replace(/\.$/, ''));
    if (zone) {
      res.header.aa = 1;
      res.header.rcode = 0;
      if (question.type === 6)
        res.answer.push({
          name: question.name,
          type: 6,
          class: 1,
          ttl: zone.ttl,
          primary: zone.primary_ns,
          admin: zone.hostmaster,
          serial: Number(zone.serial),
          refresh: zone.refresh,
          retry: zone.retry,
          expiration: zone.expire,
          minimum: zone.minimum,
        });
    }
    const buf = Buffer.alloc(512);
    const len = Packet.write(buf, res);
    sock.send(buf, 0, len, rinfo.port, rinfo.address);
  });
  sock.bind(config.DNS_PORT, config.DNS_HOST, () =>
    logger.info({ port: config.DNS_PORT, zones: zones.size }, 'dns listening (udp)'),
  );
  const shutdown = () => {
    sock.close();
    void db.destroy().then(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`dns: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

/**
 * The floor for any Node.js DNS server on this machine: `ECHO_WORKERS` processes (node:cluster, as ddns)
 * answering every query with the query itself turned into an empty response. No parsing, no lookup.
 */
import cluster from 'node:cluster';
import dgram from 'node:dgram';

const port = Number(process.env.ECHO_PORT);
const workers = Number(process.env.ECHO_WORKERS ?? 1);

if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const sock = dgram.createSocket({ type: 'udp4', lookup: (a, _o, cb) => cb(null, a, 4) });
  sock.on('message', (msg, rinfo) => {
    const out = Buffer.allocUnsafe(msg.length);
    msg.copy(out);
    out[2] = (out[2]! | 0x84) & 0xfd; // QR, AA
    out[3] = 0; // NOERROR
    sock.send(out, rinfo.port, rinfo.address);
  });
  sock.bind(port, '127.0.0.1');
  process.on('SIGTERM', () => process.exit(0));
}

import dgram from 'node:dgram';
import net from 'node:net';

/** A port free for both UDP and TCP on 127.0.0.1 right now (for processes that need a fixed one). */
export async function freeDualPort(): Promise<number> {
  for (;;) {
    const u = dgram.createSocket('udp4');
    const port = await new Promise<number>((r) => u.bind(0, '127.0.0.1', () => r(u.address().port)));
    const ok = await new Promise<boolean>((r) => {
      const t = net.createServer();
      t.once('error', () => r(false));
      t.listen(port, '127.0.0.1', () => t.close(() => r(true)));
    });
    u.close();
    if (ok) return port;
  }
}

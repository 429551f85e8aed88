import { readFileSync } from 'node:fs';
import https from 'node:https';
import { startPebble } from '@ddns/testkit';

test('pebble starts with a throwaway CA and serves its ACME directory over HTTPS', async () => {
  const p = await startPebble('127.0.0.1:1');
  try {
    const dir = await new Promise<Record<string, unknown>>((resolve, reject) => {
      https
        .get(p.directoryUrl, { ca: readFileSync(p.caFile) }, (res) => {
          let b = '';
          res.on('data', (c: Buffer) => (b += c.toString()));
          res.on('end', () => resolve(JSON.parse(b) as Record<string, unknown>));
        })
        .on('error', reject);
    });
    expect(dir).toHaveProperty('newOrder');
    expect(dir).toHaveProperty('newAccount');
  } finally {
    await p.stop();
  }
});

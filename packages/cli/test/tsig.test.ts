import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@ddns/cli';
import { parseConfig, pick } from '@ddns/config';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {}, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const check = (cmd: string, args: string[]) =>
  new Promise<{ ok: boolean; output: string }>((resolve) =>
    execFile(cmd, args, { timeout: 15_000 }, (e, stdout, stderr) =>
      resolve({ ok: !e, output: `${stdout}${stderr}` }),
    ),
  );

test('tsig generate prints a fresh key, its DNS_TSIG_KEYS entry and NSD/Knot snippets that those servers accept', async () => {
  const r = await cli('tsig', 'generate', 'ddns-xfr', '--json');
  expect(r.code).toBe(0);
  const k = JSON.parse(r.out) as {
    name: string;
    algorithm: string;
    secret: string;
    env: string;
    nsd: string;
    knot: string;
  };
  expect(k.algorithm).toBe('hmac-sha256');
  expect(Buffer.from(k.secret, 'base64')).toHaveLength(32);
  expect((await cli('tsig', 'generate', 'ddns-xfr', '--json')).out).not.toContain(k.secret);
  expect(parseConfig(pick('DNS_TSIG_KEYS'), { DNS_TSIG_KEYS: k.env }).DNS_TSIG_KEYS).toEqual([k.env]);

  const dir = mkdtempSync(join(tmpdir(), 'ddns-tsig-cli-'));
  try {
    writeFileSync(
      join(dir, 'nsd.conf'),
      `${k.nsd}zone:\n  name: dyn.example\n  request-xfr: AXFR 192.0.2.10 ${k.name}\n  allow-notify: 192.0.2.10 ${k.name}\n`,
    );
    const nsd = await check('nsd-checkconf', [join(dir, 'nsd.conf')]);
    expect(nsd).toEqual({ ok: true, output: '' });
    writeFileSync(
      join(dir, 'knot.conf'),
      `${k.knot}remote:\n  - id: ddns\n    address: 192.0.2.10\n    key: ${k.name}\nzone:\n  - domain: dyn.example\n    master: ddns\n`,
    );
    const knot = await check('knotc', ['-c', join(dir, 'knot.conf'), 'conf-check']);
    expect(knot.ok).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const text = await cli('tsig', 'generate', 'ddns-xfr');
  expect(text.out).toMatch(/DNS_TSIG_KEYS=hmac-sha256:ddns-xfr:[A-Za-z0-9+/]{43}=/);
  expect(text.out).toMatch(/DNS_SECONDARIES=ddns-xfr@/);
  expect((await cli('tsig', 'generate', 'bad name!')).code).toBe(2);
  expect((await cli('tsig', 'generate', 'k', '--algorithm', 'hmac-md5')).code).toBe(2);
});

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, prettyLineFactory } from '@ddns/logging';

function sink(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, stream };
}

test('JSON lines when not on a terminal, secrets redacted', async () => {
  const s = sink();
  const log = createLogger({ name: 'api', level: 'info', pretty: false, destination: s.stream });
  log.info({ req: { headers: { authorization: 'Bearer sekrit' } }, body: { password: 'pw' } }, 'hello');
  await new Promise((r) => setImmediate(r));
  const obj = JSON.parse(s.lines[0]!) as Record<string, unknown>;
  expect(obj).toMatchObject({ name: 'api', msg: 'hello', level: 30 });
  expect(s.lines[0]).not.toMatch(/sekrit|"pw"/);
});

test('readable lines on a terminal: time, level, service, message; no JSON', async () => {
  const s = sink();
  const log = createLogger({ name: 'dns', level: 'info', pretty: true, destination: s.stream });
  log.info({ zones: 3 }, 'zones loaded');
  await new Promise((r) => setTimeout(r, 50));
  expect(s.lines.join('\n')).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(dns\): zones loaded .*zones.*3/);
  expect(s.lines.join('\n')).not.toMatch(/"level"/);
});

test('pnpm dev turns a child’s JSON line into the readable form and leaves other lines alone', () => {
  const pretty = prettyLineFactory(false);
  const line = JSON.stringify({ level: 40, time: Date.now(), name: 'mailer', msg: 'smtp slow' });
  expect(pretty(line)).toMatch(/WARN \(mailer\): smtp slow$/);
  expect(pretty('plain text')).toBe('plain text');
  expect(pretty('{not json')).toBe('{not json');
});

describe('a real process picks the format from its stdout', () => {
  const root = join(__dirname, '..', '..', '..');
  const tsx = join(root, 'node_modules', '.bin', 'tsx');
  // what a service does at start: the factory with no `pretty`, so stdout decides
  const env = {
    ...process.env,
    CODE: "require('@ddns/logging').createLogger({ name: 'dns', level: 'info' }).info({ zones: 3 }, 'zones loaded')",
  };

  test('a pipe gets JSON, one object per line', () => {
    const out = execFileSync('sh', ['-c', `${tsx} -e "$CODE"`], { cwd: root, env, encoding: 'utf8' });
    expect(JSON.parse(out.trim())).toMatchObject({ level: 30, name: 'dns', zones: 3, msg: 'zones loaded' });
  }, 60_000);

  test('a terminal gets pino-pretty lines (script(1) gives the process a pseudo-terminal)', () => {
    const out = execFileSync('script', ['-qefc', `${tsx} -e "$CODE"`, '/dev/null'], {
      cwd: root,
      env,
      encoding: 'utf8',
    });
    // eslint-disable-next-line no-control-regex
    const plain = out.replace(/\x1b\[[0-9;]*m/g, '').trim();
    expect(plain).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(dns\): zones loaded \{"zones":3\}$/);
    expect(plain).not.toMatch(/"level"/);
  }, 60_000);

  test('api, dns and mailer all make their loggers with this factory', () => {
    for (const file of [
      'services/api/src/logger.ts',
      'services/dns/src/main.ts',
      'services/mailer/src/main.ts',
    ])
      expect(readFileSync(join(root, file), 'utf8')).toMatch(
        /import \{ createLogger[^}]*\} from '@ddns\/logging'/,
      );
  });
});

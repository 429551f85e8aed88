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

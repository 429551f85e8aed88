import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const tsx = path.join(__dirname, '../../../node_modules/.bin/tsx');
const fixture = path.join(__dirname, 'fixtures/exits.ts');

/** The engine never keeps a process alive: closed, left open, or owned by a worker thread that ends. */
describe('udp-native lifecycle', () => {
  test.each(['close', 'open', 'worker'])('a process whose engine is %s exits by itself', async (mode) => {
    const { stdout } = await run(tsx, [fixture, mode], { timeout: 15_000 });
    expect(stdout).toContain('misses 1');
    if (mode === 'worker') expect(stdout).toContain('worker exited 0');
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');

export interface ServiceProcess {
  child: ChildProcess;
  /** everything the service printed so far */
  output(): string;
  /** SIGTERM, then wait for exit (SIGKILL after 10 s) */
  stop(): Promise<void>;
}

/**
 * Runs a service (`api`, `dns`, `mailer`) as its own process, exactly as deployed (`tsx src/main.ts`), and
 * resolves once it printed a line matching `ready`. End-to-end tests use this instead of importing one
 * service into another.
 */
export async function startServiceProcess(
  name: 'api' | 'dns' | 'mailer',
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 30_000,
): Promise<ServiceProcess> {
  const child = spawn(
    join(root, 'node_modules', '.bin', 'tsx'),
    [join(root, 'services', name, 'src', 'main.ts')],
    {
      env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`${name} did not become ready within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const poll = setInterval(() => {
      if (ready.test(out)) {
        clearTimeout(t);
        clearInterval(poll);
        resolve();
      } else if (child.exitCode !== null) {
        clearTimeout(t);
        clearInterval(poll);
        reject(new Error(`${name} exited with ${child.exitCode}:\n${out}`));
      }
    }, 50);
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { child, output: () => out, stop };
}

/**
 * `pnpm build`: bundles each service (and the CLI) into <its folder>/dist/main.js with esbuild. Workspace
 * packages (@ddns/*) are bundled in; npm dependencies stay external and resolve from that folder's node_modules.
 * Also the image's healthcheck (infra/docker/healthcheck.ts -> infra/docker/dist/healthcheck.js, no dependencies).
 */
import { build, type Plugin } from 'esbuild';
import { join } from 'node:path';

const root = join(__dirname, '..');
const externals: Plugin = {
  name: 'npm-externals',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@ddns/') ? undefined : { external: true },
    );
  },
};

const entries: { from: string; to: string }[] = [
  ...['services/api', 'services/dns', 'services/mailer', 'packages/cli'].map((dir) => ({
    from: join(dir, 'src', 'main.ts'),
    to: join(dir, 'dist', 'main.js'),
  })),
  { from: 'infra/docker/healthcheck.ts', to: 'infra/docker/dist/healthcheck.js' },
];

async function main(): Promise<void> {
  for (const { from, to } of entries) {
    await build({
      entryPoints: [join(root, from)],
      outfile: join(root, to),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: true,
      plugins: [externals],
      logLevel: 'warning',
    });
    process.stdout.write(`built ${to}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});

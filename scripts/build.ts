/**
 * `pnpm build`: bundles each service (and the CLI) into <its folder>/dist/main.js with esbuild. Workspace
 * packages (@ddns/*) are bundled in; npm dependencies stay external and resolve from that folder's node_modules.
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

const entries = ['services/api', 'services/dns', 'services/mailer', 'packages/cli'];

async function main(): Promise<void> {
  for (const dir of entries) {
    await build({
      entryPoints: [join(root, dir, 'src', 'main.ts')],
      outfile: join(root, dir, 'dist', 'main.js'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: true,
      plugins: [externals],
      logLevel: 'warning',
    });
    process.stdout.write(`built ${dir}/dist/main.js\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});

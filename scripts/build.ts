/**
 * `pnpm build`: bundles each service (and the CLI) into <its folder>/dist/main.js with esbuild. Workspace
 * packages (@ddns/*) are bundled in; npm dependencies stay external and resolve from that folder's node_modules.
 * Also the image's healthcheck (infra/docker/healthcheck.ts -> infra/docker/dist/healthcheck.js, no dependencies),
 * and the dashboard (web/, `vite build`) into services/api/dist/web, where the API serves it; prints its
 * first-load weight.
 */
import { build, type Metafile, type Plugin } from 'esbuild';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { buildWeb, firstLoadWeight, formatWeight } from './web-build';

const root = join(__dirname, '..');
const externals: Plugin = {
  name: 'npm-externals',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@ddns/') ? undefined : { external: true },
    );
  },
};

/** `pkg`: the folder whose package.json must declare every npm package the bundle keeps external. */
const entries: { from: string; to: string; pkg?: string }[] = [
  ...['services/api', 'services/dns', 'services/mailer', 'packages/cli'].map((dir) => ({
    from: join(dir, 'src', 'main.ts'),
    to: join(dir, 'dist', 'main.js'),
    pkg: dir,
  })),
  { from: 'infra/docker/healthcheck.ts', to: 'infra/docker/dist/healthcheck.js' },
];

const builtins = new Set(builtinModules);

/** `tldts/dist/x` -> `tldts`, `@scope/name/x` -> `@scope/name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/**
 * The image installs only each entry's declared production dependencies (pnpm, isolated), so an external import that
 * a workspace package brings in but the entry's package.json does not declare works here and fails in the image.
 */
export function undeclaredExternals(meta: Metafile, declared: ReadonlySet<string>): string[] {
  const missing = new Set<string>();
  for (const input of Object.values(meta.inputs)) {
    for (const imp of input.imports) {
      if (!imp.external || imp.path.startsWith('node:')) continue;
      const name = packageName(imp.path);
      if (!builtins.has(name) && !declared.has(name)) missing.add(name);
    }
  }
  return [...missing].sort();
}

function declaredDependencies(dir: string): Set<string> {
  const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  return new Set(Object.keys(pkg.dependencies ?? {}));
}

async function main(): Promise<void> {
  const problems: string[] = [];
  for (const { from, to, pkg } of entries) {
    const result = await build({
      entryPoints: [join(root, from)],
      outfile: join(root, to),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: true,
      plugins: [externals],
      logLevel: 'warning',
      metafile: true,
    });
    process.stdout.write(`built ${to}\n`);
    if (pkg) {
      const missing = undeclaredExternals(result.metafile, declaredDependencies(pkg));
      if (missing.length)
        problems.push(`${pkg}/package.json does not declare ${missing.join(', ')} (its bundle imports them)`);
    }
  }
  if (problems.length)
    throw new Error(`build: the image would not find these packages:\n  ${problems.join('\n  ')}`);
  const webDir = join(root, 'services', 'api', 'dist', 'web');
  await buildWeb(webDir);
  process.stdout.write(
    `built ${join('services', 'api', 'dist', 'web')}: ${formatWeight(firstLoadWeight(webDir))}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});

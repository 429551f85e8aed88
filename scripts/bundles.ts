/**
 * The esbuild bundles `pnpm build` makes: each service (and the CLI) into <its folder>/dist/main.js, workspace
 * packages (@ddns/*) bundled in, npm dependencies external (they resolve from that folder's node_modules), plus the
 * image's healthcheck. The image installs only each entry's declared production dependencies (pnpm, isolated), so an
 * external import that a workspace package brings in but the entry's package.json does not declare works in the
 * checkout and fails in the image: `undeclaredImports` finds those (run by `pnpm build` and by a test).
 */
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

export const root = join(__dirname, '..');

const externals: Plugin = {
  name: 'npm-externals',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@ddns/') ? undefined : { external: true },
    );
  },
};

/** `pkg`: the folder whose package.json must declare every npm package the bundle keeps external. */
export interface BundleEntry {
  from: string;
  to: string;
  pkg?: string;
}

export const bundleEntries: BundleEntry[] = [
  ...['services/api', 'services/dns', 'services/mailer', 'packages/cli'].map((dir) => ({
    from: join(dir, 'src', 'main.ts'),
    to: join(dir, 'dist', 'main.js'),
    pkg: dir,
  })),
  { from: 'infra/docker/healthcheck.ts', to: 'infra/docker/dist/healthcheck.js' },
];

/**
 * Native addons a bundle loads from its own folder (`__dirname`): `pnpm build` copies each binary next to the
 * bundle. Without one the service still runs (it falls back to its TypeScript path and logs why); the image
 * build refuses to go on without them (infra/docker/Dockerfile).
 */
export const nativeAddons: Array<{ from: string; to: string; what: string }> = [
  {
    from: 'packages/udp-native/build/Release/udp_native.node',
    to: 'services/dns/dist/udp_native.node',
    what: 'the native UDP fast path of the dns service',
  },
];

export function bundleOptions(entry: BundleEntry): BuildOptions & { metafile: true } {
  return {
    entryPoints: [join(root, entry.from)],
    outfile: join(root, entry.to),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    plugins: [externals],
    logLevel: 'warning',
    metafile: true,
  };
}

const builtins = new Set(builtinModules);

/** `tldts/dist/x` -> `tldts`, `@scope/name/x` -> `@scope/name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

function declaredDependencies(dir: string): Set<string> {
  const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  return new Set(Object.keys(pkg.dependencies ?? {}));
}

/** One line per entry whose bundle imports npm packages its package.json does not declare; empty when all are. */
export function undeclaredImports(entry: BundleEntry, meta: Metafile): string[] {
  if (!entry.pkg) return [];
  const declared = declaredDependencies(entry.pkg);
  const missing = new Set<string>();
  for (const input of Object.values(meta.inputs)) {
    for (const imp of input.imports) {
      if (!imp.external || imp.path.startsWith('node:')) continue;
      const name = packageName(imp.path);
      if (!builtins.has(name) && !declared.has(name)) missing.add(name);
    }
  }
  if (!missing.size) return [];
  return [
    `${entry.pkg}/package.json does not declare ${[...missing].sort().join(', ')} (its bundle imports them)`,
  ];
}

/** Bundles every entry in memory (nothing written) and reports undeclared imports. */
export async function checkBundles(): Promise<string[]> {
  const problems: string[] = [];
  for (const entry of bundleEntries) {
    const result = await build({ ...bundleOptions(entry), write: false });
    problems.push(...undeclaredImports(entry, result.metafile));
  }
  return problems;
}

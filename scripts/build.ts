/**
 * `pnpm build`: bundles each service (and the CLI) into <its folder>/dist/main.js with esbuild. Workspace
 * packages (@ddns/*) are bundled in; npm dependencies stay external and resolve from that folder's node_modules.
 * Also the image's healthcheck (infra/docker/healthcheck.ts -> infra/docker/dist/healthcheck.js, no dependencies),
 * and the dashboard (web/, `vite build`) into services/api/dist/web, where the API serves it; prints its
 * first-load weight. Native addons are copied next to the bundle that loads them (a warning when one was not
 * built: that service then runs without it).
 */
import { build } from 'esbuild';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { bundleEntries, bundleOptions, nativeAddons, root, undeclaredImports } from './bundles';
import { buildWeb, firstLoadWeight, formatWeight } from './web-build';

async function main(): Promise<void> {
  const problems: string[] = [];
  for (const entry of bundleEntries) {
    const result = await build(bundleOptions(entry));
    process.stdout.write(`built ${entry.to}\n`);
    problems.push(...undeclaredImports(entry, result.metafile));
  }
  if (problems.length)
    throw new Error(`build: the image would not find these packages:\n  ${problems.join('\n  ')}`);
  for (const addon of nativeAddons) {
    if (existsSync(join(root, addon.from))) {
      copyFileSync(join(root, addon.from), join(root, addon.to));
      process.stdout.write(`copied ${addon.from} to ${addon.to}\n`);
    } else
      process.stdout.write(
        `warning: ${addon.from} was not built (no compiler or Node headers at pnpm install?): ` +
          `the bundle runs without ${addon.what}; \`pnpm --filter @ddns/udp-native build\` says why\n`,
      );
  }
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

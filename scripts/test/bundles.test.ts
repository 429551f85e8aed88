import { checkBundles } from '../bundles';

/**
 * The image installs each service's declared production dependencies only: a package that a workspace package
 * imports but the service does not declare works in the checkout and stops the container at start (a DNS bundle
 * loading @node-rs/argon2 through @ddns/secrets, a CLI loading tldts through @ddns/registry did). Same check as
 * `pnpm build`, here so that `pnpm test` catches it without building the image.
 */
test('every npm package a bundle imports is declared by its service', async () => {
  expect(await checkBundles()).toEqual([]);
}, 120_000);

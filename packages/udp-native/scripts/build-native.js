#!/usr/bin/env node
/**
 * Builds build/Release/udp_native.node with node-gyp. Runs as the package's `install` script, so it must never
 * fail an install: a machine without a compiler still installs and the DNS service falls back to the TypeScript
 * UDP path (DNS_FAST_PATH=auto). `--strict` (the `build` script) fails loudly instead.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const strict = process.argv.includes('--strict');
const root = path.join(__dirname, '..');

if (process.env.DDNS_UDP_NATIVE_SKIP_BUILD === '1') {
  console.log('udp-native: build skipped (DDNS_UDP_NATIVE_SKIP_BUILD=1)');
  process.exit(0);
}

let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] });
} catch {
  return done('node-gyp is not installed');
}
const args = [gyp, 'rebuild'];
// headers of the running node without a download: npm's `nodedir` (here /usr, headers in /usr/include/node), else
// the prefix of this node binary when it ships its headers (a distribution's or an official tarball's node)
const prefix = path.resolve(path.dirname(process.execPath), '..');
const nodedir =
  process.env.npm_config_nodedir ||
  (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : null);
if (nodedir) args.push(`--nodedir=${nodedir}`);
const r = spawnSync(process.execPath, args, {
  cwd: root,
  stdio: strict ? 'inherit' : 'pipe',
  encoding: 'utf8',
});
if (r.status === 0) {
  console.log('udp-native: built build/Release/udp_native.node');
  process.exit(0);
}
const why = r.error
  ? r.error.message
  : ((r.stderr || '').split('\n').find((l) => /error/i.test(l)) || `node-gyp exited with ${r.status}`).trim();
done(why);

function done(reason) {
  if (strict) {
    console.error(`udp-native: build failed: ${reason}`);
    process.exit(1);
  }
  console.log(`udp-native: native UDP fast path not built (${reason}); the TypeScript UDP path will be used`);
  process.exit(0);
}

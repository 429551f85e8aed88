import {
  dnsAsker,
  ensureZoneKeys,
  parseServerAddress,
  recheckZone,
  sweepOwnership,
  type ServerAddress,
  type WalkOptions,
} from '@ddns/registry';
import { DNSSEC_SWEEP, DNSSEC_SWEEP_EVERY_MS, runDnssecSweep } from './dnssec';
import type { QueueContext, QueueDefinition } from './types';

/** How often the ownership sweep looks for users' domains that are due a check. */
export const OWNERSHIP_SWEEP_EVERY_MS = 5 * 60 * 1000;

/** The walk to a domain's parent starts at DELEGATION_CHECK_SERVERS (the root servers by default). */
export function walkOptions(servers: readonly string[]): WalkOptions {
  return {
    start: servers.map(parseServerAddress).filter((s): s is ServerAddress => s !== null),
    ask: dnsAsker(),
  };
}

/**
 * Ownership of users' own domains (DESIGN.md): `ownership-check` checks one zone at once (queued with its
 * claim), the periodic `ownership-sweep` re-checks pending zones every few minutes and active ones daily; a
 * lost proof suspends the zone and e-mails its owner (see @ddns/registry ownership-recheck). The `dnssec-sweep`
 * (./dnssec) keys new zones and steps key rollovers, asking parents for DS the same way. A queue of its own,
 * so slow DNS walks never hold up the other sweeps.
 */
export function ownershipQueue(ctx: QueueContext): QueueDefinition {
  const walk = walkOptions(ctx.config.DELEGATION_CHECK_SERVERS);
  return {
    queue: 'ownership',
    concurrency: 2,
    schedules: [
      { id: 'ownership-sweep', jobName: 'ownership-sweep', everyMs: OWNERSHIP_SWEEP_EVERY_MS },
      { id: DNSSEC_SWEEP, jobName: DNSSEC_SWEEP, everyMs: DNSSEC_SWEEP_EVERY_MS },
    ],
    processor: async (job) => {
      if (job.name === DNSSEC_SWEEP) {
        const r = await runDnssecSweep(ctx.db, {
          secretsKey: ctx.config.SECRETS_KEY,
          walk,
          timing: { propagationDelaySeconds: ctx.config.DNSSEC_PROPAGATION_DELAY_SECONDS },
        });
        for (const z of r.keyed) ctx.logger.info({ zone: z }, 'DNSSEC key made');
        for (const s of r.steps) ctx.logger.info(s, 'DNSSEC key rollover step');
        return r;
      }
      const data = job.data as { zoneId?: unknown };
      if (job.name === 'ownership-check' && typeof data.zoneId === 'number') {
        // a new claim's zone gets its DNSSEC key now, not at the next DNSSEC sweep
        await ensureZoneKeys(ctx.db, { secretsKey: ctx.config.SECRETS_KEY });
        const r = await recheckZone(ctx.db, data.zoneId, walk);
        if (r && r.before !== r.after) ctx.logger.info(r, 'domain ownership changed');
        return r;
      }
      const changed = (await sweepOwnership(ctx.db, { walk })).filter((r) => r.before !== r.after);
      for (const r of changed) ctx.logger.info(r, 'domain ownership changed');
      return { changed: changed.length };
    },
  };
}

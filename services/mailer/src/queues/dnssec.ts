import type { Db } from '@ddns/db';
import {
  ensureZoneKeys,
  parentDsLookup,
  stepRollovers,
  type RolloverStep,
  type RolloverTiming,
  type WalkOptions,
} from '@ddns/registry';

/** How often the DNSSEC sweep runs (a job of the ownership queue: it asks parents, like the ownership checks). */
export const DNSSEC_SWEEP = 'dnssec-sweep';
export const DNSSEC_SWEEP_EVERY_MS = 60 * 1000;

export interface DnssecSweepReport {
  /** zones that got their first key (created without SECRETS_KEY at hand, or before DNSSEC existed) */
  keyed: string[];
  /** rollover steps taken (waiting ones left out) */
  steps: Pick<RolloverStep, 'zone' | 'action' | 'detail'>[];
}

/**
 * The DNSSEC sweep: every signed zone without an active key gets one, and every key rollover under way takes
 * its next step when it is due (the parent's DS asked through the same walk as the ownership check). Idempotent;
 * concurrent runs are safe (the registry locks each zone).
 */
export async function runDnssecSweep(
  db: Db,
  o: { secretsKey: string; walk: WalkOptions; now?: Date; timing?: RolloverTiming },
): Promise<DnssecSweepReport> {
  const keyed = await ensureZoneKeys(db, { secretsKey: o.secretsKey, now: o.now });
  const steps = await stepRollovers(db, { now: o.now, timing: o.timing, parentDs: parentDsLookup(o.walk) });
  return {
    keyed,
    steps: steps
      .filter((s) => s.action !== 'waiting')
      .map((s) => ({ zone: s.zone, action: s.action, detail: s.detail })),
  };
}

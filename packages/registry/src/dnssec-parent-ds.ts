import { findParentView, type WalkOptions } from './ownership-delegation';

/** What the parent of a zone holds for it, as the key rollover needs to know (./dnssec-rollover). */
export type ParentDs =
  /** the parent delegates without DS: an insecure delegation, no chain of trust to keep */
  | { kind: 'none' }
  /** the parent's DS RRset for the zone: the key tags it points at, and its TTL (s) */
  | { kind: 'ds'; keyTags: number[]; ttl: number }
  /** the parent could not be found or asked */
  | { kind: 'unknown'; reason: string };

/**
 * Asks the zone's parent for the zone's DS RRset: a walk down from the start servers (as the ownership check
 * does) to the servers that delegate the zone, then `<zone> DS` of them, authoritative answers only.
 */
export function parentDsLookup(walk: WalkOptions): (zone: string) => Promise<ParentDs> {
  return async (zone) => {
    const view = await findParentView(zone, walk);
    if (view.kind !== 'delegated')
      return {
        kind: 'unknown',
        reason:
          view.kind === 'failed'
            ? view.reason
            : view.kind === 'missing'
              ? `${view.parent} says ${zone} does not exist`
              : `no delegation of ${zone} found (served by ${view.zone})`,
      };
    let last = 'no server of the parent answered';
    for (const s of view.parentServers.slice(0, 4)) {
      try {
        const reply = await walk.ask(s, zone, 'DS');
        if (reply.rcode !== 'NOERROR' || !reply.aa) {
          last = `${s.host}: answered ${reply.rcode}${reply.aa ? '' : ' (not authoritative)'}`;
          continue;
        }
        const ds = reply.answers.filter((r) => r.type === 'DS' && r.name === zone);
        if (!ds.length) return { kind: 'none' };
        return {
          kind: 'ds',
          keyTags: [...new Set(ds.map((r) => Number(r.data.split(' ')[0])))],
          ttl: Math.max(...ds.map((r) => r.ttl ?? 86400)),
        };
      } catch (err) {
        last = `${s.host}: ${(err as Error).message}`;
      }
    }
    return { kind: 'unknown', reason: last };
  };
}

import { TYPE } from '../wire/constants';
import type { WireRR } from '../wire/encode';
import type { NodeRecords } from './store';

/** The difference between two published serials of a zone (one IXFR step, RFC 1995). */
export interface JournalEntry {
  from: number;
  to: number;
  removed: WireRR[];
  added: WireRR[];
}

const key = (r: { type: number; ttl: number; rdata: Buffer }) =>
  `${r.type}/${r.ttl}/${r.rdata.toString('hex')}`;

/**
 * Recent changes of one zone, kept in memory for IXFR: every node rebuild records what left and what came
 * (SOA excluded), and publishing a new serial closes the step. Bounded by record count; a secondary whose
 * serial has fallen out of it gets the whole zone instead.
 */
export class Journal {
  private entries: JournalEntry[] = [];
  private removed: WireRR[] = [];
  private added: WireRR[] = [];
  private records = 0;
  /** set by reset(): the step being recorded is incomplete and is not kept */
  private broken = false;

  constructor(private readonly maxRecords = 100_000) {}

  record(name: string, before: NodeRecords, after: NodeRecords): void {
    if (before === after) return;
    const left = new Map<string, number>();
    for (const r of before) if (r.type !== TYPE.SOA) left.set(key(r), (left.get(key(r)) ?? 0) + 1);
    for (const r of after) {
      if (r.type === TYPE.SOA) continue;
      const k = key(r);
      const n = left.get(k) ?? 0;
      if (n > 0) left.set(k, n - 1);
      else this.added.push({ name, type: r.type, ttl: r.ttl, rdata: r.rdata });
    }
    for (const r of before) {
      if (r.type === TYPE.SOA) continue;
      const k = key(r);
      const n = left.get(k) ?? 0;
      if (n > 0) {
        left.set(k, n - 1);
        this.removed.push({ name, type: r.type, ttl: r.ttl, rdata: r.rdata });
      }
    }
  }

  /** Records that left and came besides node contents (RRSIG and NSEC, from the zone's signer). */
  note(removed: readonly WireRR[], added: readonly WireRR[]): void {
    // (a loop, not push(...): a zone-wide refresh may note more records than a call may take arguments)
    for (const r of removed) this.removed.push(r);
    for (const r of added) this.added.push(r);
  }

  /** Forget every step: what secondaries hold can no longer be described, so they get the whole zone. */
  reset(): void {
    this.entries = [];
    this.records = 0;
    this.broken = true;
  }

  /** A new serial is published: everything recorded since the last one becomes the step from → to. */
  commit(from: number, to: number): void {
    if (from === to) return;
    if (this.broken) {
      this.broken = false;
      this.removed = [];
      this.added = [];
      return;
    }
    const entry: JournalEntry = { from, to, removed: this.removed, added: this.added };
    this.entries.push(entry);
    this.records += entry.removed.length + entry.added.length;
    this.removed = [];
    this.added = [];
    while (this.records > this.maxRecords && this.entries.length) {
      const old = this.entries.shift()!;
      this.records -= old.removed.length + old.added.length;
    }
  }

  /** The steps leading from `serial` to `current`, or null when the journal does not reach back that far. */
  since(serial: number, current: number): JournalEntry[] | null {
    const start = this.entries.findIndex((e) => e.from === serial);
    if (start < 0) return null;
    const steps = this.entries.slice(start);
    for (let i = 1; i < steps.length; i++) if (steps[i]!.from !== steps[i - 1]!.to) return null;
    return steps[steps.length - 1]!.to === current ? steps : null;
  }
}

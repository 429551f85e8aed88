import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { randomInt } from 'node:crypto';
import { CLASS_IN, OPCODE, TYPE } from '../wire/constants';
import { MessageWriter } from '../wire/encode';
import { nameToWire } from '../wire/rdata';
import { signRequest, type TsigKey } from '../wire/tsig';
import { parseMessage } from '../wire/validate';
import type { Zone } from '../zone/store';
import type { Secondary } from './axfr';

export interface NotifyEvents {
  /** a secondary acknowledged a NOTIFY */
  acked?(zone: string, to: Secondary): void;
  failed?(zone: string, to: Secondary): void;
}

/**
 * NOTIFY (RFC 1996) to every secondary when a zone's serial changes: UDP, AA, SOA question with the new SOA in
 * the answer, TSIG-signed for a secondary with a key; retried with backoff until the secondary answers (a few
 * times, then given up: its refresh timer still catches up).
 */
export class Notifier {
  private sockets = new Map<4 | 6, dgram.Socket>();
  private pending = new Map<number, { done(): void }>();
  private timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly secondaries: readonly Secondary[],
    private readonly events: NotifyEvents = {},
    /** TSIG keys by name: a secondary that names one gets its NOTIFY signed */
    private readonly keys: ReadonlyMap<string, TsigKey> = new Map(),
    private readonly retries = 4,
    private readonly firstTimeoutMs = 500,
  ) {}

  notify(zone: Zone): void {
    if (this.stopped) return;
    for (const s of this.secondaries) this.send(zone, s);
  }

  private socket(family: 4 | 6): dgram.Socket {
    let s = this.sockets.get(family);
    if (!s) {
      s = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
      s.on('error', () => undefined);
      s.on('message', (msg) => {
        const p = parseMessage(msg);
        if (!p.ok || !p.msg.qr || p.msg.opcode !== OPCODE.NOTIFY) return;
        this.pending.get(p.msg.id)?.done();
      });
      s.unref();
      this.sockets.set(family, s);
    }
    return s;
  }

  private send(zone: Zone, to: Secondary): void {
    let id = randomInt(0, 65536);
    while (this.pending.has(id)) id = randomInt(0, 65536);
    const w = new MessageWriter(512);
    w.header(id, (OPCODE.NOTIFY << 11) | 0x400);
    w.question({ wire: nameToWire(zone.name), lname: zone.name, type: TYPE.SOA, class: CLASS_IN });
    w.setCount(0, 1);
    w.rr({ name: zone.name, type: TYPE.SOA, ttl: zone.soa.ttl, rdata: zone.soa.rdata });
    w.setCount(1, 1);
    const unsigned = w.bytes();
    const key = to.key ? this.keys.get(to.key) : undefined;
    const sock = this.socket(isIP(to.host) === 6 ? 6 : 4);
    let attempt = 0;
    const tryOnce = () => {
      if (this.stopped) return;
      if (attempt > this.retries) {
        this.pending.delete(id);
        this.events.failed?.(zone.name, to);
        return;
      }
      // signed afresh at every attempt (its time must stay within the fudge)
      sock.send(key ? signRequest(unsigned, key) : unsigned, to.port, to.host);
      const t = setTimeout(
        () => {
          this.timers.delete(t);
          tryOnce();
        },
        this.firstTimeoutMs * 2 ** attempt,
      );
      this.timers.add(t);
      attempt++;
      this.pending.set(id, {
        done: () => {
          clearTimeout(t);
          this.timers.delete(t);
          this.pending.delete(id);
          this.events.acked?.(zone.name, to);
        },
      });
    };
    tryOnce();
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }
}

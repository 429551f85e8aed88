import type { Logger } from 'pino';
import type { RrlOptions, RrlVerdict } from '../limits/rrl';
import type { CacheSink, Responder, RrlCheck } from '../responder';
import type { Question } from '../wire/validate';
import { loadUdpNative, type EngineStats, type Miss, type UdpEngine, type UdpNative } from '@ddns/udp-native';

/** DNS_FAST_PATH: auto = the addon when it loads, on = refuse to start without it, off = TypeScript only. */
export type FastPathMode = 'auto' | 'on' | 'off';

export function parseFastPathMode(value: string | undefined): FastPathMode {
  const v = (value ?? '').trim() || 'auto';
  if (v === 'auto' || v === 'on' || v === 'off') return v;
  throw new Error(`DNS_FAST_PATH must be auto, on or off (got "${value}")`);
}

/** Which path answers UDP, and why (the start log line says it). */
export type UdpPathChoice =
  { path: 'native'; native: UdpNative } | { path: 'typescript'; reason: string; unavailable: boolean };

/** Loads the addon unless `off`; under `on` a load failure is an error (the service refuses to start). */
export function chooseUdpPath(mode: FastPathMode): UdpPathChoice {
  if (mode === 'off') return { path: 'typescript', reason: 'DNS_FAST_PATH=off', unavailable: false };
  const loaded = loadUdpNative();
  if (loaded.ok) return { path: 'native', native: loaded.native };
  if (mode === 'on')
    throw new Error(`DNS_FAST_PATH=on but the native UDP fast path cannot be loaded: ${loaded.reason}`);
  return { path: 'typescript', reason: loaded.reason, unavailable: true };
}

/** The one start line saying which path answers UDP (tests, the bench and the compose test read it). */
export function logUdpPath(log: Logger, choice: UdpPathChoice, threads: number): void {
  if (choice.path === 'native') log.info({ udpPath: 'native', threads }, 'udp path');
  else if (choice.unavailable)
    log.warn(
      { udpPath: 'typescript', reason: choice.reason },
      'native UDP fast path unavailable; answering UDP from the TypeScript path',
    );
  else log.info({ udpPath: 'typescript', reason: choice.reason }, 'udp path');
}

export interface FastPathOptions {
  /** memory budget of the native packet cache */
  cacheBytes: number;
  udpMaxPayload: number;
  /** null = no rate limiting */
  rrl: RrlOptions | null;
  /** native UDP threads (one socket each) per host */
  threads: number;
  /** misses waiting for JavaScript beyond which the native side drops (and counts) them */
  maxPendingMisses?: number;
}

const VERDICT: readonly RrlVerdict[] = ['send', 'slip', 'drop'];

/**
 * The native UDP engine as the rest of the service sees it: the responder's second packet cache (a
 * `CacheSink`), the RRL buckets of both paths, the store version it must serve. `listen()` opens a fresh
 * engine per bind attempt (a port-0 retry closes the previous one); the version is kept here so every
 * engine starts from the current one.
 */
export class FastPath implements CacheSink {
  private engine: UdpEngine | null = null;
  private version = 0;
  /** RRL decisions for the JavaScript replies, taken from the engine's buckets */
  readonly rrl: RrlCheck;
  /** JavaScript replies limited by those buckets (the engine counts only its own hits) */
  limitedInJs = 0;

  constructor(
    private readonly native: UdpNative,
    private readonly opts: FastPathOptions,
  ) {
    this.rrl = {
      check: (address) => {
        const v = this.engine ? VERDICT[this.engine.rrlCheck(address)]! : 'send';
        if (v !== 'send') this.limitedInJs++;
        return v;
      },
    };
  }

  get threads(): number {
    return this.opts.threads;
  }

  /** A new engine whose misses go to `onMisses` (the previous one, if any, closed). */
  open(onMisses: (batch: Miss[]) => void): UdpEngine {
    this.close();
    const r = this.opts.rrl;
    const engine = this.native.createEngine({
      cacheBytes: this.opts.cacheBytes,
      udpMaxPayload: this.opts.udpMaxPayload,
      rrl: r
        ? { rate: r.rate, burst: r.burst ?? r.rate * 2, slip: r.slip ?? 2, exempt: [...(r.exempt ?? [])] }
        : null,
      maxPendingMisses: this.opts.maxPendingMisses ?? 8192,
      onMisses,
    });
    engine.setVersion(this.version);
    this.engine = engine;
    return engine;
  }

  /** The store's version changed: cached answers of any other version are never served again. */
  setVersion(version: number): void {
    this.version = version;
    this.engine?.setVersion(version);
  }

  set(version: number, q: Question, dnssecOk: boolean, response: Buffer, rcode: number): void {
    this.engine?.cacheSet(version, q.wire, q.type, q.class, dnssecOk, response, rcode);
  }

  stats(): EngineStats | null {
    return this.engine?.stats() ?? null;
  }

  close(): void {
    this.engine?.close();
    this.engine = null;
  }
}

/** What the native side could not answer goes through the responder; the replies go back in one batch. */
export function answerMisses(responder: Responder, engine: UdpEngine, batch: Miss[]): void {
  const replies: [Buffer, Buffer][] = [];
  for (const m of batch) {
    const out = responder.handle(m.packet, { address: m.address, transport: 'udp' });
    if (out && Buffer.isBuffer(out)) replies.push([m.peer, out]);
  }
  if (replies.length) engine.send(replies);
}

import type { Measurement } from './dnsperf';

/** What ran: ddns on either UDP path, a peer, or the echo floor. */
export type Server = 'ddns native' | 'ddns ts' | 'nsd' | 'pdns' | 'echo';
export type ZoneKind = 'unsigned' | 'signed';

export interface Row extends Measurement {
  server: Server;
  /** null for the echo (no zone) */
  zone: ZoneKind | null;
  dnssecOk: boolean;
  note: string;
}

/** One ddns start: how long the zone took to load and what the process held after. */
export interface Load {
  server: Server;
  zone: ZoneKind;
  /** process start to the last name answering */
  readyMs: number;
  /** the server's own "zones loaded" figure */
  loadMs: number | null;
  rssKb: number;
  /** what the server logged as its UDP path ("native", "typescript"), null when it logged none */
  udpPath: string | null;
}

export interface Run {
  names: number;
  /** the machine's 1-minute load average before and after: other work on the machine skews every row */
  loadAvg: [number, number];
  rows: Row[];
  loads: Load[];
  /** servers that did not start, and why */
  skipped: string[];
}

const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};

/**
 * Several rounds of the same bench as one: each row's figures the median over the rounds (each figure on its
 * own), the qps range of the rounds in its note; the same for the loads.
 */
export function medianRun(rounds: Run[]): Run {
  if (rounds.length === 1) return rounds[0]!;
  const first = rounds[0]!;
  const rows = first.rows.map((r): Row => {
    const all = rounds.flatMap((x) =>
      x.rows.filter((y) => y.server === r.server && variant(y) === variant(r)),
    );
    const qps = all.map((y) => y.qps);
    return {
      ...r,
      qps: median(qps),
      avgMs: median(all.map((y) => y.avgMs)),
      lostPct: median(all.map((y) => y.lostPct)),
      p50Ms: median(all.map((y) => y.p50Ms)),
      p99Ms: median(all.map((y) => y.p99Ms)),
      note: `${r.note}; median of ${all.length}, qps ${f(Math.min(...qps))}-${f(Math.max(...qps))}`,
    };
  });
  const loads = first.loads.map((l): Load => {
    const all = rounds.flatMap((x) => x.loads.filter((y) => y.server === l.server && y.zone === l.zone));
    const loadMs = median(all.map((y) => y.loadMs ?? NaN));
    return {
      ...l,
      readyMs: median(all.map((y) => y.readyMs)),
      loadMs: Number.isFinite(loadMs) ? loadMs : null,
      rssKb: median(all.map((y) => y.rssKb)),
    };
  });
  return {
    names: first.names,
    rows,
    loads,
    skipped: [...new Set(rounds.flatMap((x) => x.skipped))],
    loadAvg: [first.loadAvg[0], rounds[rounds.length - 1]!.loadAvg[1]],
  };
}

export interface ReportOptions {
  durationS: number;
  rate: number;
}

/** The targets of issue #16. */
const TARGET = {
  qpsVsPdns: 1.0,
  qpsVsNsd: 0.75,
  p99Ms: 1,
  p99AtRate: 20_000,
  largeZoneQps: 0.9,
  largeZoneNames: 1_000_000,
  loadMs: 10_000,
};

const f = (x: number | null | undefined, d = 0) =>
  x !== null && x !== undefined && Number.isFinite(x) ? x.toFixed(d) : '-';
const variant = (r: { zone: ZoneKind | null; dnssecOk: boolean }) =>
  r.zone === null ? '-' : `${r.zone}${r.dnssecOk ? '+DO' : ''}`;
const variants = ['unsigned', 'signed', 'signed+DO'] as const;
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
const out = (s: string) => process.stdout.write(`${s}\n`);

function find(rows: Row[], server: Server, v: string): Row | undefined {
  return rows.find((r) => r.server === server && variant(r) === v);
}

export function printRun(run: Run, o: ReportOptions): void {
  out(
    `\n== ${run.names} names, ${o.durationS} s per run: dnsperf -c 8 -T 2 at full speed (qps, avg), ` +
      `then -Q ${o.rate} (p50/p99 of every query); load average ${f(run.loadAvg[0], 1)} before, ` +
      `${f(run.loadAvg[1], 1)} after`,
  );
  out(
    `${'server'.padEnd(12)}${'zone'.padEnd(11)}${'qps'.padStart(9)}${'avg ms'.padStart(8)}${'lost %'.padStart(8)}` +
      `${`p50@${o.rate}`.padStart(11)}${`p99@${o.rate}`.padStart(11)}  note`,
  );
  for (const r of run.rows)
    out(
      `${r.server.padEnd(12)}${variant(r).padEnd(11)}${f(r.qps).padStart(9)}${f(r.avgMs, 3).padStart(8)}` +
        `${f(r.lostPct, 2).padStart(8)}${f(r.p50Ms, 3).padStart(11)}${f(r.p99Ms, 3).padStart(11)}  ${r.note}`,
    );
  for (const s of run.skipped) out(`NOT MEASURED ${s}`);
  for (const l of run.loads)
    out(
      `${l.server} ${l.zone}: ready in ${l.readyMs} ms (process start + load; load alone ${f(l.loadMs)} ms), ` +
        `RSS ${f(l.rssKb / 1024)} MiB`,
    );

  out(`\nratios, same zone and queries (qps: higher is better; p99: lower is better)`);
  for (const ours of ['ddns native', 'ddns ts'] as const)
    for (const v of variants) {
      const r = find(run.rows, ours, v);
      if (!r) continue;
      const parts = (['nsd', 'pdns'] as const).flatMap((peer) => {
        const p = find(run.rows, peer, v);
        return p ? [`/${peer} qps ${f(r.qps / p.qps, 2)}x p99 ${f(r.p99Ms / p.p99Ms, 2)}x`] : [];
      });
      const echo = run.rows.find((x) => x.server === 'echo');
      if (echo && v === 'unsigned') parts.push(`/echo qps ${f(r.qps / echo.qps, 2)}x`);
      if (parts.length) out(`  ${`${ours} ${v}`.padEnd(22)} ${parts.join('   ')}`);
    }
  for (const ours of ['ddns native', 'ddns ts'] as const) {
    const plain = find(run.rows, ours, 'signed');
    const unsigned = find(run.rows, ours, 'unsigned');
    const signed = find(run.rows, ours, 'signed+DO');
    if (plain && signed)
      out(
        `  ${ours} signed+DO/signed: qps ${f(signed.qps / plain.qps, 2)}x, p99 ${f(signed.p99Ms / plain.p99Ms, 2)}x`,
      );
    if (unsigned && plain)
      out(
        `  ${ours} signed/unsigned: qps ${f(plain.qps / unsigned.qps, 2)}x, p99 ${f(plain.p99Ms / unsigned.p99Ms, 2)}x`,
      );
  }
  const native = find(run.rows, 'ddns native', 'unsigned');
  const ts = find(run.rows, 'ddns ts', 'unsigned');
  if (native && ts)
    out(
      `  ddns native/ts unsigned: qps ${f(native.qps / ts.qps, 2)}x, p99 ${f(native.p99Ms / ts.p99Ms, 2)}x`,
    );

  out(`\nissue #16 targets (${run.names} names)`);
  for (const l of run.loads)
    if (l.server === 'ddns native' && l.udpPath !== 'native')
      out(
        `  WARNING: ddns native ${l.zone} logged udpPath ${l.udpPath ?? '(nothing)'}: its rows are not the addon's`,
      );
  const ratioTarget = (label: string, peer: Server, min: number) => {
    for (const ours of ['ddns native', 'ddns ts'] as const) {
      const parts = variants.flatMap((v) => {
        const r = find(run.rows, ours, v);
        const p = find(run.rows, peer, v);
        return r && p ? [`${v} ${f(r.qps / p.qps, 2)}x ${verdict(r.qps / p.qps >= min)}`] : [];
      });
      if (parts.length) out(`  ${label.padEnd(24)} ${ours.padEnd(12)} ${parts.join(' · ')}`);
    }
  };
  ratioTarget(`qps >= ${TARGET.qpsVsPdns}x PowerDNS`, 'pdns', TARGET.qpsVsPdns);
  ratioTarget(`qps >= ${TARGET.qpsVsNsd}x NSD`, 'nsd', TARGET.qpsVsNsd);
  for (const ours of ['ddns native', 'ddns ts'] as const) {
    const parts = variants.flatMap((v) => {
      const r = find(run.rows, ours, v);
      return r ? [`${v} ${f(r.p99Ms, 3)} ms ${verdict(r.p99Ms <= TARGET.p99Ms)}`] : [];
    });
    if (!parts.length) continue;
    const label =
      o.rate === TARGET.p99AtRate
        ? `p99 <= ${TARGET.p99Ms} ms at 20k qps`
        : `p99 <= ${TARGET.p99Ms} ms (at ${o.rate}, not 20k)`;
    out(`  ${label.padEnd(24)} ${ours.padEnd(12)} ${parts.join(' · ')}`);
  }
  if (run.names >= TARGET.largeZoneNames)
    for (const l of run.loads)
      out(
        `  ${`load ${run.names} names < ${TARGET.loadMs / 1000} s`.padEnd(24)} ${l.server.padEnd(12)} ${l.zone} ` +
          `${f(l.loadMs)} ms ${l.loadMs === null ? '(no "zones loaded" line)' : verdict(l.loadMs < TARGET.loadMs)}`,
      );
}

/** The same servers at several zone sizes: qps at the largest against qps at the smallest. */
export function printNamesComparison(runs: Run[]): void {
  if (runs.length < 2) return;
  const small = runs[0]!;
  const large = runs[runs.length - 1]!;
  out(
    `\n== qps at ${large.names} names / qps at ${small.names} names (target for ddns: >= ${TARGET.largeZoneQps})`,
  );
  for (const r of large.rows) {
    const s = small.rows.find((x) => x.server === r.server && variant(x) === variant(r));
    if (!s) continue;
    const ratio = r.qps / s.qps;
    const judged = r.server.startsWith('ddns') ? ` ${verdict(ratio >= TARGET.largeZoneQps)}` : '';
    out(
      `  ${r.server.padEnd(12)}${variant(r).padEnd(11)} ${f(s.qps).padStart(8)} -> ${f(r.qps).padStart(8)} qps ` +
        `${f(ratio, 2)}x${judged}; p99 ${f(s.p99Ms, 3)} -> ${f(r.p99Ms, 3)} ms`,
    );
  }
  for (const l of large.loads) {
    const s = small.loads.find((x) => x.server === l.server && x.zone === l.zone);
    out(
      `  ${l.server.padEnd(12)}${l.zone.padEnd(11)} load ${f(s?.loadMs)} -> ${f(l.loadMs)} ms, ` +
        `RSS ${f((s?.rssKb ?? NaN) / 1024)} -> ${f(l.rssKb / 1024)} MiB`,
    );
  }
}

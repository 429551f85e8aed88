/**
 * Preload for a ddns process under bench (BENCH_NODE_ARGS="--import ./bench/dns/loop-stats.mjs"): once a second,
 * on stderr, what can hold a query up inside the process and outside it —
 *   - the event loop's delay (perf_hooks monitorEventLoopDelay, 1 ms resolution: p50 ~1 ms means no delay),
 *   - garbage collections (count, total and longest pause),
 *   - the main thread's time on a CPU, its time runnable but waiting for one (the run queue, from
 *     /proc/thread-self/schedstat) and how often it was preempted (nonvoluntary context switches).
 * A query that arrives while its process waits for a core waits with it: on a busy machine the run-queue
 * wait, not anything the process does, is what the latency tail is made of.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
let gc = { n: 0, ms: 0, max: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.n++;
    gc.ms += e.duration;
    gc.max = Math.max(gc.max, e.duration);
  }
}).observe({ entryTypes: ['gc'] });

function sched() {
  const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
  const status = readFileSync('/proc/thread-self/status', 'utf8');
  return { run, wait, preempted: Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0) };
}

let last = sched();
const ms = (ns) => (ns / 1e6).toFixed(ns < 1e7 ? 2 : 0);
setInterval(() => {
  const now = sched();
  process.stderr.write(
    `[loop ${process.pid}] delay p50 ${ms(delay.percentile(50))} p99 ${ms(delay.percentile(99))} max ${ms(delay.max)} ms` +
      ` | gc ${gc.n}x ${gc.ms.toFixed(1)} ms, longest ${gc.max.toFixed(1)} ms` +
      ` | main thread on cpu ${ms(now.run - last.run)} ms, waiting for a cpu ${ms(now.wait - last.wait)} ms,` +
      ` preempted ${now.preempted - last.preempted}x\n`,
  );
  delay.reset();
  gc = { n: 0, ms: 0, max: 0 };
  last = now;
}, 1000).unref();

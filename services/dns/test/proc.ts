import { existsSync, readFileSync } from 'node:fs';

/** Every process below `pid` (tsx runs the service in a child of the process it was started as). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const dir = `/proc/${pid}/task`;
  if (!existsSync(dir)) return out;
  for (const tid of [pid]) {
    const f = `${dir}/${tid}/children`;
    if (!existsSync(f)) continue;
    for (const c of readFileSync(f, 'utf8').split(/\s+/).filter(Boolean).map(Number))
      out.push(c, ...descendants(c));
  }
  return out;
}

/** The process that actually serves: the last descendant of `pid` (or `pid` itself). */
export function servingPid(pid: number): number {
  const d = descendants(pid);
  return d.length ? d[d.length - 1]! : pid;
}

/** VmRSS of a process in MiB (from /proc/PID/status). */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

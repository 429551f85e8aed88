import type { LogEntry } from '../api/types';
import { when } from '../format';

export function LogTable({ entries, showDomain = true }: { entries: LogEntry[]; showDomain?: boolean }) {
  if (entries.length === 0) return <p>No updates yet.</p>;
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label="Update log">
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            {showDomain && <th scope="col">Domain</th>}
            <th scope="col">Result</th>
            <th scope="col">From</th>
            <th scope="col">Client</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id}>
              <td>
                <time dateTime={e.at}>{when(e.at)}</time>
              </td>
              {showDomain && <td>{e.domain ?? e.hosts}</td>}
              <td>
                {e.result}
                {e.detail && <span class="muted"> {e.detail}</span>}
              </td>
              <td class="addr">{e.sourceIp ?? '—'}</td>
              <td class="muted">{e.userAgent ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

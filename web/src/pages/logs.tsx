import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { LogEntry, LogPage } from '../api/types';
import { LogTable } from '../components/log-table';
import { useLoad } from '../hooks';

/** Every update attempt of the account, newest first, 50 at a time. */
export function LogsPage() {
  const first = useLoad(() => api.get<LogPage>('/v1/logs?limit=50'));
  const [more, setMore] = useState<{ entries: LogEntry[]; next: number | null } | undefined>();
  const entries = [...(first.data?.entries ?? []), ...(more?.entries ?? [])];
  const next = more ? more.next : (first.data?.next ?? null);
  return (
    <>
      {first.error && (
        <p role="alert" class="notice notice-error">
          {first.error}
        </p>
      )}
      {first.data ? <LogTable entries={entries} /> : !first.error && <p role="status">Loading…</p>}
      {next !== null && (
        <button
          type="button"
          class="secondary"
          onClick={async () => {
            const page = await api.get<LogPage>(`/v1/logs?limit=50&before=${next}`);
            setMore({ entries: [...(more?.entries ?? []), ...page.entries], next: page.next });
          }}
        >
          Older entries
        </button>
      )}
    </>
  );
}

import type { LiveMode } from '../api/live';
import type { DomainHealth } from '../api/types';

const HEALTH: Record<DomainHealth, { label: string; cls: string }> = {
  ok: { label: 'OK', cls: 'ok' },
  never_updated: { label: 'never updated', cls: 'warn' },
  pending: { label: 'pending proof', cls: 'warn' },
  suspended: { label: 'suspended', cls: 'bad' },
};

export function HealthBadge({ health }: { health: DomainHealth }) {
  const h = HEALTH[health];
  return <span class={`badge badge-${h.cls}`}>{h.label}</span>;
}

export function LiveBadge({ mode }: { mode: LiveMode }) {
  const text = mode === 'live' ? 'live' : mode === 'polling' ? 'refreshing every 2 s' : 'connecting';
  return (
    <span class={`badge badge-${mode === 'live' ? 'ok' : 'muted'}`} data-live={mode}>
      {text}
    </span>
  );
}

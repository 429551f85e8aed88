import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { useLiveAddresses } from '../api/live';
import type { Dnssec, Domain, DomainToken, LogPage } from '../api/types';
import type { PageProps } from '../app';
import { clientConfigs } from '../clients/configs';
import { HealthBadge, LiveBadge } from '../components/badges';
import { CopyBlock, OnceSecret } from '../components/copy-block';
import { Notice } from '../components/notice';
import { LogTable } from '../components/log-table';
import { RecordsEditor } from '../components/records-editor';
import { ago, when } from '../format';
import { useAction, useLoad } from '../hooks';
import { navigate } from '../router';
import { recalledToken, rememberToken } from '../secrets';

/**
 * One domain: its addresses (live), health and ownership proof, token rotation, router settings with copy
 * buttons, the records editor, DNSSEC DS, the recent update log, removal.
 */
export function DomainPage({ params }: PageProps) {
  const name = params.name ?? '';
  const path = `/v1/domains/${encodeURIComponent(name)}`;
  const domain = useLoad(() => api.get<Domain>(path), [name]);
  const logs = useLoad(
    () => api.get<LogPage>(`/v1/logs?domain=${encodeURIComponent(name)}&limit=20`),
    [name],
  );
  const dnssec = useLoad(() => api.get<Dnssec>(`${path}/dnssec`), [name]);
  const [token, setToken] = useState(recalledToken(name));
  const [fresh, setFresh] = useState<string | undefined>();
  const rotate = useAction();
  const remove = useAction();
  const mode = useLiveAddresses(
    (e) => {
      if (e.domain !== name || !domain.data) return;
      domain.set({
        ...domain.data,
        ipv4: e.ipv4,
        ipv6: e.ipv6,
        lastUpdateAt: e.at,
        lastUpdateSource: e.lastUpdateSource,
        health: domain.data.health === 'never_updated' ? 'ok' : domain.data.health,
      });
      // then the server's whole view (result, health) and the log line
      void domain.reload();
      void logs.reload();
    },
    () => void domain.reload(),
  );
  if (domain.error && !domain.data)
    return (
      <p role="alert" class="notice notice-error">
        {domain.error}
      </p>
    );
  const d = domain.data;
  if (!d) return <p role="status">Loading…</p>;
  const configs = clientConfigs({ origin: window.location.origin, name: d.name, token });
  return (
    <>
      <section aria-labelledby="addr-h">
        <h2 id="addr-h">
          Addresses <LiveBadge mode={mode} />
        </h2>
        <dl class="facts" aria-live="polite">
          <dt>IPv4 (A)</dt>
          <dd class="addr" data-field="ipv4">
            {d.ipv4 ?? 'none'}
          </dd>
          <dt>IPv6 (AAAA)</dt>
          <dd class="addr" data-field="ipv6">
            {d.ipv6 ?? 'none'}
          </dd>
          <dt>Last update</dt>
          <dd>
            {d.lastUpdateAt ? (
              <>
                <time dateTime={d.lastUpdateAt} title={when(d.lastUpdateAt)}>
                  {ago(d.lastUpdateAt)}
                </time>
                {d.lastUpdateSource && ` from ${d.lastUpdateSource}`}
                {d.lastUpdateResult && ` (${d.lastUpdateResult})`}
              </>
            ) : (
              'never'
            )}
          </dd>
          <dt>Health</dt>
          <dd>
            <HealthBadge health={d.health} />
          </dd>
        </dl>
        {d.ownership && d.ownership.status !== 'active' && (
          <div class="notice">
            <p>
              Prove that {d.name} is yours: delegate it to {d.ownership.nameServers.join(', ')}, or publish
              this TXT record at your current DNS host. We check again regularly.
            </p>
            <CopyBlock
              id="ownership"
              label="Ownership TXT record"
              text={`${d.ownership.challengeName}. 300 IN TXT "${d.ownership.challengeValue}"`}
            />
          </div>
        )}
      </section>

      <section aria-labelledby="token-h">
        <h2 id="token-h">Update token</h2>
        <p>
          The token updates this name only. It is stored hashed: a new one replaces the old, which stops
          working at once.
        </p>
        <button
          type="button"
          disabled={rotate.busy}
          onClick={() =>
            rotate.run(async () => {
              const t = await api.post<DomainToken>(`${path}/token`);
              rememberToken(name, t.token);
              setToken(t.token);
              setFresh(t.token);
              return 'A new token was made: the router settings below now contain it.';
            })
          }
        >
          {token ? 'Make another new token' : 'Make a new token'}
        </button>
        <Notice ok={rotate.ok} error={rotate.error} />
        {fresh && (
          <OnceSecret label={`Update token for ${d.name}`} value={fresh} onDone={() => setFresh(undefined)} />
        )}
      </section>

      <section aria-labelledby="clients-h">
        <h2 id="clients-h">Router and client settings</h2>
        {!token && (
          <p class="hint">
            These use the placeholder YOUR_DOMAIN_TOKEN: replace it with this domain’s token, your account’s
            update token, or make a new token above to have it filled in.
          </p>
        )}
        {configs.map((c) => (
          <details key={c.id} class="client" open={c.id === 'fritzbox' || c.id === 'ddclient'}>
            <summary>{c.title}</summary>
            <p class="hint">{c.hint}</p>
            <CopyBlock id={`client-${c.id}`} label={`${c.title} settings`} text={c.text} />
          </details>
        ))}
      </section>

      <RecordsEditor domain={d.name} />

      {dnssec.data && dnssec.data.signed && dnssec.data.ds.length > 0 && (
        <section aria-labelledby="dnssec-h">
          <h2 id="dnssec-h">DNSSEC</h2>
          <p>
            Give this DS record to the parent of {dnssec.data.zone} (your registrar) to turn on validation.
          </p>
          <CopyBlock id="ds" label="DS record" text={dnssec.data.ds.map((x) => x.record).join('\n')} />
        </section>
      )}

      <section aria-labelledby="log-h">
        <h2 id="log-h">Recent updates</h2>
        {logs.data ? (
          <LogTable entries={logs.data.entries} showDomain={false} />
        ) : (
          <p>{logs.error ?? 'Loading…'}</p>
        )}
      </section>

      <section aria-labelledby="del-h">
        <h2 id="del-h">Remove</h2>
        <p>Removes {d.name} with all its records; the name becomes free for anybody.</p>
        <button
          type="button"
          class="danger"
          disabled={remove.busy}
          onClick={async () => {
            if (!window.confirm(`Remove ${d.name} and all its records?`)) return;
            if (await remove.run(() => api.del(path))) navigate('/domains');
          }}
        >
          Remove {d.name}
        </button>
        <Notice error={remove.error} />
      </section>
    </>
  );
}

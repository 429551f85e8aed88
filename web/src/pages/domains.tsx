import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { useLiveAddresses } from '../api/live';
import type { AddressEvent, Domain, DomainCreated, DomainList } from '../api/types';
import { Field } from '../components/field';
import { Notice } from '../components/notice';
import { OnceSecret } from '../components/copy-block';
import { LiveBadge, HealthBadge } from '../components/badges';
import { ago } from '../format';
import { useAction, useLoad } from '../hooks';
import { Link } from '../router';
import { rememberToken } from '../secrets';
import { useSession } from '../session';

/** Merges a live address event into the list. */
export function applyEvent(list: Domain[], e: AddressEvent): Domain[] {
  return list.map((d) =>
    d.name === e.domain
      ? {
          ...d,
          ipv4: e.ipv4,
          ipv6: e.ipv6,
          lastUpdateAt: e.at,
          lastUpdateSource: e.lastUpdateSource,
          health: d.health === 'never_updated' ? 'ok' : d.health,
        }
      : d,
  );
}

export function DomainsPage() {
  const { meta } = useSession();
  const list = useLoad(() => api.get<DomainList>('/v1/domains'));
  const [name, setName] = useState('');
  const [created, setCreated] = useState<DomainCreated | undefined>();
  const a = useAction();
  const mode = useLiveAddresses(
    (e) => list.data && list.set({ domains: applyEvent(list.data.domains, e) }),
    () => void list.reload(),
  );
  const zones = meta?.registrationZones ?? [];
  const fqdn = (n: string) => {
    const t = n.trim().toLowerCase().replace(/\.$/, '');
    return t.includes('.') || zones.length !== 1 ? t : `${t}.${zones[0]}`;
  };
  return (
    <>
      <section aria-labelledby="add-h">
        <h2 id="add-h">Add a domain</h2>
        <form
          class="inline-form"
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            await a.run(async () => {
              const c = await api.post<DomainCreated>('/v1/domains', { name: fqdn(name) });
              rememberToken(c.domain.name, c.token);
              setCreated(c);
              setName('');
              await list.reload();
              return `${c.domain.name} added.`;
            });
          }}
        >
          <Field
            id="domain-name"
            label="Name"
            hint={
              zones.length
                ? `e.g. myhome.${zones[0]}${zones.length > 1 ? ` (zones: ${zones.join(', ')})` : ''}, or a domain of your own`
                : 'a name under one of our zones, or a domain of your own'
            }
            required
            value={name}
            onValue={setName}
            error={a.fields.name}
          />
          <button type="submit" disabled={a.busy}>
            Add
          </button>
        </form>
        <Notice ok={a.ok} error={a.error} />
        {created && (
          <>
            <OnceSecret
              label={`Update token for ${created.domain.name}`}
              value={created.token}
              onDone={() => setCreated(undefined)}
            />
            <p>
              <Link href={`/domains/${created.domain.name}`}>Router settings for {created.domain.name}</Link>
            </p>
          </>
        )}
      </section>
      <section aria-labelledby="list-h">
        <h2 id="list-h">
          Your domains <LiveBadge mode={mode} />
        </h2>
        {list.error && (
          <p role="alert" class="notice notice-error">
            {list.error}
          </p>
        )}
        {list.data && list.data.domains.length === 0 && <p>No domains yet: add one above.</p>}
        {list.data && list.data.domains.length > 0 && (
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Domains">
            <table class="domains">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">IPv4</th>
                  <th scope="col">IPv6</th>
                  <th scope="col">Last update</th>
                  <th scope="col">Health</th>
                </tr>
              </thead>
              <tbody aria-live="polite">
                {list.data.domains.map((d) => (
                  <tr key={d.id} data-domain={d.name}>
                    <th scope="row">
                      <Link href={`/domains/${d.name}`}>{d.name}</Link>
                    </th>
                    <td class="addr" data-field="ipv4" data-label="IPv4">
                      {d.ipv4 ?? '—'}
                    </td>
                    <td class="addr" data-field="ipv6" data-label="IPv6">
                      {d.ipv6 ?? '—'}
                    </td>
                    <td data-label="Last update">
                      <span>
                        {d.lastUpdateAt ? (
                          <>
                            <time dateTime={d.lastUpdateAt}>{ago(d.lastUpdateAt)}</time>
                            {d.lastUpdateSource && <span class="muted"> from {d.lastUpdateSource}</span>}
                          </>
                        ) : (
                          'never'
                        )}
                      </span>
                    </td>
                    <td data-label="Health">
                      <HealthBadge health={d.health} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

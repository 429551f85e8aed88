import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { ApiKeyCreated, ApiKeyList, DomainList } from '../api/types';
import { OnceSecret } from '../components/copy-block';
import { Field } from '../components/field';
import { Notice } from '../components/notice';
import { ago, when } from '../format';
import { useAction, useLoad } from '../hooks';

/** API keys for scripts: per-domain or all, read-only or write, optional expiry. The secret is shown once. */
export function KeysPage() {
  const keys = useLoad(() => api.get<ApiKeyList>('/v1/api-keys'));
  const domains = useLoad(() => api.get<DomainList>('/v1/domains'));
  const [name, setName] = useState('');
  const [write, setWrite] = useState(false);
  const [all, setAll] = useState(true);
  const [picked, setPicked] = useState<string[]>([]);
  const [expires, setExpires] = useState('');
  const [created, setCreated] = useState<ApiKeyCreated | undefined>();
  const a = useAction();
  const del = useAction();
  return (
    <>
      <section aria-labelledby="new-key-h">
        <h2 id="new-key-h">New API key</h2>
        <form
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            await a.run(async () => {
              const c = await api.post<ApiKeyCreated>('/v1/api-keys', {
                name,
                write,
                domains: all ? null : picked,
                expiresAt: expires ? new Date(`${expires}T23:59:59`).toISOString() : null,
              });
              setCreated(c);
              setName('');
              await keys.reload();
              return `Key ${c.key.name} created.`;
            });
          }}
        >
          <Field
            id="key-name"
            label="Name"
            hint="what uses it, e.g. acme.sh on the NAS"
            required
            value={name}
            onValue={setName}
            error={a.fields.name}
          />
          <fieldset>
            <legend>Access</legend>
            <label class="check">
              <input type="radio" name="write" checked={!write} onChange={() => setWrite(false)} /> Read only
            </label>
            <label class="check">
              <input type="radio" name="write" checked={write} onChange={() => setWrite(true)} /> Read and
              write
            </label>
          </fieldset>
          <fieldset aria-describedby={a.fields.domains ? 'key-domains-error' : undefined}>
            <legend>Domains</legend>
            <label class="check">
              <input type="radio" name="scope" checked={all} onChange={() => setAll(true)} /> All, also ones
              added later
            </label>
            <label class="check">
              <input type="radio" name="scope" checked={!all} onChange={() => setAll(false)} /> Only these:
            </label>
            {!all &&
              (domains.data?.domains ?? []).map((d) => (
                <label class="check indent" key={d.id}>
                  <input
                    type="checkbox"
                    checked={picked.includes(d.name)}
                    onChange={(e) =>
                      setPicked(
                        (e.currentTarget as HTMLInputElement).checked
                          ? [...picked, d.name]
                          : picked.filter((p) => p !== d.name),
                      )
                    }
                  />{' '}
                  {d.name}
                </label>
              ))}
            {a.fields.domains && (
              <p class="field-error" id="key-domains-error">
                {a.fields.domains}
              </p>
            )}
          </fieldset>
          <Field
            id="key-expires"
            label="Expires (optional)"
            type="date"
            value={expires}
            onValue={setExpires}
            error={a.fields.expiresAt}
          />
          <Notice ok={a.ok} error={a.error} />
          <button type="submit" disabled={a.busy}>
            Create key
          </button>
        </form>
        {created && (
          <OnceSecret
            label={`API key ${created.key.name}`}
            value={created.secret}
            onDone={() => setCreated(undefined)}
          />
        )}
      </section>
      <section aria-labelledby="keys-h">
        <h2 id="keys-h">Your keys</h2>
        {keys.error && (
          <p role="alert" class="notice notice-error">
            {keys.error}
          </p>
        )}
        {keys.data && keys.data.keys.length === 0 && <p>No API keys yet.</p>}
        {keys.data && keys.data.keys.length > 0 && (
          <div class="table-wrap" tabIndex={0} role="region" aria-label="API keys">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span class="offscreen">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.data.keys.map((k) => (
                  <tr key={k.id}>
                    <td>{k.name}</td>
                    <td>
                      {k.scopes.write ? 'read + write' : 'read only'},{' '}
                      {k.scopes.domains ? k.scopes.domains.join(', ') : 'all domains'}
                    </td>
                    <td>{k.expiresAt ? when(k.expiresAt) : 'never'}</td>
                    <td>{ago(k.lastUsedAt)}</td>
                    <td>
                      <button
                        type="button"
                        class="secondary small"
                        aria-label={`Revoke API key ${k.name}`}
                        onClick={() =>
                          del.run(async () => {
                            await api.del(`/v1/api-keys/${k.id}`);
                            await keys.reload();
                            return `${k.name} revoked.`;
                          })
                        }
                      >
                        Revoke
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Notice ok={del.ok} error={del.error} />
      </section>
    </>
  );
}

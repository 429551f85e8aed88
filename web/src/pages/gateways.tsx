import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { Gateway, GatewayList } from '../api/types';
import { Field } from '../components/field';
import { Notice } from '../components/notice';
import { ago } from '../format';
import { useAction, useLoad } from '../hooks';

/** WebThings gateways registered under the account, and claiming one registered without an account. */
export function GatewaysPage() {
  const list = useLoad(() => api.get<GatewayList>('/v1/gateways'));
  const [token, setToken] = useState('');
  const a = useAction();
  return (
    <>
      <p>
        A WebThings gateway registers itself: set its registration server to{' '}
        <code>{window.location.origin}</code>.
      </p>
      {list.error && (
        <p role="alert" class="notice notice-error">
          {list.error}
        </p>
      )}
      {list.data && list.data.gateways.length === 0 && <p>No gateways yet.</p>}
      {list.data && list.data.gateways.length > 0 && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Gateways">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Mode</th>
                <th scope="col">Addresses</th>
                <th scope="col">Last ping</th>
                <th scope="col">E-mail</th>
              </tr>
            </thead>
            <tbody>
              {list.data.gateways.map((g: Gateway) => (
                <tr key={g.id}>
                  <td>{g.name}</td>
                  <td>{g.mode}</td>
                  <td class="addr">{[g.ipv4, g.ipv6].filter(Boolean).join(', ') || '—'}</td>
                  <td>{ago(g.lastPingAt)}</td>
                  <td>{g.email ? `${g.email}${g.emailVerified ? '' : ' (unverified)'}` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <section aria-labelledby="claim-h">
        <h2 id="claim-h">Claim a gateway</h2>
        <form
          class="inline-form"
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            await a.run(async () => {
              const g = await api.post<Gateway>('/v1/gateways/claim', { token });
              setToken('');
              await list.reload();
              return `${g.name} is now yours.`;
            });
          }}
        >
          <Field
            id="gw-token"
            label="Gateway token"
            hint="from the gateway's settings"
            value={token}
            onValue={setToken}
            error={a.fields.token}
          />
          <button type="submit" disabled={a.busy}>
            Claim
          </button>
        </form>
        <Notice ok={a.ok} error={a.error} />
      </section>
    </>
  );
}

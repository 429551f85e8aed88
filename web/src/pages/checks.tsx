import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { HealthCheckCreated, HealthCheckList } from '../api/types';
import { CopyBlock } from '../components/copy-block';
import { Field } from '../components/field';
import { Notice } from '../components/notice';
import { ago, duration } from '../format';
import { useAction, useLoad } from '../hooks';

/** Health checks: something pings a URL every period; a missed ping (plus grace) mails you. */
export function ChecksPage() {
  const list = useLoad(() => api.get<HealthCheckList>('/v1/health-checks'));
  const [name, setName] = useState('');
  const [period, setPeriod] = useState('3600');
  const [grace, setGrace] = useState('300');
  const [created, setCreated] = useState<HealthCheckCreated | undefined>();
  const a = useAction();
  const del = useAction();
  return (
    <>
      <section aria-labelledby="new-h">
        <h2 id="new-h">New health check</h2>
        <form
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            await a.run(async () => {
              const c = await api.post<HealthCheckCreated>('/v1/health-checks', {
                name,
                periodSeconds: Number(period),
                graceSeconds: Number(grace),
              });
              setCreated(c);
              setName('');
              await list.reload();
              return `${c.check.name} created.`;
            });
          }}
        >
          <Field id="check-name" label="Name" required value={name} onValue={setName} error={a.fields.name} />
          <Field
            id="check-period"
            label="Period (seconds)"
            inputMode="numeric"
            value={period}
            onValue={setPeriod}
            error={a.fields.periodSeconds}
          />
          <Field
            id="check-grace"
            label="Grace (seconds)"
            inputMode="numeric"
            value={grace}
            onValue={setGrace}
            error={a.fields.graceSeconds}
          />
          <Notice ok={a.ok} error={a.error} />
          <button type="submit" disabled={a.busy}>
            Create
          </button>
        </form>
        {created && (
          <div class="secret">
            <p>
              <strong>Ping URL</strong>: shown only now. Call it from your job, e.g. at the end of a cron
              line.
            </p>
            <CopyBlock
              id="ping-curl"
              label="Ping command"
              text={`curl -fsS -m 10 --retry 3 ${created.pingUrl}\n`}
            />
          </div>
        )}
      </section>
      <section aria-labelledby="checks-h">
        <h2 id="checks-h">Your checks</h2>
        {list.error && (
          <p role="alert" class="notice notice-error">
            {list.error}
          </p>
        )}
        {list.data && list.data.checks.length === 0 && <p>No health checks yet.</p>}
        {list.data && list.data.checks.length > 0 && (
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Health checks">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">State</th>
                  <th scope="col">Period / grace</th>
                  <th scope="col">Last ping</th>
                  <th scope="col">
                    <span class="offscreen">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.checks.map((c) => (
                  <tr key={c.id}>
                    <td>{c.name}</td>
                    <td>
                      <span
                        class={`badge badge-${c.state === 'up' ? 'ok' : c.state === 'down' ? 'bad' : 'muted'}`}
                      >
                        {c.state}
                      </span>
                    </td>
                    <td>
                      {duration(c.periodSeconds)} / {duration(c.graceSeconds)}
                    </td>
                    <td>{ago(c.lastPingAt)}</td>
                    <td>
                      <button
                        type="button"
                        class="secondary small"
                        aria-label={`Remove health check ${c.name}`}
                        onClick={() =>
                          del.run(async () => {
                            await api.del(`/v1/health-checks/${c.id}`);
                            await list.reload();
                            return `${c.name} removed.`;
                          })
                        }
                      >
                        Remove
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

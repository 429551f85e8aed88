import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import type {
  AccountClass,
  AdminAccount,
  AdminAccountList,
  AdminLinks,
  InviteCreated,
} from '../../api/types';
import { CopyBlock } from '../../components/copy-block';
import { Field, Select } from '../../components/field';
import { Notice } from '../../components/notice';
import { useAction, useLoad } from '../../hooks';
import { Link } from '../../router';

const CLASSES: AccountClass[] = ['default', 'plus', 'unlimited'];

export function AdminNav() {
  const links = useLoad(() => api.get<AdminLinks>('/v1/admin/links'));
  return (
    <nav aria-label="Admin" class="subnav">
      <Link href="/admin/accounts">Accounts</Link> <Link href="/admin/zones">Zones</Link>{' '}
      <a href={links.data?.queueDashboard ?? '/admin/queues'}>Queues</a>
    </nav>
  );
}

/** Search accounts, create one, invite by link, disable/enable, change class. */
export function AdminAccountsPage() {
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const list = useLoad(
    () =>
      api.get<AdminAccountList>(
        `/v1/admin/accounts?limit=50${query ? `&q=${encodeURIComponent(query)}` : ''}`,
      ),
    [query],
  );
  const row = useAction();
  const update = (acc: AdminAccount, body: Partial<Pick<AdminAccount, 'disabled' | 'class' | 'isAdmin'>>) =>
    row.run(async () => {
      await api.patch(`/v1/admin/accounts/${acc.id}`, body);
      await list.reload();
      return `${acc.email} updated.`;
    });
  return (
    <>
      <AdminNav />
      <form
        class="inline-form"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(q.trim());
        }}
      >
        <Field id="acc-q" label="Search by e-mail" type="search" value={q} onValue={setQ} />
        <button type="submit">Search</button>
      </form>
      {list.error && (
        <p role="alert" class="notice notice-error">
          {list.error}
        </p>
      )}
      {list.data && (
        <>
          <p role="status">{list.data.total} accounts</p>
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Accounts">
            <table>
              <thead>
                <tr>
                  <th scope="col">E-mail</th>
                  <th scope="col">Class</th>
                  <th scope="col">Domains</th>
                  <th scope="col">State</th>
                  <th scope="col">
                    <span class="offscreen">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.accounts.map((acc) => (
                  <tr key={acc.id}>
                    <td>
                      {acc.email}
                      {acc.isAdmin && <span class="badge badge-muted">admin</span>}
                    </td>
                    <td>
                      <label class="offscreen" for={`class-${acc.id}`}>
                        Class of {acc.email}
                      </label>
                      <select
                        id={`class-${acc.id}`}
                        value={acc.class}
                        onChange={(e) =>
                          update(acc, { class: (e.currentTarget as HTMLSelectElement).value as AccountClass })
                        }
                      >
                        {CLASSES.map((c) => (
                          <option key={c} value={c}>
                            {c}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>{acc.domains}</td>
                    <td>
                      {acc.disabled ? 'disabled' : acc.emailVerified ? 'active' : 'unverified'}
                      {acc.totpEnabled && ', 2FA'}
                    </td>
                    <td>
                      <button
                        type="button"
                        class="secondary small"
                        onClick={() => update(acc, { disabled: !acc.disabled })}
                      >
                        {acc.disabled ? 'Enable' : 'Disable'}
                        <span class="offscreen"> {acc.email}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <Notice ok={row.ok} error={row.error} />
      <CreateAccount onDone={() => void list.reload()} />
      <Invite />
    </>
  );
}

function CreateAccount({ onDone }: { onDone: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [cls, setCls] = useState<AccountClass>('default');
  const a = useAction();
  return (
    <section aria-labelledby="create-h">
      <h2 id="create-h">Create an account</h2>
      <form
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          await a.run(async () => {
            const acc = await api.post<AdminAccount>('/v1/admin/accounts', { email, password, class: cls });
            setEmail('');
            setPassword('');
            onDone();
            return `${acc.email} created.`;
          });
        }}
      >
        <Field
          id="new-email"
          label="E-mail"
          type="email"
          value={email}
          onValue={setEmail}
          error={a.fields.email}
        />
        <Field
          id="new-password"
          label="Password"
          type="password"
          autoComplete="new-password"
          value={password}
          onValue={setPassword}
          error={a.fields.password}
        />
        <Select
          id="new-class"
          label="Class"
          value={cls}
          options={CLASSES}
          onValue={(v) => setCls(v as AccountClass)}
          error={a.fields.class}
        />
        <Notice ok={a.ok} error={a.error} />
        <button type="submit" disabled={a.busy}>
          Create
        </button>
      </form>
    </section>
  );
}

function Invite() {
  const [email, setEmail] = useState('');
  const [made, setMade] = useState<InviteCreated | undefined>();
  const a = useAction();
  return (
    <section aria-labelledby="invite-h">
      <h2 id="invite-h">Invite</h2>
      <form
        class="inline-form"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          await a.run(async () => {
            const inv = await api.post<InviteCreated>('/v1/admin/invites', email ? { email } : {});
            setMade(inv);
            return inv.mailed ? `Invite mailed to ${email}.` : 'Invite link made.';
          });
        }}
      >
        <Field
          id="invite-email"
          label="E-mail (optional)"
          hint="with an address, only it may use the link, and it is mailed"
          type="email"
          value={email}
          onValue={setEmail}
          error={a.fields.email}
        />
        <button type="submit" disabled={a.busy}>
          Make invite link
        </button>
      </form>
      <Notice ok={a.ok} error={a.error} />
      {made?.link && <CopyBlock id="invite-link" label="Invite link" text={made.link} />}
    </section>
  );
}

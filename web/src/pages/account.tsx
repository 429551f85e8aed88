import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { TotpEnrolment, TotpRecoveryCodes, UpdateTokenResponse } from '../api/types';
import { CopyBlock, OnceSecret } from '../components/copy-block';
import { Field } from '../components/field';
import { Notice } from '../components/notice';
import { useAction } from '../hooks';
import { navigate } from '../router';
import { useSession } from '../session';

/** Password, e-mail, two-factor (TOTP + recovery codes), the account-wide update token, deletion. */
export function AccountPage() {
  const { account } = useSession();
  if (!account) return null;
  return (
    <>
      <dl class="facts">
        <dt>E-mail</dt>
        <dd>
          {account.email}
          {account.pendingEmail && ` (changing to ${account.pendingEmail}: open the link sent there)`}
        </dd>
        <dt>Class</dt>
        <dd>
          {account.class}: {account.quota.updatesPerDay} updates and {account.quota.apiCallsPerDay} API calls
          a day
        </dd>
      </dl>
      <PasswordForm />
      <EmailForm />
      <TotpSection />
      <UpdateTokenSection />
      <DeleteSection />
    </>
  );
}

function PasswordForm() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const a = useAction();
  return (
    <section aria-labelledby="pw-h">
      <h2 id="pw-h">Password</h2>
      <form
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          if (
            await a.run(async () => {
              await api.put('/v1/account/password', { currentPassword: current, newPassword: next });
              return 'Password changed. Your other sessions ended.';
            })
          ) {
            setCurrent('');
            setNext('');
          }
        }}
      >
        <Field
          id="pw-current"
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={current}
          onValue={setCurrent}
          error={a.fields.currentPassword}
        />
        <Field
          id="pw-new"
          label="New password"
          type="password"
          autoComplete="new-password"
          value={next}
          onValue={setNext}
          error={a.fields.newPassword}
        />
        <Notice ok={a.ok} error={a.error} />
        <button type="submit" disabled={a.busy}>
          Change password
        </button>
      </form>
    </section>
  );
}

function EmailForm() {
  const { refresh } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const a = useAction();
  return (
    <section aria-labelledby="email-h">
      <h2 id="email-h">E-mail address</h2>
      <form
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          await a.run(async () => {
            await api.put('/v1/account/email', { email, password });
            setPassword('');
            await refresh();
            return `A link went to ${email}: the change applies once it is opened.`;
          });
        }}
      >
        <Field
          id="email-new"
          label="New e-mail"
          type="email"
          autoComplete="email"
          value={email}
          onValue={setEmail}
          error={a.fields.email}
        />
        <Field
          id="email-password"
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onValue={setPassword}
          error={a.fields.password}
        />
        <Notice ok={a.ok} error={a.error} />
        <button type="submit" disabled={a.busy}>
          Change e-mail
        </button>
      </form>
    </section>
  );
}

function TotpSection() {
  const { account, refresh } = useSession();
  const [enrol, setEnrol] = useState<TotpEnrolment | undefined>();
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | undefined>();
  const [password, setPassword] = useState('');
  const a = useAction();
  if (!account) return null;
  return (
    <section aria-labelledby="totp-h">
      <h2 id="totp-h">Two-factor authentication</h2>
      {codes && (
        <OnceSecret label="Recovery codes" value={codes.join('\n')} onDone={() => setCodes(undefined)} />
      )}
      {account.totpEnabled ? (
        <form
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            await a.run(async () => {
              await api.del('/v1/account/totp', { password });
              setPassword('');
              await refresh();
              return 'Two-factor authentication is off.';
            });
          }}
        >
          <p>
            <span class="badge badge-ok">on</span> Logging in asks for a code from your authenticator app.
          </p>
          <Field
            id="totp-off-password"
            label="Password"
            type="password"
            autoComplete="current-password"
            value={password}
            onValue={setPassword}
            error={a.fields.password}
          />
          <Notice ok={a.ok} error={a.error} />
          <button type="submit" class="secondary" disabled={a.busy}>
            Turn off
          </button>
        </form>
      ) : enrol ? (
        <form
          noValidate
          onSubmit={async (e) => {
            e.preventDefault();
            await a.run(async () => {
              const r = await api.post<TotpRecoveryCodes>('/v1/account/totp/confirm', { code });
              setCodes(r.recoveryCodes);
              setEnrol(undefined);
              setCode('');
              await refresh();
              return 'Two-factor authentication is on. Keep the recovery codes.';
            });
          }}
        >
          <p>
            Add this key to your authenticator app (or open the link on the phone that has it), then type the
            code it shows.
          </p>
          <CopyBlock id="totp-secret" label="TOTP key" text={enrol.secret} />
          <p>
            <a href={enrol.uri}>Open in an authenticator app</a>
          </p>
          <Field
            id="totp-code"
            label="Code from the app"
            inputMode="numeric"
            autoComplete="one-time-code"
            value={code}
            onValue={setCode}
            error={a.fields.code}
          />
          <Notice ok={a.ok} error={a.error} />
          <button type="submit" disabled={a.busy}>
            Turn on
          </button>
        </form>
      ) : (
        <>
          <p>Off. With it on, a stolen password is not enough to log in.</p>
          <button
            type="button"
            disabled={a.busy}
            onClick={() =>
              a.run(async () => {
                setEnrol(await api.post<TotpEnrolment>('/v1/account/totp'));
              })
            }
          >
            Set up two-factor authentication
          </button>
          <Notice ok={a.ok} error={a.error} />
        </>
      )}
    </section>
  );
}

function UpdateTokenSection() {
  const [token, setToken] = useState<string | undefined>();
  const a = useAction();
  return (
    <section aria-labelledby="ut-h">
      <h2 id="ut-h">Account update token</h2>
      <p>
        One token that updates every name of the account (DynDNS2 password). A new one replaces the old at
        once.
      </p>
      <button
        type="button"
        class="secondary"
        disabled={a.busy}
        onClick={() =>
          a.run(async () => {
            setToken((await api.post<UpdateTokenResponse>('/v1/account/update-token')).token);
          })
        }
      >
        Make a new update token
      </button>
      <Notice ok={a.ok} error={a.error} />
      {token && <OnceSecret label="Account update token" value={token} onDone={() => setToken(undefined)} />}
    </section>
  );
}

function DeleteSection() {
  const { account, logout } = useSession();
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const a = useAction();
  return (
    <section aria-labelledby="del-h">
      <h2 id="del-h">Delete the account</h2>
      <p>Deletes the account, its keys and records, and releases every name. This cannot be undone.</p>
      <form
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          if (!window.confirm('Delete your account and release all its names?')) return;
          if (await a.run(() => api.del('/v1/account', { password, ...(totp ? { totp } : {}) }))) {
            await logout().catch(() => undefined);
            navigate('/login');
          }
        }}
      >
        <Field
          id="del-password"
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onValue={setPassword}
          error={a.fields.password}
        />
        {account?.totpEnabled && (
          <Field
            id="del-totp"
            label="Authentication code"
            inputMode="numeric"
            value={totp}
            onValue={setTotp}
            error={a.fields.totp}
          />
        )}
        <Notice error={a.error} />
        <button type="submit" class="danger" disabled={a.busy}>
          Delete my account
        </button>
      </form>
    </section>
  );
}

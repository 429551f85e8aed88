import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { PageProps } from '../app';
import { Field } from '../components/field';
import { Notice } from '../components/notice';
import { useAction } from '../hooks';
import { Link } from '../router';

/** Without ?token: ask for the link by mail. With it (the link from the mail): choose the new password. */
export function ResetPage({ loc }: PageProps) {
  const token = loc.query.get('token') ?? '';
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const a = useAction();
  if (token)
    return (
      <div class="narrow">
        {done ? (
          <p role="status">
            Your password is changed and every session ended. <Link href="/login">Log in</Link>
          </p>
        ) : (
          <form
            noValidate
            onSubmit={async (e) => {
              e.preventDefault();
              if (await a.run(() => api.post('/v1/auth/password-reset/confirm', { token, password })))
                setDone(true);
            }}
          >
            <Field
              id="new-password"
              label="New password"
              type="password"
              autoComplete="new-password"
              required
              value={password}
              onValue={setPassword}
              error={a.fields.password}
            />
            <Notice error={a.error} />
            <button type="submit" disabled={a.busy}>
              Set the new password
            </button>
          </form>
        )}
      </div>
    );
  return (
    <div class="narrow">
      <form
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          await a.run(async () => {
            await api.post('/v1/auth/password-reset', { email });
            return `If ${email} has an account, a reset link is on its way. It works once and expires.`;
          });
        }}
      >
        <Field
          id="email"
          label="E-mail"
          type="email"
          autoComplete="email"
          required
          value={email}
          onValue={setEmail}
          error={a.fields.email}
        />
        <Notice ok={a.ok} error={a.error} />
        <button type="submit" disabled={a.busy}>
          Mail me a reset link
        </button>
      </form>
      <p>
        <Link href="/login">Back to log in</Link>
      </p>
    </div>
  );
}

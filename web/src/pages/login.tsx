import { useState } from 'preact/hooks';
import { ApiError, api } from '../api/client';
import type { Session } from '../api/types';
import type { PageProps } from '../app';
import { Field } from '../components/field';
import { Notice } from '../components/notice';
import { useAction } from '../hooks';
import { Link, navigate } from '../router';
import { useSession } from '../session';

/** E-mail + password; when the account has TOTP on, a second step asks for the code (or a recovery code). */
export function LoginPage({ loc }: PageProps) {
  const { signedIn, meta } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const a = useAction();
  const next = loc.query.get('next');
  const submit = async (e: Event) => {
    e.preventDefault();
    await a.run(async () => {
      try {
        const s = await api.post<Session>('/v1/auth/login', {
          email,
          password,
          ...(needTotp ? { totp } : {}),
        });
        signedIn(s);
        navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/domains');
      } catch (err) {
        if (err instanceof ApiError && err.code === 'totp_required') {
          setNeedTotp(true);
          return 'Enter the code from your authenticator app.';
        }
        throw err;
      }
    });
  };
  return (
    <div class="narrow">
      <form onSubmit={submit} noValidate>
        {!needTotp ? (
          <>
            <Field
              id="email"
              label="E-mail"
              type="email"
              autoComplete="username"
              required
              value={email}
              onValue={setEmail}
              error={a.fields.email}
            />
            <Field
              id="password"
              label="Password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onValue={setPassword}
              error={a.fields.password}
            />
          </>
        ) : (
          <Field
            id="totp"
            label="Authentication code"
            hint="6 digits from your authenticator app, or one of your recovery codes"
            inputMode="numeric"
            autoComplete="one-time-code"
            autoFocus
            required
            value={totp}
            onValue={setTotp}
            error={a.fields.totp}
          />
        )}
        <Notice ok={a.ok} error={a.error} />
        <button type="submit" disabled={a.busy}>
          {needTotp ? 'Verify and log in' : 'Log in'}
        </button>
      </form>
      <p>
        <Link href="/reset-password">Forgot your password?</Link>
      </p>
      {meta && meta.signupMode !== 'closed' && (
        <p>
          No account yet? <Link href="/signup">Sign up</Link>
        </p>
      )}
    </div>
  );
}

import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api/client';
import type { VerifyEmailResponse } from '../api/types';
import type { PageProps } from '../app';
import { Link } from '../router';
import { useSession } from '../session';

/** The link from a verification mail lands here; the token goes to the API once. */
export function VerifyPage({ loc }: PageProps) {
  const token = loc.query.get('token') ?? loc.query.get('t') ?? '';
  const { account, refresh } = useSession();
  const [state, setState] = useState<{ ok?: VerifyEmailResponse; error?: string }>({});
  useEffect(() => {
    if (!token) {
      setState({ error: 'This link has no token: open the whole link from the mail.' });
      return;
    }
    api
      .post<VerifyEmailResponse>('/v1/auth/verify-email', { token })
      .then((ok) => {
        setState({ ok });
        void refresh();
      })
      .catch((err: unknown) =>
        setState({ error: err instanceof ApiError ? err.message : 'The link could not be checked.' }),
      );
  }, [token]);
  return (
    <div class="narrow">
      <div role="status" aria-live="polite">
        {state.ok
          ? `${state.ok.email} is verified.${state.ok.purpose === 'email_change' ? ' It is now your account’s address.' : ''}`
          : !state.error && 'Checking the link…'}
      </div>
      {state.error && (
        <p role="alert" class="notice notice-error">
          {state.error}
        </p>
      )}
      {(state.ok || state.error) && (
        <p>{account ? <Link href="/domains">Go to your domains</Link> : <Link href="/login">Log in</Link>}</p>
      )}
    </div>
  );
}

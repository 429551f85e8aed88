import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { solvePow } from '../api/pow';
import type { PowChallenge, SignupResponse } from '../api/types';
import type { PageProps } from '../app';
import { Field } from '../components/field';
import { Notice } from '../components/notice';
import { useAction } from '../hooks';
import { Link } from '../router';
import { useSession } from '../session';

/**
 * Sign-up as the operator allows it: closed (says so), invite (the link's token, prefilled from ?invite=), open
 * (a proof of work computed here: no third-party captcha). A verification link goes to the address.
 */
export function SignupPage({ loc }: PageProps) {
  const { meta } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [invite, setInvite] = useState(loc.query.get('invite') ?? loc.query.get('token') ?? '');
  const [progress, setProgress] = useState('');
  const [done, setDone] = useState<SignupResponse | undefined>();
  const a = useAction();
  if (!meta) return <p role="status">Loading…</p>;
  const mode = meta.signupMode;
  if (mode === 'closed' && !invite)
    return (
      <p>
        Sign-up is closed on this server: ask its operator for an account or an invite link.{' '}
        <Link href="/login">Log in</Link>
      </p>
    );
  if (done)
    return (
      <div class="narrow">
        <p role="status">
          {done.verified
            ? 'Your account is ready: log in.'
            : `We sent a verification link to ${email}. Open it to activate your account, then log in.`}
        </p>
        <p>
          <Link href="/login">Log in</Link>
        </p>
      </div>
    );
  const submit = async (e: Event) => {
    e.preventDefault();
    await a.run(async () => {
      let pow: { challenge: string; nonce: string } | undefined;
      if (!invite && mode === 'open') {
        const c = await api.post<PowChallenge>('/v1/signup/challenge');
        setProgress('Proving this is not a bulk sign-up (a few seconds)…');
        const nonce = await solvePow(c.challenge, c.difficulty);
        pow = { challenge: c.challenge, nonce };
        setProgress('');
      }
      const res = await api.post<SignupResponse>('/v1/signup', {
        email,
        password,
        ...(invite ? { invite } : {}),
        ...(pow ? { pow } : {}),
      });
      setDone(res);
    });
    setProgress('');
  };
  return (
    <div class="narrow">
      <form onSubmit={submit} noValidate>
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
        <Field
          id="password"
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          hint={`At least ${meta.passwordMinLength} characters`}
          value={password}
          onValue={setPassword}
          error={a.fields.password}
        />
        {(mode === 'invite' || invite) && (
          <Field
            id="invite"
            label="Invite code"
            required
            value={invite}
            onValue={setInvite}
            error={a.fields.invite}
          />
        )}
        <div role="status" aria-live="polite" class="progress">
          {progress}
        </div>
        <Notice error={a.error} />
        <button type="submit" disabled={a.busy}>
          Create account
        </button>
      </form>
      <p>
        Already registered? <Link href="/login">Log in</Link>
      </p>
    </div>
  );
}

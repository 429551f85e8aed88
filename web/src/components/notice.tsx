import type { ComponentChildren } from 'preact';

/**
 * The page's announcements: a polite live region for results and an assertive one for errors. Both are always
 * in the DOM (screen readers only announce changes to regions that already exist).
 */
export function Notice({ ok, error }: { ok?: ComponentChildren; error?: ComponentChildren }) {
  return (
    <>
      <div role="status" aria-live="polite" class={ok ? 'notice notice-ok' : 'notice-empty'}>
        {ok}
      </div>
      <div role="alert" class={error ? 'notice notice-error' : 'notice-empty'}>
        {error}
      </div>
    </>
  );
}

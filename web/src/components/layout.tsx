import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { Link, navigate } from '../router';
import { useSession } from '../session';

const NAV = [
  { href: '/domains', label: 'Domains' },
  { href: '/logs', label: 'Update log' },
  { href: '/checks', label: 'Health checks' },
  { href: '/gateways', label: 'Gateways' },
  { href: '/mail-domains', label: 'Mail' },
  { href: '/keys', label: 'API keys' },
  { href: '/account', label: 'Account' },
];

/** Every page: a skip link, the header with navigation, one <main> whose heading takes focus on navigation. */
export function Layout({
  title,
  path,
  children,
}: {
  title: string;
  path: string;
  children: ComponentChildren;
}) {
  const { account, logout } = useSession();
  const heading = useRef<HTMLHeadingElement>(null);
  const shownPath = useRef<string | undefined>(undefined);
  useEffect(() => {
    document.title = `${title} · ddns`;
  }, [title]);
  useEffect(() => {
    // after an in-app navigation, focus goes to the new page's heading (screen readers read where they are);
    // not on the first load: the browser starts at the top anyway
    if (shownPath.current !== undefined && shownPath.current !== path) heading.current?.focus();
    shownPath.current = path;
  }, [path]);
  const nav = account
    ? [...NAV, ...(account.isAdmin ? [{ href: '/admin/accounts', label: 'Admin' }] : [])]
    : [];
  const current = (href: string) => path === href || path.startsWith(`${href}/`);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href={account ? '/domains' : '/login'} class="brand">
          ddns
        </Link>
        {account && (
          <nav aria-label="Main">
            <ul>
              {nav.map((n) => (
                <li key={n.href}>
                  <Link href={n.href} aria-current={current(n.href) ? 'page' : undefined}>
                    {n.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {account && (
          <button
            type="button"
            class="secondary logout"
            onClick={async () => {
              // to the login page first: a page that needs a session would otherwise ask to come back after login
              navigate('/login');
              await logout();
            }}
          >
            Log out
          </button>
        )}
      </header>
      <main id="main">
        <h1 tabIndex={-1} ref={heading}>
          {title}
        </h1>
        {children}
      </main>
    </>
  );
}

import type { FunctionComponent } from 'preact';
import { useEffect } from 'preact/hooks';
import { Layout } from './components/layout';
import { AccountPage } from './pages/account';
import { AdminAccountsPage } from './pages/admin/accounts';
import { AdminZonesPage } from './pages/admin/zones';
import { ChecksPage } from './pages/checks';
import { DomainPage } from './pages/domain';
import { DomainsPage } from './pages/domains';
import { GatewaysPage } from './pages/gateways';
import { KeysPage } from './pages/keys';
import { LoginPage } from './pages/login';
import { LogsPage } from './pages/logs';
import { MailDomainsPage } from './pages/mail-domains';
import { ResetPage } from './pages/reset';
import { SignupPage } from './pages/signup';
import { VerifyPage } from './pages/verify';
import { navigate, useLocation, type Location } from './router';
import { SessionProvider, useSession } from './session';

export interface PageProps {
  loc: Location;
  params: Record<string, string>;
}

interface Route {
  pattern: RegExp;
  keys: string[];
  title: string | ((p: Record<string, string>) => string);
  page: FunctionComponent<PageProps>;
  /** who may see it: anybody, a logged-in account, an admin */
  access: 'public' | 'account' | 'admin';
}

const route = (path: string, title: Route['title'], page: Route['page'], access: Route['access']): Route => {
  const keys: string[] = [];
  const pattern = new RegExp(
    `^${path.replace(/:([a-z]+)/g, (_m, k: string) => {
      keys.push(k);
      return '([^/]+)';
    })}/?$`,
  );
  return { pattern, keys, title, page, access };
};

/** The dashboard's paths; services/api/src/surfaces/web/app-paths.ts answers each of them with index.html. */
const ROUTES: Route[] = [
  route('/login', 'Log in', LoginPage, 'public'),
  route('/signup', 'Sign up', SignupPage, 'public'),
  route('/verify-email', 'E-mail verification', VerifyPage, 'public'),
  route('/reset-password', 'Reset your password', ResetPage, 'public'),
  route('/domains', 'Domains', DomainsPage, 'account'),
  route('/domains/:name', (p) => p.name ?? 'Domain', DomainPage, 'account'),
  route('/logs', 'Update log', LogsPage, 'account'),
  route('/checks', 'Health checks', ChecksPage, 'account'),
  route('/gateways', 'WebThings gateways', GatewaysPage, 'account'),
  route('/mail-domains', 'Mail domains', MailDomainsPage, 'account'),
  route('/keys', 'API keys', KeysPage, 'account'),
  route('/account', 'Account settings', AccountPage, 'account'),
  route('/admin/accounts', 'Admin: accounts', AdminAccountsPage, 'admin'),
  route('/admin/zones', 'Admin: zones', AdminZonesPage, 'admin'),
];

function Router() {
  const loc = useLocation();
  const { account } = useSession();
  const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(loc.path) })).find((x) => x.m);
  const needsLogin = match && match.r.access !== 'public' && account === null;
  const isRoot = loc.path === '/' || loc.path === '';
  useEffect(() => {
    if (isRoot && account !== undefined) navigate(account ? '/domains' : '/login', { replace: true });
    else if (needsLogin)
      navigate(`/login?next=${encodeURIComponent(loc.path + location.search)}`, { replace: true });
  }, [isRoot, needsLogin, account]);
  if (account === undefined || isRoot || needsLogin)
    return (
      <Layout title="Loading" path={loc.path}>
        <p role="status">Loading…</p>
      </Layout>
    );
  if (!match)
    return (
      <Layout title="Not found" path={loc.path}>
        <p>There is no page at {loc.path}.</p>
      </Layout>
    );
  if (match.r.access === 'admin' && !account?.isAdmin)
    return (
      <Layout title="Not allowed" path={loc.path}>
        <p>This page is for administrators.</p>
      </Layout>
    );
  const params: Record<string, string> = {};
  match.r.keys.forEach((k, i) => (params[k] = decodeURIComponent(match.m![i + 1] ?? '')));
  const title = typeof match.r.title === 'string' ? match.r.title : match.r.title(params);
  const Page = match.r.page;
  return (
    <Layout title={title} path={loc.path}>
      <Page loc={loc} params={params} />
    </Layout>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Router />
    </SessionProvider>
  );
}

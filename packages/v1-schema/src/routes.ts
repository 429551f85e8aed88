import { z } from 'zod';
import * as A from './account';
import * as Act from './activity';
import * as Adm from './admin';
import * as Au from './auth';
import * as K from './api-keys';
import { DomainRecordParams, Empty, IdParams, NameParams } from './common';
import * as D from './domains';
import * as R from './records';

/**
 * Who may call a route:
 * - `none`: anybody (rate-limited per source network);
 * - `session`: a browser session only (account settings, API keys): an API key is refused;
 * - `account`: a session or an API key (`Authorization: Bearer <key>`), within the key's scopes;
 * - `admin`: a session of an admin account.
 * Cookie-authenticated POST/PUT/PATCH/DELETE also need the `X-CSRF-Token` header (see Session).
 */
export type RouteAuth = 'none' | 'session' | 'account' | 'admin';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteDef {
  /** stable name, also the OpenAPI operationId */
  id: string;
  method: HttpMethod;
  /** express form: `/v1/domains/:name` */
  path: string;
  auth: RouteAuth;
  /** what an API key needs: `read` for any key, `write` for a write key (only for `account` routes) */
  scope?: 'read' | 'write';
  /** the `:name` path parameter names a domain: a key scoped to other domains is refused */
  domainScoped?: boolean;
  tag: string;
  summary: string;
  params?: z.AnyZodObject;
  query?: z.ZodTypeAny;
  body?: z.ZodTypeAny;
  /** success status; 204 has no body */
  status: number;
  response?: z.ZodTypeAny;
  /** a response that is not JSON (the event stream) */
  contentType?: string;
}

const r = <const T extends RouteDef>(d: T): T => d;

/** Every /v1 route: the API validates with these schemas, /openapi.json documents them, the UI calls them. */
export const V1_ROUTES = [
  r({
    id: 'getMeta',
    method: 'get',
    path: '/v1/meta',
    auth: 'none',
    tag: 'meta',
    summary: 'Server facts: sign-up mode, zones, update URL',
    status: 200,
    response: Au.Meta,
  }),

  r({
    id: 'login',
    method: 'post',
    path: '/v1/auth/login',
    auth: 'none',
    tag: 'auth',
    summary: 'Log in (password, then TOTP when on): sets the session cookie',
    body: Au.LoginRequest,
    status: 200,
    response: Au.Session,
  }),
  r({
    id: 'logout',
    method: 'post',
    path: '/v1/auth/logout',
    auth: 'session',
    tag: 'auth',
    summary: 'End this session',
    status: 204,
  }),
  r({
    id: 'whoami',
    method: 'get',
    path: '/v1/auth/whoami',
    auth: 'account',
    scope: 'read',
    tag: 'auth',
    summary: 'The account (and session or API key) of the request',
    status: 200,
    response: Au.WhoAmI,
  }),
  r({
    id: 'signupChallenge',
    method: 'post',
    path: '/v1/signup/challenge',
    auth: 'none',
    tag: 'auth',
    summary: 'A proof-of-work puzzle for open sign-up',
    status: 200,
    response: Au.PowChallenge,
  }),
  r({
    id: 'signup',
    method: 'post',
    path: '/v1/signup',
    auth: 'none',
    tag: 'auth',
    summary: 'Create an account (invite or open mode); a verification link is mailed',
    body: Au.SignupRequest,
    status: 202,
    response: Au.SignupResponse,
  }),
  r({
    id: 'verifyEmail',
    method: 'post',
    path: '/v1/auth/verify-email',
    auth: 'none',
    tag: 'auth',
    summary: 'Open a verification link (sign-up or address change)',
    body: Au.VerifyEmailRequest,
    status: 200,
    response: Au.VerifyEmailResponse,
  }),
  r({
    id: 'requestPasswordReset',
    method: 'post',
    path: '/v1/auth/password-reset',
    auth: 'none',
    tag: 'auth',
    summary: 'Mail a password-reset link (always 202)',
    body: Au.PasswordResetRequest,
    status: 202,
    response: Au.Accepted,
  }),
  r({
    id: 'confirmPasswordReset',
    method: 'post',
    path: '/v1/auth/password-reset/confirm',
    auth: 'none',
    tag: 'auth',
    summary: 'Set a new password with the link from the mail; ends every session',
    body: Au.PasswordResetConfirm,
    status: 204,
  }),

  r({
    id: 'getAccount',
    method: 'get',
    path: '/v1/account',
    auth: 'account',
    scope: 'read',
    tag: 'account',
    summary: 'Your account',
    status: 200,
    response: A.Account,
  }),
  r({
    id: 'changePassword',
    method: 'put',
    path: '/v1/account/password',
    auth: 'session',
    tag: 'account',
    summary: 'Change the password (other sessions end)',
    body: A.PasswordChangeRequest,
    status: 204,
  }),
  r({
    id: 'changeEmail',
    method: 'put',
    path: '/v1/account/email',
    auth: 'session',
    tag: 'account',
    summary: 'Change the e-mail address (applies once the new address is verified)',
    body: A.EmailChangeRequest,
    status: 202,
    response: Au.Accepted,
  }),
  r({
    id: 'deleteAccount',
    method: 'delete',
    path: '/v1/account',
    auth: 'session',
    tag: 'account',
    summary: 'Delete the account and release its names',
    body: A.AccountDeleteRequest,
    status: 204,
  }),
  r({
    id: 'startTotp',
    method: 'post',
    path: '/v1/account/totp',
    auth: 'session',
    tag: 'account',
    summary: 'Start TOTP enrolment: a new secret (active once confirmed)',
    status: 200,
    response: A.TotpEnrolment,
  }),
  r({
    id: 'confirmTotp',
    method: 'post',
    path: '/v1/account/totp/confirm',
    auth: 'session',
    tag: 'account',
    summary: 'Turn TOTP on with a code; returns recovery codes (shown once)',
    body: A.TotpConfirmRequest,
    status: 200,
    response: A.TotpRecoveryCodes,
  }),
  r({
    id: 'disableTotp',
    method: 'delete',
    path: '/v1/account/totp',
    auth: 'session',
    tag: 'account',
    summary: 'Turn TOTP off',
    body: A.TotpDisableRequest,
    status: 204,
  }),
  r({
    id: 'rotateUpdateToken',
    method: 'post',
    path: '/v1/account/update-token',
    auth: 'session',
    tag: 'account',
    summary: 'A new account-wide update token (shown once; the old one stops working)',
    status: 200,
    response: A.UpdateTokenResponse,
  }),

  r({
    id: 'listApiKeys',
    method: 'get',
    path: '/v1/api-keys',
    auth: 'session',
    tag: 'api-keys',
    summary: 'Your API keys (never their secrets)',
    status: 200,
    response: K.ApiKeyList,
  }),
  r({
    id: 'createApiKey',
    method: 'post',
    path: '/v1/api-keys',
    auth: 'session',
    tag: 'api-keys',
    summary: 'Create a scoped API key (secret shown once)',
    body: K.ApiKeyCreateRequest,
    status: 201,
    response: K.ApiKeyCreated,
  }),
  r({
    id: 'deleteApiKey',
    method: 'delete',
    path: '/v1/api-keys/:id',
    auth: 'session',
    tag: 'api-keys',
    summary: 'Revoke an API key',
    params: IdParams,
    status: 204,
  }),

  r({
    id: 'listDomains',
    method: 'get',
    path: '/v1/domains',
    auth: 'account',
    scope: 'read',
    tag: 'domains',
    summary: 'Your domains with current addresses, last update and health',
    status: 200,
    response: D.DomainList,
  }),
  r({
    id: 'createDomain',
    method: 'post',
    path: '/v1/domains',
    auth: 'account',
    scope: 'write',
    tag: 'domains',
    summary: 'Register a domain (its update token is shown once)',
    body: D.DomainCreateRequest,
    status: 201,
    response: D.DomainCreated,
  }),
  r({
    id: 'getDomain',
    method: 'get',
    path: '/v1/domains/:name',
    auth: 'account',
    scope: 'read',
    domainScoped: true,
    tag: 'domains',
    summary: 'One domain',
    params: NameParams,
    status: 200,
    response: D.Domain,
  }),
  r({
    id: 'deleteDomain',
    method: 'delete',
    path: '/v1/domains/:name',
    auth: 'account',
    scope: 'write',
    domainScoped: true,
    tag: 'domains',
    summary: 'Remove a domain and its records (the name is released)',
    params: NameParams,
    status: 204,
  }),
  r({
    id: 'rotateDomainToken',
    method: 'post',
    path: '/v1/domains/:name/token',
    auth: 'account',
    scope: 'write',
    domainScoped: true,
    tag: 'domains',
    summary: 'A new update token for the domain (shown once; the old one stops working)',
    params: NameParams,
    status: 200,
    response: D.DomainToken,
  }),
  r({
    id: 'getDnssec',
    method: 'get',
    path: '/v1/domains/:name/dnssec',
    auth: 'account',
    scope: 'read',
    domainScoped: true,
    tag: 'domains',
    summary: "DS and DNSKEY of the domain's zone",
    params: NameParams,
    status: 200,
    response: Act.Dnssec,
  }),

  r({
    id: 'listRecords',
    method: 'get',
    path: '/v1/domains/:name/records',
    auth: 'account',
    scope: 'read',
    domainScoped: true,
    tag: 'records',
    summary: 'Records of a domain',
    params: NameParams,
    status: 200,
    response: R.RecordList,
  }),
  r({
    id: 'createRecord',
    method: 'post',
    path: '/v1/domains/:name/records',
    auth: 'account',
    scope: 'write',
    domainScoped: true,
    tag: 'records',
    summary: 'Add a record',
    params: NameParams,
    body: R.RecordInput,
    status: 201,
    response: R.DnsRecord,
  }),
  r({
    id: 'replaceRecord',
    method: 'put',
    path: '/v1/domains/:name/records/:id',
    auth: 'account',
    scope: 'write',
    domainScoped: true,
    tag: 'records',
    summary: 'Replace a record (same type)',
    params: DomainRecordParams,
    body: R.RecordInput,
    status: 200,
    response: R.DnsRecord,
  }),
  r({
    id: 'deleteRecord',
    method: 'delete',
    path: '/v1/domains/:name/records/:id',
    auth: 'account',
    scope: 'write',
    domainScoped: true,
    tag: 'records',
    summary: 'Delete a record',
    params: DomainRecordParams,
    status: 204,
  }),

  r({
    id: 'listLogs',
    method: 'get',
    path: '/v1/logs',
    auth: 'account',
    scope: 'read',
    tag: 'activity',
    summary: 'The update log, newest first',
    query: Act.LogQuery,
    status: 200,
    response: Act.LogPage,
  }),
  r({
    id: 'listHealthChecks',
    method: 'get',
    path: '/v1/health-checks',
    auth: 'account',
    scope: 'read',
    tag: 'activity',
    summary: 'Your health checks',
    status: 200,
    response: Act.HealthCheckList,
  }),
  r({
    id: 'createHealthCheck',
    method: 'post',
    path: '/v1/health-checks',
    auth: 'account',
    scope: 'write',
    tag: 'activity',
    summary: 'Add a health check (its ping URL is shown once)',
    body: Act.HealthCheckCreateRequest,
    status: 201,
    response: Act.HealthCheckCreated,
  }),
  r({
    id: 'deleteHealthCheck',
    method: 'delete',
    path: '/v1/health-checks/:id',
    auth: 'account',
    scope: 'write',
    tag: 'activity',
    summary: 'Remove a health check',
    params: IdParams,
    status: 204,
  }),
  r({
    id: 'listGateways',
    method: 'get',
    path: '/v1/gateways',
    auth: 'account',
    scope: 'read',
    tag: 'gateways',
    summary: 'Your WebThings gateways',
    status: 200,
    response: Act.GatewayList,
  }),
  r({
    id: 'claimGateway',
    method: 'post',
    path: '/v1/gateways/claim',
    auth: 'account',
    scope: 'write',
    tag: 'gateways',
    summary: 'Attach a gateway registered without an account, by its token',
    body: Act.GatewayClaimRequest,
    status: 200,
    response: Act.Gateway,
  }),
  r({
    id: 'listMailDomains',
    method: 'get',
    path: '/v1/mail-domains',
    auth: 'account',
    scope: 'read',
    tag: 'mail',
    summary: 'Your mail domains with the MX/SPF/DKIM/DMARC records to copy',
    status: 200,
    response: Act.MailDomainList,
  }),
  r({
    id: 'events',
    method: 'get',
    path: '/v1/events',
    auth: 'account',
    scope: 'read',
    tag: 'activity',
    summary: "Server-sent events: your domains' address changes, live",
    status: 200,
    response: Act.AddressEvent,
    contentType: 'text/event-stream',
  }),

  r({
    id: 'adminListAccounts',
    method: 'get',
    path: '/v1/admin/accounts',
    auth: 'admin',
    tag: 'admin',
    summary: 'Search accounts',
    query: Adm.AdminAccountQuery,
    status: 200,
    response: Adm.AdminAccountList,
  }),
  r({
    id: 'adminCreateAccount',
    method: 'post',
    path: '/v1/admin/accounts',
    auth: 'admin',
    tag: 'admin',
    summary: 'Create an account',
    body: Adm.AdminAccountCreateRequest,
    status: 201,
    response: Adm.AdminAccount,
  }),
  r({
    id: 'adminUpdateAccount',
    method: 'patch',
    path: '/v1/admin/accounts/:id',
    auth: 'admin',
    tag: 'admin',
    summary: 'Disable or enable an account, set its class or admin flag',
    params: IdParams,
    body: Adm.AdminAccountUpdateRequest,
    status: 200,
    response: Adm.AdminAccount,
  }),
  r({
    id: 'adminCreateInvite',
    method: 'post',
    path: '/v1/admin/invites',
    auth: 'admin',
    tag: 'admin',
    summary: 'Create a sign-up invite link (mailed when an address is given)',
    body: Adm.InviteCreateRequest,
    status: 201,
    response: Adm.InviteCreated,
  }),
  r({
    id: 'adminListZones',
    method: 'get',
    path: '/v1/admin/zones',
    auth: 'admin',
    tag: 'admin',
    summary: 'Every zone',
    status: 200,
    response: Adm.AdminZoneList,
  }),
  r({
    id: 'adminLinks',
    method: 'get',
    path: '/v1/admin/links',
    auth: 'admin',
    tag: 'admin',
    summary: 'Where the operator tools live (queue dashboard)',
    status: 200,
    response: Adm.AdminLinks,
  }),
] as const satisfies readonly RouteDef[];

export type V1RouteId = (typeof V1_ROUTES)[number]['id'];

export type V1RouteOf<I extends V1RouteId> = Extract<(typeof V1_ROUTES)[number], { id: I }>;

/** The route with this id, with its schemas' types. */
export function v1Route<I extends V1RouteId>(id: I): V1RouteOf<I> {
  const found = V1_ROUTES.find((x) => x.id === id);
  if (!found) throw new Error(`no /v1 route ${id}`);
  return found as V1RouteOf<I>;
}

/** `/v1/domains/:name` → `/v1/domains/{name}` (OpenAPI form). */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, '{$1}');
}

/** Fills a route's path parameters (URL-encoded): `pathFor('/v1/domains/:name', { name: 'a.b' })`. */
export function pathFor(path: string, params: Record<string, string | number>): string {
  return path.replace(/:([A-Za-z_]+)/g, (_m, k: string) => {
    const v = params[k];
    if (v === undefined) throw new Error(`missing path parameter ${k}`);
    return encodeURIComponent(String(v));
  });
}

export { Empty };

/**
 * Where the links in account e-mails point (PUBLIC_URL + path + `?token=<secret>`): the dashboard serves these
 * pages and posts the token to verifyEmail / confirmPasswordReset / signup (`invite`).
 */
export const EMAIL_LINK_PATHS = {
  signup: '/verify-email',
  email_change: '/verify-email',
  password_reset: '/reset-password',
  invite: '/signup',
} as const;

/**
 * The /v1 types the dashboard uses. Until @ddns/v1-schema is on main these mirror its zod schemas by hand;
 * afterwards this file only re-exports them (type-only: no zod reaches the browser).
 */
export type Timestamp = string;
export type AccountClass = 'default' | 'plus' | 'unlimited';
export type SignupMode = 'closed' | 'invite' | 'open';

export interface Account {
  id: number;
  email: string;
  class: AccountClass;
  isAdmin: boolean;
  emailVerified: boolean;
  pendingEmail: string | null;
  totpEnabled: boolean;
  createdAt: Timestamp;
  quota: { updatesPerDay: number; apiCallsPerDay: number };
}
export interface Session {
  account: Account;
  csrfToken: string;
  expiresAt: Timestamp;
}
export interface WhoAmI {
  account: Account;
  via: 'session' | 'api-key';
  csrfToken?: string;
  expiresAt?: Timestamp;
}
export interface Meta {
  signupMode: SignupMode;
  passwordMinLength: number;
  publicUrl: string;
  registrationZones: string[];
  updateUrl: string;
  recordTypes: string[];
  ttl: { min: number; max: number; default: number };
}
export interface PowChallenge {
  challenge: string;
  difficulty: number;
  algorithm: 'sha256';
  expiresAt: Timestamp;
}
export interface SignupRequest {
  email: string;
  password: string;
  invite?: string;
  pow?: { challenge: string; nonce: string };
}
export interface SignupResponse {
  status: 'verification_sent';
  verified: boolean;
}
export interface VerifyEmailResponse {
  email: string;
  purpose: 'signup' | 'email_change';
}
export interface TotpEnrolment {
  secret: string;
  uri: string;
  algorithm: 'SHA1';
  digits: 6;
  period: 30;
}
export interface TotpRecoveryCodes {
  recoveryCodes: string[];
}
export interface UpdateTokenResponse {
  token: string;
}
export interface ApiKeyScopes {
  domains: string[] | null;
  write: boolean;
}
export interface ApiKey {
  id: number;
  name: string;
  scopes: ApiKeyScopes;
  expiresAt: Timestamp | null;
  createdAt: Timestamp;
  lastUsedAt: Timestamp | null;
}
export interface ApiKeyCreateRequest {
  name: string;
  domains?: string[] | null;
  write?: boolean;
  expiresAt?: Timestamp | null;
}
export interface ApiKeyCreated {
  key: ApiKey;
  secret: string;
}
export interface ApiKeyList {
  keys: ApiKey[];
}
export type DomainHealth = 'ok' | 'never_updated' | 'pending' | 'suspended';
export interface Ownership {
  status: 'active' | 'pending' | 'suspended';
  challengeName: string;
  challengeValue: string;
  nameServers: string[];
  checkedAt: Timestamp | null;
  checkResult: string | null;
}
export interface Domain {
  id: number;
  name: string;
  zone: string;
  kind: 'shared' | 'hosted';
  ipv4: string | null;
  ipv6: string | null;
  lastUpdateAt: Timestamp | null;
  lastUpdateSource: string | null;
  lastUpdateResult: string | null;
  health: DomainHealth;
  gateway: boolean;
  description: string;
  ownership: Ownership | null;
  createdAt: Timestamp;
}
export interface DomainList {
  domains: Domain[];
}
export interface DomainCreateRequest {
  name: string;
  address?: string;
}
export interface DomainCreated {
  domain: Domain;
  token: string;
}
export interface DomainToken {
  token: string;
}
export type RecordTypeName = 'A' | 'AAAA' | 'TXT' | 'CNAME' | 'MX' | 'SRV' | 'CAA';
export interface DnsRecord {
  id: number;
  name: string;
  subname: string;
  type: RecordTypeName;
  ttl: number;
  content: string;
  data: Record<string, string | number>;
  updatedAt: Timestamp;
}
export interface RecordList {
  records: DnsRecord[];
}
export interface LogEntry {
  id: number;
  at: Timestamp;
  domain: string | null;
  hosts: string;
  result: string;
  detail: string | null;
  sourceIp: string | null;
  userAgent: string | null;
}
export interface LogPage {
  entries: LogEntry[];
  next: number | null;
}
export interface HealthCheck {
  id: number;
  name: string;
  periodSeconds: number;
  graceSeconds: number;
  state: 'new' | 'up' | 'down';
  lastPingAt: Timestamp | null;
  stateChangedAt: Timestamp | null;
  createdAt: Timestamp;
}
export interface HealthCheckList {
  checks: HealthCheck[];
}
export interface HealthCheckCreated {
  check: HealthCheck;
  token: string;
  pingUrl: string;
}
export interface Gateway {
  id: number;
  name: string;
  mode: 'tunnelled' | 'direct';
  ipv4: string | null;
  ipv6: string | null;
  lastPingAt: Timestamp | null;
  email: string | null;
  emailVerified: boolean;
  description: string;
}
export interface GatewayList {
  gateways: Gateway[];
}
export interface CopyRecord {
  purpose: 'mx' | 'spf' | 'dkim' | 'dmarc' | 'ownership';
  name: string;
  type: string;
  content: string;
}
export interface MailDomain {
  id: number;
  name: string;
  status: 'active' | 'pending' | 'suspended';
  mailboxes: number;
  records: CopyRecord[];
  createdAt: Timestamp;
}
export interface MailDomainList {
  mailDomains: MailDomain[];
}
export interface Dnssec {
  zone: string;
  signed: boolean;
  dnskey: { flags: number; algorithm: number; publicKey: string; record: string }[];
  ds: { keyTag: number; algorithm: number; digestType: number; digest: string; record: string }[];
}
export interface AddressEvent {
  domain: string;
  ipv4: string | null;
  ipv6: string | null;
  at: Timestamp;
  lastUpdateSource: string | null;
}
export interface AdminAccount {
  id: number;
  email: string;
  class: AccountClass;
  isAdmin: boolean;
  disabled: boolean;
  emailVerified: boolean;
  totpEnabled: boolean;
  domains: number;
  createdAt: Timestamp;
}
export interface AdminAccountList {
  accounts: AdminAccount[];
  total: number;
}
export interface InviteCreated {
  link: string;
  token: string;
  expiresAt: Timestamp;
  mailed: boolean;
}
export interface AdminZone {
  id: number;
  name: string;
  kind: 'shared' | 'hosted';
  status: 'active' | 'pending' | 'suspended';
  owner: string | null;
  domains: number;
  serial: string;
}
export interface AdminZoneList {
  zones: AdminZone[];
}
export interface AdminLinks {
  queueDashboard: string;
}

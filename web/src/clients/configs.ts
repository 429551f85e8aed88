/**
 * Ready-to-paste settings for the clients people point at us (shared/CLIENTS.md, README "Pointing clients at
 * ddns"), for one name. Pure: the server's origin, the name and the secret in, text out. Every client
 * authenticates with HTTP Basic (any user name, the domain token or account update token as the password), or
 * Bearer where Basic is awkward. Without a secret the text carries a placeholder the person replaces.
 */
export interface ClientInput {
  /** where the dashboard runs, e.g. https://dyn.example.net or http://127.0.0.1:8080 */
  origin: string;
  /** the fully qualified name to keep current */
  name: string;
  /** the domain token (or update token); undefined: a placeholder */
  token?: string;
}

export interface ClientConfig {
  id: string;
  title: string;
  /** where the text goes */
  hint: string;
  text: string;
}

export const TOKEN_PLACEHOLDER = 'YOUR_DOMAIN_TOKEN';
const USER = 'ddns';

interface Server {
  https: boolean;
  /** host[:port] as the URL has it */
  host: string;
  origin: string;
}

function server(origin: string): Server {
  const u = new URL(origin);
  return { https: u.protocol === 'https:', host: u.host, origin: `${u.protocol}//${u.host}` };
}

/** Single quotes for shells and ddclient; a quote inside is closed, escaped and reopened. */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function ddclientConf(i: ClientInput): string {
  const s = server(i.origin);
  return [
    `# ddclient 3.10+ for ${i.name}. Run once: ddclient -daemon=0 -foreground -file ddclient.conf`,
    'protocol=dyndns2',
    `server=${s.host}`,
    'script=/nic/update',
    `ssl=${s.https ? 'yes' : 'no'}`,
    `login=${USER}`,
    `password=${sq(i.token ?? TOKEN_PLACEHOLDER)}`,
    `use=web, web=${s.origin}/tools/whatismyip/, web-skip='"ip": "'`,
    i.name,
    '',
  ].join('\n');
}

export function inadynConf(i: ClientInput): string {
  const s = server(i.origin);
  return [
    `# inadyn 2.10+ for ${i.name}. Run once: inadyn -1 -n -f inadyn.conf --cache-dir=/var/cache/inadyn`,
    'period = 600',
    '',
    'custom ddns {',
    `    ssl            = ${s.https}`,
    `    ddns-server    = ${s.host}`,
    '    ddns-path      = "/nic/update?hostname=%h&myip=%i"',
    `    username       = ${USER}`,
    `    password       = "${i.token ?? TOKEN_PLACEHOLDER}"`,
    `    hostname       = { "${i.name}" }`,
    '}',
    '',
  ].join('\n');
}

export function fritzboxUrl(i: ClientInput): string {
  const s = server(i.origin);
  return [
    `Update URL:   ${s.origin}/nic/update?hostname=<domain>&myip=<ipaddr>&myipv6=<ip6addr>`,
    `Domain name:  ${i.name}`,
    `User name:    ${USER}`,
    `Password:     ${i.token ?? TOKEN_PLACEHOLDER}`,
    '',
  ].join('\n');
}

export function openwrtConf(i: ClientInput): string {
  const s = server(i.origin);
  const section = i.name.replace(/[^a-zA-Z0-9_]/g, '_');
  return [
    `# /etc/config/ddns (ddns-scripts${s.https ? ' + a TLS-capable wget or curl' : ''}), then: /etc/init.d/ddns restart`,
    `config service '${section}'`,
    "\toption enabled '1'",
    `\toption lookup_host '${i.name}'`,
    `\toption domain '${i.name}'`,
    `\toption username '${USER}'`,
    `\toption password '${i.token ?? TOKEN_PLACEHOLDER}'`,
    `\toption update_url '${s.https ? 'https' : 'http'}://[USERNAME]:[PASSWORD]@${s.host}/nic/update?hostname=[DOMAIN]&myip=[IP]'`,
    `\toption use_https '${s.https ? 1 : 0}'`,
    ...(s.https ? ["\toption cacert '/etc/ssl/certs'"] : []),
    "\toption ip_source 'network'",
    "\toption ip_network 'wan'",
    "\toption interface 'wan'",
    '',
  ].join('\n');
}

export function curlLine(i: ClientInput): string {
  const s = server(i.origin);
  return `curl -fsS -u ${sq(`${USER}:${i.token ?? TOKEN_PLACEHOLDER}`)} ${sq(`${s.origin}/nic/update?hostname=${i.name}`)}\n`;
}

export function homeAssistantYaml(i: ClientInput): string {
  const s = server(i.origin);
  const id = i.name.replace(/[^a-z0-9]/gi, '_').toLowerCase();
  return [
    `# configuration.yaml: Home Assistant calls the updater every 5 minutes (the reply is JSON).`,
    'rest_command:',
    `  ddns_${id}:`,
    `    url: "${s.origin}/nic/update?hostname=${i.name}"`,
    '    method: get',
    '    headers:',
    `      authorization: "Bearer ${i.token ?? TOKEN_PLACEHOLDER}"`,
    '',
    'automation:',
    `  - alias: "ddns: keep ${i.name} current"`,
    '    triggers:',
    '      - trigger: time_pattern',
    '        minutes: "/5"',
    '    actions:',
    `      - action: rest_command.ddns_${id}`,
    '',
  ].join('\n');
}

export function clientConfigs(i: ClientInput): ClientConfig[] {
  return [
    {
      id: 'fritzbox',
      title: 'FRITZ!Box',
      hint: 'Internet → Permit Access → DynDNS → Update provider "User-defined"',
      text: fritzboxUrl(i),
    },
    { id: 'ddclient', title: 'ddclient', hint: '/etc/ddclient.conf', text: ddclientConf(i) },
    { id: 'inadyn', title: 'inadyn', hint: '/etc/inadyn.conf', text: inadynConf(i) },
    { id: 'openwrt', title: 'OpenWrt', hint: 'ddns-scripts: /etc/config/ddns', text: openwrtConf(i) },
    { id: 'curl', title: 'curl', hint: 'a shell, cron or a script', text: curlLine(i) },
    {
      id: 'home-assistant',
      title: 'Home Assistant',
      hint: 'configuration.yaml, then restart Home Assistant',
      text: homeAssistantYaml(i),
    },
  ];
}

import {
  clientConfigs,
  ddclientConf,
  homeAssistantYaml,
  inadynConf,
  TOKEN_PLACEHOLDER,
} from '../src/clients/configs';

/** The router settings the dashboard offers (the ddclient one is also run for real in the dashboard e2e test). */
const https = { origin: 'https://dyn.example.net', name: 'home.dyn.example.net', token: 'tok-123' };
const http = { origin: 'http://127.0.0.1:8080', name: 'home.dyn.test' };

test('ddclient: dyndns2 against our host, TLS as the origin has it, the name last', () => {
  expect(ddclientConf(https).split('\n').slice(1)).toEqual([
    'protocol=dyndns2',
    'server=dyn.example.net',
    'script=/nic/update',
    'ssl=yes',
    'login=ddns',
    "password='tok-123'",
    `use=web, web=https://dyn.example.net/tools/whatismyip/, web-skip='"ip": "'`,
    'home.dyn.example.net',
    '',
  ]);
  const plain = ddclientConf(http);
  expect(plain).toContain('server=127.0.0.1:8080\n');
  expect(plain).toContain('ssl=no\n');
  expect(plain).toContain(`password='${TOKEN_PLACEHOLDER}'`);
});

test('inadyn: a custom provider (the only kind that can point at us)', () => {
  const c = inadynConf(https);
  expect(c).toMatch(/custom ddns \{/);
  expect(c).toContain('ssl            = true');
  expect(c).toContain('ddns-path      = "/nic/update?hostname=%h&myip=%i"');
  expect(c).toContain('hostname       = { "home.dyn.example.net" }');
});

test('every client carries the name, the server and the secret', () => {
  const all = clientConfigs(https);
  expect(all.map((c) => c.id)).toEqual([
    'fritzbox',
    'ddclient',
    'inadyn',
    'openwrt',
    'curl',
    'home-assistant',
  ]);
  for (const c of all) {
    expect(c.text).toContain('dyn.example.net');
    expect(c.text).toContain('tok-123');
  }
  expect(all.find((c) => c.id === 'fritzbox')!.text).toContain(
    'https://dyn.example.net/nic/update?hostname=<domain>&myip=<ipaddr>&myipv6=<ip6addr>',
  );
  expect(all.find((c) => c.id === 'curl')!.text).toBe(
    "curl -fsS -u 'ddns:tok-123' 'https://dyn.example.net/nic/update?hostname=home.dyn.example.net'\n",
  );
  expect(homeAssistantYaml(https)).toContain('authorization: "Bearer tok-123"');
});

test('a quote in a secret cannot break out of the shell line', () => {
  const c = clientConfigs({ ...https, token: "a'b" }).find((x) => x.id === 'curl')!;
  expect(c.text).toContain(`'ddns:a'\\''b'`);
});

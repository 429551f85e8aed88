import type { IncomingHttpHeaders } from 'node:http';
import {
  formatIp,
  formatRequestFailure,
  formatResults,
  looksLikeSuccess,
  type HostCode,
  type RequestCode,
} from '../../src/surfaces/dyndns2/format';
import { replyMode } from '../../src/surfaces/dyndns2/dialect';
import {
  isPraefix,
  parseCredentials,
  parseHosts,
  parseUpdate,
  suffixes,
  targetName,
  type UpdateParse,
  type UpdateRequest,
} from '../../src/surfaces/dyndns2/parse';
import { planUpdate } from '../../src/surfaces/dyndns2/plan';
import { opArrays } from '../../src/surfaces/dyndns2/sql';
import { applyPrefix, formatPrefix, parsePrefix, prefixOf } from '../../src/surfaces/dyndns2/prefix';

const basic = (user: string, pass: string): IncomingHttpHeaders => ({
  authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
});

function ok(p: UpdateParse) {
  if (!p.ok) throw new Error(`parse failed: ${p.error}`);
  return p.request;
}

describe('credentials', () => {
  test.each(['key', 'token', 'user', 'username'])('token in query parameter %s', (name) => {
    const c = parseCredentials({}, { [name]: 'tok123' }, undefined);
    expect(c.tokens).toEqual(['tok123']);
    expect(c.login).toBeUndefined();
  });

  test('token in a form body', () => {
    expect(parseCredentials({}, {}, { key: 'formtok' }).tokens).toEqual(['formtok']);
  });

  test('Bearer', () => {
    expect(parseCredentials({ authorization: 'Bearer abc' }, {}, undefined).tokens).toEqual(['abc']);
  });

  test('seed 003 Example 2: Basic with the user `Bearer <token>` and an empty password', () => {
    const c = parseCredentials(basic('Bearer tok123', ''), {}, undefined);
    expect(c.tokens).toEqual(['tok123']);
    const noColon = { authorization: `Basic ${Buffer.from('bearer  tok123 ').toString('base64')}` };
    expect(parseCredentials(noColon, {}, undefined).tokens).toEqual(['tok123']);
  });

  test('Basic: either half, the password first', () => {
    expect(parseCredentials(basic('none', 'tok'), {}, undefined).tokens).toEqual(['tok', 'none']);
    expect(parseCredentials(basic('tok', ''), {}, undefined).tokens).toEqual(['tok']);
    const emptyUser = parseCredentials(basic('', 'tok'), {}, undefined);
    expect(emptyUser.tokens).toEqual(['tok']);
  });

  test('query parameters take precedence over headers', () => {
    expect(parseCredentials({ authorization: 'Bearer b' }, { key: 'q' }, undefined).tokens).toEqual([
      'q',
      'b',
    ]);
  });

  test('account e-mail + password in the query (seed 000)', () => {
    const c = parseCredentials({}, { username: 'Me@Example.com', password: 'secret123' }, undefined);
    expect(c.login).toEqual({ email: 'me@example.com', password: 'secret123' });
  });

  test('account e-mail + password in Basic', () => {
    const c = parseCredentials(basic('me@example.com', 'pw'), {}, undefined);
    expect(c.login).toEqual({ email: 'me@example.com', password: 'pw' });
    expect(c.tokens).toContain('pw');
  });

  test('nothing presented: no key', () => {
    expect(parseCredentials({}, {}, undefined)).toEqual({ tokens: [] });
  });
});

describe('hosts', () => {
  test.each(['domain', 'host', 'hostname'])('alias %s', (name) => {
    expect(parseHosts({ [name]: 'A.dyn.test.' }, undefined)).toEqual(['a.dyn.test']);
  });

  test('comma separated, repeated and in the body; empties dropped', () => {
    // aliases in the order domain, host, hostname; the query before the body
    expect(
      parseHosts({ hostname: 'a.x.test,,b.x.test', host: ['c.x.test'] }, { domain: 'd.x.test' }),
    ).toEqual(['c.x.test', 'a.x.test', 'b.x.test', 'd.x.test']);
  });

  test('more than 20 hosts or an overlong list is numhost', () => {
    const many = Array.from({ length: 21 }, (_, i) => `h${i}.x.test`).join(',');
    expect(parseHosts({ hostname: many }, undefined)).toBe('numhost');
    expect(parseHosts({ hostname: 'a'.repeat(6000) }, undefined)).toBe('numhost');
    expect(parseHosts({ hostname: many.split(',').slice(0, 20).join(',') }, undefined)).toHaveLength(20);
  });

  test('objects from the extended query parser are ignored', () => {
    expect(parseHosts({ hostname: { a: 'b' } }, undefined)).toEqual([]);
  });

  test('praefix and target names', () => {
    expect(isPraefix('www')).toBe(true);
    expect(isPraefix('a.b')).toBe(true);
    expect(isPraefix('*')).toBe(true);
    expect(isPraefix('a.*')).toBe(false);
    expect(isPraefix('-bad')).toBe(false);
    expect(isPraefix('_acme')).toBe(false);
    expect(targetName('h.dyn.test', 'www')).toBe('www.h.dyn.test');
    expect(targetName('h.dyn.test', undefined)).toBe('h.dyn.test');
    expect(suffixes('a.b.dyn.test')).toEqual(['a.b.dyn.test', 'b.dyn.test', 'dyn.test']);
  });
});

describe('addresses', () => {
  const SRC4 = '198.51.100.9';
  const SRC6 = '2001:db8:ffff::9';

  test.each(['ip', 'ipv4', 'ip4', 'myip'])('IPv4 alias %s', (name) => {
    const r = ok(parseUpdate({ hostname: 'h.x.test', [name]: '192.0.2.1' }, undefined, SRC4));
    expect(r.ipv4).toBe('192.0.2.1');
    expect(r.ipv6).toBeUndefined();
  });

  test.each(['ip6', 'ipv6', 'myip6', 'myipv6'])('IPv6 alias %s', (name) => {
    const r = ok(parseUpdate({ hostname: 'h.x.test', [name]: '2001:db8::1' }, undefined, SRC4));
    expect(r.ipv6).toBe('2001:db8::1');
    expect(r.ipv4).toBeUndefined();
  });

  test('myip carries IPv6, or v4,v6', () => {
    expect(ok(parseUpdate({ myip: '2001:db8::2' }, undefined, SRC4))).toMatchObject({ ipv6: '2001:db8::2' });
    const both = ok(parseUpdate({ myip: '192.0.2.3,2001:db8::3' }, undefined, SRC4));
    expect(both).toMatchObject({ ipv4: '192.0.2.3', ipv6: '2001:db8::3' });
  });

  test('v4 and v6 in separate parameters', () => {
    const r = ok(parseUpdate({ ip: '10.20.30.40', ip6: '2a01::a441:cf:0:1' }, undefined, SRC4));
    expect(r).toMatchObject({ ipv4: '10.20.30.40', ipv6: '2a01::a441:cf:0:1' });
  });

  test('missing or empty address: the source address, its family only', () => {
    expect(ok(parseUpdate({}, undefined, SRC4))).toMatchObject({ ipv4: SRC4 });
    expect(ok(parseUpdate({}, undefined, SRC4)).ipv6).toBeUndefined();
    expect(ok(parseUpdate({ myip: '' }, undefined, SRC4))).toMatchObject({ ipv4: SRC4 });
    expect(ok(parseUpdate({}, undefined, SRC6))).toMatchObject({ ipv6: SRC6 });
    expect(ok(parseUpdate({}, undefined, SRC6)).ipv4).toBeUndefined();
    expect(ok(parseUpdate({}, undefined, `::ffff:${SRC4}`))).toMatchObject({ ipv4: SRC4 });
  });

  test('an explicit v4 does not pull in the source v6 unless the v6 parameter is there but empty', () => {
    expect(ok(parseUpdate({ myip: '192.0.2.1' }, undefined, SRC6)).ipv6).toBeUndefined();
    const r = ok(parseUpdate({ myip: '192.0.2.1', myipv6: '' }, undefined, SRC6));
    expect(r).toMatchObject({ ipv4: '192.0.2.1', ipv6: SRC6 });
  });

  test('invalid addresses are badip', () => {
    for (const bad of [
      '1.2.3',
      '256.1.1.1',
      'example.com',
      '2001:db8::g',
      'fe80::1%eth0',
      '1.2.3.4,nope',
      '1.2.3.4/24',
    ])
      expect(parseUpdate({ myip: bad }, undefined, SRC4)).toEqual({ ok: false, error: 'badip' });
  });

  test('invalid praefix is notfqdn', () => {
    expect(parseUpdate({ praefix: 'a b' }, undefined, SRC4)).toEqual({ ok: false, error: 'notfqdn' });
  });

  test('healthcheck token is carried', () => {
    expect(ok(parseUpdate({ healthcheck: 'hc1' }, undefined, SRC4)).healthcheck).toBe('hc1');
  });
});

describe('IPv6 prefix', () => {
  test('parse, canonicalise, clear host bits', () => {
    expect(parsePrefix('2001:0db8:0001:0002:0000::/64')).toEqual({ network: '2001:db8:1:2::', length: 64 });
    expect(parsePrefix('2001:db8:1:2:3:4:5:6/64')).toEqual({ network: '2001:db8:1:2::', length: 64 });
    expect(parsePrefix('2001:db8:1:2ff::/56')).toEqual({ network: '2001:db8:1:200::', length: 56 });
    expect(parsePrefix('2001:db8:1:2::')).toEqual({ network: '2001:db8:1:2::', length: 64 });
    for (const bad of ['2001:db8::/0', '2001:db8::/129', '2001:db8::/x', '1.2.3.0/24', 'nope/64'])
      expect(parsePrefix(bad)).toBeNull();
    expect(formatPrefix(parsePrefix('2001:db8:1:2::/64')!)).toBe('2001:db8:1:2::/64');
  });

  test('prefix + interface identifier', () => {
    const p = parsePrefix('2001:db8:1:2::/64')!;
    expect(applyPrefix(p, '::1:2:3:4')).toBe('2001:db8:1:2:1:2:3:4');
    expect(applyPrefix(p, '::1')).toBe('2001:db8:1:2::1');
    // the host part's own upper bits are replaced
    expect(applyPrefix(p, 'fe80::abcd:1')).toBe('2001:db8:1:2::abcd:1');
    // a /56 keeps the host part's low 8 bits of the fourth group
    expect(applyPrefix(parsePrefix('2001:db8:1:200::/56')!, '::34:0:0:0:1')).toBe('2001:db8:1:234::1');
    expect(applyPrefix(p, 'nope')).toBeNull();
  });

  test('auto: the /64 of the request IPv6', () => {
    expect(prefixOf('2001:db8:aa:bb:1:2:3:4')).toEqual({ network: '2001:db8:aa:bb::', length: 64 });
    const r = ok(parseUpdate({ myipv6: '2001:db8:aa:bb::7', ipv6prefix: 'auto' }, undefined, '192.0.2.1'));
    expect(r.prefix).toEqual({ network: '2001:db8:aa:bb::', length: 64 });
    const src = ok(parseUpdate({ ip6lanprefix: 'auto' }, undefined, '2001:db8:cc:dd::5'));
    expect(src.prefix).toEqual({ network: '2001:db8:cc:dd::', length: 64 });
    // auto without any IPv6 to take it from
    expect(parseUpdate({ ipv6prefix: 'auto' }, undefined, '192.0.2.1')).toEqual({
      ok: false,
      error: 'badip',
    });
  });

  test('prefix aliases, a /len in myip, onlyprefix', () => {
    expect(
      ok(parseUpdate({ ip6lanprefix: '2001:db8:1:2::/64' }, undefined, '192.0.2.1')).prefix,
    ).toBeDefined();
    const viaMyip = ok(parseUpdate({ myipv6: '2001:db8:9:9::/64' }, undefined, '192.0.2.1'));
    expect(viaMyip.prefix).toEqual({ network: '2001:db8:9:9::', length: 64 });
    const only = ok(
      parseUpdate(
        { ipv6prefix: '2001:db8:1:2::/64', onlyprefix: '', myip: '192.0.2.1' },
        undefined,
        '192.0.2.1',
      ),
    );
    expect(only.onlyPrefix).toBe(true);
    expect(only.ipv4).toBeUndefined();
    expect(parseUpdate({ onlyprefix: '1' }, undefined, '192.0.2.1')).toEqual({ ok: false, error: 'badip' });
    expect(parseUpdate({ ipv6prefix: 'garbage' }, undefined, '192.0.2.1')).toEqual({
      ok: false,
      error: 'badip',
    });
  });
});

describe('output modes and replies', () => {
  const mode = (path: string, query: Record<string, string>, authorization?: string, body?: object) =>
    replyMode({ path, authorization, query, body: body as Record<string, string> | undefined });
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  test('default by path, output= overrides', () => {
    expect(mode('/nic/update', {})).toBe('text');
    expect(mode('/nic/update/', {})).toBe('text');
    expect(mode('/update', {})).toBe('full');
    expect(mode('/update.php', {})).toBe('full');
    expect(mode('/nic/update', { output: 'FULL' })).toBe('full');
    expect(mode('/update', { output: 'min' })).toBe('min');
    expect(mode('/update', {}, undefined, { output: 'none' })).toBe('none');
    expect(mode('/update', { output: 'weird' })).toBe('full');
    expect(mode('/nic/update', { key: 't', output: 'min' })).toBe('min');
  });

  // the request shapes of real clients (README, "Which reply"): classic DynDNS2 keeps text, IPv64 gets JSON
  test.each<[string, string, Record<string, string>, string | undefined]>([
    [
      'ddclient',
      'text',
      { system: 'dyndns', hostname: 'a.dyn.test', myip: '192.0.2.1' },
      `Basic ${b64('none:t')}`,
    ],
    ['inadyn', 'text', { hostname: 'a.dyn.test', myip: '192.0.2.1' }, `Basic ${b64(':t')}`],
    [
      'FRITZ!Box',
      'text',
      { hostname: 'a.dyn.test', myip: '192.0.2.1', myipv6: '2001:db8::1' },
      `Basic ${b64('none:t')}`,
    ],
    [
      'seed 000 one-liner',
      'text',
      { username: 'me@example.com', password: 'pw', ip: '192.0.2.1', hostname: 'a.dyn.test' },
      undefined,
    ],
    ['howismyip', 'text', { howismyip: '' }, undefined],
    ['Home Assistant', 'full', { domain: 'a.dyn.test' }, 'Bearer t'],
    ['ddns-updater', 'full', { domain: 'a.dyn.test', ip: '192.0.2.1', key: 't' }, undefined],
    ['seed 003 Example 1', 'full', { host: 'a.dyn.test' }, `Basic ${b64('anything:t')}`],
    ['seed 003 Example 2', 'full', { host: 'a.dyn.test' }, `Basic ${b64('Bearer t:')}`],
    ['seed 003 Example 3', 'full', { key: 't', host: 'a.dyn.test' }, undefined],
    ['seed 003 curl', 'full', { domain: 'a.dyn.test' }, `Basic ${b64('none:t')}`],
    ['token parameter', 'full', { token: 't', hostname: 'a.dyn.test' }, undefined],
    ['token in user', 'full', { user: 't', hostname: 'a.dyn.test' }, undefined],
    ['Bearer, classic names', 'full', { hostname: 'a.dyn.test', myip: '192.0.2.1' }, 'Bearer t'],
  ])('%s on /nic/update: %s', (_client, expected, query, authorization) => {
    expect(mode('/nic/update', query, authorization)).toBe(expected);
  });

  test('text: one line per host in order', () => {
    const r = formatResults('text', [
      { host: 'a', code: 'good', ips: ['192.0.2.1'] },
      { host: 'b', code: 'nochg', ips: ['192.0.2.1', '2001:db8::1'] },
      { host: 'c', code: 'nohost', ips: [] },
    ]);
    expect(r.status).toBe(200);
    expect(r.body).toBe('good 192.0.2.1\nnochg 192.0.2.1,2001:db8::1\nnohost\n');
  });

  test('full JSON: status, IPs per host, info', () => {
    const r = formatResults('full', [
      { host: 'a.x', code: 'good', ips: ['192.0.2.1'] },
      { host: 'b.x', code: 'nochg', ips: ['192.0.2.1'] },
    ]);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({
      status: 'success',
      info: 'good',
      ip: ['192.0.2.1'],
      hosts: [
        { host: 'a.x', status: 'good', ip: ['192.0.2.1'] },
        { host: 'b.x', status: 'nochg', ip: ['192.0.2.1'] },
      ],
    });
  });

  test('min and none', () => {
    const res = [
      { host: 'a', code: 'nochg' as const, ips: ['192.0.2.1'] },
      { host: 'b', code: 'nohost' as const, ips: [] },
    ];
    expect(formatResults('min', res).body).toBe('nochg\nfail\n');
    expect(formatResults('none', res)).toMatchObject({ status: 200, body: '' });
  });

  test('all hosts failed: an HTTP error status outside text mode', () => {
    const one = (code: HostCode) => formatResults('full', [{ host: 'book.x', code, ips: [] }]);
    expect(one('nohost').status).toBe(400);
    expect(one('notfqdn').status).toBe(400);
    expect(one('abuse').status).toBe(429);
    expect(one('dnserr').status).toBe(500);
    expect(one('911').status).toBe(503);
    expect(JSON.parse(one('nohost').body)).toEqual({ status: '400 Bad Request', info: 'nohost' });
    expect(formatResults('text', [{ host: 'x', code: 'nohost', ips: [] }]).status).toBe(200);
  });

  test('request failures: statuses and headers', () => {
    const auth = formatRequestFailure('text', 'badauth');
    expect(auth).toMatchObject({ status: 401, body: 'badauth\n' });
    expect(auth.headers['www-authenticate']).toMatch(/^Basic/);
    const limited = formatRequestFailure('full', 'abuse', { retryAfter: 7.2 });
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('8');
    expect(formatRequestFailure('text', 'numhost').status).toBe(200);
    expect(formatRequestFailure('full', 'numhost').status).toBe(400);
    expect(formatRequestFailure('text', 'badip').status).toBe(400);
    expect(formatRequestFailure('text', '911', { lines: 2 }).body).toBe('911\n911\n');
    expect(formatRequestFailure('full', '911').status).toBe(503);
    const m = formatRequestFailure('min', 'badrequest', { status: 405 });
    expect(m.status).toBe(405);
    expect(m.headers.allow).toBe('GET, POST');
  });

  test('no error body in any mode contains ok/good/true/updated/nochg', () => {
    const codes: (RequestCode | HostCode)[] = [
      'badauth',
      'numhost',
      'notfqdn',
      'badip',
      'abuse',
      '911',
      'badrequest',
      'nohost',
      'dnserr',
    ];
    for (const mode of ['text', 'full', 'min', 'none'] as const) {
      for (const code of codes) {
        for (const status of [undefined, 400, 401, 405, 413, 414, 429, 500, 503]) {
          const r = formatRequestFailure(mode, code, status ? { status, retryAfter: 5 } : {});
          expect(looksLikeSuccess(r.body)).toBe(false);
        }
      }
      for (const code of ['nohost', 'notfqdn', 'abuse', 'dnserr', '911'] as const) {
        const r = formatResults(mode, [{ host: 'my-book-is-good.true.test', code, ips: [] }]);
        expect(looksLikeSuccess(r.body)).toBe(false);
      }
    }
    expect(looksLikeSuccess('good 1.2.3.4')).toBe(true);
  });

  test('whatismyip', () => {
    expect(JSON.parse(formatIp('json', '192.0.2.1').body)).toEqual({ ip: '192.0.2.1' });
    expect(formatIp('text', '192.0.2.1').body).toBe('192.0.2.1\n');
  });
});

describe('update plan and write batch', () => {
  const dom = { id: 7, name: 'h.dyn.test', zone_id: 3, ipv6_prefix: null };
  const rec = (id: number, name: string, type: string, content: string, hostPart: string | null = null) => ({
    id,
    zone_id: 3,
    domain_id: 7,
    name,
    type,
    content,
    ipv6_host_part: hostPart,
  });
  const req = (over: Partial<UpdateRequest>): UpdateRequest => ({
    hosts: ['h.dyn.test'],
    onlyPrefix: false,
    ...over,
  });

  test('nochg writes nothing; a change is one address op; unknown and invalid hosts', () => {
    const same = planUpdate(req({ ipv4: '192.0.2.1' }), [dom], [rec(1, 'h.dyn.test', 'A', '192.0.2.1')]);
    expect(same.results).toEqual([{ host: 'h.dyn.test', code: 'nochg', ips: ['192.0.2.1'] }]);
    expect(same.ops).toEqual([]);
    expect(same.lockDomainIds).toEqual([]);
    const changed = planUpdate(
      req({ hosts: ['h.dyn.test', 'x.other.test', 'bad_host'], ipv4: '192.0.2.2' }),
      [dom],
      [rec(1, 'h.dyn.test', 'A', '192.0.2.1')],
    );
    expect(changed.results.map((r) => r.code)).toEqual(['good', 'nohost', 'notfqdn']);
    expect(changed.ops).toEqual([
      {
        kind: 'address',
        zoneId: 3,
        domainId: 7,
        name: 'h.dyn.test',
        type: 'A',
        ip: '192.0.2.2',
        existing: [1],
      },
    ]);
    expect(changed.lockDomainIds).toEqual([7]);
    expect(changed.firstDomainId).toBe(7);
  });

  test('a sub-name of a domain, praefix, CNAME', () => {
    const sub = planUpdate(req({ hosts: ['www.h.dyn.test'], ipv6: '2001:DB8::1' }), [dom], []);
    expect(sub.results[0]).toEqual({ host: 'www.h.dyn.test', code: 'good', ips: ['2001:db8::1'] });
    expect(sub.ops[0]).toMatchObject({
      name: 'www.h.dyn.test',
      type: 'AAAA',
      ip: '2001:db8::1',
      existing: [],
    });
    const cname = planUpdate(
      req({ praefix: 'www', ipv4: '192.0.2.1' }),
      [dom],
      [rec(5, 'www.h.dyn.test', 'CNAME', 'x.test')],
    );
    expect(cname.results[0]!.code).toBe('dnserr');
    expect(cname.ops).toEqual([]);
  });

  test('prefix: the domain prefix and every record with a host part', () => {
    const p = planUpdate(
      req({ prefix: parsePrefix('2001:db8:5:6::/64')!, onlyPrefix: true }),
      [dom],
      [rec(1, 'nas.h.dyn.test', 'AAAA', '2001:db8::10', '::10'), rec(2, 'h.dyn.test', 'AAAA', '2001:db8::1')],
    );
    expect(p.results[0]).toEqual({ host: 'h.dyn.test', code: 'good', ips: ['2001:db8:5:6::/64'] });
    expect(p.ops).toEqual([
      { kind: 'domainPrefix', domainId: 7, prefix: '2001:db8:5:6::/64' },
      { kind: 'prefixRecord', recordId: 1, hostPart: '::10', content: '2001:db8:5:6::10' },
    ]);
  });

  test('the writes go to the database as parallel arrays, one element per operation', () => {
    const ops = planUpdate(
      req({ ipv4: '192.0.2.9' }),
      [dom],
      [rec(1, 'h.dyn.test', 'A', '1.1.1.1'), rec(2, 'h.dyn.test', 'A', '2.2.2.2')],
    ).ops;
    const a = opArrays([
      ...ops,
      { kind: 'prefixRecord', recordId: 5, hostPart: '::10', content: '2001:db8:5:6::10' },
      { kind: 'domainPrefix', domainId: 7, prefix: '2001:db8:5:6::/64' },
    ]);
    expect(a).toEqual({
      kind: ['address', 'prefixRecord', 'domainPrefix'],
      zone: [3, null, null],
      domain: [7, null, 7],
      name: ['h.dyn.test', null, null],
      type: ['A', null, null],
      content: ['192.0.2.9', '2001:db8:5:6::10', '2001:db8:5:6::/64'],
      record: [null, 5, null],
      hostPart: [null, '::10', null],
    });
  });
});

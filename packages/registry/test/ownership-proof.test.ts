import { startNsd, type NsdServer } from '@ddns/testkit';
import { dnsAsker } from '../src/ownership-dns-client';
import { proveControl } from '../src/ownership-proof';

/** proveControl against a real parent zone served by NSD (the walk starts there instead of the root). */
const PARENT = `$ORIGIN parent.test.
$TTL 300
@ IN SOA ns.parent.test. hostmaster.parent.test. 1 3600 600 86400 60
@ IN NS ns.parent.test.
ns IN A 127.0.0.1
good IN NS ns1.dyn.test.
good IN NS ns.other-provider.example.
lame IN NS ns.elsewhere.example.
www.plain IN A 192.0.2.1
_ddns-challenge.txt IN TXT "token-for-txt"
_ddns-challenge.wrong IN TXT "some other value"
`;

let nsd: NsdServer;
const opts = () => ({
  start: [{ host: '127.0.0.1', port: nsd.port }],
  ask: dnsAsker(1500),
  followPort: nsd.port,
});
const prove = (domain: string, token = 'token-for-txt') =>
  proveControl({ domain, token, ourNameServers: ['ns1.dyn.test', 'ns2.dyn.test'] }, opts());

beforeAll(async () => {
  nsd = await startNsd({ 'parent.test': PARENT });
}, 30_000);
afterAll(async () => {
  await nsd?.stop();
});

describe('proof of control, asked of a real parent (NSD)', () => {
  it('a child the parent delegates to one of our name servers is proven by the delegation', async () => {
    const r = await prove('good.parent.test');
    expect(r).toMatchObject({ proven: true, via: 'delegation' });
    expect(r.detail).toContain('ns1.dyn.test');
  }, 30_000);

  it('a child that is not delegated and has no TXT is not proven', async () => {
    const r = await prove('none.parent.test');
    expect(r.proven).toBe(false);
    expect(r.detail).toMatch(/does not exist/);
    const inside = await prove('plain.parent.test');
    expect(inside.proven).toBe(false);
    expect(inside.detail).toMatch(/not delegated to our name servers.*no TXT/);
  }, 30_000);

  it('the TXT at _ddns-challenge proves control only with the right token', async () => {
    expect(await prove('txt.parent.test')).toMatchObject({ proven: true, via: 'txt' });
    expect((await prove('txt.parent.test', 'an attacker token')).proven).toBe(false);
    expect((await prove('wrong.parent.test')).proven).toBe(false);
  }, 30_000);

  it('a delegation to someone else proves nothing (its servers cannot even be found here)', async () => {
    const r = await prove('lame.parent.test');
    expect(r.proven).toBe(false);
    expect(r.detail).toContain('ns.elsewhere.example');
  }, 30_000);

  it('an unreachable parent is reported, not taken as proof', async () => {
    const r = await proveControl(
      { domain: 'good.parent.test', token: 'x', ourNameServers: ['ns1.dyn.test'] },
      { start: [{ host: '127.0.0.1', port: 9 }], ask: dnsAsker(300) },
    );
    expect(r.proven).toBe(false);
    expect(r.detail).toMatch(/could not be asked/);
  }, 30_000);
});

import { clientErrorStatus } from '../../src/http/client-error';
import { ConnectionCounter, networkOf, plainAddress } from '../../src/http/connection-caps';
import { unsafeText } from '../../src/http/text';

test('networkOf: IPv4 /24, IPv6 /56', () => {
  expect(networkOf('192.0.2.77')).toBe('192.0.2.0/24');
  expect(networkOf('2001:db8:1:2ff:5::1')).toBe('2001:db8:1:200::/56');
  expect(networkOf('2001:db8:1:2ab::')).toBe('2001:db8:1:200::/56');
  expect(networkOf('::1')).toBe('0:0:0:0::/56');
  expect(plainAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
});

test('ConnectionCounter: per address and per network, released on close', () => {
  const c = new ConnectionCounter({ perAddress: 2, perNetwork: 3 });
  expect(c.admit('192.0.2.1')).toBe(true);
  expect(c.admit('192.0.2.1')).toBe(true);
  expect(c.admit('192.0.2.1')).toBe(false); // address full
  expect(c.admit('192.0.2.2')).toBe(true);
  expect(c.admit('192.0.2.3')).toBe(false); // network full
  expect(c.admit('198.51.100.1')).toBe(true); // another network
  c.release('192.0.2.1');
  expect(c.count('192.0.2.1')).toBe(1);
  expect(c.admit('192.0.2.3')).toBe(true);
  const off = new ConnectionCounter({ perAddress: 0, perNetwork: 0 });
  for (let i = 0; i < 100; i++) expect(off.admit('192.0.2.1')).toBe(true);
});

test('unsafeText: NUL and lone surrogates anywhere, keys included; ordinary text passes', () => {
  expect(unsafeText({ a: 'ok', b: ['fine', 'é ü 😀'] })).toBeUndefined();
  expect(unsafeText({ a: 'x\u0000y' })).toMatch(/NUL/);
  expect(unsafeText({ 'k\u0000': 'v' })).toMatch(/NUL/);
  expect(unsafeText({ a: [{ b: '\ud800' }] })).toMatch(/UTF-8/);
  expect(unsafeText('\udc00x')).toMatch(/UTF-8/);
  expect(unsafeText(['\ufffd'])).toBeUndefined();
});

test('clientErrorStatus', () => {
  expect(clientErrorStatus('HPE_HEADER_OVERFLOW')).toBe(431);
  expect(clientErrorStatus('ERR_HTTP_REQUEST_TIMEOUT')).toBe(408);
  expect(clientErrorStatus('HPE_CHUNK_EXTENSIONS_OVERFLOW')).toBe(413);
  expect(clientErrorStatus('HPE_INVALID_METHOD')).toBe(400);
});

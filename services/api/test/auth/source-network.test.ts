import { sourceNetwork } from '../../src/limits';

test.each([
  ['192.0.2.77', '192.0.2.0/24'],
  ['::ffff:192.0.2.77', '192.0.2.0/24'],
  ['2001:db8:0:ab12::1', '2001:db8:0:ab00::/56'],
  ['2001:db8:0:abff:ffff:ffff:ffff:ffff', '2001:db8:0:ab00::/56'],
  ['2001:db8::1', '2001:db8:0:0::/56'],
  ['', 'other:'],
])('%s is in %s', (ip, net) => {
  expect(sourceNetwork(ip)).toBe(net);
});

test('a different /56 is a different network; a different /64 inside it is not', () => {
  expect(sourceNetwork('2001:db8:0:ab01::1')).toBe(sourceNetwork('2001:db8:0:abfe::1'));
  expect(sourceNetwork('2001:db8:0:ac00::1')).not.toBe(sourceNetwork('2001:db8:0:ab00::1'));
});

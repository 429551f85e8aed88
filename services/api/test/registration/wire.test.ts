import {
  param,
  parseChallenge,
  parseDescription,
  parseEmail,
  parseFlag,
  parseGatewayName,
  parseMode,
  parseOptionalToken,
  parseToken,
  verifyPage,
} from '../../src/surfaces/registration/wire';

test('param takes the first string value', () => {
  expect(param({ a: 'x' }, 'a')).toBe('x');
  expect(param({ a: ['x', 'y'] }, 'a')).toBe('x');
  expect(param({ a: { b: 'c' } }, 'a')).toBeUndefined();
  expect(param(undefined, 'a')).toBeUndefined();
});

test('gateway names', () => {
  expect(parseGatewayName('  My-Gw1 ')).toEqual({ ok: true, value: 'my-gw1' });
  for (const bad of [
    undefined,
    '',
    ' ',
    'a.b',
    '-a',
    'a-',
    'a b',
    'ä',
    'x'.repeat(64),
    'ns',
    'ns0',
    'api',
    'www',
    '_psl',
  ])
    expect(parseGatewayName(bad).ok).toBe(false);
  expect(parseGatewayName('nsx').ok).toBe(true);
});

test('modes', () => {
  expect(parseMode(undefined)).toEqual({ ok: true, value: 0 });
  expect(parseMode('Tunneled')).toEqual({ ok: true, value: 0 });
  expect(parseMode('DynamicDNS')).toEqual({ ok: true, value: 1 });
  expect(parseMode('1')).toEqual({ ok: true, value: 1 });
  expect(parseMode('01').ok).toBe(false);
});

test('e-mail addresses keep the local part and lowercase the domain', () => {
  expect(parseEmail(' Me.Too+x@Example.ORG ')).toEqual({ ok: true, value: 'Me.Too+x@example.org' });
  for (const bad of ['', 'a', 'a@', '@b.c', 'a@b', 'a b@c.d', 'a@b..c', '<a@b.c>'])
    expect(parseEmail(bad).ok).toBe(false);
});

test('flags, challenges, tokens, descriptions', () => {
  expect(parseFlag('1')).toEqual({ ok: true, value: true });
  expect(parseFlag(undefined)).toEqual({ ok: true, value: false });
  expect(parseFlag('2').ok).toBe(false);
  expect(parseChallenge('LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0').ok).toBe(true);
  expect(parseChallenge('a b').ok).toBe(false);
  expect(parseToken('').ok).toBe(false);
  expect(parseToken('t'.repeat(201)).ok).toBe(false);
  expect(parseOptionalToken('  ')).toEqual({ ok: true, value: undefined });
  expect(parseDescription(undefined, 'demo')).toEqual({ ok: true, value: "demo's server" });
});

test('the verification page escapes and picks its status', () => {
  const ok = verifyPage({ kind: 'verified', domain: 'd.dyn.test', email: '<x>@e.com' });
  expect(ok.status).toBe(200);
  expect(ok.html).toContain('&lt;x&gt;@e.com');
  expect(verifyPage({ kind: 'missing' }).status).toBe(400);
  expect(verifyPage({ kind: 'invalid' }).status).toBe(404);
  expect(verifyPage({ kind: 'error' }).status).toBe(501);
});

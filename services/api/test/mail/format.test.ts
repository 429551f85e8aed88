import {
  daysLeft,
  dkimRecordName,
  mailDomainRecords,
  param,
  parseDomainName,
  parseId,
  parseMailAddress,
  passwordProblem,
  splitTxt,
  txtZoneLine,
} from '../../src/surfaces/mail/format';

/** The mail surface's pure parsing and formatting. */

test('splitTxt cuts at 255 bytes and keeps the value whole', () => {
  const v = 'a'.repeat(255 * 2 + 10);
  const parts = splitTxt(v);
  expect(parts.map((p) => p.length)).toEqual([255, 255, 10]);
  expect(parts.join('')).toBe(v);
  expect(splitTxt('a'.repeat(255))).toHaveLength(1);
});

test('txtZoneLine quotes every string of one record', () => {
  expect(txtZoneLine('x.example', 'say "hi"', 60)).toBe('x.example. 60 IN TXT ( "say \\"hi\\"" )');
});

test('parseMailAddress: full addresses, bare local parts, and refusals', () => {
  expect(parseMailAddress(' Alice@Example.COM ')).toEqual({
    localPart: 'alice',
    domain: 'example.com',
    email: 'alice@example.com',
  });
  expect(parseMailAddress('bob', 'example.com')?.email).toBe('bob@example.com');
  expect(parseMailAddress('bob')).toBeNull();
  expect(parseMailAddress('a..b@example.com')).toBeNull();
  expect(parseMailAddress('.a@example.com')).toBeNull();
  expect(parseMailAddress(`${'x'.repeat(65)}@example.com`)).toBeNull();
  expect(parseMailAddress('a@nodot')).toBeNull();
  expect(parseMailAddress(undefined)).toBeNull();
});

test('parseDomainName, parseId, passwordProblem', () => {
  expect(parseDomainName('Example.COM.')).toBe('example.com');
  expect(parseDomainName('exa mple.com')).toBeNull();
  expect(parseId('12')).toBe(12);
  expect(parseId('0')).toBeNull();
  expect(parseId('1e3')).toBeNull();
  expect(passwordProblem('')).toBe('password is required');
  expect(passwordProblem('1234567')).toMatch(/at least 8/);
  expect(passwordProblem('12345678')).toBeNull();
});

test('param reads the body first, then the query; arrays give their first value', () => {
  expect(param({ a: 'body' }, { a: 'query' }, 'a')).toBe('body');
  expect(param({}, { a: 'query' }, 'a')).toBe('query');
  expect(param({ b: ['x', 'y'] }, {}, 'a', 'b')).toBe('x');
  expect(param({ a: '  ' }, {}, 'a')).toBeUndefined();
  expect(param(undefined, undefined, 'a')).toBeUndefined();
});

test('records of a new mail domain; DKIM owner name; days left', () => {
  expect(mailDomainRecords('example.com', 'MX.Host.Example.')).toEqual([
    { name: 'example.com', type: 'MX', content: '10 mx.host.example' },
    { name: 'example.com', type: 'TXT', content: 'v=spf1 mx ~all' },
    { name: '_dmarc.example.com', type: 'TXT', content: 'v=DMARC1; p=quarantine; adkim=r; aspf=r' },
  ]);
  expect(dkimRecordName('example.com')).toBe('mail._domainkey.example.com');
  const now = new Date('2026-01-01T00:00:00Z');
  expect(daysLeft(new Date('2026-01-31T12:00:00Z'), now)).toBe(30);
  expect(daysLeft(new Date('2025-12-31T00:00:00Z'), now)).toBe(-1);
});

import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One message the capture server accepted, with its text/plain and text/html parts decoded. */
export interface CapturedMail {
  to: string[];
  headers: Record<string, string>;
  subject: string;
  messageId: string;
  text: string;
  html: string;
  raw: string;
}

export type SmtpBehaviour = 'accept' | 'stall' | 'reject-temporary' | 'reject-permanent';

export interface SmtpCapture {
  url: string;
  port: number;
  mails: CapturedMail[];
  /** how DATA is answered: accept (250), stall (never answer), reject-temporary (451), reject-permanent (550) */
  behaviour: SmtpBehaviour;
  /** behaviours for the next DATA commands, used up first (then `behaviour`) */
  script: SmtpBehaviour[];
  /** how many DATA commands arrived (accepted or not) */
  dataStarted: number;
  /** how many messages were received in full but never answered */
  stalledCount: number;
  waitFor(pred: (m: CapturedMail) => boolean, timeoutMs?: number): Promise<CapturedMail>;
  waitUntil(cond: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

function parseHeaders(block: string): Record<string, string> {
  const out: Record<string, string> = {};
  const unfolded = block.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

function decodeBody(body: string, encoding: string | undefined): string {
  const enc = (encoding ?? '7bit').toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

/** A minimal MIME walk: collects decoded leaf parts by content type. */
function collectParts(raw: string, into: Record<string, string>): Record<string, string> {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const h = parseHeaders(head);
  const type = (h['content-type'] ?? 'text/plain').toLowerCase();
  if (type.startsWith('multipart/')) {
    const m = /boundary="?([^";]+)"?/i.exec(h['content-type'] ?? '');
    if (!m) return into;
    const parts = body.split(`--${m[1]}`).slice(1);
    for (const p of parts) {
      if (p.startsWith('--')) break;
      collectParts(p.replace(/^\r?\n/, ''), into);
    }
    return into;
  }
  const key = type.split(';')[0]!.trim();
  into[key] ??= decodeBody(body, h['content-transfer-encoding']);
  return into;
}

export function parseMail(raw: string, to: string[]): CapturedMail {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = parseHeaders(split < 0 ? raw : raw.slice(0, split));
  const parts = collectParts(raw, {});
  return {
    to,
    headers,
    subject: headers.subject ?? '',
    messageId: headers['message-id'] ?? '',
    text: parts['text/plain'] ?? '',
    html: parts['text/html'] ?? '',
    raw,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An in-process SMTP server on a random port that records what it accepts. */
export async function startSmtpCapture(): Promise<SmtpCapture> {
  const stalled: Array<() => void> = [];
  const cap = {} as SmtpCapture;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 1000,
    onData(stream, session, callback) {
      cap.dataStarted++;
      const behaviour = cap.script.shift() ?? cap.behaviour;
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (behaviour === 'stall') {
          // never answer: the client waits until it (or its process) dies
          cap.stalledCount++;
          stalled.push(() => {
            try {
              callback(new Error('closing'));
            } catch {
              // the client is gone
            }
          });
          return;
        }
        if (behaviour === 'reject-temporary' || behaviour === 'reject-permanent') {
          const err = new Error(
            behaviour === 'reject-temporary' ? 'try again later' : 'no such user',
          ) as Error & {
            responseCode: number;
          };
          err.responseCode = behaviour === 'reject-temporary' ? 451 : 550;
          callback(err);
          return;
        }
        const to = session.envelope.rcptTo.map((r) => r.address);
        cap.mails.push(parseMail(Buffer.concat(chunks).toString('utf8'), to));
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = ((server as unknown as { server: { address(): AddressInfo } }).server.address() as AddressInfo)
    .port;
  Object.assign(cap, {
    url: `smtp://127.0.0.1:${port}`,
    port,
    mails: [] as CapturedMail[],
    behaviour: 'accept' as SmtpBehaviour,
    script: [] as SmtpBehaviour[],
    dataStarted: 0,
    stalledCount: 0,
    async waitUntil(cond: () => boolean, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (!cond()) {
        if (Date.now() > until) throw new Error('condition not met in time');
        await sleep(50);
      }
    },
    async waitFor(pred: (m: CapturedMail) => boolean, timeoutMs = 20_000) {
      let found: CapturedMail | undefined;
      await cap.waitUntil(() => (found = cap.mails.find(pred)) !== undefined, timeoutMs);
      return found!;
    },
    async close() {
      for (const s of stalled.splice(0)) s();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return cap;
}

import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One mail as a person reads it: transfer encodings (quoted-printable, base64) undone. */
export interface CaughtMail {
  /** envelope recipients */
  to: string[];
  from: string;
  subject: string;
  /** the plain-text body (from the HTML part when there is no text part) */
  text: string;
}

export interface SmtpCatcher {
  port: number;
  stop(): Promise<void>;
}

/**
 * An SMTP server on 127.0.0.1 that accepts every mail (no TLS, no auth) and hands each one, decoded, to
 * `onMail`. For `pnpm dev` (it prints them) and tests.
 */
export function startSmtpCatcher(port: number, onMail: (m: CaughtMail) => void): Promise<SmtpCatcher> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, cb) {
      simpleParser(stream).then(
        (parsed) => {
          onMail({
            to: session.envelope.rcptTo.map((r) => r.address),
            from: parsed.from?.text ?? (session.envelope.mailFrom || { address: '' }).address,
            subject: parsed.subject ?? '(no subject)',
            text: (parsed.text ?? '').replace(/\r\n/g, '\n').trimEnd(),
          });
          cb();
        },
        (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
      );
    },
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const addr = server.server.address();
      resolve({
        port: typeof addr === 'object' && addr ? addr.port : port,
        stop: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

import pino, { type DestinationStream, type Logger } from 'pino';
import PinoPretty from 'pino-pretty';

/** Fields that may carry secrets, in every service's log objects. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["auth-token"]',
  'req.headers.cookie',
  '*.password',
  '*.token',
];

export interface LoggerOptions {
  /** the service: `api`, `dns`, `mailer` */
  name: string;
  level: string;
  /** human-readable lines instead of JSON; default: when stdout is a terminal */
  pretty?: boolean;
  /** where lines go (tests); default stdout */
  destination?: DestinationStream;
}

/** pino-pretty's options for our services: colours on a terminal, local time, no pid/hostname noise. */
export const PRETTY_OPTIONS = {
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'pid,hostname',
  singleLine: true,
} as const;

/**
 * The one logger factory of the services. JSON lines (for log collectors) unless stdout is a terminal, then
 * pino-pretty's readable lines. Secrets are redacted either way.
 */
export function createLogger(o: LoggerOptions): Logger {
  const options = { name: o.name, level: o.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  const pretty = o.pretty ?? process.stdout.isTTY === true;
  if (!pretty) return o.destination ? pino(options, o.destination) : pino(options);
  const stream = PinoPretty({
    ...PRETTY_OPTIONS,
    colorize: o.destination ? false : PinoPretty.isColorSupported,
    sync: true,
    destination: o.destination ?? 1,
  });
  return pino(options, stream);
}

/**
 * Turns one JSON log line (as a service writes it when its stdout is not a terminal) into pino-pretty's
 * readable form; any other line comes back as is. For `pnpm dev`, which reads its children through pipes.
 */
export function prettyLineFactory(colorize = PinoPretty.isColorSupported): (line: string) => string {
  const format = PinoPretty.prettyFactory({ ...PRETTY_OPTIONS, colorize });
  return (line) => {
    if (!line.startsWith('{')) return line;
    try {
      return format(JSON.parse(line) as object).replace(/\n$/, '');
    } catch {
      return line;
    }
  };
}

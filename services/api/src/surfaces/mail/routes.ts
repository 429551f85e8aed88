import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { isTransientDbError } from '@ddns/db';
import { capsFor } from '@ddns/registry';
import { accountByPassword, clientIp } from '../../auth';
import { sendUnavailable } from '../../http/unavailable';
import type { ApiDeps } from '../../deps';
import { readBodies } from '../../http/bodies';
import { AuthThrottle, LimitsUnavailableError, RedisLimits } from '../../limits';
import { mailCors } from './cors';
import { exportArchive, exportFileName } from './export';
import { failure, param, parseDomainName, parseId, txtZoneLine } from './format';
import {
  certificateLeftDays,
  changePassword,
  createDomain,
  createUser,
  deleteDomain,
  deleteUser,
  exportDomain,
  listDomains,
  listUsers,
  MailError,
  parseHostname,
  requestCertificate,
  rotateDkim,
  uploadCertificate,
  type MailSettings,
  type Viewer,
} from './service';
import { issueMailToken, verifyMailToken } from './token';

/** Mail hosting (seed 002), mounted at /mail. HTTP in and out only: the model is in ./service. See README.md. */

/** Let's Encrypt requests per host name and hour (the CA's own limits are per domain and week) */
const INSTALLS_PER_HOUR = 5;

interface MailLocals {
  viewer: Viewer;
}

function viewerOf(res: Response): Viewer {
  return (res.locals as MailLocals).viewer;
}

/**
 * Bodies: form-data (files read as text), urlencoded, JSON, on every method. The largest legitimate body is a
 * certificate chain and its key (a few KiB): 64 KiB per value, 256 KiB in all. Read only once the caller is
 * authenticated (or for /auth itself).
 */
const MAIL_BODIES = {
  maxBytes: 256 * 1024,
  urlencoded: { limit: 64 * 1024, parameterLimit: 40 },
  json: { limit: 64 * 1024 },
  multipart: {
    limits: {
      fields: 20,
      fieldSize: 64 * 1024,
      fieldNameSize: 100,
      parts: 24,
      files: 4,
      fileSize: 64 * 1024,
    },
  },
};

/** Files sent with -F name=@file become string fields, so uploads and plain form fields read alike. */
const filesAsFields: RequestHandler = (req, _res, next) => {
  const files = req.files;
  if (Array.isArray(files) && files.length) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    for (const f of files) if (body[f.fieldname] === undefined) body[f.fieldname] = f.buffer.toString('utf8');
    req.body = body;
  }
  next();
};

function domainParam(req: Request): string {
  const raw = param(req.body, req.query, 'domain');
  if (raw === undefined) throw new MailError(400, 'domain is required');
  const d = parseDomainName(raw);
  if (!d) throw new MailError(400, `"${raw}" is not a domain name`);
  return d;
}

function idParam(raw: string | undefined, what: string): number {
  if (raw === undefined) throw new MailError(400, `${what} is required`);
  const id = parseId(raw);
  if (id === null) throw new MailError(400, `${what} must be a positive integer`);
  return id;
}

export function mailRoutes(deps: ApiDeps): Router {
  const settings = (): MailSettings => ({
    mailHost: deps.config.MAIL_HOST,
    secretsKey: deps.config.SECRETS_KEY,
    registrationZone: deps.config.REGISTRATION_ZONE,
  });
  const r = Router();
  // CORS first: preflights carry no Auth-token and no body
  r.use(mailCors(deps.config.MAIL_CORS_ORIGINS));
  const bodies = [
    ...readBodies(
      MAIL_BODIES,
      (_req, res, status, message) => void res.status(status).json(failure(message)),
    ),
    filesAsFields,
  ];

  const limits = new RedisLimits(deps.redis, deps.redisPrefix);
  /** Redis down: limits on expensive work are skipped (logged) rather than refusing the work. */
  const softly = async <T>(fn: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof LimitsUnavailableError)) throw err;
      deps.logger.warn({ err: err.message }, 'mail limits unavailable');
      return fallback;
    }
  };

  // failed logins are throttled per source network and per account (shared with every other login); with
  // Redis down no login is checked at all (503): a login nobody can throttle is a free guess
  r.post('/auth', ...bodies, async (req, res) => {
    const username = param(req.body, req.query, 'username', 'email') ?? '';
    const password = param(req.body, req.query, 'password') ?? '';
    if (!username || !password) {
      res.status(401).json({ msg: 'Username/password is not correct', result: false });
      return;
    }
    const throttle = new AuthThrottle(deps.redis, deps.redisPrefix);
    const ip = clientIp(req.ip);
    try {
      const t = await throttle.checkLogin(ip, username);
      if (t.retryAfter > 0) {
        res
          .status(429)
          .set('Retry-After', String(t.retryAfter))
          .json(failure(`Too many failed logins: try again in ${t.retryAfter} seconds`));
        return;
      }
      const account = await accountByPassword(deps.db, username, password);
      if (!account) {
        await throttle.loginFailed(ip, username);
        res.status(401).json({ msg: 'Username/password is not correct', result: false });
        return;
      }
      await throttle.loginSucceeded(ip, username);
      res.json({ result: true, token: await issueMailToken(deps.config.JWT_SECRET, account) });
    } catch (err) {
      if (!(err instanceof LimitsUnavailableError)) throw err;
      deps.logger.warn({ err: err.message }, 'mail login throttle unavailable');
      res
        .status(503)
        .set('Retry-After', '30')
        .json(failure('Login is temporarily unavailable, try again later'));
    }
  });

  // every other call needs a valid Auth-token, checked before the body is read
  r.use(async (req, res, next) => {
    const header = req.get('auth-token') ?? /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const check = await verifyMailToken(deps.config.JWT_SECRET, header?.trim());
    if (!check.ok) {
      res.status(401).json(failure(check.msg));
      return;
    }
    const a = await deps.db
      .selectFrom('accounts')
      .select(['id', 'is_admin'])
      .where('id', '=', check.accountId)
      .where('disabled_at', 'is', null)
      .executeTakeFirst();
    if (!a) {
      res.status(401).json(failure('Auth-token is not valid'));
      return;
    }
    (res.locals as MailLocals).viewer = { id: a.id, isAdmin: a.is_admin };
    next();
  });
  // bodies on every method, DELETE and GET included
  r.use(...bodies);

  r.get('/domains', async (_req, res) => {
    res.json({ domains: await listDomains(deps.db, viewerOf(res)) });
  });

  r.post('/domains', async (req, res) => {
    const created = await createDomain(deps.db, settings(), viewerOf(res), {
      domain: domainParam(req),
      username: param(req.body, req.query, 'username', 'email'),
      password: param(req.body, req.query, 'password'),
    });
    res.status(201).json({
      result: true,
      domain: { id: created.id, name: created.name, users_count: 1, status: created.ownership.status },
      user: { id: created.user.id, domain_id: created.id, email: created.user.email },
      // served by our DNS only once control is proven: delegate to `nameservers` or publish `challenge`
      ownership: {
        status: created.ownership.status,
        challenge: created.ownership.challenge,
        nameservers: created.ownership.nameServers,
      },
    });
  });

  r.delete('/domain', async (req, res) => {
    const d = await deleteDomain(deps.db, viewerOf(res), domainParam(req));
    res.json({ result: true, msg: `Domain ${d.name} deleted` });
  });

  r.get('/users/:domain_id', async (req, res) => {
    res.json({ users: await listUsers(deps.db, viewerOf(res), idParam(req.params.domain_id, 'domain_id')) });
  });

  const addUser: RequestHandler<{ domain_id: string }> = async (req, res) => {
    const user = await createUser(deps.db, viewerOf(res), idParam(req.params.domain_id, 'domain_id'), {
      email: param(req.body, req.query, 'email', 'username'),
      password: param(req.body, req.query, 'password'),
    });
    res.status(201).json({ result: true, user });
  };
  r.post('/user/:domain_id', addUser);
  r.post('/users/:domain_id', addUser);

  r.post('/user-change-password', async (req, res) => {
    await changePassword(deps.db, viewerOf(res), {
      id: idParam(param(req.body, req.query, 'id'), 'id'),
      domainId: idParam(param(req.body, req.query, 'domain_id'), 'domain_id'),
      password: param(req.body, req.query, 'password'),
    });
    res.json({ result: true, msg: 'Password changed' });
  });

  r.delete('/users', async (req, res) => {
    const email = param(req.body, req.query, 'email');
    if (email === undefined) throw new MailError(400, 'email is required');
    const u = await deleteUser(deps.db, viewerOf(res), email);
    res.json({ result: true, msg: `User ${u.email} deleted` });
  });

  r.post('/dkim/add-new-domain', async (req, res) => {
    const domain = domainParam(req);
    const viewer = viewerOf(res);
    // RSA key generation is expensive: a per-account hourly budget by class (@ddns/registry caps). Without
    // Redis the budget cannot be counted, so no key is made (fails closed).
    const account = await deps.db
      .selectFrom('accounts')
      .select('class')
      .where('id', '=', viewer.id)
      .executeTakeFirst();
    const perHour = capsFor(account?.class ?? 'default').dkimKeysPerHour;
    let rate;
    try {
      rate = await limits.hit(`mail-dkim:${viewer.id}`, perHour, 3600);
    } catch (err) {
      if (!(err instanceof LimitsUnavailableError)) throw err;
      res.status(503).json(failure('DKIM keys cannot be generated right now: try again later'));
      return;
    }
    if (!rate.allowed) {
      res
        .status(429)
        .set('Retry-After', String(rate.retryAfter))
        .json(
          failure(
            `Too many DKIM keys generated (at most ${perHour} an hour): try again in ${rate.retryAfter} seconds`,
          ),
        );
      return;
    }
    const k = await rotateDkim(deps.db, settings(), viewer, domain);
    res.json({
      result: true,
      domain: k.domain,
      selector: k.selector,
      record: k.record,
      type: 'TXT',
      value: k.value,
      txt: txtZoneLine(k.record, k.value, 3600),
    });
  });

  r.post('/ssl/letsencrypt/install', async (req, res) => {
    const hostname = parseHostname(param(req.body, req.query, 'hostname'));
    const rate = await softly(
      () => limits.hit(`mail-le:${viewerOf(res).id}:${hostname}`, INSTALLS_PER_HOUR, 3600),
      null,
    );
    if (rate && !rate.allowed) {
      res
        .status(429)
        .set('Retry-After', String(rate.retryAfter))
        .json(
          failure(`Too many certificate requests for ${hostname}: try again in ${rate.retryAfter} seconds`),
        );
      return;
    }
    const { jobId } = await requestCertificate(deps.db, viewerOf(res), hostname);
    res.json({ result: true, job_id: jobId, hostname, msg: 'Certificate request queued' });
  });

  r.post('/ssl/get-left-days', async (req, res) => {
    const hostname = parseHostname(param(req.body, req.query, 'hostname'), true);
    const left = await certificateLeftDays(deps.db, viewerOf(res), hostname);
    // days_left: the original's only field; left_days and days: ours, kept for existing callers
    res.json({ result: true, ...left, days: left.left_days, days_left: left.left_days });
  });

  r.post('/ssl/upload', async (req, res) => {
    const stored = await uploadCertificate(deps.db, settings(), viewerOf(res), {
      cert: param(req.body, req.query, 'ssl_certificate'),
      key: param(req.body, req.query, 'ssl_certificate_key'),
      hostname: param(req.body, req.query, 'hostname'),
    });
    res.json({ result: true, ...stored });
  });

  r.get('/export/domain', async (req, res) => {
    const data = await exportDomain(deps.db, viewerOf(res), domainParam(req));
    const now = new Date();
    res.status(200);
    res.type('application/gzip');
    res.attachment(exportFileName(data.domain.name, now));
    exportArchive(data, now).pipe(res);
  });

  r.use((_req, res) => {
    res.status(404).json(failure('Not found'));
  });

  const onError: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof MailError) {
      res.status(err.status).json(failure(err.message));
      return;
    }
    const status = (err as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // e.g. a path parameter that is not valid percent-encoding
      res.status(status).json(failure('the request is malformed'));
      return;
    }
    if (isTransientDbError(err)) return void sendUnavailable(req, res);
    req.log.error({ err }, 'mail surface error');
    res.status(500).json(failure('Internal error'));
  };
  r.use(onError);
  return r;
}

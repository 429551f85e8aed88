import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Throwaway PKI made with the openssl CLI (EC P-256 keys: fast), for certificate upload tests. */
export interface Issued {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'ddns-pki-'));
  private n = 0;

  private run(args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  }

  private newKey(name: string): string {
    const f = join(this.dir, `${name}.key`);
    this.run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f]);
    return f;
  }

  private issued(name: string, keyFile: string): Issued {
    const certFile = join(this.dir, `${name}.pem`);
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, keyFile };
  }

  root(cn = 'Test Root'): Issued {
    const name = `root${++this.n}`;
    const key = this.newKey(name);
    this.run([
      'req',
      '-x509',
      '-new',
      '-key',
      key,
      '-days',
      '30',
      '-subj',
      `/CN=${cn}`,
      '-out',
      join(this.dir, `${name}.pem`),
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return this.issued(name, key);
  }

  /**
   * A certificate signed by `issuer` (a CA when `ca`), valid from `start` to `end`
   * (openssl ca dates, `YYYYMMDDHHMMSSZ`; default: from yesterday for 90 days).
   */
  sign(
    issuer: Issued,
    opts: { cn: string; names?: string[]; ca?: boolean; start?: string; end?: string },
  ): Issued {
    const name = `c${++this.n}`;
    const key = this.newKey(name);
    const csr = join(this.dir, `${name}.csr`);
    this.run(['req', '-new', '-key', key, '-subj', `/CN=${opts.cn}`, '-out', csr]);
    const ext = join(this.dir, `${name}.ext`);
    writeFileSync(
      ext,
      opts.ca
        ? 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n'
        : `basicConstraints=CA:FALSE\nsubjectAltName=${(opts.names ?? [opts.cn]).map((n) => `DNS:${n}`).join(',')}\n`,
    );
    const db = join(this.dir, `${name}.index`);
    writeFileSync(db, '');
    const cnf = join(this.dir, `${name}.cnf`);
    writeFileSync(
      cnf,
      [
        '[ca]',
        'default_ca=d',
        '[d]',
        `database=${db}`,
        `new_certs_dir=${this.dir}`,
        `serial=${join(this.dir, `${name}.srl`)}`,
        'default_md=sha256',
        'policy=p',
        'unique_subject=no',
        '[p]',
        'commonName=supplied',
        '',
      ].join('\n'),
    );
    writeFileSync(join(this.dir, `${name}.srl`), `${(1000 + this.n).toString(16).padStart(4, '0')}\n`);
    const day = 86_400_000;
    const fmt = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
    this.run([
      'ca',
      '-batch',
      '-config',
      cnf,
      '-cert',
      issuer.certFile,
      '-keyfile',
      issuer.keyFile,
      '-in',
      csr,
      '-out',
      join(this.dir, `${name}.pem`),
      '-notext',
      '-extfile',
      ext,
      '-startdate',
      opts.start ?? fmt(new Date(Date.now() - day)),
      '-enddate',
      opts.end ?? fmt(new Date(Date.now() + 90 * day)),
    ]);
    return this.issued(name, key);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

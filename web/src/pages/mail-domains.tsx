import { api } from '../api/client';
import type { MailDomainList } from '../api/types';
import { CopyBlock } from '../components/copy-block';
import { useLoad } from '../hooks';

const PURPOSE = { mx: 'MX', spf: 'SPF', dkim: 'DKIM', dmarc: 'DMARC', ownership: 'Ownership proof' } as const;

/** Mail domains with the MX/SPF/DKIM/DMARC records to copy into a zone hosted elsewhere. */
export function MailDomainsPage() {
  const list = useLoad(() => api.get<MailDomainList>('/v1/mail-domains'));
  return (
    <>
      <p>
        Mail domains are managed through the mail API (<code>/mail</code>). Where another server hosts the
        zone, add these records there.
      </p>
      {list.error && (
        <p role="alert" class="notice notice-error">
          {list.error}
        </p>
      )}
      {list.data && list.data.mailDomains.length === 0 && <p>No mail domains yet.</p>}
      {list.data?.mailDomains.map((m) => (
        <section key={m.id} aria-labelledby={`mail-${m.id}`}>
          <h2 id={`mail-${m.id}`}>
            {m.name} <span class={`badge badge-${m.status === 'active' ? 'ok' : 'warn'}`}>{m.status}</span>
          </h2>
          <p>{m.mailboxes} mailboxes</p>
          {m.records.map((r, i) => (
            <div key={i}>
              <h3>{PURPOSE[r.purpose]}</h3>
              <CopyBlock
                id={`mail-${m.id}-${i}`}
                label={`${PURPOSE[r.purpose]} record of ${m.name}`}
                text={`${r.name}. IN ${r.type} ${r.content}`}
              />
            </div>
          ))}
        </section>
      ))}
    </>
  );
}

import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { DnsRecord, RecordList, RecordTypeName } from '../api/types';
import { useAction, useLoad } from '../hooks';
import { Field, Select } from './field';
import { Notice } from './notice';

/** The data fields of each record type, as the API names them (errors come back under these names). */
const FIELDS: Record<RecordTypeName, { key: string; label: string; numeric?: boolean; hint?: string }[]> = {
  A: [{ key: 'address', label: 'IPv4 address', hint: 'e.g. 203.0.113.7' }],
  AAAA: [{ key: 'address', label: 'IPv6 address', hint: 'e.g. 2001:db8::7' }],
  TXT: [{ key: 'text', label: 'Text' }],
  CNAME: [{ key: 'target', label: 'Target host name' }],
  MX: [
    { key: 'priority', label: 'Priority', numeric: true, hint: 'lower is preferred, e.g. 10' },
    { key: 'target', label: 'Mail server' },
  ],
  SRV: [
    { key: 'priority', label: 'Priority', numeric: true },
    { key: 'weight', label: 'Weight', numeric: true },
    { key: 'port', label: 'Port', numeric: true },
    { key: 'target', label: 'Target host name' },
  ],
  CAA: [
    { key: 'flags', label: 'Flags', numeric: true, hint: '0, or 128 for critical' },
    { key: 'tag', label: 'Tag', hint: 'issue, issuewild or iodef' },
    { key: 'value', label: 'Value', hint: 'e.g. letsencrypt.org' },
  ],
};
const TYPES = Object.keys(FIELDS) as RecordTypeName[];

export function RecordsEditor({ domain }: { domain: string }) {
  const base = `/v1/domains/${encodeURIComponent(domain)}/records`;
  const list = useLoad(() => api.get<RecordList>(base), [domain]);
  const [type, setType] = useState<RecordTypeName>('TXT');
  const [subname, setSubname] = useState('');
  const [ttl, setTtl] = useState('');
  const [values, setValues] = useState<Record<string, string>>({ flags: '0', tag: 'issue' });
  const add = useAction();
  const del = useAction();
  const submit = async (e: Event) => {
    e.preventDefault();
    const data: Record<string, string | number> = {};
    for (const f of FIELDS[type]) {
      const v = (values[f.key] ?? '').trim();
      data[f.key] = f.numeric && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : v;
    }
    const body = { type, subname: subname.trim(), ...(ttl.trim() ? { ttl: Number(ttl) } : {}), ...data };
    const ok = await add.run(async () => {
      const r = await api.post<DnsRecord>(base, body);
      await list.reload();
      return `Added ${r.type} ${r.name} ${r.content}.`;
    });
    if (ok) setValues({ flags: '0', tag: 'issue' });
  };
  return (
    <section aria-labelledby="records-h">
      <h2 id="records-h">Records</h2>
      {list.data && list.data.records.length > 0 ? (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Records">
          <table class="records">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Content</th>
                <th scope="col">TTL</th>
                <th scope="col">
                  <span class="offscreen">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.records.map((r) => (
                <tr key={r.id}>
                  <td>{r.name}</td>
                  <td>{r.type}</td>
                  <td class="content">{r.content}</td>
                  <td>{r.ttl}</td>
                  <td>
                    <button
                      type="button"
                      class="secondary small"
                      aria-label={`Delete ${r.type} record ${r.name} ${r.content}`}
                      disabled={del.busy}
                      onClick={() =>
                        del.run(async () => {
                          await api.del(`${base}/${r.id}`);
                          await list.reload();
                          return `Deleted ${r.type} ${r.name}.`;
                        })
                      }
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p>{list.error ?? (list.data ? 'No records besides the addresses.' : 'Loading…')}</p>
      )}
      <Notice ok={del.ok} error={del.error} />
      <h3>Add a record</h3>
      <form class="record-form" noValidate onSubmit={submit}>
        <Select
          id="rec-type"
          label="Type"
          value={type}
          options={TYPES}
          onValue={(v) => setType(v as RecordTypeName)}
          error={add.fields.type}
        />
        <Field
          id="rec-subname"
          label="Name"
          hint={`relative to ${domain}: empty for ${domain} itself, or www, _acme-challenge, …`}
          value={subname}
          onValue={setSubname}
          error={add.fields.subname}
        />
        {FIELDS[type].map((f) => (
          <Field
            key={`${type}-${f.key}`}
            id={`rec-${f.key}`}
            label={f.label}
            hint={f.hint}
            inputMode={f.numeric ? 'numeric' : undefined}
            value={values[f.key] ?? ''}
            onValue={(v) => setValues({ ...values, [f.key]: v })}
            error={add.fields[f.key]}
          />
        ))}
        <Field
          id="rec-ttl"
          label="TTL (seconds)"
          hint="empty: the server's default"
          inputMode="numeric"
          value={ttl}
          onValue={setTtl}
          error={add.fields.ttl}
        />
        <Notice ok={add.ok} error={add.error} />
        <button type="submit" disabled={add.busy}>
          Add record
        </button>
      </form>
    </section>
  );
}

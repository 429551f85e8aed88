import { api } from '../../api/client';
import type { AdminZoneList } from '../../api/types';
import { useLoad } from '../../hooks';
import { AdminNav } from './accounts';

/** Every zone this server answers for. */
export function AdminZonesPage() {
  const list = useLoad(() => api.get<AdminZoneList>('/v1/admin/zones'));
  return (
    <>
      <AdminNav />
      <p>
        Zones are added with the admin CLI: <code>pnpm ddns zone add NAME --shared</code>.
      </p>
      {list.error && (
        <p role="alert" class="notice notice-error">
          {list.error}
        </p>
      )}
      {list.data && (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Zones">
          <table>
            <thead>
              <tr>
                <th scope="col">Zone</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Owner</th>
                <th scope="col">Domains</th>
                <th scope="col">Serial</th>
              </tr>
            </thead>
            <tbody>
              {list.data.zones.map((z) => (
                <tr key={z.id}>
                  <td>{z.name}</td>
                  <td>{z.kind}</td>
                  <td>{z.status}</td>
                  <td>{z.owner ?? '—'}</td>
                  <td>{z.domains}</td>
                  <td>{z.serial}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

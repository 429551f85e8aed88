import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api/client';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => Promise<void>;
  set: (d: T) => void;
}

/** Loads once (and again on reload()); keeps the last good value while reloading. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): Loaded<T> {
  const [data, set] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const reload = useCallback(async () => {
    setLoading(true);
    try {
      set(await load());
      setError(undefined);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setLoading(false);
    }
  }, deps);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, loading, reload, set };
}

export interface Action {
  busy: boolean;
  ok: string | undefined;
  error: string | undefined;
  fields: Record<string, string>;
  run: (fn: () => Promise<string | void>) => Promise<boolean>;
  clear: () => void;
}

/** A form submission: busy flag, the message to announce, and the API's per-field errors. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [ok, setOk] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [fields, setFields] = useState<Record<string, string>>({});
  const run = async (fn: () => Promise<string | void>) => {
    setBusy(true);
    setOk(undefined);
    setError(undefined);
    setFields({});
    try {
      const said = await fn();
      if (said) setOk(said);
      return true;
    } catch (err) {
      if (err instanceof ApiError) {
        setFields(err.fields);
        setError(err.message);
      } else setError(String(err));
      return false;
    } finally {
      setBusy(false);
    }
  };
  const clear = () => {
    setOk(undefined);
    setError(undefined);
    setFields({});
  };
  return { busy, ok, error, fields, run, clear };
}

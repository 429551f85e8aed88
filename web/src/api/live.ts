import { useEffect, useRef, useState } from 'preact/hooks';
import type { AddressEvent } from './types';

export type LiveMode = 'connecting' | 'live' | 'polling';
export const POLL_MS = 2000;

/**
 * Address changes as they happen: the /v1/events stream (server-sent events) while it is open; while it is not
 * (never opened, closed by the server, a proxy that buffers), `poll()` every 2 s instead. Returns how updates
 * currently arrive, for the page to say.
 */
export function useLiveAddresses(onEvent: (e: AddressEvent) => void, poll: () => void): LiveMode {
  const [mode, setMode] = useState<LiveMode>('connecting');
  const handlers = useRef({ onEvent, poll });
  handlers.current = { onEvent, poll };
  useEffect(() => {
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setInterval> | undefined;
    const startPolling = () => {
      setMode('polling');
      timer ??= setInterval(() => handlers.current.poll(), POLL_MS);
    };
    const stopPolling = () => {
      if (timer) clearInterval(timer);
      timer = undefined;
    };
    if (typeof EventSource === 'undefined') startPolling();
    else {
      source = new EventSource('/v1/events');
      source.addEventListener('open', () => {
        stopPolling();
        setMode('live');
        handlers.current.poll(); // whatever changed before the stream opened
      });
      source.addEventListener('address', (ev) => {
        try {
          handlers.current.onEvent(JSON.parse((ev as MessageEvent<string>).data) as AddressEvent);
        } catch {
          handlers.current.poll();
        }
      });
      source.addEventListener('error', () => {
        // the browser retries by itself while CONNECTING; poll meanwhile
        startPolling();
      });
    }
    return () => {
      source?.close();
      stopPolling();
    };
  }, []);
  return mode;
}

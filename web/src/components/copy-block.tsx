import { useState } from 'preact/hooks';

/** Copies text, also where navigator.clipboard is missing (plain HTTP on a LAN address). */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'offscreen';
  document.body.appendChild(area);
  area.select();
  document.execCommand('copy');
  area.remove();
}

/** A block of text with a copy button; the result is announced. */
export function CopyBlock({ id, label, text }: { id: string; label: string; text: string }) {
  const [said, setSaid] = useState('');
  const copy = async () => {
    try {
      await copyText(text);
      setSaid(`${label} copied.`);
    } catch {
      setSaid('Copying failed: select the text and copy it by hand.');
    }
  };
  return (
    <div class="copy-block">
      <pre id={id} tabIndex={0} aria-label={label}>
        {text}
      </pre>
      <div class="copy-row">
        <button type="button" onClick={copy} aria-describedby={id} data-copy={id}>
          Copy {label}
        </button>
        <span role="status" aria-live="polite" class="copy-said">
          {said}
        </span>
      </div>
    </div>
  );
}

/** A secret shown once: the text, a copy button and the warning. */
export function OnceSecret({ label, value, onDone }: { label: string; value: string; onDone?: () => void }) {
  return (
    <section class="secret" aria-label={label}>
      <p>
        <strong>{label}</strong>: shown only now. Copy it somewhere safe; it cannot be shown again.
      </p>
      <CopyBlock id={`secret-${label.replace(/\W+/g, '-').toLowerCase()}`} label={label} text={value} />
      {onDone && (
        <button type="button" class="secondary" onClick={onDone}>
          I have saved it
        </button>
      )}
    </section>
  );
}

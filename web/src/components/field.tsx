interface FieldProps {
  type?: 'text' | 'email' | 'password' | 'search' | 'date';
  autoComplete?: string;
  inputMode?: 'numeric' | 'text';
  required?: boolean;
  autoFocus?: boolean;
  id: string;
  label: string;
  value: string;
  onValue: (v: string) => void;
  /** the API's message for this field, shown under it and announced with it */
  error?: string;
  hint?: string;
}

/** A labelled input whose error and hint sit next to it and are read with it (aria-describedby). */
export function Field({ id, label, value, onValue, error, hint, type = 'text', ...rest }: FieldProps) {
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={id}>{label}</label>
      <input
        id={id}
        name={id}
        // one input component for several types (preact's typings discriminate on a literal type)
        type={type as 'text'}
        value={value}
        onInput={(e) => onValue((e.currentTarget as HTMLInputElement).value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={described}
        {...rest}
      />
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

interface SelectProps {
  id: string;
  label: string;
  value: string;
  options: readonly string[] | readonly { value: string; label: string }[];
  onValue: (v: string) => void;
  error?: string;
}

export function Select({ id, label, value, options, onValue, error }: SelectProps) {
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={id}>{label}</label>
      <select
        id={id}
        name={id}
        value={value}
        onChange={(e) => onValue((e.currentTarget as HTMLSelectElement).value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
      >
        {options.map((o) =>
          typeof o === 'string' ? (
            <option key={o} value={o}>
              {o}
            </option>
          ) : (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ),
        )}
      </select>
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

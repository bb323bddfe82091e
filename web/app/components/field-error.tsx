/** The message beside a field; `id` is what the field's aria-describedby points at. */
export function FieldError({ id, errors }: { id: string; errors?: string[] | undefined }) {
  if (!errors || errors.length === 0) return null;
  return (
    <p className="field-error" id={id}>
      {errors.join(' ')}
    </p>
  );
}

export function describedBy(name: string, errors: string[] | undefined, hintId?: string): string | undefined {
  const ids = [hintId, errors && errors.length > 0 ? `${name}-error` : undefined].filter(Boolean);
  return ids.length > 0 ? ids.join(' ') : undefined;
}

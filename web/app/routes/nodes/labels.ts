// A node's labels in its create and edit forms: one comma-separated field for the list the service takes.
import type { FieldErrors } from '../../../../api/errors.ts';

/** "a, b,c" → ['a', 'b', 'c']; the service checks each label. */
export const splitLabels = (value: FormDataEntryValue | null) =>
  String(value ?? '')
    .split(',')
    .map((l) => l.trim())
    .filter(Boolean);

/** The first problem with the labels (the service names them `labels` or `labels.<n>`). */
export const labelsError = (errors: FieldErrors) => Object.entries(errors).find(([field]) => field === 'labels' || field.startsWith('labels.'))?.[1];

// A rollout request from a console form (the Rollouts, Instances and Nodes pages): empty fields are left
// out so that the service's defaults apply, the failure ratio is typed as a percentage.
export function rolloutFromForm(form: FormData, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const text = (name: string) => {
    const v = String(form.get(name) ?? '').trim();
    return v ? { [name]: v } : {};
  };
  const percent = String(form.get('maxFailurePercent') ?? '').trim();
  return {
    ...text('action'),
    ...text('organizationId'),
    ...text('label'),
    ...text('version'),
    ...text('toVersion'),
    ...text('canarySize'),
    ...text('batchSize'),
    ...text('pauseSeconds'),
    ...text('maxFailuresPerBatch'),
    ...(percent ? { maxFailureRatio: Number(percent) / 100 } : {}),
    ...(form.get('secondApproval') === 'true' ? { secondApproval: true } : {}),
    ...extra,
  };
}

// The catalogue's create form, read without JSON: one action per line ("key risk description"), one
// pack item per line ("capability.key: action, action").
export function capabilityInputFromForm(form: FormData) {
  const lines = (name: string) =>
    String(form.get(name) ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  const actions = lines('actions').map((line) => {
    const [key = '', risk = '', ...description] = line.split(/\s+/);
    return { key, risk, description: description.join(' ') };
  });
  const packItems = lines('packItems').map((line) => {
    const [capabilityKey = '', list = ''] = line.split(':');
    return {
      capabilityKey: capabilityKey.trim(),
      actions: list
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean),
    };
  });
  const text = (name: string) => String(form.get(name) ?? '').trim() || undefined;
  return {
    key: text('key'),
    kind: text('kind'),
    name: text('name'),
    description: text('description') ?? '',
    provider: text('provider') ?? null,
    openclawTool: text('openclawTool') ?? null,
    actions,
    packItems,
  };
}

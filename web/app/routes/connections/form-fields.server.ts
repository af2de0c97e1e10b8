// Reads a provider's fields out of a console form: `credentials.<field>` and `metadata.<field>` inputs,
// empty ones left out (so an optional field stays unset, and a required one is named by the service).
import { fieldNames } from '../../../../api/connections/providers/fields.ts';
import type { ProviderDefinition } from '../../../../api/connections/providers/provider.ts';

export function providerFields(form: FormData, provider: ProviderDefinition, part: 'credentials' | 'metadata'): Record<string, string> {
  const schema = part === 'credentials' ? provider.credentialSchema : provider.metadataSchema;
  const out: Record<string, string> = {};
  for (const name of fieldNames(schema)) {
    const value = String(form.get(`${part}.${name}`) ?? '').trim();
    if (value) out[name] = value;
  }
  return out;
}

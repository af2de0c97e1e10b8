// The connection page's "Run an action" form: the action's name and its input as JSON (the same input the
// action's schema checks everywhere), run through the policy engine (api/connections/actions.ts).
import { runActionFor } from '../../../../api/connections/actions.ts';
import type { ServiceContext } from '../../../../api/authz.ts';
import { InvalidInputError } from '../../../../api/errors.ts';
import { attempt } from '../../service-errors.server.ts';

export async function runFromForm(ctx: ServiceContext, id: string, form: FormData) {
  return attempt(async () => {
    const raw = String(form.get('input') ?? '').trim() || '{}';
    let input: unknown;
    try {
      input = JSON.parse(raw);
    } catch {
      throw new InvalidInputError({ input: 'input must be JSON, e.g. {"pageSize": 10}' });
    }
    return { run: await runActionFor(ctx, id, String(form.get('action') ?? ''), input) };
  });
}

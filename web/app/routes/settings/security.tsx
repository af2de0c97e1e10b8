import { Form, useNavigation } from 'react-router';
import { getSecuritySettings, setRequireMfaForMspStaff } from '../../../../api/settings/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { attempt, load } from '../../service-errors.server.ts';
import type { Route } from './+types/security.ts';
import { FormError } from '../../components/forms.tsx';
import { DateTime } from '../../components/time-zone.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'Security settings · Anthropy Works' }];

// MSP admins only: getSecuritySettings authorizes 'settings.security.update', so anyone else gets the
// 403 page (and the refusal is audited).
export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const settings = await load(() => getSecuritySettings(ctx));
  return { settings, ownTwoFactor: ctx.session.totpEnabled };
}

export async function action({ request }: Route.ActionArgs) {
  const ctx = await requireContext(request);
  const form = await request.formData();
  return attempt(() => setRequireMfaForMspStaff(ctx, form.get('requireMfaForMspStaff') === 'on'));
}

export default function SecuritySettings({ loaderData, actionData }: Route.ComponentProps) {
  const { settings, ownTwoFactor } = loaderData;
  const busy = useNavigation().state !== 'idle';
  return (
    <>
      <h1>Security settings</h1>
      <Form method="post" className="card" aria-label="Two-factor sign-in for MSP staff">
        <label style={{ flexDirection: 'row', alignItems: 'center', gap: '.5rem' }}>
          <input type="checkbox" name="requireMfaForMspStaff" defaultChecked={settings.requireMfaForMspStaff} key={String(settings.requireMfaForMspStaff)} />
          Require two-factor sign-in for all MSP staff
        </label>
        <p className="muted">
          MSP admins and operators without two-factor sign-in are sent to turn it on before they can use the console, and MSP staff cannot turn it off while this is on. Company
          people are not affected.
        </p>
        {!ownTwoFactor && !settings.requireMfaForMspStaff && (
          <p className="muted">You have not turned two-factor sign-in on yourself; once this is on, you will be asked to do so first.</p>
        )}
        <p className="muted" data-testid="msp-staff-without-two-factor">
          MSP staff without two-factor sign-in: {settings.mspStaffWithoutTwoFactor}
        </p>
        <FormError message={actionData && !actionData.ok && actionData.formError} />
        {actionData?.ok && <p role="status">Saved.</p>}
        <button type="submit" disabled={busy}>
          Save
        </button>
      </Form>
      <p className="muted" data-testid="security-settings-last-change">
        {settings.updatedBy && settings.updatedAt ? (
          <>
            Last changed by {settings.updatedBy.name} ({settings.updatedBy.email}) on <DateTime iso={settings.updatedAt} />.
          </>
        ) : (
          'Never changed: two-factor sign-in is optional for everyone.'
        )}
      </p>
    </>
  );
}

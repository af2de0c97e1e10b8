import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { getTwoFactorStatus } from '../../../../api/auth/totp.ts';
import { ROLE_LABELS } from '../../../../api/authz.ts';
import { getOrganization } from '../../../../api/organizations/service.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { load } from '../../service-errors.server.ts';
import type { Route } from './+types/account.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Account · Anthropy Works' }];

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const { actor } = ctx;
  const [organization, twoFactor] = await Promise.all([load(() => getOrganization(ctx, actor.organizationId)), load(() => getTwoFactorStatus(ctx))]);
  return {
    name: actor.name,
    email: actor.email,
    role: ROLE_LABELS[actor.role],
    organization: { id: organization.id, name: organization.name },
    twoFactor: { enabled: twoFactor.enabled, required: twoFactor.requiredForMe, recoveryCodesLeft: twoFactor.recoveryCodesLeft },
  };
}

/** One fact about the account: its name as the row's header, the value tagged for the browser tests. */
function AccountRow({ label, testId, value }: { label: string; testId: string; value: ReactNode }) {
  return (
    <tr>
      <th scope="row">{label}</th>
      <td data-testid={testId}>{value}</td>
    </tr>
  );
}

function TwoFactorSummary({ enabled, required, recoveryCodesLeft }: { enabled: boolean; required: boolean; recoveryCodesLeft: number }) {
  return (
    <>
      {enabled ? (
        <>
          <span className="badge success">on</span> <span className="muted">{recoveryCodesLeft} recovery codes left</span>
        </>
      ) : (
        <span className="badge">off</span>
      )}
      {required && <span className="muted"> · required for MSP staff</span>}
    </>
  );
}

export default function Account({ loaderData }: Route.ComponentProps) {
  const { name, email, role, organization, twoFactor } = loaderData;
  return (
    <>
      <h1>Account</h1>
      <table className="card" aria-label="Your account">
        <tbody>
          <AccountRow label="Name" testId="account-name" value={name} />
          <AccountRow label="Email" testId="account-email" value={email} />
          <AccountRow label="Role" testId="account-role" value={role} />
          <AccountRow label="Organization" testId="account-organization" value={organization.name} />
          <AccountRow label="Two-factor sign-in" testId="account-two-factor" value={<TwoFactorSummary {...twoFactor} />} />
        </tbody>
      </table>
      <ul>
        <li>
          <Link to="/account/two-factor">Two-factor sign-in</Link>
        </li>
        <li>
          <Link to="/account/tokens">API tokens</Link>
        </li>
      </ul>
    </>
  );
}

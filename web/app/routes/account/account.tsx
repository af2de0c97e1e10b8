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

export default function Account({ loaderData }: Route.ComponentProps) {
  const { name, email, role, organization, twoFactor } = loaderData;
  return (
    <>
      <h1>Account</h1>
      <table className="card" aria-label="Your account">
        <tbody>
          <tr>
            <th scope="row">Name</th>
            <td data-testid="account-name">{name}</td>
          </tr>
          <tr>
            <th scope="row">Email</th>
            <td data-testid="account-email">{email}</td>
          </tr>
          <tr>
            <th scope="row">Role</th>
            <td data-testid="account-role">{role}</td>
          </tr>
          <tr>
            <th scope="row">Organization</th>
            <td data-testid="account-organization">{organization.name}</td>
          </tr>
          <tr>
            <th scope="row">Two-factor sign-in</th>
            <td data-testid="account-two-factor">
              {twoFactor.enabled ? (
                <>
                  <span className="badge success">on</span> <span className="muted">{twoFactor.recoveryCodesLeft} recovery codes left</span>
                </>
              ) : (
                <span className="badge">off</span>
              )}
              {twoFactor.required && <span className="muted"> · required for MSP staff</span>}
            </td>
          </tr>
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

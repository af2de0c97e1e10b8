// Where a provider sends the person back after its consent page (the redirect URI: PUBLIC_URL +
// /connections/oauth/callback). The person must be signed in and be the one who started the flow; the
// service checks the state, exchanges the code and seals the tokens. Success goes to the connection's page;
// a refusal is said here in one sentence, never with the code or the state.
import { Link, redirect } from 'react-router';
import { completeConnectionOAuth } from '../../../../api/connections/oauth.ts';
import { requireContext } from '../../auth/guard.server.ts';
import { attempt } from '../../service-errors.server.ts';
import type { Route } from './+types/oauth-callback.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Connecting · Anthropy Works' }];

export async function loader({ request }: Route.LoaderArgs) {
  const ctx = await requireContext(request);
  const result = await attempt(() => completeConnectionOAuth(ctx, Object.fromEntries(new URL(request.url).searchParams)));
  if (result.ok) throw redirect(`/connections/${result.value.id}`);
  return { message: result.formError };
}

export default function OAuthCallback({ loaderData }: Route.ComponentProps) {
  return (
    <>
      <h1>Not connected</h1>
      <p role="alert" data-testid="oauth-error">
        {loaderData.message}
      </p>
      <p>
        <Link to="/connections">Back to the connections</Link>
      </p>
    </>
  );
}

import { data, Form, redirect, useNavigation } from 'react-router';
import { TOO_MANY_CODE_ATTEMPTS, verifySecondFactor } from '../../../../api/auth/totp.ts';
import { twoFactorState } from '../../../../api/auth/two-factor-state.ts';
import { getDb } from '../../../../db/client.ts';
import { clientIp } from '../../auth/client-ip.server.ts';
import { requireSession } from '../../auth/guard.server.ts';
import { attempt } from '../../service-errors.server.ts';
import { FormError, LabelledInput, SignOutButton } from '../../components/forms.tsx';
import type { Route } from './+types/two-factor.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Two-factor sign-in · Anthropy Works' }];

// The second step of signing in. The session is not complete yet, so this page takes the bare session
// (requireSession); everyone who does not owe a code goes on to the console.
async function sessionOwingCode(request: Request) {
  const session = await requireSession(request);
  if ((await twoFactorState(getDb(), session)) !== 'code_needed') throw redirect('/');
  return session;
}

export async function loader({ request }: Route.LoaderArgs) {
  const session = await sessionOwingCode(request);
  return { email: session.user.email };
}

export async function action({ request }: Route.ActionArgs) {
  const session = await sessionOwingCode(request);
  const form = await request.formData();
  const text = (name: string) => {
    const v = form.get(name);
    return typeof v === 'string' ? v : '';
  };
  const result = await attempt(() => verifySecondFactor(getDb(), session, { code: text('code'), recoveryCode: text('recoveryCode') }, clientIp(request)));
  if (result.ok) throw redirect('/');
  const status = result.formError === TOO_MANY_CODE_ATTEMPTS ? 429 : 400;
  return data({ ...result, usedRecoveryCode: text('recoveryCode').trim() !== '' }, { status });
}

export default function TwoFactorSignIn({ loaderData, actionData }: Route.ComponentProps) {
  const busy = useNavigation().state !== 'idle';
  const errors = actionData?.fieldErrors ?? {};
  const formError = actionData && !errors.code && !errors.recoveryCode ? actionData.formError : null;
  return (
    <main className="centered">
      <h1>Two-factor sign-in</h1>
      <p className="muted">Signing in as {loaderData.email}. Enter the 6-digit code your authenticator app shows for Anthropy Works.</p>
      <Form method="post" className="stack" noValidate>
        <LabelledInput label="Authentication code" name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" maxLength={7} autoFocus error={errors.code} />
        <details open={Boolean(actionData?.usedRecoveryCode || errors.recoveryCode)}>
          <summary>Use a recovery code instead</summary>
          <LabelledInput label="Recovery code" name="recoveryCode" autoComplete="off" spellCheck={false} placeholder="xxxxx-xxxxx" error={errors.recoveryCode} />
          <p className="muted">Each recovery code works once. When a recovery code is filled in, it is used instead of the authentication code.</p>
        </details>
        <FormError message={formError} />
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Verify'}
        </button>
      </Form>
      <SignOutButton />
    </main>
  );
}

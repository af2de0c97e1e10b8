// The public page an invitation link opens: the invited person picks a name and a password, and is then
// signed in. The token in the path is the only credential; a used, expired or withdrawn token shows why
// it no longer works and no form.
import { data, Form, redirect, useNavigation } from 'react-router';
import { createSession, sessionCookie } from '../../../../api/auth/sessions.ts';
import { AppError } from '../../../../api/errors.ts';
import { acceptInvitation, describeInvitation, InvitationTokenError, PASSWORD_MAX, PASSWORD_MIN } from '../../../../api/people/service.ts';
import { getDb } from '../../../../db/client.ts';
import { FormError, LabelledInput } from '../../components/forms.tsx';
import type { Route } from './+types/accept-invitation.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Accept invitation · Anthropy Works' }];

// The token is in the URL: never send it on as a referrer, never cache the page.
export const headers: Route.HeadersFunction = () => ({ 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' });

const statusOf = (err: InvitationTokenError) => (err.problem === 'unknown' ? 400 : 410);

export async function loader({ params }: Route.LoaderArgs) {
  try {
    return { invitation: await describeInvitation(getDb(), params.token), problem: null, password: { min: PASSWORD_MIN, max: PASSWORD_MAX } };
  } catch (err) {
    if (err instanceof InvitationTokenError) return data({ invitation: null, problem: err.message, password: { min: PASSWORD_MIN, max: PASSWORD_MAX } }, { status: statusOf(err) });
    throw err;
  }
}

export async function action({ request, params }: Route.ActionArgs) {
  const form = await request.formData();
  try {
    const userId = await acceptInvitation(getDb(), params.token, {
      name: form.get('name') ?? '',
      password: form.get('password') ?? '',
      passwordConfirm: form.get('passwordConfirm') ?? '',
    });
    const { token } = await createSession(userId);
    return redirect('/', { headers: { 'Set-Cookie': sessionCookie(token) } });
  } catch (err) {
    if (err instanceof InvitationTokenError) return data({ problem: err.message, fieldErrors: {}, formError: null }, { status: statusOf(err) });
    if (err instanceof AppError) {
      const fieldErrors: Record<string, string> = err.fieldErrors;
      const known = ['name', 'password', 'passwordConfirm'].some((f) => fieldErrors[f]);
      return data({ problem: null, fieldErrors, formError: known ? null : err.message }, { status: err.status });
    }
    throw err;
  }
}

export default function AcceptInvitation({ loaderData, actionData }: Route.ComponentProps) {
  const busy = useNavigation().state !== 'idle';
  const problem = actionData?.problem ?? loaderData.problem;
  const { invitation, password } = loaderData;
  const errors: Record<string, string> = actionData?.fieldErrors ?? {};
  // Both password fields take a new password, within the same limits.
  const newPassword = { type: 'password', autoComplete: 'new-password', required: true, maxLength: password.max } as const;
  if (problem || !invitation) {
    return (
      <main className="centered">
        <h1>Invitation</h1>
        <p className="error" role="alert" data-testid="invitation-problem">
          {problem ?? 'This invitation link is not valid.'}
        </p>
        <p>
          <a href="/login">Go to sign in</a>
        </p>
      </main>
    );
  }
  return (
    <main className="centered">
      <h1>Join {invitation.organizationName}</h1>
      <p>
        You are invited as <strong>{invitation.roleLabel}</strong> with the email address <strong>{invitation.email}</strong>. Choose your name and a password to finish.
      </p>
      <Form method="post" className="stack" noValidate>
        <input type="email" name="username" autoComplete="username" value={invitation.email} readOnly hidden />
        <LabelledInput label="Name" name="name" autoComplete="name" required maxLength={100} error={errors.name} />
        <LabelledInput label="Password" name="password" {...newPassword} minLength={password.min} aria-describedby="password-hint" error={errors.password}>
          <span id="password-hint" className="muted">
            At least {password.min} characters.
          </span>
        </LabelledInput>
        <LabelledInput label="Confirm password" name="passwordConfirm" {...newPassword} error={errors.passwordConfirm} />
        <FormError message={actionData?.formError} />
        <button type="submit" disabled={busy}>
          {busy ? 'Joining…' : 'Accept invitation'}
        </button>
      </Form>
    </main>
  );
}

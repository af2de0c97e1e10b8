import { data, Form, redirect, useActionData, useNavigation } from 'react-router';
import { z } from 'zod';
import { clientIp } from '../../auth/client-ip.server.ts';
import { safeRedirect } from '../../auth/safe-redirect.ts';
import { getSession } from '../../auth/guard.server.ts';
import { sessionCookie } from '../../../../api/auth/sessions.ts';
import { signIn } from '../../../../api/auth/sign-in.ts';
import { FieldError, FormError } from '../../components/forms.tsx';
import type { Route } from './+types/login.ts';

const SignInForm = z.object({
  email: z.string().trim().min(1, 'Enter your email address.').max(254).email('Enter a valid email address.'),
  password: z.string().min(1, 'Enter your password.').max(1024, 'The password is too long.'),
});

export const meta: Route.MetaFunction = () => [{ title: 'Sign in · Anthropy Works' }];

export async function loader({ request }: Route.LoaderArgs) {
  if (await getSession(request)) throw redirect('/');
  return null;
}

export async function action({ request }: Route.ActionArgs) {
  const form = await request.formData();
  const parsed = SignInForm.safeParse({ email: form.get('email') ?? '', password: form.get('password') ?? '' });
  if (!parsed.success) {
    return data({ fieldErrors: z.flattenError(parsed.error).fieldErrors, formError: null }, { status: 400 });
  }
  const result = await signIn(parsed.data.email, parsed.data.password, clientIp(request));
  if (!result.ok) return data({ fieldErrors: {}, formError: result.message }, { status: 401 });
  const redirectTo = safeRedirect(new URL(request.url).searchParams.get('redirectTo'));
  return redirect(redirectTo, { headers: { 'Set-Cookie': sessionCookie(result.token) } });
}

export default function Login() {
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== 'idle';
  const fieldErrors: Partial<Record<'email' | 'password', string[]>> = result?.fieldErrors ?? {};
  return (
    <main className="centered">
      <h1>Anthropy Works</h1>
      <Form method="post" className="stack" noValidate>
        <label>
          Email
          <input name="email" type="email" autoComplete="username" required aria-invalid={Boolean(fieldErrors.email)} />
          <FieldError message={fieldErrors.email?.[0]} />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required aria-invalid={Boolean(fieldErrors.password)} />
          <FieldError message={fieldErrors.password?.[0]} />
        </label>
        <FormError message={result?.formError} />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </Form>
    </main>
  );
}

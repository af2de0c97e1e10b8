import { isRouteErrorResponse, Links, Meta, Outlet, Scripts, ScrollRestoration } from 'react-router';
import type { Route } from './+types/root.ts';
import stylesheet from './styles.css?url';

export const links: Route.LinksFunction = () => [{ rel: 'stylesheet', href: stylesheet }];

export function Layout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

const ERROR_PAGES: Record<number, [string, string]> = {
  404: ['Not found', 'There is nothing here, or you may not see it.'],
  403: ['Not allowed', 'Your role may not use this page. Ask an admin of your organization if you need it.'],
};

export function ErrorBoundary({ error }: Route.ErrorBoundaryProps) {
  const [title, text] = (isRouteErrorResponse(error) && ERROR_PAGES[error.status]) || ['Something went wrong', 'The error was logged. Try again, or go back.'];
  return (
    <main className="centered">
      {/* No route's meta runs for an error page: React places this title in the head. */}
      <title>{`${title} · Anthropy Works`}</title>
      <h1>{title}</h1>
      <p>{text}</p>
      <a href="/">Back to the console</a>
    </main>
  );
}

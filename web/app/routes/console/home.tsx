import { Link, useRouteLoaderData } from 'react-router';
import type { loader as layoutLoader } from './layout.tsx';
import type { Route } from './+types/home.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Anthropy Works' }];

export default function Home() {
  const shell = useRouteLoaderData<typeof layoutLoader>('routes/console/layout');
  return (
    <>
      <h1>Welcome, {shell?.user.name}</h1>
      <p>You are in the {shell?.view.toLowerCase()}. From here you reach what your role may use; every action is recorded in the audit trail.</p>
      <ul>
        {shell?.navigation.map((s) => (
          <li key={s.to}>
            <Link to={s.to}>{s.label}</Link>
          </li>
        ))}
      </ul>
    </>
  );
}

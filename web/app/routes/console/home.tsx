import { Link, useRouteLoaderData } from 'react-router';
import type { loader as layoutLoader } from './layout.tsx';
import type { Route } from './+types/home.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Anthropy Works' }];

export default function Home() {
  const console = useRouteLoaderData<typeof layoutLoader>('routes/console/layout');
  return (
    <>
      <h1>Welcome, {console?.user.name}</h1>
      <p>From here you see your customers' organizations, their machines (nodes), the OpenClaw instances on them, and every job, each linked to its run in Temporal Web.</p>
      <ul>{console?.sections.map((s) => <li key={s.to}><Link to={s.to}>{s.label}</Link></li>)}</ul>
    </>
  );
}
